// A streaming RFC 4180 CSV reader over UTF-8 text (see api/encoding.hpp for getting UTF-8).
//
// Accepted: fields separated by ',', records by CRLF or LF (a lone CR inside a quoted field is
// data); double-quoted fields containing ',', '"' (doubled) and line breaks; an optional final
// line break; blank lines between records are skipped. A UTF-8 BOM at the very start is skipped.
// Rejected, with the 1-based physical line where the problem is:
//   * a quote inside an unquoted field ("stray quote"),
//   * characters after a closing quote other than a separator or line break,
//   * an unterminated quoted field (reported at the line where it opened),
//   * a record whose field count differs from the first record's ("ragged row"), when
//     `CsvOptions::rectangular` is set (the default),
//   * a field longer than `max_field_bytes` or a record with more than `max_fields` fields.
//
// The reader does not copy the input: it keeps a view of it, so the text must outlive it. Each
// record's fields are copied into the caller's `CsvRecord` (reused between calls, so a large
// file is read with one record in memory at a time).
//
// Thread-safety: one reader per thread; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::api {

struct CsvOptions {
    bool rectangular = true;                 // every record has the header's field count
    std::size_t max_field_bytes = 1U << 20;  // 1 MiB per field
    std::size_t max_fields = 4096;           // fields per record
};

struct CsvRecord {
    std::int64_t line = 0;  // 1-based physical line on which the record starts
    std::vector<std::string> fields;
};

struct CsvError {
    std::int64_t line = 0;  // 1-based physical line
    std::string code;       // "stray_quote", "unterminated_quote", "ragged_row", "too_large"
    std::string message;
};

class CsvReader {
  public:
    explicit CsvReader(std::string_view text, CsvOptions options = {});

    // Reads the next record into `out`. Returns true when a record was read; false at the end of
    // the input or on an error (then `error()` is set and every later call returns false).
    bool Next(CsvRecord& out);

    const std::optional<CsvError>& error() const { return error_; }
    // Physical line the reader has reached (1-based).
    std::int64_t line() const { return line_; }

  private:
    bool Fail(std::int64_t line, std::string code, std::string message);

    std::string_view text_;
    CsvOptions options_;
    std::size_t pos_ = 0;
    std::int64_t line_ = 1;
    std::optional<std::size_t> expected_fields_;
    std::optional<CsvError> error_;
};

// Convenience: reads every record (for small inputs such as reference data and tests).
struct CsvTable {
    std::vector<CsvRecord> records;
    std::optional<CsvError> error;
};
CsvTable ReadAllCsv(std::string_view text, CsvOptions options = {});

}  // namespace renewmatch::api
