// The one RapidJSON wrapper. Every api/ file that reads or writes JSON includes this header and
// never <rapidjson/...> directly, so RAPIDJSON_ASSERT is the same everywhere: it is mapped to the
// always-on RENEWMATCH_CHECK, and a missed Is*() guard aborts loudly instead of reading garbage
// under NDEBUG.
//
// Reading: ParseDocument() parses with kParseIterativeFlag (no recursion, so deep nesting cannot
// overflow the stack) and kParseValidateEncodingFlag (invalid UTF-8 is an error) and reports the
// byte offset and RapidJSON's message. The typed readers (ReadString, ReadInt64, ReadDouble,
// ReadBool, ReadArray, ReadObject and their Optional variants) check IsObject()/FindMember()/
// Is*() first and fail with kInvalidArgument and one ErrorDetail whose `field` is the JSON
// pointer (RFC 6901) of the bad field, e.g. "/lines/3/quantity", and whose `code` is one of
//   "required"      the member is missing (or null, for required members)
//   "wrong_type"    the member has another JSON type
//   "out_of_range"  a number outside the target range, a non-finite number, a too-long string
// `at` is the pointer of the object being read ("" for the document root).
//
// Writing: JsonWriter wraps rapidjson::Writer over a StringBuffer (streaming, no DOM).
//
// Thread-safety: functions are stateless; a Document / JsonWriter belongs to one thread.
#pragma once

