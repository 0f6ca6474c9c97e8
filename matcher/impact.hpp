// Incremental-run support: decide, cheaply and without re-running a query, whether one changed
// supply line can change a demand's stored top-k, and find the demands a changed line can reach.
// The runs executor (api/match_runs) builds incremental runs on these; the design and its proof
// sketch are in docs/matching.md "Incremental runs".
//
// Preconditions for the guarantee "ImpactOfChange(...) == false => a fresh MatchDemand returns
// the stored top-k (ids and scores), normaliser and normaliser id":
//   * the stored result and the fresh query use the same MatchConfig, the same
//     MatchContext::today/units/chains/taxonomy, and the same pinned CorpusStatistics
//     (MatchContext::statistics), extended only by Pin() with the unpinned terms that queries
//     and impact checks report (a pinned term never changes value within an epoch);
//   * the demand line itself is unchanged (a changed demand is always rescored);
//   * every supply change since the stored result is checked (several changes: the top-k may
//     change only if at least one check says so).
// Then a line's raw BM25 for the query depends only on the line, and its score only on the
// line and the stored normaliser, so a line that is neither in the stored top-k nor the
// normaliser's line, and whose new version neither reaches the normaliser nor (passing the
// filters and the relevance gate) reaches the k-th score, cannot change the top-k.
//
// Thread-safety: pure functions of their arguments; safe to call concurrently (do not Pin the
// statistics while checks that read them run).
#pragma once

#include "matcher/domain.hpp"
#include "matcher/engine.hpp"
#include "matcher/index.hpp"
#include "matcher/line_record.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace renewmatch::matcher {

// What must be stored per demand with a result so that changes can be checked later.
struct StoredResultSummary {
    std::size_t k = 0;            // the k the run asked for
    std::vector<LineId> top_ids;  // the stored top-k ids, best first (size <= k)
    // Their stored scores, in the same order (needed by PatchTopK only; may be left empty for
    // ImpactOfChange).
    std::vector<double> top_scores;
    double kth_score = 0;           // score of the last stored candidate (meaningful when full)
    double text_normaliser = 0;     // MatchResult::text_normaliser
    LineId text_normaliser_id = 0;  // MatchResult::text_normaliser_id (0 = none)

    bool full() const { return top_ids.size() >= k; }
    static StoredResultSummary Of(const MatchResult& result, std::size_t k);
};

enum class ImpactReason : std::uint8_t {
    kNone,               // cannot change the top-k
    kInTopK,             // the changed line is in the stored top-k
    kSetNormaliser,      // the changed line set the stored text normaliser
    kReachesNormaliser,  // its new raw BM25 >= the stored normaliser (the normaliser may move)
    kTopKNotFull,        // it is a feasible candidate and the stored top-k had room
    kReachesKthScore,    // it is a feasible candidate scoring >= the stored k-th score
    kTopKIncomplete,     // PatchTopK: fewer than k known candidates rank at or above the stored
                         // k-th (a stored line fell or left): the next candidate is unknown
};
std::string_view ImpactReasonName(ImpactReason reason);

struct Impact {
    bool may_change = false;
    ImpactReason reason = ImpactReason::kNone;
    // Query terms the check used that were not pinned (term, df from `current`): Pin them.
    std::vector<std::pair<std::string, std::uint32_t>> unpinned_terms;
};

// Could the change of supply line `changed_id` change `demand`'s stored top-k?
// `new_version` is the line as it is now in `current` (the supply snapshot the incremental run
// scores against), or nullptr when it was withdrawn. `context.statistics` should be the pinned
// statistics the stored result was computed with (null = exact statistics of `current`, which
// is sound only when the catalog's statistics did not change, i.e. in tests).
// Cost: one analysis of the line plus the filters and ScorePair for one pair.
Impact ImpactOfChange(const DemandLine& demand,
                      const StoredResultSummary& stored,
                      LineId changed_id,
                      const SupplyLine* new_version,
                      const SupplySnapshot& current,
                      const MatchConfig& config,
                      const MatchContext& context);

