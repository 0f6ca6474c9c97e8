#include "api/csv.hpp"

#include <utility>

namespace renewmatch::api {

CsvReader::CsvReader(std::string_view text, CsvOptions options) : text_(text), options_(options) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

bool CsvReader::Fail(std::int64_t line, std::string code, std::string message) {
    error_ = CsvError{line, std::move(code), std::move(message)};
    return false;
}

bool CsvReader::Next(CsvRecord& out) {
    if (error_) return false;
    // Skip blank lines between records.
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
        // CRLF is one line break; a lone CR (old Mac exports) also ends a line.
        if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
        ++pos_;
        ++line_;
    }
    if (pos_ >= text_.size()) return false;

    out.line = line_;
    std::size_t nfields = 0;
    auto next_field = [&]() -> std::string& {
        if (nfields == out.fields.size()) out.fields.emplace_back();
        std::string& f = out.fields[nfields++];
        f.clear();
        return f;
    };

    const std::size_t n = text_.size();
    while (true) {
        if (nfields >= options_.max_fields) {
            return Fail(line_, "too_large",
                        "more than " + std::to_string(options_.max_fields) + " fields in a record");
        }
        std::string& field = next_field();
        bool end_of_record = false;
        if (pos_ < n && text_[pos_] == '"') {
            const std::int64_t open_line = line_;
            ++pos_;
            while (true) {
                if (pos_ >= n) {
                    return Fail(open_line, "unterminated_quote",
                                "quoted field opened on this line is never closed");
                }
                const char c = text_[pos_];
                if (c == '"') {
                    if (pos_ + 1 < n && text_[pos_ + 1] == '"') {
                        field.push_back('"');
                        pos_ += 2;
                        continue;
                    }
                    ++pos_;
                    break;
                }
                if (c == '\n') ++line_;
                field.push_back(c);
                ++pos_;
                if (field.size() > options_.max_field_bytes) {
                    return Fail(
                        open_line, "too_large",
                        "field longer than " + std::to_string(options_.max_field_bytes) + " bytes");
                }
            }
            // After the closing quote: separator, line break or end of input.
            if (pos_ < n && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
                return Fail(line_, "stray_quote",
                            "unexpected character after a closing quote (a quote inside a field "
                            "must be doubled)");
            }
        } else {
            const std::size_t start = pos_;
            while (pos_ < n && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
                if (text_[pos_] == '"') {
                    return Fail(line_, "stray_quote",
                                "quote inside an unquoted field (quote the whole field and "
                                "double the inner quote)");
                }
                ++pos_;
            }
            if (pos_ - start > options_.max_field_bytes) {
                return Fail(
                    line_, "too_large",
                    "field longer than " + std::to_string(options_.max_field_bytes) + " bytes");
            }
            field.assign(text_.substr(start, pos_ - start));
        }
        if (pos_ >= n) {
            end_of_record = true;
        } else if (text_[pos_] == ',') {
            ++pos_;
            continue;
        } else {  // line break
            if (text_[pos_] == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n') ++pos_;
            ++pos_;
            ++line_;
            end_of_record = true;
        }
        if (end_of_record) break;
    }
    out.fields.resize(nfields);
    if (options_.rectangular) {
        if (!expected_fields_) {
            expected_fields_ = nfields;
        } else if (*expected_fields_ != nfields) {
            return Fail(out.line, "ragged_row",
                        "record has " + std::to_string(nfields) + " fields; the header has " +
                            std::to_string(*expected_fields_));
        }
    }
    return true;
}

CsvTable ReadAllCsv(std::string_view text, CsvOptions options) {
    CsvTable table;
    CsvReader reader(text, options);
    CsvRecord record;
    while (reader.Next(record)) table.records.push_back(record);
    table.error = reader.error();
    return table;
}

}  // namespace renewmatch::api
