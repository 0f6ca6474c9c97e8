// Classification and quantity-unit reference data for list lines: CPV 2008 (the default
// classification scheme), the Harmonized System (HS 2/4/6) and UN/CEFACT Recommendation 20 unit
// codes. Region codes live in api/orgs_reference.hpp (access).
//
// The tables are parsed from the CSV files in data/cpv/, data/hs/ and data/units/, embedded into
// the binary at build time (api/CMakeLists.txt), so a deployed daemon needs no data directory.
// `ReferenceData::Embedded()` returns the process-wide instance (built on first use; thread-safe
// static initialisation); `ReferenceData::Parse` builds one from explicit CSV text (tests).
//
// CPV codes: "DDDDDDDD-C" (8 digits, dash, check digit). The hierarchy is division (2 significant
// digits), group (3), class (4), category (5) and subcategory (6..8); a code's parent is the
// nearest published code with a shorter significant prefix. The CPV regulation publishes the
// check digit but no algorithm for it (about 94% of codes fit a 3-7-1 weighted sum mod 10, the
// rest do not), so a check digit is validated against the published table. "DDDDDDDD" without
// the check digit is accepted and completed.
// HS codes: 2 (chapter), 4 (heading) or 6 (subheading) digits; "8457.10" is accepted as "845710".
//
// Thread-safety: immutable after construction; share as shared_ptr<const ReferenceData>.
#pragma once

#include "schema/errc.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace renewmatch::api {

enum class CpvLevel { kDivision = 0, kGroup, kClass, kCategory, kSubcategory };
std::string_view CpvLevelName(CpvLevel level) noexcept;

struct ClassificationEntry {
    std::string id;      // canonical: CPV "42621100-6", HS "845710"
    std::string parent;  // canonical id of the parent; empty at the top level
    int level = 0;       // CPV: CpvLevel as int (0..4); HS: 2, 4 or 6 (digits)
    std::string label;   // English label
};

struct QuantityUnit {
    std::string code;          // "C62", "SET", "KGM"
    std::string name;          // "one", "set", "kilogram"
    std::string symbol;        // "kg"; may be empty
    bool recommended = false;  // in ProZorro's recommended list
};

// Why a classification code was refused; `code` is the machine code for ErrorDetail.code.
struct CodeProblem {
    std::string code;     // "malformed_code", "unknown_code", "bad_check_digit", "unknown_scheme"
    std::string message;  // for a human, names the code and what was expected
};

class ReferenceData {
  public:
    // Parses the CSV texts (with header rows): cpv_2008.csv (code,level,parent,label_en),
    // harmonized-system.csv (section,hscode,description,parent,level; the "TOTAL" root row is
    // skipped) and unit_codes.csv (code,name,symbol,recommended). Returns kMalformed when a CSV
    // cannot be read and kInvalidArgument when a row is inconsistent (bad code form, missing
    // parent).
    [[nodiscard]] static Result<ReferenceData> Parse(std::string_view cpv_csv,
                                                     std::string_view hs_csv,
                                                     std::string_view units_csv);

    // The tables built from the embedded data. Aborts if the embedded data does not parse: that
    // is a build defect, not a runtime condition.
    static std::shared_ptr<const ReferenceData> Embedded();

    // Validates a code of `scheme` ("CPV" or "HS", case-insensitive) and returns its canonical
    // form, or why it was refused.
    boost::system::result<std::string, CodeProblem> CanonicalClassification(
        std::string_view scheme, std::string_view code) const;

    // Entry for a canonical code; null when unknown.
    const ClassificationEntry* FindCpv(std::string_view canonical) const;
    const ClassificationEntry* FindHs(std::string_view canonical) const;

    // The parent chain of a canonical code, nearest first, excluding the code itself
    // (CPV "42621100-6" -> {"42621000-5", "42620000-8", "42600000-2", "42000000-6"}). Empty for an
    // unknown code or a top-level code. Plain data for the matcher's classification proximity.
    std::vector<std::string> Ancestors(std::string_view scheme, std::string_view canonical) const;

    // child -> parent for every code of a scheme with a parent (plain data for the matcher).
    const std::unordered_map<std::string, std::string>& CpvParents() const { return cpv_parent_; }
    const std::unordered_map<std::string, std::string>& HsParents() const { return hs_parent_; }

    // UN/CEFACT Rec 20 quantity unit by code (exact, upper case); null when unknown.
    const QuantityUnit* FindQuantityUnit(std::string_view code) const;
    // Up to `k` known unit codes closest to `text` (by code, name and symbol), for suggestions.
    std::vector<std::string> SuggestQuantityUnits(std::string_view text, std::size_t k = 3) const;

    std::size_t cpv_count() const { return cpv_.size(); }
    std::size_t hs_count() const { return hs_.size(); }
    std::size_t quantity_unit_count() const { return units_.size(); }

  private:
    ReferenceData() = default;

    std::unordered_map<std::string, ClassificationEntry> cpv_;  // by canonical id
    std::unordered_map<std::string, std::string> cpv_by8_;      // 8 digits -> canonical id
    std::unordered_map<std::string, std::string> cpv_parent_;
    std::unordered_map<std::string, ClassificationEntry> hs_;
    std::unordered_map<std::string, std::string> hs_parent_;
    std::unordered_map<std::string, QuantityUnit> units_;
};

// Embedded CSV texts (generated from data/ at build time).
std::string_view EmbeddedCpvCsv();
std::string_view EmbeddedHsCsv();
std::string_view EmbeddedUnitCodesCsv();

// Levenshtein distance over bytes, case-insensitive for ASCII (for "did you mean" suggestions).
std::size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace renewmatch::api