// ---- prepared checks (for the runs executor) -----------------------------------------------
// ImpactOfChange analyses the changed line's text and the demand's query for every pair, and
// the filters and ScorePair prepare the demand again each time (~22 us per pair). An incremental
// run checks every changed line against every demand it reaches (millions of pairs at 1 % of
// 200,000 lines), so it prepares each side ONCE and checks pairs with the prepared variant
// below, which gives exactly ImpactOfChange's answer (may_change, reason and unpinned_terms, in
// the same order; property test ImpactTest.PreparedCheckAgreesWithImpactOfChange):
//   * the raw BM25 is accumulated by merging the line's sorted (term, tf) list with the query's
//     sorted (term, weight) list, with the same floating-point operations in the same order as
//     DemandPairText / the query (bit-identical; the term weight qw * idf is computed once per
//     demand from the same df);
//   * after the normaliser test (which must come first: the normaliser ranges over filtered-out
//     candidates too), cheap necessary conditions of the hard filters (status, price validity,
//     response deadline, second-hand, region, lead time, minimum order, energy and localisation
//     floors: if one fails, FirstFailingFilter fails) and, when the stored top-k is full, an
//     upper bound of the score (text weight * text value + each other feature's weight times
//     its per-demand ceiling, + 1e-9) below the stored k-th score answer "none" without the
//     engine's FirstFailingFilter/ScorePair; only the remaining pairs call them.
// Validity: a PreparedImpactDemand captures each query term's df from `context.statistics` (or
// `current` when the term is not pinned) when it is prepared; Pin() between preparation and
// use is harmless only when it pins values taken from the same `current` (as the executor
// does: Pin keeps the first value and every unpinned value of a run comes from its snapshot).
// Thread-safety: both prepared types are immutable after construction; any number of threads
// may check pairs concurrently (with no Pin running at the same time).

// One changed supply line, prepared once per run.
struct PreparedChange {
    LineId id = 0;
    const SupplyLine* line = nullptr;  // the new version in `current`; nullptr = withdrawn
    // The line's analysed index terms with weighted tf, sorted by term (IndexTerms), and its BM25
    // length (sum of the tf); empty for a withdrawn line.
    std::vector<std::pair<std::string, std::uint32_t>> terms;
    std::uint32_t length = 0;
    std::vector<std::string> class_terms;  // ClassTerms of the line, sorted
    // Optional (AssignTermIds): `terms` as (index in `dictionary`, weighted tf), same order.
    const std::vector<std::string>* dictionary = nullptr;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> term_ids;
    // The line's compact record (matcher/line_record.hpp; one entry, empty when withdrawn): the
    // checks evaluate the hard filters before certifications and the non-text score bound on it
    // (no strings, no SupplyLine access) unless it is kExactOnLine.
    SupplyRecords record;
    // Same text (MarkTextUnchanged): the line's analysed terms and classification terms equal
    // those of `base_version`, its version in the snapshot the stored results were computed on.
    // With pinned statistics its raw BM25 for every query is then the one the stored results
    // saw, so it cannot move a normaliser it did not set (raw <= normaliser, and on a tie its id
    // is larger than the normaliser's). The checks then test the record filters and the score
    // bound with the best text value (1) BEFORE any text work, and dismiss a re-priced line
    // that fails a filter or cannot reach the k-th score without merging its terms.
    bool text_unchanged = false;

    static PreparedChange Of(LineId changed_id,
                             const SupplyLine* new_version,
                             const SupplySnapshot& current);
    // Sets text_unchanged when this (not withdrawn) line's IndexTerms and ClassTerms equal
    // `base_version`'s. Precondition (the caller's): `base_version` was live in the snapshot the
    // stored results were computed on, and every stored result checked with this change was
    // computed on that snapshot or on one where the line had the same text (an incremental run:
    // the line's revision before the first change since the base run, status not withdrawn).
    void MarkTextUnchanged(const SupplyLine& base_version, const SupplySnapshot& current);
};

