// Domain value types shared by every module: demand lines, supply lines, projects.
//
// These are plain values with no behaviour beyond small helpers. The matcher reads them; the
// schema module maps them to and from SQLite rows; the api module maps them to and from JSON/CSV.
// They carry no JSON, SQL or clock types so that the matcher stays pure (DESIGN §2).
//
// Conventions, fixed here once for every module:
//   * Dates are `Day`: whole days since 1970-01-01 (proleptic Gregorian, UTC). Day-level
//     precision is all matching needs (need-by dates, certificate expiry, price validity).
//   * Region codes are GB/T 2260 codes in *significant-prefix* form: a province is 2 digits
//     ("32"), a prefecture city 4 ("3205"), a county 6 ("320505"). The API accepts the
//     published 6-digit form ("320500") and strips trailing "00" pairs. A region R lies in an
//     area A exactly when A is a prefix of R.
//   * Quantity units are UN/CEFACT Rec 20 codes ("C62" = one/piece, "SET", "KGM").
//   * Requirement/attribute units are UDUNITS-2 strings ("kW", "MPa", "mm", "r/min").
//   * Money amounts are in the currency's major unit (yuan for CNY).
//   * Energy-efficiency grades follow the Chinese label scheme: 1 is best, larger is worse.
//   * Localisation rates are fractions in [0, 1].
//
// Thread-safety: plain values; safe to share read-only across threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace renewmatch::matcher {

using LineId = std::int64_t;  // storage identity (SQLite rowid); stable across versions
using OrgId = std::int64_t;
using Day = std::int32_t;  // days since 1970-01-01

struct Classification {
    std::string scheme = "CPV";  // "CPV" (default, CPV 2008) or "HS"
    std::string id;              // CPV: "42621100-6" style with check digit; HS: "845710"
};

enum class BudgetVisibility { kPublic, kRange, kHidden };

// A requirement on a demand line. Numeric bounds are in `unit`; at least one of
// min/max/expected, `allowed_values` or `text_equals` is set.
struct Requirement {
    std::string name;                     // e.g. "spindle speed", "主轴转速"
    std::optional<double> min;            // inclusive lower bound, in `unit`
    std::optional<double> max;            // inclusive upper bound, in `unit`
    std::optional<double> expected;       // the preferred value, in `unit`
    std::string unit;                     // UDUNITS-2 string; empty for dimensionless/text
    std::vector<std::string> allowed_values;  // enumeration (e.g. {"FANUC", "Siemens"})
    std::string text_equals;              // exact text after normalisation
    bool mandatory = false;               // mandatory requirements are hard filters
};

// An attribute of a supply line: a value, or a [min, max] range, in `unit`, or text.
struct Attribute {
    std::string name;
    std::optional<double> value;
    std::optional<double> min;
    std::optional<double> max;
    std::string unit;  // UDUNITS-2 string
    std::string text;  // textual value (e.g. controller brand)
};

struct Certification {
    std::string type;    // e.g. "CCC", "CE", "ISO9001", "GB-EE-1" (free text, compared normalised)
    std::string number;  // certificate number
    std::optional<Day> expires_at;  // absent: does not expire
};

struct ReplacedAsset {
    std::string asset;
    std::optional<int> years_in_service;
};

struct DemandLine {
    LineId id = 0;
    OrgId buyer_id = 0;
    std::string ref;  // the publisher's own line id, unique within a list series
    std::string title;
    std::string description;
    Classification classification;
    std::vector<Classification> additional_classifications;
    double quantity = 1;                 // > 0
    std::string quantity_unit = "C62";   // UN/CEFACT Rec 20
    std::optional<double> budget_amount;  // total budget for the line
    std::string budget_currency = "CNY";
    BudgetVisibility budget_visibility = BudgetVisibility::kPublic;
    std::string delivery_region;  // GB/T 2260 significant-prefix code
    std::optional<double> delivery_lat;
    std::optional<double> delivery_lon;
    std::optional<Day> need_by;            // delivery date
    std::optional<Day> response_deadline;  // offers after this day are pointless
    std::vector<Requirement> requirements;
    std::vector<std::string> certifications_required;  // certification types
    std::optional<int> energy_efficiency_min;  // worst acceptable grade (1 best)
    std::optional<double> localization_rate_min;  // [0, 1]
    bool second_hand_allowed = false;
    std::vector<ReplacedAsset> replaces;
    std::string chain_segment;  // industrial-chain segment id (data/chains), may be empty
    std::optional<std::int64_t> related_project;
    std::string status = "open";  // open | awarded | closed | withdrawn
    int revision = 1;
    Day date_modified = 0;
};

struct SupplyLine {
    LineId id = 0;
    OrgId vendor_id = 0;
    std::string sku;  // the vendor's own line id, unique within a list series
    std::string title;
    std::string description;
    std::string brand;
    std::string model;  // as published; the matcher derives a normalised code
    Classification classification;
    std::vector<Classification> additional_classifications;
    std::vector<Attribute> attributes;
    std::optional<double> price_amount;  // unit price
    std::string price_currency = "CNY";
    std::optional<Day> price_valid_until;
    double min_order_qty = 0;
    std::optional<double> capacity_per_month;  // units deliverable per 30 days
    std::optional<int> lead_time_days;
    std::vector<std::string> service_areas;   // region prefixes; empty = nationwide
    std::vector<std::string> excluded_areas;  // region prefixes
    std::vector<Certification> certifications;
    std::optional<int> energy_efficiency_grade;  // 1 best
    std::optional<double> localization_rate;     // [0, 1]
    bool first_of_kind = false;  // 首台(套) designation
    bool second_hand = false;
    std::string chain_segment;  // industrial-chain segment id (data/chains), may be empty
    std::string vendor_region;  // GB/T 2260 prefix of the vendor's site, for proximity
    std::string status = "active";  // active | suspended | withdrawn
    int revision = 1;
    Day last_confirmed_at = 0;  // last day the vendor confirmed the line is current
};

struct Project {
    std::int64_t id = 0;
    OrgId owner_id = 0;
    std::string ref;
    std::string name;
    std::string type;
    std::string sector;  // GB/T 4754-2017 code
    std::string region;  // GB/T 2260 prefix
    std::string filing_code;
    std::string stage;
    std::optional<double> progress_pct;
    std::optional<Day> start_date;
    std::optional<Day> planned_completion;
    std::optional<double> total_investment;
    std::optional<double> equipment_investment;
    std::vector<std::string> demand_refs;  // refs of the demand lines under this project
    std::string status = "active";
    int revision = 1;
};

}  // namespace renewmatch::matcher
