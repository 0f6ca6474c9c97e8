#include "api/json.hpp"

#include <rapidjson/error/en.h>

#include <cmath>
#include <limits>
#include <utility>

namespace renewmatch::api {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid (overlong,
// surrogate, above U+10FFFF, truncated, or a stray continuation byte).
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) noexcept {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) return 1;
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        extra = 1;
        code = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        extra = 2;
        code = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        extra = 3;
        code = lead & 0x07u;
    } else {
        return 0;
    }
    if (extra > text.size() - i - 1) return 0;
    for (std::size_t k = 1; k <= extra; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0u) != 0x80u) return 0;
        code = (code << 6) | (next & 0x3Fu);
    }
    if ((extra == 2 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
        (extra == 3 && (code < 0x10000 || code > 0x10FFFF))) {
        return 0;
    }
    return extra + 1;
}

const char* TypeName(const JsonValue& value) {
    if (value.IsNull()) return "null";
    if (value.IsBool()) return "boolean";
    if (value.IsObject()) return "object";
    if (value.IsArray()) return "array";
    if (value.IsString()) return "string";
    return "number";
}

ApiError WrongType(const JsonValue& value, std::string_view at, std::string_view expected) {
    std::string message = "expected ";
    message += expected;
    message += ", got ";
    message += TypeName(value);
    return FieldError(at, "wrong_type", message);
}

// Finds `key` in `object`. Returns an error when `object` is not an object; nullptr when the
// member is absent.
ApiResult<const JsonValue*> FindMember(const JsonValue& object,
                                       std::string_view key,
                                       std::string_view at) {
    if (!object.IsObject()) return WrongType(object, at, "object");
    const auto it =
        object.FindMember(JsonValue(key.data(), static_cast<rapidjson::SizeType>(key.size())));
    if (it == object.MemberEnd()) return nullptr;
    return &it->value;
}

// Shared shape of every required reader: find, require non-null, convert.
template <class T, class Convert>
ApiResult<T> ReadRequired(const JsonValue& object,
                          std::string_view key,
                          std::string_view at,
                          Convert convert) {
    auto member = FindMember(object, key, at);
    if (!member) return member.error();
    const std::string pointer = JsonPointerAppend(at, key);
    if (*member == nullptr || (*member)->IsNull()) {
        return FieldError(pointer, "required", "this field is required");
    }
    return convert(**member, pointer);
}

template <class T, class Convert>
ApiResult<std::optional<T>> ReadOptional(const JsonValue& object,
                                         std::string_view key,
                                         std::string_view at,
                                         Convert convert) {
    auto member = FindMember(object, key, at);
    if (!member) return member.error();
    if (*member == nullptr || (*member)->IsNull()) return std::optional<T>();
    auto value = convert(**member, JsonPointerAppend(at, key));
    if (!value) return value.error();
    return std::optional<T>(std::move(*value));
}

}  // namespace

bool IsValidUtf8(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = Utf8SequenceLength(text, i);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

std::string SanitizeUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = Utf8SequenceLength(text, i);
        if (length == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
            ++i;
        } else {
            out.append(text, i, length);
            i += length;
        }
    }
    return out;
}

ApiResult<JsonDocument> ParseDocument(std::string_view text) {
    JsonDocument document;
    constexpr unsigned kFlags =
        rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
    document.Parse<kFlags>(text.data(), text.size());
    if (document.HasParseError()) {
        const std::size_t offset = document.GetErrorOffset();
        std::string message = "invalid JSON at offset " + std::to_string(offset) + ": " +
                              rapidjson::GetParseError_En(document.GetParseError());
        ApiError error = ApiError::Make(Errc::kMalformed, message, "invalid_json");
        ErrorDetail detail;
        detail.code = "invalid_json";
        detail.message = std::move(message);
        error.details.push_back(std::move(detail));
        return error;
    }
    return document;
}

std::string JsonPointerAppend(std::string_view at, std::string_view key) {
    std::string pointer(at);
    pointer.reserve(at.size() + key.size() + 1);
    pointer += '/';
    for (char c : key) {
        if (c == '~') {
            pointer += "~0";
        } else if (c == '/') {
            pointer += "~1";
        } else {
            pointer += c;
        }
    }
    return pointer;
}

std::string JsonPointerAppend(std::string_view at, std::size_t index) {
    std::string pointer(at);
    pointer += '/';
    pointer += std::to_string(index);
    return pointer;
}