// The sorted, unique terms of `changes` (returned), and each change's terms as indexes into
// them (PreparedChange::term_ids; `dictionary` points to `*dictionary_out`, which must outlive
// the changes' use). Index order is term order, so a PreparedImpactDemand given the same
// dictionary (UseDictionary) merges integers instead of strings, in the same order, with the
// same floating-point operations: Text() is bit-identical either way (ImpactTest.
// PatchedTopKEqualsAFreshQuery compares both).
void AssignTermIds(std::span<PreparedChange> changes, std::vector<std::string>& dictionary_out);

// One demand's query and the per-demand parts of the checks, prepared once per run.
class PreparedImpactDemand {
  public:
    PreparedImpactDemand(const DemandLine& demand,
                         const SupplySnapshot& current,
                         const MatchConfig& config,
                         const MatchContext& context);

    const DemandLine& demand() const { return *demand_; }
    // L's text for this demand's query, bit-identical to DemandPairText(current, demand, L,
    // config, context.statistics, unpinned) for the `current` and statistics it was prepared
    // with.
    PairText Text(const PreparedChange& change,
                  std::vector<std::pair<std::string, std::uint32_t>>* unpinned) const;
    // Maps the query terms to `dictionary` (AssignTermIds) once; Text() then uses the integer
    // merge for changes prepared with the same dictionary. Query terms absent from it cannot
    // match any of those changes.
    void UseDictionary(const std::vector<std::string>& dictionary);
    // The score bound's parts (MatchDemand's pruning bound): score <= text_weight() * text value
    // + rest_ceiling().
    double text_weight() const { return text_weight_; }
    double rest_ceiling() const { return rest_ceiling_; }
    // The record side of the checks (filters before certifications, per-line non-text bound).
    const RecordQuery& record_query() const { return record_query_; }

  private:
    friend class ChangeIndex;
    friend Impact ImpactOfChange(const PreparedImpactDemand& demand,
                                 const StoredResultSummary& stored,
                                 const PreparedChange& change,
                                 const MatchConfig& config,
                                 const MatchContext& context);
    struct QueryTerm {
        std::string term;
        double term_weight = 0;         // query weight * idf, as the query computes it
        std::uint32_t df = 0;           // df used (capped at N); 0 = the term contributes nothing
        bool unpinned = false;          // statistics set but the term not pinned: report when met
        std::uint32_t snapshot_df = 0;  // the value reported as unpinned
    };
    const DemandLine* demand_;
    std::vector<QueryTerm> terms_;  // sorted by term
    const std::vector<std::string>* dictionary_ = nullptr;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> query_ids_;  // (dictionary id, terms_ i)
    std::vector<std::string> class_terms_;
    double k1_ = 0;
    double b_ = 0;
    double avgdl_ = 0;
    bool empty_corpus_ = false;
    double text_weight_ = 0;
    double rest_ceiling_ = 0;   // upper bound of the non-text features' weighted sum
    RecordQuery record_query_;  // borrows the MatchConfig: it must outlive this object
};

// The same answer as ImpactOfChange(demand.demand(), stored, change.id, change.line, current,
// config, context) for the `current` and context both were prepared with.
Impact ImpactOfChange(const PreparedImpactDemand& demand,
                      const StoredResultSummary& stored,
                      const PreparedChange& change,
                      const MatchConfig& config,
                      const MatchContext& context);

