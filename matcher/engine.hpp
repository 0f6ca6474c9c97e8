// The matching engine: hard filters, scoring and top-k selection with explanations.
//
// Two named phases (STYLE §4.6):
//   FILTER  (hard constraints, DESIGN §5.1). A candidate failing one is never returned. Filters
//           run in the fixed order of `Filter`; a rejected candidate is counted once, under the
//           FIRST filter it fails (so counts add up to the number rejected).
//   SCORE   a weighted sum of named features, each a value in [0, 1] (formulas at `Feature`).
//           score = sum over features, in `Feature` order, of weight * value. The explanation
//           lists every feature's value, weight and contribution; summing the contributions in
//           that order reproduces the score exactly (same operations, same order).
//
// Candidate generation and pruning. Candidates are the lines sharing at least one analysed term
// with the query (BM25 accumulated term-at-a-time over the query terms' postings) plus, when the
// query has a classification, the lines in its compatible classification prefix (postings at
// `min_class_prefix` digits). A line that shares no term and no classification is never a
// candidate (the "relevance gate"; the brute-force reference in the tests applies the same
// gate). MatchSupply visits candidates in descending text relevance. Every other feature has a
// per-query ceiling (1; the neutral value when the query side lacks the information, e.g. no
// budget; the exact value when it depends on the query side only), so score <= w_text * text +
// sum(w_f * ceiling_f), and the visit stops as soon as that bound falls below the k-th best
// score. The result is exactly the brute-force top-k (weights must be >= 0).
//
// MatchDemand's bound-ordered visit (MatchSupply keeps the text-ordered visit above). After
// generation: (1) seeds: the best 2k + 32 text candidates (one scan of the candidates with a
// bounded heap, which also gives the normaliser) are fully evaluated, best text first, until k
// are kept; their k-th score is a lower bound of the final one. (2) Screening: one linear pass
// over the text candidates, records prefetched 16 ahead; a candidate whose global bound
// w_text * text + rest cannot reach the current k-th score is skipped unread; the others get the
// record filters (matcher/line_record.hpp: exactly FirstFailingFilter's answer up to the
// localisation floor, without string compares or touching the SupplyLine) and, passing them,
// the per-record bound w_text * text + exact record values of classification, capacity, lead
// time, region, energy and freshness + an upper bound of price (its closed form, no exp/log) +
// ceilings of requirement fit and chain affinity (`RecordQuery::RestUpper`); those that can
// still reach the k-th score become survivors. (3) Visit: survivors in descending bound get the
// certification/requirement filters and the score, until the best remaining bound (+ 1e-9
// slack) is below the k-th score. Classification-only candidates (raw BM25 0, bound <= rest) are
// screened only after the survivors above `rest` have been visited, and skipped as a block when
// the k-th score is then above rest; generation only counts them (for `generated`), and lists
// them when they are screened. The screening reads each line's 32-byte hot record first
// (`HotRecord`: status, price validity, areas and classification codes as masks over its
// segment's code tables), which answers the filters up to the region for a `kMasked` line; the
// record proper is read only for the lines that pass them (and for unmasked lines). Lines whose
// strings do not fit a record (kExactOnLine) are survivors with the global bound and are evaluated
// on the SupplyLine. Exactness: a line whose score can reach the final k-th score (ties broken by
// smaller id) has a bound >= it and is fully evaluated; the top k are selected by (score desc, id
// asc), independent of visit order.
//
// Counts of MatchDemand. `generated` and the normaliser are as always. With FEWER than k
// candidates returned nothing is skipped or pruned (there is no k-th score): every generated line
// is examined and counted under its first failing filter, exactly as the exhaustive reference
// (`examined == generated`, `pruned == 0`). With k candidates returned the counts describe the
// work done: `examined` = lines whose record was read (seeds, screened lines), `rejected` = those
// found failing a filter (record filters for every examined line; certifications/requirements only
// for visited ones), `pruned` = examined lines that passed the record filters but whose bound
// could not reach the k-th score (at screening or left in the visit when it stopped).
//
// Complexity per query (MatchDemand): O(P) to accumulate BM25 over the P postings of the query's
// text terms; the classification-only lines are counted in O(D / 64 + T) per segment for a
// classification term with a dense bitset (Segment::class_bits; D docs, T text candidates,
// minus the tombstones in it), else in one stamp test per posting (blocked: each segment's docs in
// blocks of 8192, every term's doc-sorted postings consumed block by block, so the accumulator of a
// block stays in cache; per doc the same sum in the same term order, bit-identical), O(T log S) to
// pick the S seeds among the T text candidates (almost always O(T)), O(T) for the screening (a
// record read only above the text floor of the seeds' k-th score; the lines above it are listed
// first, then their records, classification codes and areas are prefetched in two stages ahead of
// the filter evaluation), O(V log V) for the V survivors' heap, and the full evaluation
// (certification/requirement filters and scoring) only for survivors visited before the bound
// stops. Classification-only candidates cost one record read each, or nothing (beyond their count)
// when the k-th score is above every non-text ceiling. MatchSupply: O(P) + O(T) heapify + O(E log
// T) for the E candidates visited in text order. Memory: a per-thread scratch, reused across
// queries: 12 bytes per document of the largest snapshot the thread has queried (accumulator
// + epoch stamp, so nothing is zeroed per query) plus the candidate, seed and survivor lists.
// MaxScore-style dynamic pruning of the postings was tried with the earlier, looser bound and
// measured slower (docs/performance.md).
//
// Thread-safety: all functions are pure and take their inputs by const reference; they may run
// concurrently on a shared snapshot (the query scratch is thread_local, never shared). The batch
// call starts the number of worker threads the caller asks for and joins them before returning (the
// only threads the matcher ever starts).
#pragma once