#include "api/error.hpp"
#include "api/result.hpp"
#include "schema/check.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#ifdef RAPIDJSON_ASSERT
#error "api/json.hpp must be the only place that includes RapidJSON (RAPIDJSON_ASSERT already set)"
#endif
#define RAPIDJSON_ASSERT(x) RENEWMATCH_CHECK(x, "RapidJSON precondition (missing Is*() guard?)")
#ifndef RAPIDJSON_HAS_STDSTRING
#define RAPIDJSON_HAS_STDSTRING 1
#endif

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace renewmatch::api {

using JsonDocument = rapidjson::Document;
using JsonValue = rapidjson::Value;

// Longest string a reader accepts unless told otherwise (bytes of UTF-8).
inline constexpr std::size_t kMaxJsonStringLength = 64 * 1024;

// Parses `text` as one JSON document. Fails with kMalformed, code "invalid_json", a message of
// the form "invalid JSON at offset 17: Missing a comma or '}' after an object member." and one
// detail carrying the same. Empty input is an error.
ApiResult<JsonDocument> ParseDocument(std::string_view text);

// JSON pointer helpers (RFC 6901 escaping: '~' -> "~0", '/' -> "~1").
std::string JsonPointerAppend(std::string_view at, std::string_view key);
std::string JsonPointerAppend(std::string_view at, std::size_t index);

// The error the readers return: kInvalidArgument with one detail {field = pointer, code,
// message}. Exposed so handlers can report their own semantic checks the same way.
ApiError FieldError(std::string_view pointer, std::string_view code, std::string_view message);

// ---- readers for a value whose pointer is `at` -----------------------------------------------
ApiResult<std::string> AsString(const JsonValue& value,
                                std::string_view at,
                                std::size_t max_length = kMaxJsonStringLength);
ApiResult<std::int64_t> AsInt64(const JsonValue& value, std::string_view at);
ApiResult<double> AsDouble(const JsonValue& value, std::string_view at);  // finite only
ApiResult<bool> AsBool(const JsonValue& value, std::string_view at);
ApiResult<const JsonValue*> AsArray(const JsonValue& value, std::string_view at);
ApiResult<const JsonValue*> AsObject(const JsonValue& value, std::string_view at);

// ---- required members of `object` (itself at pointer `at`) -----------------------------------
// Missing or null -> "required". `object` not being an object -> "wrong_type" at `at`.
ApiResult<std::string> ReadString(const JsonValue& object,
                                  std::string_view key,
                                  std::string_view at,
                                  std::size_t max_length = kMaxJsonStringLength);
ApiResult<std::int64_t> ReadInt64(const JsonValue& object,
                                  std::string_view key,
                                  std::string_view at);
ApiResult<double> ReadDouble(const JsonValue& object, std::string_view key, std::string_view at);
ApiResult<bool> ReadBool(const JsonValue& object, std::string_view key, std::string_view at);
// The array / object member itself (owned by the document).
ApiResult<const JsonValue*> ReadArray(const JsonValue& object,
                                      std::string_view key,
                                      std::string_view at);
ApiResult<const JsonValue*> ReadObject(const JsonValue& object,
                                       std::string_view key,
                                       std::string_view at);

// ---- optional members: missing or null -> nullopt; present with a wrong type -> error --------
ApiResult<std::optional<std::string>> ReadOptionalString(
    const JsonValue& object,
    std::string_view key,
    std::string_view at,
    std::size_t max_length = kMaxJsonStringLength);
ApiResult<std::optional<std::int64_t>> ReadOptionalInt64(const JsonValue& object,
                                                         std::string_view key,
                                                         std::string_view at);
ApiResult<std::optional<double>> ReadOptionalDouble(const JsonValue& object,
                                                    std::string_view key,
                                                    std::string_view at);
ApiResult<std::optional<bool>> ReadOptionalBool(const JsonValue& object,
                                                std::string_view key,
                                                std::string_view at);
ApiResult<const JsonValue*> ReadOptionalArray(const JsonValue& object,  // nullptr when absent
                                              std::string_view key,
                                              std::string_view at);
ApiResult<const JsonValue*> ReadOptionalObject(const JsonValue& object,  // nullptr when absent
                                               std::string_view key,
                                               std::string_view at);

// Fails with kInvalidArgument and one detail per member of `object` whose name is not in
// `allowed` (code "unknown_field", field = its pointer). `object` not an object -> "wrong_type".
ApiResult<void> RejectUnknownFields(const JsonValue& object,
                                    std::string_view at,
                                    std::initializer_list<std::string_view> allowed);

// Streaming encoder: JsonWriter w; w.StartObject(); w.Field("id", 7); w.EndObject();
// std::string body = w.Take();  Non-finite doubles are written as null (JSON has no NaN).
class JsonWriter {
  public:
    JsonWriter();
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;

    JsonWriter& StartObject();
    JsonWriter& EndObject();
    JsonWriter& StartArray();
    JsonWriter& EndArray();
    JsonWriter& Key(std::string_view key);
    JsonWriter& String(std::string_view value);
    JsonWriter& Int64(std::int64_t value);
    JsonWriter& Uint64(std::uint64_t value);
    JsonWriter& Double(double value);
    JsonWriter& Bool(bool value);
    JsonWriter& Null();

    // Key + value in one call.
    JsonWriter& Field(std::string_view key, std::string_view value);
    JsonWriter& Field(std::string_view key, const char* value);
    JsonWriter& Field(std::string_view key, const std::string& value);
    JsonWriter& Field(std::string_view key, std::int64_t value);
    JsonWriter& Field(std::string_view key, int value);
    JsonWriter& Field(std::string_view key, std::uint64_t value);
    JsonWriter& Field(std::string_view key, double value);
    JsonWriter& Field(std::string_view key, bool value);
    JsonWriter& NullField(std::string_view key);
    template <class T>
    JsonWriter& Field(std::string_view key, const std::optional<T>& value) {
        if (!value.has_value()) return NullField(key);
        return Field(key, *value);
    }

    // Writes an already-parsed value (e.g. a stored JSON fragment) verbatim.
    JsonWriter& Value(const JsonValue& value);

    // True when the output is one complete JSON value.
    bool complete() const { return writer_.IsComplete(); }
    // The encoded text (the writer is left empty and reusable).
    std::string Take();
    std::string_view view() const { return {buffer_.GetString(), buffer_.GetSize()}; }

    rapidjson::Writer<rapidjson::StringBuffer>& raw() { return writer_; }

  private:
    rapidjson::StringBuffer buffer_;
    rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace renewmatch::api