// ---- exact patching of a stored top-k (for the runs executor) -------------------------------
// ImpactOfChange answers "may change" as soon as a changed line is in the stored top-k or
// reaches the k-th score, and the demand is then rescored with a full query. Most such changes
// (a price edit of a top-k line, a new line entering the top-k) can be applied to the stored
// top-k exactly instead, because with pinned statistics and an unchanged normaliser every
// unchanged line keeps its score, and every unchanged line outside the stored top-k ranks
// strictly below the stored k-th candidate (MatchDemand's top-k is exact under
// BetterCandidate: score descending, then id ascending). PatchTopK, given ALL changed lines
// that reach the demand (ReachableDemands of their old and new versions):
//   1. the normaliser must stay: a changed line that set it must have exactly the same raw
//      BM25 now (bit for bit), every other changed line a raw BM25 below it (or 0), else
//      `exact` = false, reason kSetNormaliser / kReachesNormaliser;
//   2. known candidates = the stored top-k lines that did not change (stored scores) + the
//      changed lines' new versions that are generated and pass every hard filter (scored with
//      ScorePair and the stored normaliser, i.e. exactly as the query scores them; a line
//      whose score bound is below the stored k-th score cannot rank at or above it and is
//      left out, as are withdrawn lines);
//   3. stored top-k not full (every feasible line was in it): the new top-k is the best k
//      known candidates; full: when at least k known candidates rank at or above the stored
//      k-th candidate (score, id), the new top-k is the best k of them, else `exact` = false,
//      reason kTopKIncomplete (a line fell below or left, and the line that would replace it
//      is unknown).
// When `exact`, a fresh MatchDemand (same epoch, same context) returns exactly `top` (ids,
// scores, and, for changed lines, the same Candidate), and the stored normaliser and its id;
// property test ImpactTest.PatchedTopKEqualsAFreshQuery. unpinned_terms: as ImpactOfChange
// (Pin them). Cost: one prepared text merge per changed line, the cheap filters, and the
// engine's filters and ScorePair only for lines whose bound reaches the k-th score.
// Thread-safety: pure; as the prepared checks.
struct TopKPatch {
    bool exact = false;
    ImpactReason reason = ImpactReason::kNone;  // why not exact (kNone when exact)
    struct Entry {
        LineId id = 0;
        double score = 0;
        // Index into the stored top-k when the line did not change (its stored row is
        // reused); nullopt for a changed line, whose fresh candidate is `fresh`.
        std::optional<std::size_t> stored_index;
        Candidate fresh;
    };
    std::vector<Entry> top;  // the new top-k, best first (when exact)
    std::vector<std::pair<std::string, std::uint32_t>> unpinned_terms;
    // Changed lines with PreparedChange::text_unchanged left out by their record (a filter, or
    // the score bound with the best text value) before any text work.
    std::size_t without_text = 0;
    // True when `top` is the stored top-k itself (same lines, none changed, same order).
    bool SameAsStored(std::size_t stored_size) const;
};

// `stored.top_scores` must be filled; `changes` are the changed lines that reach the demand
// (each id once, any order).
TopKPatch PatchTopK(const PreparedImpactDemand& demand,
                    const StoredResultSummary& stored,
                    std::span<const PreparedChange* const> changes,
                    const MatchConfig& config,
                    const MatchContext& context);

