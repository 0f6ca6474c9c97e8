#include "api/orgs_reference.hpp"

#include "schema/check.hpp"

#include <utility>
#include <vector>

namespace renewmatch::api {
namespace {

bool AllDigits(std::string_view s) {
    for (const char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return !s.empty();
}

// Splits CSV text into records of fields (RFC 4180: quoted fields, doubled quotes, CRLF or LF).
// Returns false on an unterminated quote. A UTF-8 BOM at the start is skipped.
bool ParseCsv(std::string_view text, std::vector<std::vector<std::string>>& rows) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::vector<std::string> row;
    std::string field;
    bool in_quotes = false;
    bool field_started = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_quotes) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    in_quotes = false;
                }
            } else {
                field += c;
            }
            continue;
        }
        if (c == '"') {
            in_quotes = true;
            field_started = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
            field_started = true;
        } else if (c == '\r') {
            continue;
        } else if (c == '\n') {
            if (field_started || !field.empty() || !row.empty()) {
                row.push_back(std::move(field));
                rows.push_back(std::move(row));
            }
            row.clear();
            field.clear();
            field_started = false;
        } else {
            field += c;
            field_started = true;
        }
    }
    if (in_quotes) return false;
    if (field_started || !field.empty() || !row.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    return true;
}

Result<std::vector<std::vector<std::string>>> ReadTable(std::string_view text,
                                                        std::size_t min_columns) {
    std::vector<std::vector<std::string>> rows;
    if (!ParseCsv(text, rows) || rows.empty()) return Errc::kMalformed;
    rows.erase(rows.begin());  // header
    for (const auto& row : rows) {
        if (row.size() < min_columns) return Errc::kMalformed;
    }
    return rows;
}

}  // namespace

Result<ReferenceCodes> ReferenceCodes::Parse(std::string_view provinces_csv,
                                             std::string_view cities_csv,
                                             std::string_view areas_csv,
                                             std::string_view sectors_csv) {
    ReferenceCodes codes;
    auto provinces = ReadTable(provinces_csv, 2);
    auto cities = ReadTable(cities_csv, 3);
    auto areas = ReadTable(areas_csv, 3);
    auto sectors = ReadTable(sectors_csv, 4);
    if (!provinces || !cities || !areas || !sectors) return Errc::kMalformed;

    auto add_region = [&codes](const std::string& code, const std::string& name,
                               const std::string& parent, RegionLevel level,
                               std::size_t digits) -> bool {
        if (code.size() != digits || !AllDigits(code)) return false;
        if (!parent.empty() &&
            (!codes.regions_.contains(parent) || code.compare(0, parent.size(), parent) != 0)) {
            return false;
        }
        codes.regions_[code] = RegionEntry{code, name, parent, level};
        return true;
    };
    for (const auto& row : *provinces) {
        if (!add_region(row[0], row[1], "", RegionLevel::kProvince, 2)) {
            return Errc::kInvalidArgument;
        }
    }
    for (const auto& row : *cities) {
        if (!add_region(row[0], row[1], row[2], RegionLevel::kCity, 4)) {
            return Errc::kInvalidArgument;
        }
    }
    for (const auto& row : *areas) {
        if (!add_region(row[0], row[1], row[2], RegionLevel::kCounty, 6)) {
            return Errc::kInvalidArgument;
        }
    }

    for (const auto& row : *sectors) {
        const std::string& code = row[0];
        int level = 0;
        if (code.size() == 1 && code[0] >= 'A' && code[0] <= 'Z') {
            level = 1;
        } else if (AllDigits(code) && code.size() >= 2 && code.size() <= 4) {
            level = static_cast<int>(code.size());
        } else {
            return Errc::kInvalidArgument;
        }
        const std::string& parent = row[3];
        if (level > 1 && !codes.sectors_.contains(parent)) return Errc::kInvalidArgument;
        codes.sectors_[code] = SectorEntry{code, row[1], parent, level};
    }
    return codes;
}

std::shared_ptr<const ReferenceCodes> ReferenceCodes::Embedded() {
    static const std::shared_ptr<const ReferenceCodes> instance = [] {
        auto parsed = Parse(EmbeddedProvincesCsv(), EmbeddedCitiesCsv(), EmbeddedAreasCsv(),
                            EmbeddedSectorsCsv());
        // The data is compiled in, so failing here is a build defect, not a runtime state.
        RENEWMATCH_CHECK(parsed.has_value(), "embedded GB/T 2260 / GB/T 4754 data must parse");
        return std::make_shared<const ReferenceCodes>(std::move(*parsed));
    }();
    return instance;
}

std::optional<std::string> ReferenceCodes::NormalizeRegion(std::string_view code) const {
    if (!AllDigits(code) || (code.size() != 2 && code.size() != 4 && code.size() != 6)) {
        return std::nullopt;
    }
    std::string prefix(code);
    while (prefix.size() > 2 && prefix.compare(prefix.size() - 2, 2, "00") == 0) {
        prefix.resize(prefix.size() - 2);
    }
    if (!regions_.contains(prefix)) return std::nullopt;
    return prefix;
}

const RegionEntry* ReferenceCodes::FindRegion(std::string_view significant_prefix) const {
    const auto it = regions_.find(std::string(significant_prefix));
    return it == regions_.end() ? nullptr : &it->second;
}

const SectorEntry* ReferenceCodes::FindSector(std::string_view code) const {
    const auto it = sectors_.find(std::string(code));
    return it == sectors_.end() ? nullptr : &it->second;
}

}  // namespace renewmatch::api