ApiError FieldError(std::string_view pointer, std::string_view code, std::string_view message) {
    ApiError error;
    error.kind = Errc::kInvalidArgument;
    error.code = "invalid_field";
    error.message = "invalid field ";
    error.message += pointer.empty() ? std::string_view("(document)") : pointer;
    error.message += ": ";
    error.message += message;
    ErrorDetail detail;
    detail.field = std::string(pointer);
    detail.code = std::string(code);
    detail.message = std::string(message);
    error.details.push_back(std::move(detail));
    return error;
}

ApiResult<std::string> AsString(const JsonValue& value,
                                std::string_view at,
                                std::size_t max_length) {
    if (!value.IsString()) return WrongType(value, at, "string");
    const std::size_t length = value.GetStringLength();
    if (length > max_length) {
        return FieldError(at, "out_of_range",
                          "string longer than " + std::to_string(max_length) + " bytes");
    }
    return std::string(value.GetString(), length);
}

ApiResult<std::int64_t> AsInt64(const JsonValue& value, std::string_view at) {
    if (!value.IsNumber()) return WrongType(value, at, "integer");
    if (value.IsInt64()) return value.GetInt64();
    if (value.IsUint64()) return FieldError(at, "out_of_range", "integer out of range");
    return WrongType(value, at, "integer");  // a fraction or exponent form
}

ApiResult<double> AsDouble(const JsonValue& value, std::string_view at) {
    if (!value.IsNumber()) return WrongType(value, at, "number");
    const double number = value.GetDouble();
    if (!std::isfinite(number)) return FieldError(at, "out_of_range", "number out of range");
    return number;
}

ApiResult<bool> AsBool(const JsonValue& value, std::string_view at) {
    if (!value.IsBool()) return WrongType(value, at, "boolean");
    return value.GetBool();
}

ApiResult<const JsonValue*> AsArray(const JsonValue& value, std::string_view at) {
    if (!value.IsArray()) return WrongType(value, at, "array");
    return &value;
}

ApiResult<const JsonValue*> AsObject(const JsonValue& value, std::string_view at) {
    if (!value.IsObject()) return WrongType(value, at, "object");
    return &value;
}

ApiResult<std::string> ReadString(const JsonValue& object,
                                  std::string_view key,
                                  std::string_view at,
                                  std::size_t max_length) {
    return ReadRequired<std::string>(object, key, at,
                                     [max_length](const JsonValue& v, std::string_view p) {
                                         return AsString(v, p, max_length);
                                     });
}

ApiResult<std::int64_t> ReadInt64(const JsonValue& object,
                                  std::string_view key,
                                  std::string_view at) {
    return ReadRequired<std::int64_t>(object, key, at, AsInt64);
}

ApiResult<double> ReadDouble(const JsonValue& object, std::string_view key, std::string_view at) {
    return ReadRequired<double>(object, key, at, AsDouble);
}

ApiResult<bool> ReadBool(const JsonValue& object, std::string_view key, std::string_view at) {
    return ReadRequired<bool>(object, key, at, AsBool);
}

ApiResult<const JsonValue*> ReadArray(const JsonValue& object,
                                      std::string_view key,
                                      std::string_view at) {
    return ReadRequired<const JsonValue*>(object, key, at, AsArray);
}

ApiResult<const JsonValue*> ReadObject(const JsonValue& object,
                                       std::string_view key,
                                       std::string_view at) {
    return ReadRequired<const JsonValue*>(object, key, at, AsObject);
}

ApiResult<std::optional<std::string>> ReadOptionalString(const JsonValue& object,
                                                         std::string_view key,
                                                         std::string_view at,
                                                         std::size_t max_length) {
    return ReadOptional<std::string>(object, key, at,
                                     [max_length](const JsonValue& v, std::string_view p) {
                                         return AsString(v, p, max_length);
                                     });
}

ApiResult<std::optional<std::int64_t>> ReadOptionalInt64(const JsonValue& object,
                                                         std::string_view key,
                                                         std::string_view at) {
    return ReadOptional<std::int64_t>(object, key, at, AsInt64);
}

ApiResult<std::optional<double>> ReadOptionalDouble(const JsonValue& object,
                                                    std::string_view key,
                                                    std::string_view at) {
    return ReadOptional<double>(object, key, at, AsDouble);
}

ApiResult<std::optional<bool>> ReadOptionalBool(const JsonValue& object,
                                                std::string_view key,
                                                std::string_view at) {
    return ReadOptional<bool>(object, key, at, AsBool);
}