// ---- the changed lines reaching one demand, without a run-wide reach map -------------------
// An incremental run used to invert ReachableDemands (demand snapshot postings of every changed
// line's old and new version) into demand -> changed lines for ALL demands before any check:
// with 10,000 changed lines each reaching most of 100,000 demands (common CJK bigrams, a 2-digit
// class division) that is ~10^9 pointers (14 GiB measured). ChangeIndex instead indexes the
// (few) changed lines by their own terms, once per run, and RelevantChanges finds, for one
// prepared demand at a time, the changed lines PatchTopK needs:
//   * every changed line in the stored top-k or that set the stored normaliser (by id);
//   * every changed line whose new version the demand's query generates (a shared query term,
//     or the demand's compatible class term among the line's class terms: exactly
//     PreparedImpactDemand::Text's `generated`), EXCEPT, when the stored top-k is full, the
//     normaliser > 0, and no query term is unpinned, the lines whose raw BM25 is provably below
//     theta = normaliser * min(1, (kth_score - rest_ceiling - 1e-9) / text_weight) (with a 1e-9
//     relative margin): such a line neither reaches the normaliser nor has a score bound
//     text_weight * raw / normaliser + rest_ceiling + 1e-9 reaching the k-th score. The raw BM25
//     upper bound is MaxScore's: query terms sorted by their largest contribution over the
//     changed lines (term weight * max over lines of tf (k1 + 1) / (tf + norm)); the prefix whose
//     sum stays below theta is non-essential, so only lines holding an essential term are
//     enumerated, each bounded by its essential contributions + the non-essential sum.
// Every line left out is one PatchTopK would skip or rank strictly below the stored k-th
// candidate (it is not in the stored top-k, is not the normaliser's line, its raw BM25 is below
// the normaliser and its score below the k-th score), and a line a query does not generate
// contributes nothing to PatchTopK either (no text, no unpinned term): so PatchTopK over
// RelevantChanges gives the same top-k, exactness, reason and unpinned terms as over all changed
// lines reaching the demand (ReachableDemands of the old and new versions), only `without_text`
// may differ. Property tests: ImpactTest.RelevantChangesPatchLikeAllReachingChanges and
// MatchRunsTest.RandomChangesIncrementalEqualsFullRun. Memory: the index is O(changed lines'
// terms); a query needs O(changed lines) scratch per thread.
class ChangeIndex {
  public:
    // `changes` prepared with AssignTermIds(changes, dictionary) (each id once); both must
    // outlive the index. `current`, `config` and `context`: as for PreparedImpactDemand (the
    // BM25 length normalisation uses the same average length).
    ChangeIndex(std::span<const PreparedChange> changes,
                const std::vector<std::string>& dictionary,
                const SupplySnapshot& current,
                const MatchConfig& config,
                const MatchContext& context);

    std::size_t size() const { return changes_.size(); }
    // The change with this id, or nullptr.
    const PreparedChange* Find(LineId id) const;

    struct Stats {
        bool pruned = false;         // theta applied (else every generated line)
        std::size_t enumerated = 0;  // postings read
    };
    // Appends to `out` (cleared first) the changed lines above, sorted by id (the order the
    // executor always checked them in). `demand` must use the index's dictionary
    // (UseDictionary). Thread-safe (per-thread scratch).
    void RelevantChanges(const PreparedImpactDemand& demand,
                         const StoredResultSummary& stored,
                         std::vector<const PreparedChange*>& out,
                         Stats* stats = nullptr) const;

  private:
    std::vector<const PreparedChange*> changes_;  // sorted by id
    const std::vector<std::string>* dictionary_;
    // Per dictionary term: postings (index into changes_, saturation tf (k1 + 1) / (tf + norm)),
    // CSR, and the largest saturation.
    std::vector<std::uint32_t> offsets_;
    std::vector<std::uint32_t> post_change_;
    std::vector<double> post_sat_;
    std::vector<double> max_sat_;
    // Class terms (ClassTerms of the new versions), sorted, with their lines.
    std::vector<std::pair<std::string, std::vector<std::uint32_t>>> class_postings_;
};

// Demands in `demands` that supply line `line` can reach as a candidate: demands sharing an
// analysed text term with it, or whose compatible classification prefix (min_class_prefix
// digits) it has, found through the demand snapshot's postings. Call it with the old AND the new
// version of a changed line and take the union: every demand whose stored top-k the change can
// affect is in it (the property test checks this). Sorted ascending, unique.
// Cost: one posting lookup per distinct term of the line (O(segments) each) plus the postings.
std::vector<LineId> ReachableDemands(const DemandSnapshot& demands,
                                     const SupplyLine& line,
                                     const MatchConfig& config);

// The union of ReachableDemands(demands, *v, config) over `versions` (e.g. a changed line's old
// and new version; null entries are skipped), sorted ascending, unique. Same result, but each
// distinct term's postings are read once and demands are de-duplicated with a bitmap over the
// demand snapshot's doc space instead of sorting every posting (the runs executor calls it for
// every changed line: with 2,000 demands sharing common terms a line has ~80,000 postings).
std::vector<LineId> ReachableDemands(const DemandSnapshot& demands,
                                     std::span<const SupplyLine* const> versions,
                                     const MatchConfig& config);

}  // namespace renewmatch::matcher