#include "matcher/domain.hpp"
#include "matcher/index.hpp"
#include "matcher/reference.hpp"
#include "matcher/units.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace renewmatch::matcher {

// Hard filters, in evaluation order (cheapest first).
enum class Filter : std::uint8_t {
    kLineActive,         // supply status "active"; demand status "open" (reverse direction)
    kPriceValid,         // price_valid_until absent or >= today
    kResponseOpen,       // demand response_deadline absent or >= today
    kClassification,     // same scheme and >= min_class_prefix leading significant digits shared
                         // (primary or additional codes); passes when the demand has none
    kSecondHand,         // second-hand supply only where the demand allows it
    kRegion,             // delivery region inside a service area (empty = nationwide) and not
                         // inside an excluded area
    kLeadTime,           // today + lead_time_days <= need_by (when both are known)
    kMinOrderQty,        // the supplier's minimum order quantity <= demanded quantity
    kEnergyFloor,        // supply grade known and <= the demand's worst acceptable grade
    kLocalisationFloor,  // supply localisation rate known and >= the demand's minimum
    kCertifications,     // every required type held, unexpired on need_by (or today)
    kRequirements,       // every mandatory requirement met after unit conversion
    kCount
};
inline constexpr std::size_t kFilterCount = static_cast<std::size_t>(Filter::kCount);
std::string_view FilterName(Filter filter);

// Scoring features, in summation order. Every value lies in [0, 1]; `kNeutral` (0.5) stands in
// when the information is missing on either side, so missing data neither helps nor sinks a
// candidate relative to an average one.
enum class Feature : std::uint8_t {
    kText,  // BM25 (k1, b) of the line for the query's analysed terms, divided by the best
            // BM25 among this query's generated candidates: the best textual match scores 1.
    kClassification,  // shared significant digits / demand's significant digits (taxonomy LCA
                      // depth / depth when a Taxonomy is given); neutral if either has no code
    kRequirementFit,  // mean over the demand's requirements of a per-requirement fit:
                      // [min,max]: 0.6 + 0.4 * (distance to nearer bound / half-width);
                      // min only: 0.6 + 0.4 * min(1, (v - min) / (0.25 |min|)); max only the
                      // mirror; expected: 1 - min(1, |v - e| / |e|); enumeration/text: 1 or 0;
                      // a failed (non-mandatory) requirement 0; attribute missing 0.25
    kPrice,           // r = unit price * quantity / budget: exp(-|ln r|) when r <= 1,
                      // exp(-2 |ln r|) when over budget (symmetric closeness, over-budget
                      // penalised twice as hard); neutral without price or budget
    kCapacity,        // min(1, capacity_per_month / quantity); neutral when unknown
    kLeadTimeSlack,   // min(1, (need_by - today - lead_time_days) / 30 days); neutral unknown
    kRegion,          // vendor vs delivery region: same county 1, city 0.75, province 0.5,
                      // other 0; neutral when unknown
    kEnergyLocal,     // mean of (5 - grade) / 4 clamped to [0,1] and localisation rate, + 0.1
                      // for a first-of-kind (首台套) line, capped at 1; neutral if both unknown
    kChainAffinity,   // same chain segment 1, linked (adjacent up/downstream) segment 0.7, same
                      // chain 0.4, other 0; segments from chain_segment or the chain map's CPV
                      // mapping; neutral when either side has none or no chain map is given
    kFreshness,       // 0.5 ^ (days since last_confirmed_at / freshness_half_life_days);
                      // neutral when the line has no confirmation date (day 0)
    kCount
};
inline constexpr std::size_t kFeatureCount = static_cast<std::size_t>(Feature::kCount);
std::string_view FeatureName(Feature feature);
inline constexpr double kNeutral = 0.5;

