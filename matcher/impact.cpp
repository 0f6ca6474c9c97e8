#include "matcher/impact.hpp"

#include "matcher/reference.hpp"
#include "matcher/text.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>

namespace renewmatch::matcher {
namespace {

constexpr std::array<std::string_view, 7> kImpactReasonNames = {
    "none",           "in_top_k",          "set_normaliser",  "reaches_normaliser",
    "top_k_not_full", "reaches_kth_score", "top_k_incomplete"};

Impact Because(ImpactReason reason, Impact impact = {}) {
    impact.may_change = reason != ImpactReason::kNone;
    impact.reason = reason;
    return impact;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// Necessary conditions of engine.hpp's hard filters that need no normalisation (the same
// comparisons as FirstFailingFilter): when this returns true, FirstFailingFilter != kCount.
// Classification, certifications and requirements are left to FirstFailingFilter.
bool FailsACheapFilter(const DemandLine& demand, const SupplyLine& supply, Day today) {
    if (supply.status != "active" || demand.status != "open") return true;
    if (supply.price_valid_until && *supply.price_valid_until < today) return true;
    if (demand.response_deadline && *demand.response_deadline < today) return true;
    if (supply.second_hand && !demand.second_hand_allowed) return true;
    if (!demand.delivery_region.empty()) {
        for (const std::string& area : supply.excluded_areas) {
            if (!area.empty() && StartsWith(demand.delivery_region, area)) return true;
        }
        if (!supply.service_areas.empty()) {
            bool served = false;
            for (const std::string& area : supply.service_areas) {
                served = served || StartsWith(demand.delivery_region, area);
            }
            if (!served) return true;
        }
    }
    if (demand.need_by && supply.lead_time_days &&
        today + *supply.lead_time_days > *demand.need_by) {
        return true;
    }
    if (supply.min_order_qty > demand.quantity) return true;
    if (demand.energy_efficiency_min &&
        (!supply.energy_efficiency_grade ||
         *supply.energy_efficiency_grade > *demand.energy_efficiency_min)) {
        return true;
    }
    if (demand.localization_rate_min &&
        (!supply.localization_rate || *supply.localization_rate < *demand.localization_rate_min)) {
        return true;
    }
    return false;
}

// The query's weighted terms exactly as engine.cpp's DemandQuery builds them (title occurrences
// weigh 1, description occurrences description_query_weight, summed in that order per term).
void AddQueryText(std::string_view text, double weight, std::map<std::string, double>& terms) {
    if (text.empty()) return;
    for (Term& term : Analyze(text)) terms[std::move(term.text)] += weight;
}

}  // namespace

std::string_view ImpactReasonName(ImpactReason reason) {
    const auto i = static_cast<std::size_t>(reason);
    return i < kImpactReasonNames.size() ? kImpactReasonNames[i] : std::string_view("unknown");
}

StoredResultSummary StoredResultSummary::Of(const MatchResult& result, std::size_t k) {
    StoredResultSummary out;
    out.k = k;
    for (const Candidate& c : result.candidates) {
        if (out.top_ids.size() == k) break;
        out.top_ids.push_back(c.id);
        out.top_scores.push_back(c.score);
        out.kth_score = c.score;
    }
    out.text_normaliser = result.text_normaliser;
    out.text_normaliser_id = result.text_normaliser_id;
    return out;
}

Impact ImpactOfChange(const DemandLine& demand,
                      const StoredResultSummary& stored,
                      LineId changed_id,
                      const SupplyLine* new_version,
                      const SupplySnapshot& current,
                      const MatchConfig& config,
                      const MatchContext& context) {
    // Its old version is part of the stored answer: leaving or changing moves it.
    if (std::find(stored.top_ids.begin(), stored.top_ids.end(), changed_id) !=
        stored.top_ids.end()) {
        return Because(ImpactReason::kInTopK);
    }
    if (stored.text_normaliser_id != 0 && stored.text_normaliser_id == changed_id) {
        return Because(ImpactReason::kSetNormaliser);
    }
    // Neither: with pinned statistics its old version influenced no stored value.
    if (new_version == nullptr || stored.k == 0) return Because(ImpactReason::kNone);
    Impact impact;
    const PairText text = DemandPairText(current, demand, *new_version, config, context.statistics,
                                         &impact.unpinned_terms);
    // The normaliser is the best raw BM25 over ALL generated candidates, feasible or not, so
    // this is checked before the filters. Equality counts: the normaliser's id could change.
    if (text.raw > 0 && text.raw >= stored.text_normaliser) {
        return Because(ImpactReason::kReachesNormaliser, std::move(impact));
    }
    if (!text.generated ||
        FirstFailingFilter(demand, *new_version, config, context) != Filter::kCount) {
        return Because(ImpactReason::kNone, std::move(impact));
    }
    if (!stored.full()) return Because(ImpactReason::kTopKNotFull, std::move(impact));
    const double text_value = stored.text_normaliser > 0 ? text.raw / stored.text_normaliser : 0.0;
    const Candidate candidate = ScorePair(demand, *new_version, text_value, config, context);
    // >= rather than the exact tie rule (score, then id): conservative by one tie.
    if (candidate.score >= stored.kth_score) {
        return Because(ImpactReason::kReachesKthScore, std::move(impact));
    }
    return Because(ImpactReason::kNone, std::move(impact));
}

PreparedChange PreparedChange::Of(LineId changed_id,
                                  const SupplyLine* new_version,
                                  const SupplySnapshot& current) {
    PreparedChange out;
    out.id = changed_id;
    out.line = new_version;
    if (new_version == nullptr) return out;
    out.terms = IndexTerms(*new_version, current.options());
    for (const auto& term : out.terms) out.length += term.second;
    out.class_terms =
        ClassTerms(new_version->classification, new_version->additional_classifications);
    out.record = BuildSupplyRecords(std::span<const SupplyLine>(new_version, 1));
    return out;
}

void PreparedChange::MarkTextUnchanged(const SupplyLine& base_version,
                                       const SupplySnapshot& current) {
    text_unchanged = false;
    if (line == nullptr) return;
    if (IndexTerms(base_version, current.options()) != terms) return;
    text_unchanged = ClassTerms(base_version.classification,
                                base_version.additional_classifications) == class_terms;
}

void AssignTermIds(std::span<PreparedChange> changes, std::vector<std::string>& dictionary) {
    dictionary.clear();
    for (const PreparedChange& c : changes) {
        for (const auto& term : c.terms) dictionary.push_back(term.first);
    }
    std::sort(dictionary.begin(), dictionary.end());
    dictionary.erase(std::unique(dictionary.begin(), dictionary.end()), dictionary.end());
    for (PreparedChange& c : changes) {
        c.dictionary = &dictionary;
        c.term_ids.clear();
        c.term_ids.reserve(c.terms.size());
        for (const auto& [term, tf] : c.terms) {
            const auto at = std::lower_bound(dictionary.begin(), dictionary.end(), term);
            c.term_ids.emplace_back(static_cast<std::uint32_t>(at - dictionary.begin()), tf);
        }
    }
}

void PreparedImpactDemand::UseDictionary(const std::vector<std::string>& dictionary) {
    dictionary_ = &dictionary;
    query_ids_.clear();
    for (std::size_t i = 0; i < terms_.size(); ++i) {
        const auto at = std::lower_bound(dictionary.begin(), dictionary.end(), terms_[i].term);
        if (at == dictionary.end() || *at != terms_[i].term) continue;
        query_ids_.emplace_back(static_cast<std::uint32_t>(at - dictionary.begin()),
                                static_cast<std::uint32_t>(i));
    }
}

PreparedImpactDemand::PreparedImpactDemand(const DemandLine& demand,
                                           const SupplySnapshot& current,
                                           const MatchConfig& config,
                                           const MatchContext& context)
    : demand_(&demand),
      k1_(config.bm25_k1),
      b_(config.bm25_b),
      record_query_(demand, config, context) {
    const CorpusStatistics* statistics = context.statistics;
    empty_corpus_ = current.live_count() == 0;
    // DemandQuery: weighted text terms sorted by term, compatible classification terms.
    std::map<std::string, double> weighted;
    AddQueryText(demand.title, 1.0, weighted);
    AddQueryText(demand.description, config.description_query_weight, weighted);
    // CollectionSize / AverageLength / QueryDocumentFrequency as the query uses them.
    const double n =
        static_cast<double>(statistics != nullptr ? statistics->live_count : current.live_count());
    avgdl_ = std::max(statistics != nullptr ? statistics->average_length : current.average_length(),
                      1e-9);
    terms_.reserve(weighted.size());
    for (const auto& [term, qw] : weighted) {
        QueryTerm q;
        q.term = term;
        std::vector<std::pair<std::string, std::uint32_t>> unpinned;
        q.df = QueryDocumentFrequency(current, term, statistics, &unpinned);
        if (!unpinned.empty()) {
            q.unpinned = true;
            q.snapshot_df = unpinned.back().second;
        }
        if (q.df > 0) {
            const double dfd = static_cast<double>(q.df);
            const double idf = std::log(1.0 + (n - dfd + 0.5) / (dfd + 0.5));
            q.term_weight = qw * idf;
        }
        terms_.push_back(std::move(q));
    }
    std::vector<const Classification*> classes;
    if (!demand.classification.id.empty()) classes.push_back(&demand.classification);
    for (const Classification& c : demand.additional_classifications) {
        if (!c.id.empty()) classes.push_back(&c);
    }
    for (const Classification* c : classes) {
        const std::string significant = SignificantClassPrefix(c->id);
        const std::size_t len = std::min(config.min_class_prefix, significant.size());
        if (len >= 2) class_terms_.push_back(ClassTerm(c->scheme, significant.substr(0, len)));
    }
    std::sort(class_terms_.begin(), class_terms_.end());
    class_terms_.erase(std::unique(class_terms_.begin(), class_terms_.end()), class_terms_.end());
    // Score ceilings as MatchDemand's pruning bound uses them: every feature value is in [0, 1],
    // and exactly neutral when the demand side lacks the information.
    std::array<double, kFeatureCount> ceilings{};
    ceilings.fill(1.0);
    auto neutral_unless = [&](Feature f, bool known) {
        if (!known) ceilings[static_cast<std::size_t>(f)] = kNeutral;
    };
    neutral_unless(Feature::kClassification, !classes.empty());
    neutral_unless(Feature::kRequirementFit, !demand.requirements.empty());
    neutral_unless(Feature::kPrice, demand.budget_amount && *demand.budget_amount > 0);
    neutral_unless(Feature::kCapacity, demand.quantity > 0);
    neutral_unless(Feature::kLeadTimeSlack, demand.need_by.has_value());
    neutral_unless(Feature::kRegion, !demand.delivery_region.empty());
    neutral_unless(Feature::kChainAffinity, context.chains != nullptr);
    for (std::size_t f = 1; f < kFeatureCount; ++f) {
        rest_ceiling_ += std::max(0.0, config.weights[f]) * ceilings[f];
    }
    text_weight_ = std::max(0.0, config.Weight(Feature::kText));
}

PairText PreparedImpactDemand::Text(
    const PreparedChange& change,
    std::vector<std::pair<std::string, std::uint32_t>>* unpinned) const {
    PairText out;
    if (empty_corpus_ || change.line == nullptr) return out;
    const double k1 = k1_;
    const double b = b_;
    const double avgdl = avgdl_;
    const double len = static_cast<double>(change.length);
    // Merge of two lists sorted by term; accumulation in query-term order, each contribution
    // computed with DemandPairText's expression (bit-identical raw BM25).
    double acc = 0.0;
    // One shared query term with the line's weighted tf: the query's expression.
    auto add = [&](const QueryTerm& q, std::uint32_t line_tf) {
        if (q.unpinned && unpinned != nullptr) unpinned->emplace_back(q.term, q.snapshot_df);
        if (q.df == 0) return;
        const double term_weight = q.term_weight;
        const double tf = static_cast<double>(line_tf);
        const double norm = k1 * (1 - b + b * len / avgdl);
        acc += term_weight * tf * (k1 + 1) / (tf + norm);
        out.generated = true;
    };
    if (dictionary_ != nullptr && change.dictionary == dictionary_) {
        // Integer merge (ids in term order: the same matches in the same order).
        auto line = change.term_ids.begin();
        const auto line_end = change.term_ids.end();
        for (const auto& [id, i] : query_ids_) {
            while (line != line_end && line->first < id) ++line;
            if (line == line_end) break;
            if (line->first != id) continue;
            add(terms_[i], line->second);
        }
    } else {
        auto line = change.terms.begin();
        const auto line_end = change.terms.end();
        for (const QueryTerm& q : terms_) {
            while (line != line_end && line->first < q.term) ++line;
            if (line == line_end) break;
            if (line->first != q.term) continue;
            add(q, line->second);
        }
    }
    out.raw = acc;
    if (!out.generated && !class_terms_.empty()) {
        for (const std::string& term : class_terms_) {
            if (std::binary_search(change.class_terms.begin(), change.class_terms.end(), term)) {
                out.generated = true;
                break;
            }
        }
    }
    return out;
}

Impact ImpactOfChange(const PreparedImpactDemand& prepared,
                      const StoredResultSummary& stored,
                      const PreparedChange& change,
                      const MatchConfig& config,
                      const MatchContext& context) {
    // The same steps, in the same order, as ImpactOfChange above.
    if (std::find(stored.top_ids.begin(), stored.top_ids.end(), change.id) !=
        stored.top_ids.end()) {
        return Because(ImpactReason::kInTopK);
    }
    if (stored.text_normaliser_id != 0 && stored.text_normaliser_id == change.id) {
        return Because(ImpactReason::kSetNormaliser);
    }
    if (change.line == nullptr || stored.k == 0) return Because(ImpactReason::kNone);
    Impact impact;
    const PairText text = prepared.Text(change, &impact.unpinned_terms);
    if (text.raw > 0 && text.raw >= stored.text_normaliser) {
        return Because(ImpactReason::kReachesNormaliser, std::move(impact));
    }
    const DemandLine& demand = prepared.demand();
    const SupplyLine& line = *change.line;
    if (!text.generated || FailsACheapFilter(demand, line, context.today)) {
        return Because(ImpactReason::kNone, std::move(impact));
    }
    const double text_value = stored.text_normaliser > 0 ? text.raw / stored.text_normaliser : 0.0;
    if (stored.full()) {
        // Every feature value is in [0, 1] and at most its ceiling: a score bound below the
        // k-th score (with MatchDemand's 1e-9 rounding slack) means ScorePair < kth_score.
        const double clamped = text_value < 0 ? 0 : (text_value > 1 ? 1 : text_value);
        const double bound = prepared.text_weight_ * clamped + prepared.rest_ceiling_ + 1e-9;
        if (bound < stored.kth_score) return Because(ImpactReason::kNone, std::move(impact));
    }
    if (FirstFailingFilter(demand, line, config, context) != Filter::kCount) {
        return Because(ImpactReason::kNone, std::move(impact));
    }
    if (!stored.full()) return Because(ImpactReason::kTopKNotFull, std::move(impact));
    const Candidate candidate = ScorePair(demand, line, text_value, config, context);
    if (candidate.score >= stored.kth_score) {
        return Because(ImpactReason::kReachesKthScore, std::move(impact));
    }
    return Because(ImpactReason::kNone, std::move(impact));
}

bool TopKPatch::SameAsStored(std::size_t stored_size) const {
    if (top.size() != stored_size) return false;
    for (std::size_t i = 0; i < top.size(); ++i) {
        if (top[i].stored_index != i) return false;
    }
    return true;
}

TopKPatch PatchTopK(const PreparedImpactDemand& prepared,
                    const StoredResultSummary& stored,
                    std::span<const PreparedChange* const> changes,
                    const MatchConfig& config,
                    const MatchContext& context) {
    TopKPatch out;
    auto fail = [&out](ImpactReason reason) {
        out.exact = false;
        out.reason = reason;
        out.top.clear();
        return std::move(out);
    };
    std::vector<LineId> changed_ids;
    changed_ids.reserve(changes.size());
    for (const PreparedChange* change : changes) changed_ids.push_back(change->id);
    std::sort(changed_ids.begin(), changed_ids.end());
    const bool full = stored.full();
    // The stored lines that did not change keep their stored score (pinned statistics and, as
    // checked below, the same normaliser).
    std::vector<TopKPatch::Entry> known;
    known.reserve(stored.top_ids.size() + changes.size());
    for (std::size_t i = 0; i < stored.top_ids.size(); ++i) {
        if (std::binary_search(changed_ids.begin(), changed_ids.end(), stored.top_ids[i])) {
            continue;
        }
        TopKPatch::Entry e;
        e.id = stored.top_ids[i];
        e.score = stored.top_scores.at(i);
        e.stored_index = i;
        known.push_back(std::move(e));
    }
    const DemandLine& demand = prepared.demand();
    const RecordQuery& records = prepared.record_query();
    for (const PreparedChange* change : changes) {
        const bool sets_normaliser =
            stored.text_normaliser_id != 0 && stored.text_normaliser_id == change->id;
        if (change->line == nullptr || stored.k == 0) {
            // Withdrawn: it is no candidate any more; the normaliser must not have been its.
            if (sets_normaliser) return fail(ImpactReason::kSetNormaliser);
            continue;
        }
        // The record gives exactly FirstFailingFilter's answer for the filters before the
        // certifications, and an upper bound of the non-text score (line_record.hpp).
        const bool on_record = !change->record.lines.empty() &&
                               !change->record.lines.front().Has(SupplyRecord::kExactOnLine);
        if (change->text_unchanged && !sets_normaliser && on_record) {
            // Same text as when the stored result was computed: its raw BM25 is unchanged, at
            // most the normaliser and never the normaliser's (smallest) id, so the normaliser
            // stays whatever its text value; a filter failing, or a bound below the k-th score
            // even with the best text value (1), leaves it out without any text work.
            if (records.FirstFailing(change->record, 0) != Filter::kCount ||
                (full &&
                 records.BoundBelow(change->record, 0, prepared.text_weight(), stored.kth_score))) {
                ++out.without_text;
                continue;
            }
        }
        const PairText text = prepared.Text(*change, &out.unpinned_terms);
        if (sets_normaliser) {
            // Still the best raw BM25 (bit for bit), and still the smallest id having it (every
            // other line's raw is unchanged or, for changed lines, checked below).
            if (text.raw != stored.text_normaliser) return fail(ImpactReason::kSetNormaliser);
        } else if (text.raw > 0 && text.raw >= stored.text_normaliser) {
            return fail(ImpactReason::kReachesNormaliser);
        }
        const SupplyLine& line = *change->line;
        if (!text.generated) continue;
        if (on_record ? records.FirstFailing(change->record, 0) != Filter::kCount
                      : FailsACheapFilter(demand, line, context.today)) {
            continue;
        }
        const double text_value =
            stored.text_normaliser > 0 ? text.raw / stored.text_normaliser : 0.0;
        if (full) {
            // A bound below the k-th score: it cannot rank at or above the k-th candidate, and
            // it can only be needed when fewer than k known candidates do (then: not exact).
            // On the record the non-text part is the line's own (exact where the record knows
            // the value, the ceiling elsewhere), else the demand's ceilings.
            const double clamped = text_value < 0 ? 0 : (text_value > 1 ? 1 : text_value);
            const double text_part = prepared.text_weight() * clamped;
            if (on_record ? records.BoundBelow(change->record, 0, text_part, stored.kth_score)
                          : text_part + prepared.rest_ceiling() + 1e-9 < stored.kth_score) {
                continue;
            }
        }
        if (FirstFailingFilter(demand, line, config, context) != Filter::kCount) continue;
        TopKPatch::Entry e;
        e.fresh = ScorePair(demand, line, text_value, config, context);
        e.id = change->id;
        e.score = e.fresh.score;
        known.push_back(std::move(e));
    }
    // MatchDemand's order: score descending, then id ascending.
    std::sort(known.begin(), known.end(), [](const auto& a, const auto& b) {
        if (a.score != b.score) return a.score > b.score;
        return a.id < b.id;
    });
    if (full && stored.k > 0) {
        // Every unknown candidate (an unchanged line outside the stored top-k) ranks strictly
        // below the stored k-th candidate; the known ones at or above it are certain.
        const double kth_score = stored.top_scores.at(stored.top_ids.size() - 1);
        const LineId kth_id = stored.top_ids.back();
        std::size_t certain = 0;
        for (const auto& e : known) {
            if (e.score > kth_score || (e.score == kth_score && e.id <= kth_id)) ++certain;
        }
        if (certain < stored.k) return fail(ImpactReason::kTopKIncomplete);
    }
    if (known.size() > stored.k) known.resize(stored.k);
    out.top = std::move(known);
    out.exact = true;
    out.reason = ImpactReason::kNone;
    return out;
}

ChangeIndex::ChangeIndex(std::span<const PreparedChange> changes,
                         const std::vector<std::string>& dictionary,
                         const SupplySnapshot& current,
                         const MatchConfig& config,
                         const MatchContext& context)
    : dictionary_(&dictionary) {
    changes_.reserve(changes.size());
    for (const PreparedChange& c : changes) changes_.push_back(&c);
    std::sort(changes_.begin(), changes_.end(),
              [](const auto* a, const auto* b) { return a->id < b->id; });
    // The same k1, b and average length as PreparedImpactDemand (hence as the query).
    const CorpusStatistics* statistics = context.statistics;
    const double avgdl = std::max(
        statistics != nullptr ? statistics->average_length : current.average_length(), 1e-9);
    const double k1 = config.bm25_k1;
    const double b = config.bm25_b;
    std::vector<std::uint32_t> counts(dictionary.size() + 1, 0);
    std::map<std::string, std::vector<std::uint32_t>> classes;
    for (std::uint32_t i = 0; i < changes_.size(); ++i) {
        const PreparedChange& c = *changes_[i];
        if (c.line == nullptr) continue;  // withdrawn: generated by no query
        for (const auto& [id, tf] : c.term_ids) ++counts.at(id);
        for (const std::string& term : c.class_terms) classes[term].push_back(i);
    }
    offsets_.assign(dictionary.size() + 1, 0);
    for (std::size_t t = 0; t < dictionary.size(); ++t) offsets_[t + 1] = offsets_[t] + counts[t];
    post_change_.resize(offsets_.back());
    post_sat_.resize(offsets_.back());
    max_sat_.assign(dictionary.size(), 0.0);
    std::vector<std::uint32_t> fill(offsets_.begin(), offsets_.end() - 1);
    for (std::uint32_t i = 0; i < changes_.size(); ++i) {
        const PreparedChange& c = *changes_[i];
        if (c.line == nullptr) continue;
        if (c.dictionary != &dictionary) {
            throw std::invalid_argument(
                "ChangeIndex: a change was not prepared with the dictionary");
        }
        const double len = static_cast<double>(c.length);
        const double norm = k1 * (1 - b + b * len / avgdl);
        for (const auto& [id, line_tf] : c.term_ids) {
            const double tf = static_cast<double>(line_tf);
            const double sat = tf * (k1 + 1) / (tf + norm);
            post_change_[fill[id]] = i;
            post_sat_[fill[id]++] = sat;
            max_sat_[id] = std::max(max_sat_[id], sat);
        }
    }
    class_postings_.assign(std::make_move_iterator(classes.begin()),
                           std::make_move_iterator(classes.end()));
}

const PreparedChange* ChangeIndex::Find(LineId id) const {
    const auto at = std::lower_bound(changes_.begin(), changes_.end(), id,
                                     [](const auto* c, LineId v) { return c->id < v; });
    return at != changes_.end() && (*at)->id == id ? *at : nullptr;
}

void ChangeIndex::RelevantChanges(const PreparedImpactDemand& demand,
                                  const StoredResultSummary& stored,
                                  std::vector<const PreparedChange*>& out,
                                  Stats* stats) const {
    out.clear();
    if (changes_.empty()) return;
    if (demand.dictionary_ != dictionary_) {
        throw std::invalid_argument("ChangeIndex: the demand does not use the index's dictionary");
    }
    // Per-thread scratch over the changes: a stamp marks the lines taken, `acc` sums the
    // essential terms' contribution bounds.
    struct Scratch {
        std::vector<std::uint32_t> stamp;        // == now: taken
        std::vector<std::uint32_t> touch_stamp;  // == now: in `touched`
        std::vector<double> acc;
        std::vector<std::uint32_t> touched;
        std::uint32_t now = 0;
    };
    thread_local Scratch scratch;
    if (scratch.stamp.size() < changes_.size()) {
        scratch.stamp.assign(changes_.size(), 0);
        scratch.touch_stamp.assign(changes_.size(), 0);
        scratch.acc.assign(changes_.size(), 0.0);
        scratch.now = 0;
    }
    if (++scratch.now == 0) {
        std::fill(scratch.stamp.begin(), scratch.stamp.end(), 0);
        std::fill(scratch.touch_stamp.begin(), scratch.touch_stamp.end(), 0);
        scratch.now = 1;
    }
    const std::uint32_t now = scratch.now;
    std::vector<std::uint32_t> taken;
    auto take = [&](std::uint32_t i) {
        if (scratch.stamp[i] == now) return;
        scratch.stamp[i] = now;
        taken.push_back(i);
    };
    auto index_of = [&](LineId id) -> std::optional<std::uint32_t> {
        const auto at = std::lower_bound(changes_.begin(), changes_.end(), id,
                                         [](const auto* c, LineId v) { return c->id < v; });
        if (at == changes_.end() || (*at)->id != id) return std::nullopt;
        return static_cast<std::uint32_t>(at - changes_.begin());
    };
    // 1. By id: the stored top-k and the normaliser's line.
    for (const LineId id : stored.top_ids) {
        if (auto i = index_of(id)) take(*i);
    }
    if (stored.text_normaliser_id != 0) {
        if (auto i = index_of(stored.text_normaliser_id)) take(*i);
    }
    std::size_t enumerated = 0;
    // 2. The text threshold theta (see the header); nullopt = every generated line.
    std::optional<double> theta;
    bool unpinned = false;
    for (const auto& [id, qi] : demand.query_ids_)
        unpinned = unpinned || demand.terms_[qi].unpinned;
    if (stored.k > 0 && stored.full() && stored.text_normaliser > 0 && !unpinned) {
        // 2e-9: the bound's 1e-9 slack plus as much again for this subtraction's rounding.
        const double needed = stored.kth_score - demand.rest_ceiling_ - 2e-9;
        if (needed > 0) {
            const double text_needed = demand.text_weight_ > 0 ? needed / demand.text_weight_ : 2.0;
            theta = stored.text_normaliser * std::min(1.0, text_needed) * (1 - 1e-9);
        }
    }
    if (!theta) {
        // Every line the query generates: a shared query term, or a compatible class term.
        for (const auto& [id, qi] : demand.query_ids_) {
            for (std::uint32_t p = offsets_[id]; p < offsets_[id + 1]; ++p) take(post_change_[p]);
            enumerated += offsets_[id + 1] - offsets_[id];
        }
        for (const std::string& term : demand.class_terms_) {
            const auto at = std::lower_bound(
                class_postings_.begin(), class_postings_.end(), term,
                [](const auto& entry, const std::string& v) { return entry.first < v; });
            if (at == class_postings_.end() || at->first != term) continue;
            for (const std::uint32_t i : at->second) take(i);
            enumerated += at->second.size();
        }
    } else {
        // MaxScore: terms by their largest contribution; the smallest ones whose sum stays
        // below theta cannot lift a line to theta on their own.
        struct Bound {
            double bound;
            std::uint32_t id;  // dictionary id
            double term_weight;
        };
        std::vector<Bound> bounds;
        bounds.reserve(demand.query_ids_.size());
        for (const auto& [id, qi] : demand.query_ids_) {
            const auto& q = demand.terms_[qi];
            // A df of 0 contributes nothing (and is never unpinned here).
            if (q.df == 0 || offsets_[id] == offsets_[id + 1]) continue;
            bounds.push_back({q.term_weight * max_sat_[id] * (1 + 1e-12), id, q.term_weight});
        }
        std::sort(bounds.begin(), bounds.end(),
                  [](const Bound& a, const Bound& b) { return a.bound < b.bound; });
        double rest = 0;  // sum of the non-essential bounds
        std::size_t essential = 0;
        while (essential < bounds.size() && rest + bounds[essential].bound < *theta) {
            rest += bounds[essential].bound;
            ++essential;
        }
        scratch.touched.clear();
        for (std::size_t t = essential; t < bounds.size(); ++t) {
            const std::uint32_t id = bounds[t].id;
            const double term_weight = bounds[t].term_weight;
            for (std::uint32_t p = offsets_[id]; p < offsets_[id + 1]; ++p) {
                const std::uint32_t i = post_change_[p];
                if (scratch.touch_stamp[i] != now) {
                    scratch.touch_stamp[i] = now;
                    scratch.acc[i] = 0;
                    scratch.touched.push_back(i);
                }
                scratch.acc[i] += term_weight * post_sat_[p] * (1 + 1e-12);
            }
            enumerated += offsets_[id + 1] - offsets_[id];
        }
        for (const std::uint32_t i : scratch.touched) {
            if ((scratch.acc[i] + rest) * (1 + 1e-9) >= *theta) take(i);
        }
    }
    std::sort(taken.begin(), taken.end());  // changes_ is in id order
    out.reserve(taken.size());
    for (const std::uint32_t i : taken) out.push_back(changes_[i]);
    if (stats != nullptr) {
        stats->pruned = theta.has_value();
        stats->enumerated = enumerated;
    }
}

namespace {

// The demand-index terms through which `line` reaches demands (see ReachableDemands).
void ReachTerms(const DemandSnapshot& demands,
                const SupplyLine& line,
                const MatchConfig& config,
                std::vector<std::string>& terms) {
    // Text: the demand query's terms are the analysed terms of its title and description, which
    // are exactly the demand index's terms; a supply line shares one iff one of its indexed
    // terms is in the demand index.
    for (auto& [term, tf] : IndexTerms(line, demands.options())) terms.push_back(term);
    // Classification: a demand generates the line through its prefix of min(min_class_prefix,
    // significant digits) digits (>= 2), which the demand also has as a posting; the line has it
    // among its prefixes of 2..min_class_prefix digits.
    std::vector<Classification> classes = {line.classification};
    classes.insert(classes.end(), line.additional_classifications.begin(),
                   line.additional_classifications.end());
    for (const Classification& c : classes) {
        if (c.id.empty()) continue;
        const std::string significant = SignificantClassPrefix(c.id);
        for (std::size_t len = 2; len <= std::min(config.min_class_prefix, significant.size());
             ++len) {
            terms.push_back(ClassTerm(c.scheme, significant.substr(0, len)));
        }
    }
}

}  // namespace

std::vector<LineId> ReachableDemands(const DemandSnapshot& demands,
                                     const SupplyLine& line,
                                     const MatchConfig& config) {
    std::vector<std::string> terms;
    ReachTerms(demands, line, config, terms);
    std::vector<LineId> out;
    for (const std::string& term : terms) {
        for (std::size_t s = 0; s < demands.segment_count(); ++s) {
            const auto& segment = demands.segment(s);
            for (const Posting& p : segment.Find(term)) {
                if (!demands.Deleted(s, p.doc)) out.push_back(segment.lines[p.doc].id);
            }
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<LineId> ReachableDemands(const DemandSnapshot& demands,
                                     std::span<const SupplyLine* const> versions,
                                     const MatchConfig& config) {
    std::vector<std::string> terms;
    for (const SupplyLine* version : versions) {
        if (version != nullptr) ReachTerms(demands, *version, config, terms);
    }
    std::sort(terms.begin(), terms.end());
    terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
    std::vector<bool> seen(demands.doc_space(), false);
    std::vector<LineId> out;
    // Once every live demand is reached the remaining postings add nothing (with common terms,
    // e.g. CJK bigrams of a product family, that happens after a few terms).
    const std::size_t all = demands.live_count();
    for (const std::string& term : terms) {
        if (out.size() == all) break;
        for (std::size_t s = 0; s < demands.segment_count(); ++s) {
            const auto& segment = demands.segment(s);
            const std::size_t base = demands.segment_base(s);
            for (const Posting& p : segment.Find(term)) {
                if (seen[base + p.doc] || demands.Deleted(s, p.doc)) continue;
                seen[base + p.doc] = true;
                out.push_back(segment.lines[p.doc].id);
            }
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace renewmatch::matcher
