// Decoders for published lists: a JSON document `{kind, series, title, period, lines:[…]}` or a
// CSV file (UTF-8 with or without BOM, or GB18030/GBK) with the list header given separately,
// into matcher::DemandLine / SupplyLine / Project values. The field set, types, units, CSV column
// names, Chinese header aliases and the requirement/attribute column syntax are documented in
// docs/data-model.md; this header is the contract in code.
//
// Validation is complete before anything is returned: a list is either decoded entirely or
// rejected with every error found (up to DecodeLimits::max_errors), each as an ErrorDetail
// {line, field, code, message}: `line` is the 0-based index in `lines` for JSON and the 1-based
// physical line for CSV; `field` is a JSON pointer ("/lines/3/quantity") or the CSV column as
// written in the header ("数量"). Outcomes:
//   * kMalformed (400), code "invalid_json" / "invalid_csv" / "invalid_encoding": the body cannot
//     be read at all (JSON syntax with offset, unterminated quote, ragged row, bad bytes);
//   * kTooLarge (413), code "too_many_lines": more lines than DecodeLimits::max_lines;
//   * kInvalidArgument (422), code "invalid_list": the details name every bad field.
// Line-level codes: required, wrong_type, unknown_field, out_of_range, invalid_value,
// malformed_code, unknown_code, bad_check_digit, unknown_scheme, unknown_unit, unknown_region,
// malformed_date, duplicate_ref, unknown_column, duplicate_column, too_many_errors.
//
// Memory: the JSON decoder never holds the whole list as a DOM: one SAX pass validates the
// document and finds the elements of `lines`, then the header is read from a DOM of the document
// without the lines, and each line from a small DOM of its own that is freed before the next.
// The CSV decoder converts the encoding once and then streams records. So a large upload is held
// about twice (bytes and decoded lines; CSV in GB18030: plus one UTF-8 copy).
//
// Thread-safety: pure functions of their inputs; the context's references must be thread-safe
// for reading (ReferenceData and UnitCatalog are).
#pragma once

#include "api/json.hpp"
#include "api/reference.hpp"
#include "api/result.hpp"
#include "api/units.hpp"
#include "matcher/domain.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::api {

enum class ListKind { kDemand, kSupply, kProject };
std::string_view ListKindName(ListKind kind) noexcept;  // "demand", "supply", "project"
std::optional<ListKind> ParseListKind(std::string_view name) noexcept;

// The publication-level fields of a list.
struct ListHeader {
    ListKind kind = ListKind::kDemand;
    std::string series;  // publisher's key for the series of versions, 1..200 chars
    std::string title;   // 1..500 chars
    std::string period;  // free text, e.g. "2026Q1" or "2026-03"; may be empty
    std::optional<std::int64_t> publisher_id;  // admin/regulator publishing for another org
};

struct DecodedList {
    ListHeader header;
    std::vector<matcher::DemandLine> demands;  // kind == kDemand
    std::vector<matcher::SupplyLine> supply;   // kind == kSupply
    std::vector<matcher::Project> projects;    // kind == kProject
    std::string source_encoding;               // CSV: "utf-8", "utf-8-bom", "gb18030"; JSON: ""

    std::size_t line_count() const { return demands.size() + supply.size() + projects.size(); }
};

struct DecodeLimits {
    std::size_t max_lines = 200'000;            // lines per list
    std::size_t max_errors = 100;               // details reported before decoding stops
    std::size_t max_string_length = 16 * 1024;  // bytes, for any text field
};

// What the decoders validate against. `reference` and `units` are required.
struct DecodeContext {
    const ReferenceData* reference = nullptr;
    const UnitChecker* units = nullptr;
    // Normalises a GB/T 2260 region code to its significant-prefix form, or nullopt when it is
    // not a known division. Empty function: only the form is checked (2, 4 or 6 digits,
    // trailing "00" pairs stripped).
    std::function<std::optional<std::string>(std::string_view)> normalize_region;
    // True when a GB/T 4754-2017 sector code exists (projects). Empty: any non-empty code.
    std::function<bool(std::string_view)> sector_exists;
    DecodeLimits limits;
};

// Decodes a JSON list document. `kind`, `series`, `title` are required; `period` and
// `publisherId` are optional; `lines` is a required array (may be empty: publishing an empty
// version withdraws every line of the series).
ApiResult<DecodedList> DecodeJsonList(std::string_view body, const DecodeContext& context);

// Decodes ONE line object of `kind` with exactly the rules a line of a published JSON list gets
// (used to re-validate a line after PATCH applies a JSON Merge Patch to it). Field pointers are
// relative to the line ("/quantity"); `line` is absent from the details. Fails with
// kInvalidArgument, code "invalid_list", like DecodeJsonList; the one line is in the vector of
// `kind`.
ApiResult<DecodedList> DecodeJsonLine(ListKind kind,
                                      const JsonValue& line,
                                      const DecodeContext& context);

// Decodes a CSV list whose header (kind, series, title, period, publisher) comes from the
// request's query parameters. The first record is the header row naming the columns.
ApiResult<DecodedList> DecodeCsvList(std::string_view bytes,
                                     const ListHeader& header,
                                     const DecodeContext& context);

// Normalises a GB/T 2260 code's form: "320500" -> "3205", "32" -> "32"; nullopt when it is not
// 2, 4 or 6 digits or reduces to nothing.
std::optional<std::string> NormalizeRegionForm(std::string_view code);

// The CSV requirement/attribute syntax (docs/data-model.md), exposed for tests and tools.
// "name op value [unit]" with op one of >=, <=, =, ~ or a range "a..b"; text after '=' that is
// not a number is an exact text value; "A|B" lists allowed values.
struct ParsedSpec {
    std::string name;
    std::optional<double> min;
    std::optional<double> max;
    std::optional<double> expected;  // "~ v" (requirements) or a single value (attributes)
    std::string unit;
    std::vector<std::string> allowed_values;
    std::string text;
    bool mandatory = true;  // requirements: a leading '?' marks a preference
};
// Parses one value cell of a `req:NAME[unit]` / `attr:NAME[unit]` column ("name" and "unit"
// come from the header) or one item of a `requirements` / `attributes` cell. Returns an error
// message on bad syntax.
boost::system::result<ParsedSpec, std::string> ParseSpecValue(std::string_view value);
boost::system::result<ParsedSpec, std::string> ParseSpecItem(std::string_view item);

}  // namespace renewmatch::api