// Scoring weights and tuning; defaults are the shipped configuration (docs/matching.md).
struct MatchConfig {
    // Reported with every result; bump when any default below changes.
    std::string version = "2026-11-27.3";
    std::array<double, kFeatureCount> weights = {
        1.00,  // text
        0.20,  // classification
        0.20,  // requirement fit
        0.20,  // price (closeness to the budget: a budget estimates the market price)
        0.05,  // capacity
        0.05,  // lead-time slack
        0.05,  // region
        0.05,  // energy + localisation
        0.05,  // chain affinity
        0.02,  // freshness
    };
    double bm25_k1 = 1.2;
    double bm25_b = 0.75;
    // Query-term weight of a description occurrence relative to a title occurrence (1).
    double description_query_weight = 0.3;
    // Shared leading significant digits needed for the classification filter (2 = CPV division).
    std::size_t min_class_prefix = 2;
    double freshness_half_life_days = 90;

    double Weight(Feature f) const { return weights[static_cast<std::size_t>(f)]; }
};

// Pinned BM25 collection statistics of the supply corpus, for incremental runs
// (docs/matching.md "Incremental runs", matcher/impact.hpp). BM25 depends on the live line count
// N, the average length and each term's document frequency, so any catalog change moves every
// score slightly; with the statistics pinned for a "statistics epoch", a line's raw BM25 for a
// query depends only on the line itself and a stored ranking stays valid until a line that can
// reach it changes. When `MatchContext::statistics` is set, MatchDemand uses N and the average
// length from here, and for each query term: the pinned df when the term is in
// `document_frequency`, else the snapshot's df, reported in MatchResult::unpinned_terms so the
// caller can pin it (Pin) before storing the result. Every df is capped at N (keeps idf > 0).
// Not thread-safe to Pin while queries read it: pin between queries (e.g. after a batch).
struct CorpusStatistics {
    std::uint64_t live_count = 0;
    double average_length = 0;
    std::unordered_map<std::string, std::uint32_t> document_frequency;

    // N and average length of `snapshot`, no df pinned yet (terms are pinned as queries use them).
    static CorpusStatistics Of(const SupplySnapshot& snapshot);
    // Adds terms not pinned yet (a pinned term keeps its value); returns how many were added.
    std::size_t Pin(std::span<const std::pair<std::string, std::uint32_t>> terms);
};

// Everything else scoring needs, supplied by the caller (no globals, no clock).
struct MatchContext {
    Day today = 0;
    const UnitSystem* units = nullptr;   // required for numeric requirements with units
    const ChainMap* chains = nullptr;    // optional
    const Taxonomy* taxonomy = nullptr;  // optional
    // Optional pinned BM25 statistics for MatchDemand (see CorpusStatistics); null = the
    // snapshot's exact statistics (the default; results are then exactly as without this field).
    const CorpusStatistics* statistics = nullptr;
};

struct FeatureExplanation {
    Feature feature;
    double value = 0;
    double weight = 0;
    double contribution = 0;  // weight * value
};

struct Candidate {
    LineId id = 0;  // supply line id (or demand line id in the reverse direction)
    double score = 0;
    std::array<FeatureExplanation, kFeatureCount> features{};
    // All filters are passed by every returned candidate; listed for the explanation.
    std::array<Filter, kFilterCount> filters_passed{};
};

struct MatchResult {
    std::string config_version;
    std::vector<Candidate> candidates;                   // score descending, then id ascending
    std::array<std::uint64_t, kFilterCount> rejected{};  // first failing filter -> count
    std::uint64_t generated = 0;  // candidates produced by generation (relevance gate passed)
    // Candidates visited before the bound stopped the visit (MatchDemand: whose record was
    // read; == generated when fewer than k candidates are returned).
    std::uint64_t examined = 0;
    // Of the examined: candidates that passed the record filters (all but certifications and
    // requirements) but whose per-candidate bound could not reach the k-th score, so they were
    // neither checked against certifications and requirements nor scored (MatchDemand only; 0
    // when fewer than k candidates are returned).
    std::uint64_t pruned = 0;
    // The text normaliser: the best raw BM25 among the generated candidates (filtered or not),
    // and the id of the line that has it (smallest id on ties; 0 when it is 0, i.e. no candidate
    // shares a text term). Stored with a result so a later change can be checked cheaply.
    double text_normaliser = 0;
    LineId text_normaliser_id = 0;
    // With pinned statistics: the query terms that were not pinned and had a snapshot df > 0,
    // with the df used (sorted by term). Pin them before storing the result.
    std::vector<std::pair<std::string, std::uint32_t>> unpinned_terms;
};

