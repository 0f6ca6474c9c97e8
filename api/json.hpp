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
// Writing: JsonWriter wraps rapidjson::Writer over a string buffer (streaming, no DOM).
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

#include <rapidjson/allocators.h>
#include <rapidjson/internal/stack.h>

#include <cstdlib>
#include <utility>

namespace renewmatch::api {

// The allocator type that selects JsonStack below for every RapidJSON parse/write stack.
class JsonStackAllocator : public rapidjson::CrtAllocator {};

}  // namespace renewmatch::api

namespace rapidjson::internal {

// RapidJSON 1.1.0's internal::Stack computes `stackTop_ + n` while its buffer is still null
// (before the first allocation), which is undefined behaviour that clang's UBSan reports on the
// first value of every parse and every write. This specialisation (selected by
// JsonStackAllocator) keeps the same interface but tracks offsets, so nothing ever offsets a
// null pointer. Growth is by half again, like the original; memory comes from realloc.
template <>
class Stack<renewmatch::api::JsonStackAllocator> {
  public:
    using Allocator = renewmatch::api::JsonStackAllocator;

    Stack(Allocator* allocator, size_t initial_capacity)
        : allocator_(allocator), initial_capacity_(initial_capacity) {}
    Stack(Stack&& other) noexcept { Swap(other); }
    Stack& operator=(Stack&& other) noexcept {
        if (this != &other) {
            Stack empty(nullptr, 0);
            Swap(empty);
            Swap(other);
        }
        return *this;
    }
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;
    ~Stack() { std::free(data_); }

    void Swap(Stack& other) noexcept {
        std::swap(allocator_, other.allocator_);
        std::swap(data_, other.data_);
        std::swap(top_, other.top_);
        std::swap(capacity_, other.capacity_);
        std::swap(initial_capacity_, other.initial_capacity_);
    }
    void Clear() { top_ = 0; }
    void ShrinkToFit() {
        if (top_ == 0) {
            std::free(data_);
            data_ = nullptr;
            capacity_ = 0;
        } else {
            Resize(top_);
        }
    }

    template <typename T>
    void Reserve(size_t count = 1) {
        if (capacity_ - top_ < sizeof(T) * count) Expand(sizeof(T) * count);
    }
    template <typename T>
    T* Push(size_t count = 1) {
        Reserve<T>(count);
        return PushUnsafe<T>(count);
    }
    template <typename T>
    T* PushUnsafe(size_t count = 1) {
        RENEWMATCH_CHECK(capacity_ - top_ >= sizeof(T) * count, "JSON stack push past capacity");
        T* slot = reinterpret_cast<T*>(data_ + top_);
        top_ += sizeof(T) * count;
        return slot;
    }
    template <typename T>
    T* Pop(size_t count) {
        RENEWMATCH_CHECK(top_ >= sizeof(T) * count, "JSON stack underflow");
        top_ -= sizeof(T) * count;
        return reinterpret_cast<T*>(data_ + top_);
    }
    template <typename T>
    T* Top() {
        RENEWMATCH_CHECK(top_ >= sizeof(T), "JSON stack is empty");
        return reinterpret_cast<T*>(data_ + top_ - sizeof(T));
    }
    template <typename T>
    const T* Top() const {
        RENEWMATCH_CHECK(top_ >= sizeof(T), "JSON stack is empty");
        return reinterpret_cast<const T*>(data_ + top_ - sizeof(T));
    }
    // data_ may be null only while top_ is 0, and adding 0 to a null pointer is well defined.
    template <typename T>
    T* End() {
        return reinterpret_cast<T*>(data_ + top_);
    }
    template <typename T>
    const T* End() const {
        return reinterpret_cast<const T*>(data_ + top_);
    }
    template <typename T>
    T* Bottom() {
        return reinterpret_cast<T*>(data_);
    }
    template <typename T>
    const T* Bottom() const {
        return reinterpret_cast<const T*>(data_);
    }

    bool HasAllocator() const { return allocator_ != nullptr; }
    Allocator& GetAllocator() {
        RENEWMATCH_CHECK(allocator_ != nullptr, "JSON stack has no allocator");
        return *allocator_;
    }
    bool Empty() const { return top_ == 0; }
    size_t GetSize() const { return top_; }
    size_t GetCapacity() const { return capacity_; }

  private:
    void Expand(size_t bytes) {
        size_t capacity = capacity_ == 0 ? initial_capacity_ : capacity_ + (capacity_ + 1) / 2;
        if (capacity < top_ + bytes) capacity = top_ + bytes;
        Resize(capacity);
    }
    void Resize(size_t capacity) {
        void* grown = std::realloc(data_, capacity);
        RENEWMATCH_CHECK(grown != nullptr, "out of memory growing a JSON stack");
        data_ = static_cast<char*>(grown);
        capacity_ = capacity;
    }

    Allocator* allocator_ = nullptr;  // not owned; memory comes from realloc
    char* data_ = nullptr;
    size_t top_ = 0;  // bytes in use
    size_t capacity_ = 0;
    size_t initial_capacity_ = 0;
};

}  // namespace rapidjson::internal

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace renewmatch::api {

// Parse and write stacks use JsonStackAllocator (see above); values use the usual pool.
using JsonDocument = rapidjson::
    GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>, JsonStackAllocator>;
using JsonValue = rapidjson::Value;
using JsonStringBuffer = rapidjson::GenericStringBuffer<rapidjson::UTF8<>, JsonStackAllocator>;
using JsonRawWriter =
    rapidjson::Writer<JsonStringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, JsonStackAllocator>;

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

// Strict UTF-8 check (no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text) noexcept;
// `text` with each invalid UTF-8 sequence replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view text);

// Streaming encoder: JsonWriter w; w.StartObject(); w.Field("id", 7); w.EndObject();
// std::string body = w.Take();  Non-finite doubles are written as null (JSON has no NaN);
// keys and strings that are not valid UTF-8 (e.g. echoed request bytes) are written with U+FFFD
// in place of each bad sequence, so the output is always valid JSON.
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

    JsonRawWriter& raw() { return writer_; }

  private:
    JsonStringBuffer buffer_;
    JsonRawWriter writer_;
};

}  // namespace renewmatch::api
