#include "matcher/impact.hpp"

#include "matcher/reference.hpp"

#include <algorithm>
#include <array>

namespace renewmatch::matcher {
namespace {

constexpr std::array<std::string_view, 6> kImpactReasonNames = {
    "none",           "in_top_k",         "set_normaliser", "reaches_normaliser",
    "top_k_not_full", "reaches_kth_score"};

Impact Because(ImpactReason reason, Impact impact = {}) {
    impact.may_change = reason != ImpactReason::kNone;
    impact.reason = reason;
    return impact;
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

std::vector<LineId> ReachableDemands(const DemandSnapshot& demands,
                                     const SupplyLine& line,
                                     const MatchConfig& config) {
    std::vector<std::string> terms;
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

}  // namespace renewmatch::matcher