// Pairwise evaluation (exposed for the brute-force reference and for explaining one pair).
// Returns the first failing filter, or Filter::kCount when all pass.
Filter FirstFailingFilter(const DemandLine& demand,
                          const SupplyLine& supply,
                          const MatchConfig& config,
                          const MatchContext& context);
// Scores a pair that passed the filters; `text_value` is the normalised text feature.
Candidate ScorePair(const DemandLine& demand,
                    const SupplyLine& supply,
                    double text_value,
                    const MatchConfig& config,
                    const MatchContext& context);

// The document frequency MatchDemand uses for query term `term`: the snapshot's; with pinned
// `statistics` the pinned value, else the snapshot's (appended with it to `unpinned`, when given,
// if > 0), capped at the pinned N. Exposed so that prepared checks (impact.cpp) apply the very
// same rule.
std::uint32_t QueryDocumentFrequency(const SupplySnapshot& snapshot,
                                     const std::string& term,
                                     const CorpusStatistics* statistics,
                                     std::vector<std::pair<std::string, std::uint32_t>>* unpinned);

// How MatchDemand sees one supply line for a demand's query, computed pairwise with exactly
// the operations of the query (so `raw` is bit-identical to the value the query accumulates
// for this line in `snapshot`): `generated` = passes the relevance gate (shares an analysed
// term with the query, or the query's compatible classification); `raw` = raw BM25 with
// `statistics` (or the snapshot's when null). Unpinned query terms the line has are appended
// to `unpinned` (when given and statistics are set).
struct PairText {
    bool generated = false;
    double raw = 0;
};
PairText DemandPairText(const SupplySnapshot& snapshot,
                        const DemandLine& demand,
                        const SupplyLine& line,
                        const MatchConfig& config,
                        const CorpusStatistics* statistics,
                        std::vector<std::pair<std::string, std::uint32_t>>* unpinned = nullptr);

// demand -> supply candidates: the best `k` feasible supply lines in `snapshot`.
MatchResult MatchDemand(const SupplySnapshot& snapshot,
                        const DemandLine& demand,
                        std::size_t k,
                        const MatchConfig& config,
                        const MatchContext& context);

// supply -> demand opportunities: the best `k` feasible demand lines for one supply line.
MatchResult MatchSupply(const DemandSnapshot& snapshot,
                        const SupplyLine& supply,
                        std::size_t k,
                        const MatchConfig& config,
                        const MatchContext& context);

// project -> suppliers: vendors ranked by how many of the project's demand lines they can serve
// (coverage), then by the sum of their best score per covered line, then vendor id.
struct VendorCoverage {
    OrgId vendor_id = 0;
    std::size_t lines_covered = 0;
    double total_score = 0;  // sum over covered lines of the vendor's best candidate score
    double mean_score = 0;   // total_score / lines_covered
    // For each covered demand line: (demand line id, best supply line id, its score).
    struct Line {
        LineId demand_id = 0;
        LineId supply_id = 0;
        double score = 0;
    };
    std::vector<Line> lines;
};
struct ProjectMatch {
    std::string config_version;
    std::size_t demand_lines = 0;
    std::vector<VendorCoverage> vendors;  // best first
    std::vector<LineId> uncovered;        // demand lines no vendor can serve
};
// `per_line_k` candidates are considered per demand line (a vendor counts as covering a line
// when one of its lines is among them). Returns at most `k` vendors.
ProjectMatch MatchProject(const SupplySnapshot& snapshot,
                          std::span<const DemandLine> lines,
                          std::size_t k,
                          std::size_t per_line_k,
                          const MatchConfig& config,
                          const MatchContext& context);

// Batch: MatchDemand for every demand, on `threads` worker threads (>= 1; 1 runs inline).
// Output order = input order; results are identical to sequential calls.
std::vector<MatchResult> MatchDemandsBatch(const SupplySnapshot& snapshot,
                                           std::span<const DemandLine> demands,
                                           std::size_t k,
                                           const MatchConfig& config,
                                           const MatchContext& context,
                                           unsigned threads);

}  // namespace renewmatch::matcher
