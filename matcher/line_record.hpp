// Compact per-line records of supply lines, built next to the postings of a segment, so that the
// query can evaluate the cheap hard filters and the exact value of most non-text features without
// touching the ~1.2 KB `SupplyLine` (cache misses) and without string compares.
//
// What a record holds (about 80 B per line plus side arrays): status as a bit, price validity,
// second-hand, lead time, minimum order quantity, energy grade, localisation rate, first-of-kind,
// unit price and currency, capacity, last confirmation day, the vendor region's first 6
// characters, service and excluded areas and the significant classification prefixes (in
// per-segment side arrays). Short strings are packed into integers (`ShortCode`: up to 8 bytes,
// first byte most significant, so "a is a prefix of b" is a mask compare). A line whose strings
// do not fit (an area or scheme longer than 8 bytes, a significant code longer than 16 digits, a
// currency longer than 7 bytes, more than 255 areas or codes) is marked `kExactOnLine`; the query
// then evaluates it on the `SupplyLine` exactly as before.
//
// Besides, a 32-byte `HotRecord` per line (below) answers the filters up to the region from one
// cache line.
//
// Exactness: `RecordFirstFailingFilter` returns exactly what `FirstFailingFilter` returns for
// every filter before `Filter::kCertifications` (and `kCount` when those all pass: certifications
// and requirements are then checked on the line). `RecordFeatureValues` returns, for the features
// it can compute, the bit-identical value `ScorePair` computes (same operations). Tests:
// tests/matcher/line_record_test.cpp.
//
// Thread-safety: records are immutable after the segment build; a `RecordQuery` is owned by one
// query (built once per demand).
#pragma once

#include "matcher/domain.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::matcher {

struct MatchConfig;
struct MatchContext;
enum class Filter : std::uint8_t;

// A string of at most 8 bytes packed into an integer, first byte in the most significant byte.
struct ShortCode {
    std::uint64_t bytes = 0;
    std::uint8_t size = 0;
};
// Packs `text` (false when it is longer than 8 bytes).
bool PackShort(std::string_view text, ShortCode& out);

// One significant classification prefix of a line ("42621100-6" -> scheme "CPV", "426211").
struct ClassCode {
    ShortCode scheme;
    std::uint8_t size = 0;
    std::array<char, 16> digits{};
};

struct SupplyRecord {
    enum Flag : std::uint16_t {
        kActive = 1,
        kSecondHand = 2,
        kHasLeadTime = 4,
        kHasGrade = 8,
        kHasLocalisation = 16,
        kHasPrice = 32,
        kHasCapacity = 64,
        kFirstOfKind = 128,
        kExactOnLine = 256,  // strings did not fit: evaluate this line on the SupplyLine
        kMasked = 512,       // every area and classification code is in the segment's code tables:
                             // the line's HotRecord masks describe them exactly
    };
    double min_order_qty = 0;
    double localisation = 0;
    double price = 0;
    double capacity = 0;
    Day price_valid_until = std::numeric_limits<Day>::max();  // max = no limit
    std::int32_t lead_time_days = 0;
    std::int32_t energy_grade = 0;
    Day last_confirmed = 0;
    std::uint64_t currency = 0;       // PackCurrency
    std::uint64_t vendor_region = 0;  // first 6 bytes + min(size, 6) in the low byte
    std::uint32_t areas_begin = 0;    // service areas, then excluded areas, in `areas`
    std::uint32_t classes_begin = 0;  // in `classes`
    std::uint8_t service_count = 0;
    std::uint8_t excluded_count = 0;
    std::uint8_t class_count = 0;
    std::uint16_t flags = 0;

    bool Has(Flag f) const { return (flags & f) != 0; }
};

// The part of a record the filters before the lead time read, in one 32-byte block (one cache
// line, where the full record and its side arrays take two to four): status and second-hand
// flags, price validity, and the line's service areas, excluded areas and classification codes
// as bit masks over its segment's code tables (`SupplyRecords::area_codes`, `class_codes`, at
// most 64 entries each, interned in doc order). The masks are exact only for a `kMasked` line:
// a line with a code that did not get a table entry (the 65th distinct one and later) is
// evaluated through its side arrays, as before.
struct alignas(32) HotRecord {
    std::uint64_t service_mask = 0;   // bit i: area_codes[i] is one of the service areas
    std::uint64_t excluded_mask = 0;  // bit i: area_codes[i] is one of the excluded areas
    std::uint64_t class_mask = 0;     // bit i: class_codes[i] is one of the line's codes
    Day price_valid_until = std::numeric_limits<Day>::max();
    std::uint16_t flags = 0;  // SupplyRecord::flags
};
static_assert(sizeof(HotRecord) == 32, "one HotRecord per half cache line");

