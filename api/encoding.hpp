// Text-encoding detection and conversion for uploaded CSV lists.
//
// Chinese Excel saves CSV as GB18030/GBK by default; other tools write UTF-8 with or without a
// byte-order mark. `DecodeToUtf8` turns any of these into UTF-8 with the BOM removed:
//   1. EF BB BF (UTF-8 BOM): the rest must be valid UTF-8; no fallback.
//   2. FF FE / FE FF (UTF-16 BOM): rejected; UTF-16 is not a supported upload encoding.
//   3. Valid UTF-8 (strict: no overlongs, no surrogates, nothing above U+10FFFF): kept as is.
//   4. Otherwise, when the first invalid UTF-8 sequence comes before any valid multi-byte UTF-8
//      sequence, the text is taken as GB18030 (a superset of GBK and GB2312) and converted with
//      iconv. A file that already had valid multi-byte UTF-8 before the bad byte is reported as
//      broken UTF-8 instead of being reinterpreted.
// NUL bytes are rejected in every encoding (no text file needs them).
//
// Errors are `EncodingError` values carrying the 1-based line (counted by LF bytes, which never
// occur inside a UTF-8 or GB18030 multi-byte sequence) and byte offset of the first bad byte.
//
// Thread-safety: pure functions; each call uses its own iconv descriptor.
#pragma once

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace renewmatch::api {

enum class TextEncoding { kUtf8, kUtf8Bom, kGb18030 };

// "utf-8", "utf-8-bom" or "gb18030".
std::string_view TextEncodingName(TextEncoding encoding) noexcept;

struct EncodingError {
    std::int64_t line = 1;          // 1-based line of the first bad byte
    std::uint64_t byte_offset = 0;  // offset of the first bad byte in the input
    std::string message;
};

struct DecodedText {
    std::string utf8;  // BOM removed
    TextEncoding source = TextEncoding::kUtf8;
};

// Byte offset of the first invalid UTF-8 sequence, or npos when `bytes` is entirely valid.
// `saw_multibyte` (optional) reports whether a valid multi-byte sequence preceded it.
std::size_t FirstInvalidUtf8(std::string_view bytes, bool* saw_multibyte = nullptr) noexcept;

// Detects and converts as described above. The input is not modified; the result owns a copy
// (UTF-8 input with or without BOM is copied once; GB18030 input is converted in one pass).
boost::system::result<DecodedText, EncodingError> DecodeToUtf8(std::string_view bytes);

// Converts UTF-8 to GB18030 (used by tests and scripts/demo-data equivalents to produce files
// the way Chinese Excel writes them). Invalid UTF-8 is an error.
boost::system::result<std::string, EncodingError> Utf8ToGb18030(std::string_view utf8);

}  // namespace renewmatch::api