ApiResult<const JsonValue*> ReadOptionalArray(const JsonValue& object,
                                              std::string_view key,
                                              std::string_view at) {
    auto value = ReadOptional<const JsonValue*>(object, key, at, AsArray);
    if (!value) return value.error();
    return value->value_or(nullptr);
}

ApiResult<const JsonValue*> ReadOptionalObject(const JsonValue& object,
                                               std::string_view key,
                                               std::string_view at) {
    auto value = ReadOptional<const JsonValue*>(object, key, at, AsObject);
    if (!value) return value.error();
    return value->value_or(nullptr);
}

ApiResult<void> RejectUnknownFields(const JsonValue& object,
                                    std::string_view at,
                                    std::initializer_list<std::string_view> allowed) {
    if (!object.IsObject()) return WrongType(object, at, "object");
    ApiError error;
    error.kind = Errc::kInvalidArgument;
    error.code = "unknown_field";
    for (const auto& member : object.GetObject()) {
        const std::string_view name(member.name.GetString(), member.name.GetStringLength());
        bool known = false;
        for (std::string_view candidate : allowed) {
            if (candidate == name) {
                known = true;
                break;
            }
        }
        if (known) continue;
        ErrorDetail detail;
        detail.field = JsonPointerAppend(at, name);
        detail.code = "unknown_field";
        detail.message = "unknown field";
        error.details.push_back(std::move(detail));
    }
    if (error.details.empty()) return {};
    error.message = error.details.size() == 1
                        ? "unknown field " + error.details.front().field
                        : std::to_string(error.details.size()) + " unknown fields";
    return error;
}

JsonWriter::JsonWriter() : writer_(buffer_) {}

JsonWriter& JsonWriter::StartObject() {
    writer_.StartObject();
    return *this;
}
JsonWriter& JsonWriter::EndObject() {
    writer_.EndObject();
    return *this;
}
JsonWriter& JsonWriter::StartArray() {
    writer_.StartArray();
    return *this;
}
JsonWriter& JsonWriter::EndArray() {
    writer_.EndArray();
    return *this;
}
JsonWriter& JsonWriter::Key(std::string_view key) {
    if (!IsValidUtf8(key)) {
        const std::string clean = SanitizeUtf8(key);
        writer_.Key(clean.data(), static_cast<rapidjson::SizeType>(clean.size()), true);
        return *this;
    }
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()), true);
    return *this;
}
JsonWriter& JsonWriter::String(std::string_view value) {
    if (!IsValidUtf8(value)) {
        const std::string clean = SanitizeUtf8(value);
        writer_.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()), true);
        return *this;
    }
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()), true);
    return *this;
}
JsonWriter& JsonWriter::Int64(std::int64_t value) {
    writer_.Int64(value);
    return *this;
}
JsonWriter& JsonWriter::Uint64(std::uint64_t value) {
    writer_.Uint64(value);
    return *this;
}
JsonWriter& JsonWriter::Double(double value) {
    if (!std::isfinite(value)) return Null();
    writer_.Double(value);
    return *this;
}
JsonWriter& JsonWriter::Bool(bool value) {
    writer_.Bool(value);
    return *this;
}
JsonWriter& JsonWriter::Null() {
    writer_.Null();
    return *this;
}

JsonWriter& JsonWriter::Field(std::string_view key, std::string_view value) {
    return Key(key).String(value);
}
JsonWriter& JsonWriter::Field(std::string_view key, const char* value) {
    return Key(key).String(value);
}
JsonWriter& JsonWriter::Field(std::string_view key, const std::string& value) {
    return Key(key).String(value);
}
JsonWriter& JsonWriter::Field(std::string_view key, std::int64_t value) {
    return Key(key).Int64(value);
}
JsonWriter& JsonWriter::Field(std::string_view key, int value) {
    return Key(key).Int64(value);
}
JsonWriter& JsonWriter::Field(std::string_view key, std::uint64_t value) {
    return Key(key).Uint64(value);
}
JsonWriter& JsonWriter::Field(std::string_view key, double value) {
    return Key(key).Double(value);
}
JsonWriter& JsonWriter::Field(std::string_view key, bool value) {
    return Key(key).Bool(value);
}
JsonWriter& JsonWriter::NullField(std::string_view key) {
    return Key(key).Null();
}

JsonWriter& JsonWriter::Value(const JsonValue& value) {
    value.Accept(writer_);
    return *this;
}

std::string JsonWriter::Take() {
    std::string out(buffer_.GetString(), buffer_.GetSize());
    buffer_.Clear();
    writer_.Reset(buffer_);
    return out;
}

}  // namespace renewmatch::api