// The records of one segment's lines (doc order) and their side arrays.
struct SupplyRecords {
    static constexpr std::size_t kMaxCodes = 64;  // entries of each code table (mask bits)
    std::vector<SupplyRecord> lines;
    std::vector<ShortCode> areas;
    std::vector<ClassCode> classes;
    std::vector<HotRecord> hot;          // per line, doc order
    std::vector<ShortCode> area_codes;   // distinct area codes, first seen first (<= kMaxCodes)
    std::vector<ClassCode> class_codes;  // distinct classification codes (<= kMaxCodes)

    void Add(const SupplyLine& line);
    std::size_t MemoryBytes() const;
};
SupplyRecords BuildSupplyRecords(std::span<const SupplyLine> lines);

// The demand side of the record evaluation, prepared once per query.
class RecordQuery {
  public:
    RecordQuery(const DemandLine& demand, const MatchConfig& config, const MatchContext& context);

    // The first failing filter among those before Filter::kCertifications, or Filter::kCount
    // when they all pass. Precondition: the record is not kExactOnLine.
    Filter FirstFailing(const SupplyRecords& records, std::uint32_t doc) const;

    // The query's view of one segment's code tables: which classification codes are compatible
    // with the demand's, which areas contain its delivery region. O(table size), once per
    // segment per query.
    struct SegmentMasks {
        std::uint64_t class_compatible = 0;
        std::uint64_t inside = 0;           // area contains the delivery region
        std::uint64_t inside_nonempty = 0;  // ... and is not empty (what excludes a region)
    };
    SegmentMasks Masks(const SupplyRecords& records) const;
    // FirstFailing split in two, for a kMasked record: HotFilters reads only the HotRecord and
    // answers for the filters up to and including kRegion (kCount when they all pass);
    // LaterFilters reads the record for the rest (lead time .. localisation floor). For a kMasked
    // record, FirstFailing == (HotFilters != kCount ? HotFilters : LaterFilters).
    Filter HotFilters(const SupplyRecords& records,
                      const SegmentMasks& masks,
                      std::uint32_t doc) const;
    Filter LaterFilters(const SupplyRecords& records, std::uint32_t doc) const;

    // Feature values computable from the record (bit-identical to ScorePair's), NaN for the
    // others (text, requirement fit, chain affinity; classification when a taxonomy is given).
    // Precondition: not kExactOnLine.
    std::array<double, 10> FeatureValues(const SupplyRecords& records, std::uint32_t doc) const;

    // An upper bound of the non-text part of the score: sum over non-text features of
    // weight * (exact record value, or the query's ceiling for the others).
    double RestBound(const SupplyRecords& records, std::uint32_t doc) const;

    // True when text_part + RestBound + kSlack < threshold, i.e. the line cannot reach a score
    // of `threshold` (kSlack absorbs the different summation order). Tries a cheaper bound
    // (ceilings for price and freshness) first.
    bool BoundBelow(const SupplyRecords& records,
                    std::uint32_t doc,
                    double text_part,
                    double threshold) const;
    static constexpr double kSlack = 1e-9;

    // RestBound without exp/log/pow, for screening every candidate of a query: the same exact
    // record values except price, bounded by min(r, 1 / r^2) (its exp/log formula's closed form,
    // widened by 1e-12 relative so rounding can never put it below the computed value), and
    // freshness, computed with the same pow call but memoised per age in days for the query.
    // Always >= RestBound (up to the summation-order rounding kSlack absorbs).
    double RestUpper(const SupplyRecords& records, std::uint32_t doc) const;

  private:
    std::array<double, 10> Values(const SupplyRecords& records,
                                  std::uint32_t doc,
                                  bool costly) const;
    double Rest(const std::array<double, 10>& values) const;

    const MatchConfig& config_;
    Day today_;
    bool demand_open_;
    bool response_closed_;
    bool second_hand_allowed_;
    bool has_region_;
    ShortCode delivery_;              // first 8 bytes, size capped at 8
    std::uint64_t delivery_region6_;  // as SupplyRecord::vendor_region
    bool has_need_by_;
    Day need_by_;
    double quantity_;
    bool has_energy_min_;
    int energy_min_;
    bool has_localisation_min_;
    double localisation_min_;
    bool has_budget_;
    double budget_;
    bool currency_packable_;
    std::uint64_t currency_;
    double half_life_;
    bool use_taxonomy_;
    std::size_t min_prefix_;
    struct DemandClass {
        ShortCode scheme;
        bool scheme_packable = true;
        std::string significant;  // SignificantClassPrefix (the filter uses at most 16 digits)
    };
    std::vector<DemandClass> classes_;
    std::array<double, 10> ceilings_{};  // for the features the record does not give
    // Freshness by age in days (NaN = not computed yet); RestUpper's memo, owned by the query.
    static constexpr std::size_t kFreshnessMemo = 1024;
    mutable std::array<double, kFreshnessMemo> freshness_memo_{};
};

// Packs a currency code (<= 7 bytes) with its size so that equal codes <=> equal strings.
bool PackCurrency(std::string_view text, std::uint64_t& out);

}  // namespace renewmatch::matcher
