#include "matcher/engine.hpp"

#include "matcher/line_record.hpp"
#include "matcher/text.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <type_traits>
#include <unordered_map>

namespace renewmatch::matcher {
namespace {

constexpr std::array<std::string_view, kFilterCount> kFilterNames = {
    "line_active",    "price_valid",  "response_open", "classification", "second_hand",
    "region",         "lead_time",    "min_order_qty", "energy_floor",   "localisation_floor",
    "certifications", "requirements",
};
constexpr std::array<std::string_view, kFeatureCount> kFeatureNames = {
    "text",   "classification",      "requirement_fit", "price",     "capacity", "lead_time_slack",
    "region", "energy_localisation", "chain_affinity",  "freshness",
};

// ---- small helpers --------------------------------------------------------------------------

std::size_t CommonPrefix(std::string_view a, std::string_view b) {
    std::size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

double Clamp01(double v) {
    return v < 0 ? 0 : (v > 1 ? 1 : v);
}

// All classifications of a line, primary first.
template <class Line>
std::vector<const Classification*> AllClasses(const Line& line) {
    std::vector<const Classification*> out;
    if (!line.classification.id.empty()) out.push_back(&line.classification);
    for (const Classification& c : line.additional_classifications) {
        if (!c.id.empty()) out.push_back(&c);
    }
    return out;
}

// SignificantClassPrefix without allocating: writes into `buffer` (codes have <= 8 digits).
std::string_view SignificantInto(std::string_view code, std::array<char, 16>& buffer) {
    std::size_t n = 0;
    for (char c : code) {
        if (c == '-') break;
        if (c >= '0' && c <= '9' && n < buffer.size()) buffer[n++] = c;
    }
    while (n > 2 && buffer[n - 1] == '0') --n;
    return std::string_view(buffer.data(), n);
}

// The classification filter with the demand's significant prefixes precomputed.
bool ClassificationCompatiblePrepared(
    const std::vector<std::pair<std::string, std::string>>& demand_prefixes,
    const SupplyLine& supply,
    std::size_t min_prefix) {
    if (demand_prefixes.empty()) return true;
    std::array<char, 16> buffer{};
    auto check = [&](const Classification& s) {
        if (s.id.empty()) return false;
        const std::string_view ss = SignificantInto(s.id, buffer);
        for (const auto& [scheme, ds] : demand_prefixes) {
            if (s.scheme != scheme) continue;
            const std::size_t needed = std::min({min_prefix, ds.size(), ss.size()});
            if (needed > 0 && CommonPrefix(ds, ss) >= needed) return true;
        }
        return false;
    };
    if (check(supply.classification)) return true;
    for (const Classification& c : supply.additional_classifications) {
        if (check(c)) return true;
    }
    return false;
}

bool RegionServed(const DemandLine& demand, const SupplyLine& supply) {
    if (demand.delivery_region.empty()) return true;
    for (const std::string& area : supply.excluded_areas) {
        if (!area.empty() && StartsWith(demand.delivery_region, area)) return false;
    }
    if (supply.service_areas.empty()) return true;
    for (const std::string& area : supply.service_areas) {
        if (StartsWith(demand.delivery_region, area)) return true;
    }
    return false;
}

// The demand's strings that filters and features compare after normalisation, normalised once
// per query instead of once per candidate.
struct PreparedDemand {
    const DemandLine& line;
    std::vector<std::string> certifications;
    std::vector<std::string> requirement_names;
    std::vector<std::string> requirement_texts;
    std::vector<std::vector<std::string>> requirement_allowed;
    std::vector<std::pair<std::string, std::string>> class_prefixes;  // (scheme, significant)
    explicit PreparedDemand(const DemandLine& demand) : line(demand) {
        for (const Classification* c : AllClasses(demand)) {
            class_prefixes.emplace_back(c->scheme, SignificantClassPrefix(c->id));
        }
        for (const std::string& c : demand.certifications_required) {
            certifications.push_back(NormalizeText(c));
        }
        for (const Requirement& r : demand.requirements) {
            requirement_names.push_back(NormalizeText(r.name));
            requirement_texts.push_back(NormalizeText(r.text_equals));
            std::vector<std::string> allowed;
            for (const std::string& a : r.allowed_values) allowed.push_back(NormalizeText(a));
            requirement_allowed.push_back(std::move(allowed));
        }
    }
    // Per-candidate memo of the supply line's normalised attribute names and texts: filters and
    // features look attributes up once per requirement, and the query evaluates one candidate
    // at a time (a PreparedDemand is owned by one query, so this needs no synchronisation).
    mutable const SupplyLine* attributes_of = nullptr;
    mutable std::vector<std::string> attribute_names;
    mutable std::vector<std::string> attribute_texts;
    void NormaliseAttributes(const SupplyLine& supply) const {
        if (attributes_of == &supply) return;
        attributes_of = &supply;
        attribute_names.clear();
        attribute_texts.clear();
        for (const Attribute& a : supply.attributes) {
            attribute_names.push_back(NormalizeText(a.name));
            attribute_texts.push_back(NormalizeText(a.text));
        }
    }
};

bool CertificationsHeld(const PreparedDemand& prepared, const SupplyLine& supply, Day today) {
    const Day on = prepared.line.need_by.value_or(today);
    for (const std::string& want : prepared.certifications) {
        bool held = false;
        for (const Certification& cert : supply.certifications) {
            if (NormalizeText(cert.type) == want && (!cert.expires_at || *cert.expires_at >= on)) {
                held = true;
                break;
            }
        }
        if (!held) return false;
    }
    return true;
}

// Outcome of checking one requirement against a supply line's attributes.
struct RequirementOutcome {
    bool found = false;  // an attribute with the requirement's name exists
    bool met = false;
    double fit = 0;  // [0, 1], see Feature::kRequirementFit
};

// Index of the supply attribute whose normalised name equals `normalised_name`, or npos.
std::size_t FindAttribute(const PreparedDemand& prepared,
                          const SupplyLine& supply,
                          const std::string& normalised_name) {
    prepared.NormaliseAttributes(supply);
    for (std::size_t i = 0; i < prepared.attribute_names.size(); ++i) {
        if (prepared.attribute_names[i] == normalised_name) return i;
    }
    return std::string::npos;
}

RequirementOutcome CheckRequirement(const PreparedDemand& prepared,
                                    std::size_t req_idx,
                                    const SupplyLine& supply,
                                    const MatchContext& context) {
    const Requirement& req = prepared.line.requirements[req_idx];
    RequirementOutcome out;
    const std::size_t attribute_idx =
        FindAttribute(prepared, supply, prepared.requirement_names[req_idx]);
    if (attribute_idx == std::string::npos) return out;
    const Attribute* attribute = &supply.attributes[attribute_idx];
    out.found = true;
    const bool numeric = req.min || req.max || req.expected;
    if (!numeric) {
        const std::string& have = prepared.attribute_texts[attribute_idx];
        bool ok = true;
        if (!req.text_equals.empty()) ok = ok && have == prepared.requirement_texts[req_idx];
        if (!req.allowed_values.empty()) {
            bool any = false;
            for (const std::string& allowed : prepared.requirement_allowed[req_idx]) {
                any = any || allowed == have;
            }
            ok = ok && any;
        }
        out.met = ok;
        out.fit = ok ? 1.0 : 0.0;
        return out;
    }
    // Numeric: the attribute offers [lo, hi] (a single value is a point), converted to req.unit.
    const std::optional<double> raw_lo = attribute->value ? attribute->value : attribute->min;
    const std::optional<double> raw_hi = attribute->value ? attribute->value : attribute->max;
    if (!raw_lo && !raw_hi) return out;
    auto convert = [&](double v) -> std::optional<double> {
        if (attribute->unit == req.unit) return v;
        if (context.units == nullptr) return std::nullopt;
        return context.units->Convert(v, attribute->unit, req.unit);
    };
    std::optional<double> lo = raw_lo ? convert(*raw_lo) : std::nullopt;
    std::optional<double> hi = raw_hi ? convert(*raw_hi) : std::nullopt;
    if ((raw_lo && !lo) || (raw_hi && !hi)) return out;  // not convertible: unmet
    if (!lo) lo = hi;
    if (!hi) hi = lo;
    if (*lo > *hi) std::swap(lo, hi);
    // Tiny relative tolerance so that 1 hp vs 745.6999 W style round-trips compare as equal.
    auto ge = [](double a, double b) { return a >= b - 1e-9 * std::max(1.0, std::fabs(b)); };
    bool met = true;
    if (req.min) met = met && ge(*hi, *req.min);
    if (req.max) met = met && ge(*req.max, *lo);
    if (!req.min && !req.max && req.expected) {
        // An expected value alone is met within +-10 % (document: equipment sheets round).
        const double e = *req.expected;
        const double tol = 0.1 * std::fabs(e);
        met = ge(*hi, e - tol) && ge(e + tol, *lo);
    }
    out.met = met;
    if (!met) return out;
    if (req.min && req.max) {
        const double half = (*req.max - *req.min) / 2;
        const double v = std::clamp((*lo + *hi) / 2, *req.min, *req.max);
        const double nearer = std::min(v - *req.min, *req.max - v);
        out.fit = half > 0 ? 0.6 + 0.4 * Clamp01(nearer / half) : 1.0;
    } else if (req.min) {
        const double scale = 0.25 * std::max(std::fabs(*req.min), 1e-12);
        out.fit = 0.6 + 0.4 * Clamp01((*hi - *req.min) / scale);
    } else if (req.max) {
        const double scale = 0.25 * std::max(std::fabs(*req.max), 1e-12);
        out.fit = 0.6 + 0.4 * Clamp01((*req.max - *lo) / scale);
    } else {
        const double e = *req.expected;
        const double v = std::clamp(e, *lo, *hi);
        out.fit = 1.0 - Clamp01(std::fabs(v - e) / std::max(std::fabs(e), 1e-12));
    }
    return out;
}

// ---- features -----------------------------------------------------------------------------

double ClassificationValue(const DemandLine& demand,
                           const SupplyLine& supply,
                           const MatchContext& context) {
    const auto demand_classes = AllClasses(demand);
    const auto supply_classes = AllClasses(supply);
    if (demand_classes.empty() || supply_classes.empty()) return kNeutral;
    double best = 0;
    for (const Classification* d : demand_classes) {
        for (const Classification* s : supply_classes) {
            if (d->scheme != s->scheme) continue;
            const std::string ds = SignificantClassPrefix(d->id);
            const std::string ss = SignificantClassPrefix(s->id);
            if (context.taxonomy != nullptr && context.taxonomy->parent.contains(ds) &&
                context.taxonomy->parent.contains(ss)) {
                // Explicit tree: depth of the lowest common ancestor / depth of the demand code.
                auto chain = [&](std::string code) {
                    std::vector<std::string> path{code};
                    for (int guard = 0; guard < 64; ++guard) {
                        auto it = context.taxonomy->parent.find(code);
                        if (it == context.taxonomy->parent.end() || it->second.empty()) break;
                        code = it->second;
                        path.push_back(code);
                    }
                    std::reverse(path.begin(), path.end());
                    return path;
                };
                const auto dp = chain(ds);
                const auto sp = chain(ss);
                std::size_t common = 0;
                while (common < dp.size() && common < sp.size() && dp[common] == sp[common]) {
                    ++common;
                }
                best = std::max(best, static_cast<double>(common) / static_cast<double>(dp.size()));
                continue;
            }
            const std::size_t common = std::min(CommonPrefix(ds, ss), ds.size());
            if (!ds.empty()) {
                best = std::max(best, static_cast<double>(common) / static_cast<double>(ds.size()));
            }
        }
    }
    return best;
}

double RequirementFitValue(const PreparedDemand& prepared,
                           const SupplyLine& supply,
                           const MatchContext& context) {
    const std::size_t n = prepared.line.requirements.size();
    if (n == 0) return kNeutral;
    double sum = 0;
    for (std::size_t r = 0; r < n; ++r) {
        const RequirementOutcome outcome = CheckRequirement(prepared, r, supply, context);
        sum += outcome.found ? outcome.fit : 0.25;
    }
    return sum / static_cast<double>(n);
}

double PriceValue(const DemandLine& demand, const SupplyLine& supply) {
    if (!supply.price_amount || !demand.budget_amount || *supply.price_amount <= 0 ||
        *demand.budget_amount <= 0 || supply.price_currency != demand.budget_currency) {
        return kNeutral;
    }
    const double ratio = *supply.price_amount * demand.quantity / *demand.budget_amount;
    const double distance = std::fabs(std::log(ratio));
    return ratio <= 1 ? std::exp(-distance) : std::exp(-2 * distance);
}

double CapacityValue(const DemandLine& demand, const SupplyLine& supply) {
    if (!supply.capacity_per_month || demand.quantity <= 0) return kNeutral;
    return Clamp01(*supply.capacity_per_month / demand.quantity);
}

double LeadTimeValue(const DemandLine& demand, const SupplyLine& supply, Day today) {
    if (!demand.need_by || !supply.lead_time_days) return kNeutral;
    const double slack = static_cast<double>(*demand.need_by - today - *supply.lead_time_days);
    return Clamp01(slack / 30.0);
}

double RegionValue(const DemandLine& demand, const SupplyLine& supply) {
    if (demand.delivery_region.empty() || supply.vendor_region.empty()) return kNeutral;
    const std::size_t common = CommonPrefix(demand.delivery_region, supply.vendor_region);
    if (common >= 6) return 1.0;
    if (common >= 4) return 0.75;
    if (common >= 2) return 0.5;
    return 0.0;
}

double EnergyLocalValue(const SupplyLine& supply) {
    double sum = 0;
    int parts = 0;
    if (supply.energy_efficiency_grade) {
        sum += Clamp01((5.0 - *supply.energy_efficiency_grade) / 4.0);
        ++parts;
    }
    if (supply.localization_rate) {
        sum += Clamp01(*supply.localization_rate);
        ++parts;
    }
    double value = parts == 0 ? kNeutral : sum / parts;
    if (supply.first_of_kind) value = std::min(1.0, value + 0.1);
    return value;
}

template <class Line>
std::vector<std::string> SegmentsOf(const Line& line, const ChainMap& chains) {
    if (!line.chain_segment.empty()) return {line.chain_segment};
    std::vector<std::string> out;
    for (const Classification* c : AllClasses(line)) {
        if (c->scheme != "CPV") continue;
        for (std::string& s : chains.SegmentsForCpv(c->id)) out.push_back(std::move(s));
    }
    return out;
}

double ChainValue(const DemandLine& demand, const SupplyLine& supply, const MatchContext& context) {
    if (context.chains == nullptr) return kNeutral;
    const auto ds = SegmentsOf(demand, *context.chains);
    const auto ss = SegmentsOf(supply, *context.chains);
    if (ds.empty() || ss.empty()) return kNeutral;
    double best = 0;
    for (const std::string& a : ds) {
        for (const std::string& b : ss) {
            if (a == b) return 1.0;
            if (context.chains->Linked(a, b)) {
                best = std::max(best, 0.7);
                continue;
            }
            auto sa = context.chains->segments.find(a);
            auto sb = context.chains->segments.find(b);
            if (sa != context.chains->segments.end() && sb != context.chains->segments.end() &&
                sa->second.chain_id == sb->second.chain_id) {
                best = std::max(best, 0.4);
            }
        }
    }
    return best;
}

double FreshnessValue(const SupplyLine& supply, Day today, double half_life) {
    // Day 0 (1970-01-01) is the "not given" value of the field: no confirmation date known.
    if (supply.last_confirmed_at == 0) return kNeutral;
    const double age = std::max(0.0, static_cast<double>(today - supply.last_confirmed_at));
    return std::pow(0.5, age / std::max(half_life, 1e-9));
}

// ---- generic query over a snapshot --------------------------------------------------------

struct QueryTerms {
    std::vector<std::pair<std::string, double>> weighted;  // sorted by term
    std::vector<std::string> class_terms;                  // compatible-class postings
};

void AddQueryText(std::string_view text, double weight, std::map<std::string, double>& terms) {
    if (text.empty()) return;
    for (Term& term : Analyze(text)) terms[std::move(term.text)] += weight;
}

std::vector<std::string> CompatibleClassTerms(const std::vector<const Classification*>& classes,
                                              std::size_t min_prefix) {
    std::vector<std::string> out;
    for (const Classification* c : classes) {
        const std::string significant = SignificantClassPrefix(c->id);
        const std::size_t len = std::min(min_prefix, significant.size());
        if (len >= 2) out.push_back(ClassTerm(c->scheme, significant.substr(0, len)));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

struct Ranked {
    double text_raw;
    std::size_t doc;  // global doc number
};

// A text candidate whose global bound can reach the k-th score, awaiting its record read.
struct Pending {
    double text_value;
    std::size_t doc;          // global doc number
    bool hot_passed = false;  // screening: the filters up to kRegion passed on the HotRecord
};

// A candidate that passed the record filters, with its exact-or-larger score bound.
struct Survivor {
    double bound;  // w_text * text + RestUpper (or + the query's rest for kExactOnLine lines)
    double text_value;
    std::size_t doc;  // global doc number
};

// The document frequency a query uses for `term`: the snapshot's, or with pinned statistics the
// pinned value (else the snapshot's, reported as unpinned), capped at the pinned N.
template <class Line>
std::uint32_t QueryDocumentFrequencyOf(
    const Snapshot<Line>& snapshot,
    const std::string& term,
    const CorpusStatistics* statistics,
    std::vector<std::pair<std::string, std::uint32_t>>* unpinned) {
    if (statistics == nullptr) return snapshot.DocumentFrequency(term);
    std::uint32_t df = 0;
    auto it = statistics->document_frequency.find(term);
    if (it != statistics->document_frequency.end()) {
        df = it->second;
    } else {
        df = snapshot.DocumentFrequency(term);
        if (df > 0 && unpinned != nullptr) unpinned->emplace_back(term, df);
    }
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(df, statistics->live_count));
}

template <class Line>
double CollectionSize(const Snapshot<Line>& snapshot, const CorpusStatistics* statistics) {
    return static_cast<double>(statistics != nullptr ? statistics->live_count
                                                     : snapshot.live_count());
}

template <class Line>
double AverageLength(const Snapshot<Line>& snapshot, const CorpusStatistics* statistics) {
    return std::max(statistics != nullptr ? statistics->average_length : snapshot.average_length(),
                    1e-9);
}

// Worst-first ordering for the top-k heap: lower score is worse; equal scores: larger id worse.
bool BetterCandidate(const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.id < b.id;
}

// Offers `candidate` to the top-k heap `top` (front = the worst kept candidate): kept while
// fewer than k are held, else it replaces the worst when better.
void OfferToTopK(std::vector<Candidate>& top, std::size_t k, Candidate&& candidate) {
    auto worst_first = [](const Candidate& x, const Candidate& y) { return BetterCandidate(x, y); };
    if (top.size() < k) {
        top.push_back(std::move(candidate));
        std::push_heap(top.begin(), top.end(), worst_first);
    } else if (BetterCandidate(candidate, top.front())) {
        std::pop_heap(top.begin(), top.end(), worst_first);
        top.back() = std::move(candidate);
        std::push_heap(top.begin(), top.end(), worst_first);
    }
}

// Prefetches every cache line of a record: a record (80 B) spans two lines, and the filters read
// fields at both ends (flags and the side-array offsets sit in its last 16 bytes, which start on
// the record's second line whatever its alignment: 80 = 64 + 16).
inline void PrefetchRecord(const SupplyRecord& record) {
    const char* first = reinterpret_cast<const char*>(&record);
    __builtin_prefetch(first);
    __builtin_prefetch(first + sizeof(SupplyRecord) - 1);
}

// Prefetch distances (in candidates) for the classification-only visit.
constexpr std::size_t kPrefetchFar = 16;
constexpr std::size_t kPrefetchNear = 8;

// What `evaluate` says about one candidate.
struct Outcome {
    Filter failed = Filter::kCount;  // kCount: passed every filter (when not pruned)
    bool pruned = false;             // its exact bound cannot reach the k-th score: skipped
};

// Reusable per-thread query scratch: the dense BM25 accumulator with an epoch stamp per document
// instead of zeroing (or allocating) doc_space entries per query, and the candidate lists.
// Grows to the largest doc_space seen by the thread (12 B per document) and is kept for the
// thread's lifetime. RunQuery is not re-entered on one thread (evaluate never queries).
// One query term's postings in one segment, consumed block by block by Generate.
struct PostingCursor {
    const Posting* next;
    const Posting* end;
    double term_weight;  // query weight * idf (0 for classification terms)
};

struct QueryScratch {
    std::vector<double> acc;
    // == epoch: the doc was touched by a text term (acc is valid); == epoch + 1: a
    // classification-only doc counted by a Generate that did not list them (multi-term dedupe).
    std::vector<std::uint32_t> stamp;
    std::uint32_t epoch = 0;  // even, advanced by 2 per query
    std::vector<std::size_t> touched;
    std::vector<std::size_t> class_only;
    std::size_t class_only_count = 0;  // == class_only.size() once listed
    std::vector<Ranked> heap;
    std::vector<Ranked> seeds;        // MatchDemand: the best text candidates, evaluated first
    std::vector<Survivor> survivors;  // MatchDemand: screened candidates, by bound
    std::vector<Pending> pending;     // MatchDemand: screening, lines above the global bound
    std::vector<Pending> later;       // MatchDemand: screening, lines left after the hot filters
    std::vector<RecordQuery::SegmentMasks> masks;  // MatchDemand: per segment, this query's
    std::vector<std::pair<const std::string*, double>> term_weights;  // Generate
    std::vector<PostingCursor> cursors;                               // Generate: text terms
    std::vector<PostingCursor> class_cursors;                         // Generate: class terms
    std::vector<std::size_t> class_cursor_terms;  // Generate: index in class_terms per cursor
    std::vector<std::uint64_t> dense_words;       // Generate: union of class-term bitsets

    void Begin(std::size_t doc_space) {
        if (stamp.size() < doc_space) {
            stamp.resize(doc_space, 0);
            acc.resize(doc_space, 0.0);
        }
        epoch += 2;
        if (epoch < 2 || epoch == std::numeric_limits<std::uint32_t>::max()) {
            // Wrapped: forget every old stamp (epoch and epoch + 1 must both be fresh values).
            std::fill(stamp.begin(), stamp.end(), 0);
            epoch = 2;
        }
        touched.clear();
        class_only.clear();
        class_only_count = 0;
        heap.clear();
        seeds.clear();
        survivors.clear();
        pending.clear();
        later.clear();
    }
};

QueryScratch& ThreadScratch() {
    thread_local QueryScratch scratch;
    return scratch;
}

// Candidate generation (the relevance gate): BM25 accumulated term-at-a-time over the postings of
// the query's terms into `scratch.acc`, then the lines reached only through the query's
// compatible classification (raw BM25 0): with `list_class_only`, listed in `scratch.class_only`;
// without, only counted (`scratch.class_only_count`, the same number; ListClassOnly lists them
// later if the caller needs them). Unpinned query terms go to `result.unpinned_terms`.
//
// Blocked: each segment's doc range is cut into blocks of kGenerateBlock docs, and every term's
// postings (doc-sorted, one cursor per term) are consumed block by block, so the accumulator,
// stamps and lengths of one block stay in cache while all the terms pass over it (term-at-a-time
// over the whole doc space streamed ~16 B per doc per common term through memory). Per doc the
// terms still add up in query-term order with the same operations, so every raw BM25 is
// bit-identical to the unblocked accumulation. `scratch.touched` and `scratch.class_only` are in
// block order (ascending global doc across blocks; first-touch order inside a block): every user
// of them is independent of their order (ties are broken by line id, never by doc number: the
// doc order is the index's locality order, index.hpp).
//
// Counting instead of listing: MatchDemand screens the classification-only lines only when the
// k-th score is still within their reach after the text candidates (rare: their bound is the
// non-text ceilings alone), but needs their number for `generated` always. Counting reads the
// stamp of each classification posting and writes nothing when the segment has one
// classification cursor (a doc occurs once in a posting list); with several, a counted doc is
// stamped epoch + 1 so that a second cursor does not count it again. A segment without
// tombstones skips the per-posting tombstone test (HasDeleted).
constexpr std::uint32_t kGenerateBlock = 8192;

template <class Line>
void OpenCursors(const Segment<Line>& segment,
                 const std::vector<std::string>& class_terms,
                 std::vector<PostingCursor>& class_cursors,
                 std::vector<std::size_t>* terms = nullptr) {
    class_cursors.clear();
    if (terms != nullptr) terms->clear();
    for (std::size_t i = 0; i < class_terms.size(); ++i) {
        const std::span<const Posting> postings = segment.Find(class_terms[i]);
        if (!postings.empty()) {
            class_cursors.push_back({postings.data(), postings.data() + postings.size(), 0});
            if (terms != nullptr) terms->push_back(i);
        }
    }
}

template <class Line>
void Generate(const Snapshot<Line>& snapshot,
              const QueryTerms& query,
              const MatchConfig& config,
              const CorpusStatistics* statistics,
              bool list_class_only,
              QueryScratch& scratch,
              MatchResult& result) {
    const double n = CollectionSize(snapshot, statistics);
    const double avgdl = AverageLength(snapshot, statistics);
    const double k1 = config.bm25_k1;
    const double b = config.bm25_b;
    scratch.Begin(snapshot.doc_space());
    std::vector<double>& acc = scratch.acc;
    std::vector<std::uint32_t>& stamp = scratch.stamp;
    const std::uint32_t epoch = scratch.epoch;
    std::vector<std::size_t>& touched = scratch.touched;
    std::vector<std::size_t>& class_only = scratch.class_only;
    std::size_t class_only_count = 0;
    // Term weights in query-term order (df looked up once per term, as before: the unpinned
    // terms are reported in that order).
    std::vector<std::pair<const std::string*, double>>& weights = scratch.term_weights;
    weights.clear();
    for (const auto& [term, qw] : query.weighted) {
        const std::uint32_t df =
            QueryDocumentFrequencyOf(snapshot, term, statistics, &result.unpinned_terms);
        if (df == 0) continue;
        const double dfd = static_cast<double>(df);
        const double idf = std::log(1.0 + (n - dfd + 0.5) / (dfd + 0.5));
        weights.emplace_back(&term, qw * idf);
    }
    std::vector<PostingCursor>& cursors = scratch.cursors;
    std::vector<PostingCursor>& class_cursors = scratch.class_cursors;
    for (std::size_t s = 0; s < snapshot.segment_count(); ++s) {
        const Segment<Line>& segment = snapshot.segment(s);
        const std::size_t base = snapshot.segment_base(s);
        const std::uint32_t* lengths = segment.lengths.data();
        cursors.clear();
        for (const auto& [term, term_weight] : weights) {
            const std::span<const Posting> postings = segment.Find(*term);
            if (!postings.empty()) {
                cursors.push_back(
                    {postings.data(), postings.data() + postings.size(), term_weight});
            }
        }
        std::vector<std::size_t>& class_cursor_terms = scratch.class_cursor_terms;
        OpenCursors(segment, query.class_terms, class_cursors, &class_cursor_terms);
        if (cursors.empty() && class_cursors.empty()) continue;
        const bool has_deleted = snapshot.HasDeleted(s);
        // Counting: the terms with a dense bitset (Segment::class_bits) are counted by popcount
        // after the blocks (their union in `dense`); the posting loops then count only the other
        // classification terms' docs outside that union.
        const std::uint64_t* dense = nullptr;
        if (!list_class_only) {
            std::size_t kept = 0;
            std::size_t dense_terms = 0;
            for (std::size_t i = 0; i < class_cursors.size(); ++i) {
                const std::vector<std::uint64_t>* bits =
                    segment.ClassBits(query.class_terms[class_cursor_terms[i]]);
                if (bits == nullptr) {
                    class_cursors[kept++] = class_cursors[i];
                    continue;
                }
                if (dense_terms++ == 0) {
                    dense = bits->data();
                    scratch.dense_words.assign(bits->begin(), bits->end());
                } else {
                    for (std::size_t w = 0; w < bits->size(); ++w) {
                        scratch.dense_words[w] |= (*bits)[w];
                    }
                }
            }
            class_cursors.resize(kept);
            if (dense_terms > 1) dense = scratch.dense_words.data();
        }
        auto in_dense = [dense](std::uint32_t doc) {
            return dense != nullptr && ((dense[doc / 64] >> (doc % 64)) & 1U) != 0;
        };
        const std::size_t touched_begin = touched.size();
        const bool one_class_cursor = class_cursors.size() == 1 && dense == nullptr;
        std::uint32_t* const stamps = stamp.data();  // locals: not reloaded per posting
        double* const sums = acc.data();
        const auto docs = static_cast<std::uint32_t>(segment.lines.size());
        // The posting loops, instantiated with and without the tombstone test.
        auto run_blocks = [&](auto dead_tested) {
            constexpr bool kTestDead = decltype(dead_tested)::value;
            auto dead = [&](std::uint32_t doc) { return kTestDead && snapshot.Deleted(s, doc); };
            for (std::uint32_t lo = 0; lo < docs; lo += kGenerateBlock) {
                const std::uint32_t hi = docs - lo > kGenerateBlock ? lo + kGenerateBlock : docs;
                for (PostingCursor& c : cursors) {
                    const double term_weight = c.term_weight;
                    const Posting* it = c.next;
                    for (; it != c.end && it->doc < hi; ++it) {
                        const Posting& p = *it;
                        if (dead(p.doc)) continue;
                        const double tf = static_cast<double>(p.tf);
                        const double len = static_cast<double>(lengths[p.doc]);
                        const double norm = k1 * (1 - b + b * len / avgdl);
                        const std::size_t g = base + p.doc;
                        if (stamps[g] != epoch) {
                            stamps[g] = epoch;
                            sums[g] = 0.0;
                            touched.push_back(g);
                        }
                        sums[g] += term_weight * tf * (k1 + 1) / (tf + norm);
                    }
                    c.next = it;
                }
                for (PostingCursor& c : class_cursors) {
                    const Posting* it = c.next;
                    // Most of a common division's postings hit lines the text terms already
                    // touched: only the stamp test, with every pointer in a local.
                    if (list_class_only) {
                        for (; it != c.end && it->doc < hi; ++it) {
                            const std::uint32_t doc = it->doc;
                            const std::size_t g = base + doc;
                            if (stamps[g] == epoch || dead(doc)) continue;
                            stamps[g] = epoch;
                            class_only.push_back(g);
                        }
                    } else if (one_class_cursor) {
                        std::size_t counted = 0;
                        for (; it != c.end && it->doc < hi; ++it) {
                            const std::uint32_t doc = it->doc;
                            counted +=
                                static_cast<std::size_t>(stamps[base + doc] != epoch && !dead(doc));
                        }
                        class_only_count += counted;
                    } else {
                        for (; it != c.end && it->doc < hi; ++it) {
                            const std::uint32_t doc = it->doc;
                            const std::size_t g = base + doc;
                            if (stamps[g] == epoch || stamps[g] == epoch + 1 || in_dense(doc) ||
                                dead(doc)) {
                                continue;
                            }
                            stamps[g] = epoch + 1;
                            ++class_only_count;
                        }
                    }
                    c.next = it;
                }
            }
        };
        if (has_deleted) {
            run_blocks(std::true_type{});
        } else {
            run_blocks(std::false_type{});
        }
        if (dense != nullptr) {
            // |union \ (text-touched u tombstoned)|: the text-touched docs are live, the
            // tombstoned ones never touched, so both are subtracted separately.
            const std::size_t words = (docs + 63) / 64;
            std::size_t count = 0;
            for (std::size_t w = 0; w < words; ++w) {
                count += static_cast<std::size_t>(std::popcount(dense[w]));
            }
            for (std::size_t i = touched_begin; i < touched.size(); ++i) {
                if (in_dense(static_cast<std::uint32_t>(touched[i] - base))) --count;
            }
            for (const std::uint32_t doc : snapshot.DeletedDocs(s)) {
                if (in_dense(doc)) --count;
            }
            class_only_count += count;
        }
    }
    scratch.class_only_count = list_class_only ? class_only.size() : class_only_count;
}

// Lists the classification-only docs that Generate(list_class_only = false) counted, in the same
// order as Generate(list_class_only = true) would have listed them (segment, block, cursor,
// doc). Must follow that Generate on the same scratch (it relies on its text stamps).
template <class Line>
void ListClassOnly(const Snapshot<Line>& snapshot, const QueryTerms& query, QueryScratch& scratch) {
    std::vector<std::size_t>& class_only = scratch.class_only;
    class_only.clear();
    std::uint32_t* const stamps = scratch.stamp.data();
    const std::uint32_t epoch = scratch.epoch;
    std::vector<PostingCursor>& class_cursors = scratch.class_cursors;
    for (std::size_t s = 0; s < snapshot.segment_count(); ++s) {
        const Segment<Line>& segment = snapshot.segment(s);
        const std::size_t base = snapshot.segment_base(s);
        OpenCursors(segment, query.class_terms, class_cursors);
        if (class_cursors.empty()) continue;
        const auto docs = static_cast<std::uint32_t>(segment.lines.size());
        for (std::uint32_t lo = 0; lo < docs; lo += kGenerateBlock) {
            const std::uint32_t hi = docs - lo > kGenerateBlock ? lo + kGenerateBlock : docs;
            for (PostingCursor& c : class_cursors) {
                const Posting* it = c.next;
                for (; it != c.end && it->doc < hi; ++it) {
                    const std::uint32_t doc = it->doc;
                    const std::size_t g = base + doc;
                    // Text-touched (epoch) or listed already; epoch + 1 = counted, not listed.
                    if (stamps[g] == epoch || snapshot.Deleted(s, doc)) continue;
                    stamps[g] = epoch;
                    class_only.push_back(g);
                }
                c.next = it;
            }
        }
    }
    scratch.class_only_count = class_only.size();
}

// The line id of global doc number `g` (few segments: linear).
template <class Line>
LineId GlobalId(const Snapshot<Line>& snapshot, std::size_t g) {
    std::size_t s = snapshot.segment_count() - 1;
    while (snapshot.segment_base(s) > g) --s;
    return snapshot.segment(s).ids[g - snapshot.segment_base(s)];
}

// `ceilings[f]` is the largest value feature f can take for this query (1, or the neutral value
// when the query side lacks the information, or the exact value when it depends on the query
// side only); it tightens the pruning bound. `evaluate(segment, doc, line, text_value, worst,
// out)` filters (and scores into `out`) one candidate; `worst` is the k-th best candidate so
// far, or null while fewer than k are kept (then it must not prune).
template <class Line, class Evaluate>
MatchResult RunQuery(const Snapshot<Line>& snapshot,
                     const QueryTerms& query,
                     std::size_t k,
                     const MatchConfig& config,
                     const std::array<double, kFeatureCount>& ceilings,
                     const CorpusStatistics* statistics,
                     Evaluate&& evaluate) {
    MatchResult result;
    result.config_version = config.version;
    if (k == 0 || snapshot.live_count() == 0) return result;
    QueryScratch& scratch = ThreadScratch();
    Generate(snapshot, query, config, statistics, /*list_class_only=*/true, scratch, result);
    const std::vector<double>& acc = scratch.acc;
    std::vector<std::size_t>& touched = scratch.touched;
    std::vector<std::size_t>& class_only = scratch.class_only;
    std::vector<Ranked>& heap = scratch.heap;
    heap.reserve(touched.size());
    for (std::size_t g : touched) heap.push_back({acc[g], g});
    result.generated = heap.size() + class_only.size();
    auto id_of = [&snapshot](std::size_t g) { return GlobalId(snapshot, g); };
    // Equal raw BM25: the smaller line id pops first (doc numbers are no tie-break: index.hpp).
    auto by_text = [&id_of](const Ranked& x, const Ranked& y) {
        if (x.text_raw != y.text_raw) return x.text_raw < y.text_raw;
        return id_of(x.doc) > id_of(y.doc);
    };
    std::make_heap(heap.begin(), heap.end(), by_text);
    // Text relevance is normalised by the best raw BM25 among the generated candidates.
    double best_raw = heap.empty() ? 0.0 : heap.front().text_raw;
    if (!class_only.empty()) best_raw = std::max(best_raw, 0.0);  // their raw BM25 is 0
    auto locate = [&snapshot](std::size_t g) {
        // The segment holding the global doc number (few segments: linear).
        std::size_t s = snapshot.segment_count() - 1;
        while (snapshot.segment_base(s) > g) --s;
        return std::pair<std::size_t, std::uint32_t>(
            s, static_cast<std::uint32_t>(g - snapshot.segment_base(s)));
    };
    auto line_at = [&](std::size_t g) -> const Line& {
        const auto [s, d] = locate(g);
        return snapshot.segment(s).lines[d];
    };
    result.text_normaliser = best_raw;
    if (best_raw > 0) {
        // The line that sets the normaliser: smallest id among the lines with the best raw BM25.
        for (std::size_t g : touched) {
            if (acc[g] != best_raw) continue;
            const LineId id = line_at(g).id;
            if (result.text_normaliser_id == 0 || id < result.text_normaliser_id) {
                result.text_normaliser_id = id;
            }
        }
    }
    double rest = 0;  // upper bound of every non-text feature's contribution
    for (std::size_t f = 1; f < kFeatureCount; ++f) {
        rest += std::max(0.0, config.weights[f]) * ceilings[f];
    }
    const double text_weight = config.Weight(Feature::kText);
    std::vector<Candidate> top;  // a heap whose front is the worst kept candidate
    Candidate candidate;         // reused: evaluate overwrites it whenever the line passes
    bool class_only_merged = class_only.empty();
    // Once the text candidates are exhausted, the classification-only ones (all raw 0, visited
    // in line id order, as the heap would pop them) are read straight from the sorted list.
    bool class_only_linear = false;
    std::size_t class_only_next = 0;
    for (;;) {
        if (!class_only_merged && (heap.empty() || heap.front().text_raw <= 0)) {
            if (heap.empty()) {
                std::vector<std::pair<LineId, std::size_t>> by_id;
                by_id.reserve(class_only.size());
                for (std::size_t g : class_only) by_id.emplace_back(id_of(g), g);
                std::sort(by_id.begin(), by_id.end());
                for (std::size_t i = 0; i < by_id.size(); ++i) class_only[i] = by_id[i].second;
                class_only_linear = true;
            } else {
                for (std::size_t g : class_only) heap.push_back({0.0, g});
                std::make_heap(heap.begin(), heap.end(), by_text);
            }
            class_only_merged = true;
        }
        Ranked next{};
        if (class_only_linear) {
            if (class_only_next == class_only.size()) break;
            if constexpr (std::is_same_v<Line, SupplyLine>) {
                // The visit reads the compact record first; these lines are visited in id order
                // (scattered over the doc space), so fetch the records a few lines ahead:
                // the record, then (once it has arrived) its classification and area entries.
                if (class_only_next + kPrefetchFar < class_only.size()) {
                    const auto [ps, pd] = locate(class_only[class_only_next + kPrefetchFar]);
                    PrefetchRecord(snapshot.segment(ps).records.lines[pd]);
                }
                if (class_only_next + kPrefetchNear < class_only.size()) {
                    const auto [ps, pd] = locate(class_only[class_only_next + kPrefetchNear]);
                    const SupplyRecords& r = snapshot.segment(ps).records;
                    const SupplyRecord& record = r.lines[pd];
                    if (record.class_count > 0)
                        __builtin_prefetch(&r.classes[record.classes_begin]);
                    if (record.service_count + record.excluded_count > 0) {
                        __builtin_prefetch(&r.areas[record.areas_begin]);
                    }
                }
            }
            next = {0.0, class_only[class_only_next++]};
        } else {
            if (heap.empty()) break;
            std::pop_heap(heap.begin(), heap.end(), by_text);
            next = heap.back();
            heap.pop_back();
        }
        const double text_value = best_raw > 0 ? next.text_raw / best_raw : 0.0;
        // Bound with a small slack so floating-point rounding can never prune a true top-k line.
        const double bound = text_weight * text_value + rest + 1e-9;
        if (top.size() == k && bound < top.front().score) break;
        ++result.examined;
        const auto [s, d] = locate(next.doc);
        const Line& line = snapshot.segment(s).lines[d];
        const Outcome outcome =
            evaluate(s, d, line, text_value, top.size() == k ? &top.front() : nullptr, candidate);
        if (outcome.pruned) {
            ++result.pruned;
            continue;
        }
        if (outcome.failed != Filter::kCount) {
            ++result.rejected[static_cast<std::size_t>(outcome.failed)];
            continue;
        }
        OfferToTopK(top, k, std::move(candidate));
    }
    std::sort(top.begin(), top.end(), BetterCandidate);
    result.candidates = std::move(top);
    return result;
}

std::array<double, kFeatureCount> Ceilings(double value) {
    std::array<double, kFeatureCount> out{};
    out.fill(value);
    return out;
}

QueryTerms DemandQuery(const DemandLine& demand, const MatchConfig& config) {
    std::map<std::string, double> terms;
    AddQueryText(demand.title, 1.0, terms);
    AddQueryText(demand.description, config.description_query_weight, terms);
    QueryTerms query;
    query.weighted.assign(terms.begin(), terms.end());
    query.class_terms = CompatibleClassTerms(AllClasses(demand), config.min_class_prefix);
    return query;
}

QueryTerms SupplyQuery(const SupplyLine& supply, const MatchConfig& config) {
    std::map<std::string, double> terms;
    AddQueryText(supply.title, 1.0, terms);
    // As in IndexTerms: brand/model add only terms the title does not already have.
    std::map<std::string, double> extra;
    AddQueryText(supply.brand, 1.0, extra);
    AddQueryText(supply.model, 1.0, extra);
    const std::string code = ModelCodeTerm(supply.model);
    if (!code.empty()) extra[code] = 1.0;
    for (const auto& [term, weight] : extra) terms.emplace(term, weight);
    AddQueryText(supply.description, config.description_query_weight, terms);
    QueryTerms query;
    query.weighted.assign(terms.begin(), terms.end());
    query.class_terms = CompatibleClassTerms(AllClasses(supply), config.min_class_prefix);
    return query;
}

// The filters the line record does not cover (certifications, requirements), in filter order.
Filter LineOnlyFilters(const PreparedDemand& prepared,
                       const SupplyLine& supply,
                       const MatchContext& context) {
    const DemandLine& demand = prepared.line;
    if (!CertificationsHeld(prepared, supply, context.today)) return Filter::kCertifications;
    for (std::size_t r = 0; r < demand.requirements.size(); ++r) {
        if (demand.requirements[r].mandatory &&
            !CheckRequirement(prepared, r, supply, context).met) {
            return Filter::kRequirements;
        }
    }
    return Filter::kCount;
}

Filter FirstFailingFilterPrepared(const PreparedDemand& prepared,
                                  const SupplyLine& supply,
                                  const MatchConfig& config,
                                  const MatchContext& context) {
    const DemandLine& demand = prepared.line;
    const Day today = context.today;
    if (supply.status != "active" || demand.status != "open") return Filter::kLineActive;
    if (supply.price_valid_until && *supply.price_valid_until < today) return Filter::kPriceValid;
    if (demand.response_deadline && *demand.response_deadline < today) {
        return Filter::kResponseOpen;
    }
    if (!ClassificationCompatiblePrepared(prepared.class_prefixes, supply,
                                          config.min_class_prefix)) {
        return Filter::kClassification;
    }
    if (supply.second_hand && !demand.second_hand_allowed) return Filter::kSecondHand;
    if (!RegionServed(demand, supply)) return Filter::kRegion;
    if (demand.need_by && supply.lead_time_days &&
        today + *supply.lead_time_days > *demand.need_by) {
        return Filter::kLeadTime;
    }
    if (supply.min_order_qty > demand.quantity) return Filter::kMinOrderQty;
    if (demand.energy_efficiency_min &&
        (!supply.energy_efficiency_grade ||
         *supply.energy_efficiency_grade > *demand.energy_efficiency_min)) {
        return Filter::kEnergyFloor;
    }
    if (demand.localization_rate_min &&
        (!supply.localization_rate || *supply.localization_rate < *demand.localization_rate_min)) {
        return Filter::kLocalisationFloor;
    }
    return LineOnlyFilters(prepared, supply, context);
}

Candidate ScorePairPrepared(const PreparedDemand& prepared,
                            const SupplyLine& supply,
                            double text_value,
                            const MatchConfig& config,
                            const MatchContext& context) {
    const DemandLine& demand = prepared.line;
    Candidate candidate;
    candidate.id = supply.id;
    std::array<double, kFeatureCount> values{};
    values[static_cast<std::size_t>(Feature::kText)] = Clamp01(text_value);
    values[static_cast<std::size_t>(Feature::kClassification)] =
        ClassificationValue(demand, supply, context);
    values[static_cast<std::size_t>(Feature::kRequirementFit)] =
        RequirementFitValue(prepared, supply, context);
    values[static_cast<std::size_t>(Feature::kPrice)] = PriceValue(demand, supply);
    values[static_cast<std::size_t>(Feature::kCapacity)] = CapacityValue(demand, supply);
    values[static_cast<std::size_t>(Feature::kLeadTimeSlack)] =
        LeadTimeValue(demand, supply, context.today);
    values[static_cast<std::size_t>(Feature::kRegion)] = RegionValue(demand, supply);
    values[static_cast<std::size_t>(Feature::kEnergyLocal)] = EnergyLocalValue(supply);
    values[static_cast<std::size_t>(Feature::kChainAffinity)] = ChainValue(demand, supply, context);
    values[static_cast<std::size_t>(Feature::kFreshness)] =
        FreshnessValue(supply, context.today, config.freshness_half_life_days);
    // Fixed summation order: Feature order, left to right.
    double score = 0;
    for (std::size_t f = 0; f < kFeatureCount; ++f) {
        FeatureExplanation& e = candidate.features[f];
        e.feature = static_cast<Feature>(f);
        e.value = values[f];
        e.weight = config.weights[f];
        e.contribution = e.weight * e.value;
        score += e.contribution;
    }
    candidate.score = score;
    for (std::size_t i = 0; i < kFilterCount; ++i) {
        candidate.filters_passed[i] = static_cast<Filter>(i);
    }
    return candidate;
}

}  // namespace

std::string_view FilterName(Filter filter) {
    const auto i = static_cast<std::size_t>(filter);
    return i < kFilterCount ? kFilterNames[i] : std::string_view("none");
}

std::string_view FeatureName(Feature feature) {
    const auto i = static_cast<std::size_t>(feature);
    return i < kFeatureCount ? kFeatureNames[i] : std::string_view("none");
}

Filter FirstFailingFilter(const DemandLine& demand,
                          const SupplyLine& supply,
                          const MatchConfig& config,
                          const MatchContext& context) {
    return FirstFailingFilterPrepared(PreparedDemand(demand), supply, config, context);
}

Candidate ScorePair(const DemandLine& demand,
                    const SupplyLine& supply,
                    double text_value,
                    const MatchConfig& config,
                    const MatchContext& context) {
    return ScorePairPrepared(PreparedDemand(demand), supply, text_value, config, context);
}

CorpusStatistics CorpusStatistics::Of(const SupplySnapshot& snapshot) {
    CorpusStatistics out;
    out.live_count = snapshot.live_count();
    out.average_length = snapshot.average_length();
    return out;
}

std::size_t CorpusStatistics::Pin(std::span<const std::pair<std::string, std::uint32_t>> terms) {
    std::size_t added = 0;
    for (const auto& [term, df] : terms) added += document_frequency.emplace(term, df).second;
    return added;
}

std::uint32_t QueryDocumentFrequency(const SupplySnapshot& snapshot,
                                     const std::string& term,
                                     const CorpusStatistics* statistics,
                                     std::vector<std::pair<std::string, std::uint32_t>>* unpinned) {
    return QueryDocumentFrequencyOf(snapshot, term, statistics, unpinned);
}

PairText DemandPairText(const SupplySnapshot& snapshot,
                        const DemandLine& demand,
                        const SupplyLine& line,
                        const MatchConfig& config,
                        const CorpusStatistics* statistics,
                        std::vector<std::pair<std::string, std::uint32_t>>* unpinned) {
    PairText out;
    if (snapshot.live_count() == 0) return out;
    const QueryTerms query = DemandQuery(demand, config);
    const auto terms = IndexTerms(line, snapshot.options());
    std::uint32_t length = 0;
    for (const auto& term : terms) length += term.second;
    // Same operations, in the same order (query terms sorted), as RunQuery's accumulation.
    const double n = CollectionSize(snapshot, statistics);
    const double avgdl = AverageLength(snapshot, statistics);
    const double k1 = config.bm25_k1;
    const double b = config.bm25_b;
    double acc = 0.0;
    for (const auto& [term, qw] : query.weighted) {
        auto it = std::lower_bound(terms.begin(), terms.end(), term,
                                   [](const std::pair<std::string, std::uint32_t>& e,
                                      const std::string& key) { return e.first < key; });
        if (it == terms.end() || it->first != term) continue;
        const std::uint32_t df = QueryDocumentFrequencyOf(snapshot, term, statistics, unpinned);
        if (df == 0) continue;
        const double dfd = static_cast<double>(df);
        const double idf = std::log(1.0 + (n - dfd + 0.5) / (dfd + 0.5));
        const double term_weight = qw * idf;
        const double tf = static_cast<double>(it->second);
        const double len = static_cast<double>(length);
        const double norm = k1 * (1 - b + b * len / avgdl);
        acc += term_weight * tf * (k1 + 1) / (tf + norm);
        out.generated = true;
    }
    out.raw = acc;
    if (!out.generated && !query.class_terms.empty()) {
        const auto line_classes = ClassTerms(line.classification, line.additional_classifications);
        for (const std::string& term : query.class_terms) {
            if (std::binary_search(line_classes.begin(), line_classes.end(), term)) {
                out.generated = true;
                break;
            }
        }
    }
    return out;
}

MatchResult MatchDemand(const SupplySnapshot& snapshot,
                        const DemandLine& demand,
                        std::size_t k,
                        const MatchConfig& config,
                        const MatchContext& context) {
    MatchResult result;
    result.config_version = config.version;
    if (k == 0 || snapshot.live_count() == 0) return result;
    const QueryTerms query = DemandQuery(demand, config);
    const PreparedDemand prepared(demand);
    auto ceilings = Ceilings(1.0);
    auto neutral_unless = [&](Feature f, bool known) {
        if (!known) ceilings[static_cast<std::size_t>(f)] = kNeutral;
    };
    neutral_unless(Feature::kClassification, !AllClasses(demand).empty());
    neutral_unless(Feature::kRequirementFit, !demand.requirements.empty());
    neutral_unless(Feature::kPrice, demand.budget_amount && *demand.budget_amount > 0);
    neutral_unless(Feature::kCapacity, demand.quantity > 0);
    neutral_unless(Feature::kLeadTimeSlack, demand.need_by.has_value());
    neutral_unless(Feature::kRegion, !demand.delivery_region.empty());
    neutral_unless(Feature::kChainAffinity, context.chains != nullptr);
    double rest = 0;  // upper bound of every non-text feature's contribution
    for (std::size_t f = 1; f < kFeatureCount; ++f) {
        rest += std::max(0.0, config.weights[f]) * ceilings[f];
    }
    const RecordQuery records(demand, config, context);
    const double text_weight = config.Weight(Feature::kText);
    constexpr double kSlack = RecordQuery::kSlack;

    QueryScratch& scratch = ThreadScratch();
    // Classification-only lines are counted, not listed: they are listed (ListClassOnly) only
    // if the k-th score is still within their reach after the text candidates (below).
    Generate(snapshot, query, config, context.statistics, /*list_class_only=*/false, scratch,
             result);
    std::vector<double>& acc = scratch.acc;
    const std::vector<std::size_t>& touched = scratch.touched;
    const std::vector<std::size_t>& class_only = scratch.class_only;
    const std::size_t class_only_count = scratch.class_only_count;
    result.generated = touched.size() + class_only_count;
    auto locate = [&snapshot](std::size_t g) {
        std::size_t s = snapshot.segment_count() - 1;
        while (snapshot.segment_base(s) > g) --s;
        return std::pair<std::size_t, std::uint32_t>(
            s, static_cast<std::uint32_t>(g - snapshot.segment_base(s)));
    };

    // Seeds: the best `seed_count` text candidates (a bounded heap over one scan of `touched`),
    // which also give the normaliser. Better = larger raw BM25, then smaller line id (not doc:
    // which seeds are evaluated decides the first k-th score, hence examined/rejected/pruned).
    auto id_of = [&snapshot](std::size_t g) { return GlobalId(snapshot, g); };
    auto better_text = [&id_of](const Ranked& x, const Ranked& y) {
        if (x.text_raw != y.text_raw) return x.text_raw > y.text_raw;
        return id_of(x.doc) < id_of(y.doc);
    };
    std::vector<Ranked>& seeds = scratch.seeds;
    const std::size_t seed_count =
        k >= touched.size() ? touched.size() : std::min(touched.size(), 2 * k + 32);
    for (std::size_t g : touched) {
        const Ranked r{acc[g], g};
        if (seeds.size() < seed_count) {
            seeds.push_back(r);
            std::push_heap(seeds.begin(), seeds.end(), better_text);
        } else if (better_text(r, seeds.front())) {
            std::pop_heap(seeds.begin(), seeds.end(), better_text);
            seeds.back() = r;
            std::push_heap(seeds.begin(), seeds.end(), better_text);
        }
    }
    std::sort(seeds.begin(), seeds.end(), better_text);
    // Text relevance is normalised by the best raw BM25 among the generated candidates.
    double best_raw = seeds.empty() ? 0.0 : seeds.front().text_raw;
    if (class_only_count > 0) best_raw = std::max(best_raw, 0.0);  // their raw BM25 is 0
    result.text_normaliser = best_raw;
    if (best_raw > 0) {
        // Smallest id among the lines with the best raw BM25: all of them are seeds unless every
        // seed ties with the best (then scan all).
        auto consider = [&](std::size_t g) {
            if (acc[g] != best_raw) return;
            const auto [s, d] = locate(g);
            const LineId id = snapshot.segment(s).lines[d].id;
            if (result.text_normaliser_id == 0 || id < result.text_normaliser_id) {
                result.text_normaliser_id = id;
            }
        };
        if (seeds.size() < touched.size() && seeds.back().text_raw == best_raw) {
            for (std::size_t g : touched) consider(g);
        } else {
            for (const Ranked& r : seeds) consider(r.doc);
        }
    }
    auto text_of = [best_raw](double raw) { return best_raw > 0 ? raw / best_raw : 0.0; };

    std::vector<Candidate> top;  // a heap whose front is the worst kept candidate
    auto full = [&] { return top.size() == k; };
    auto keep = [&](std::size_t s, std::uint32_t d, double text_value) {
        OfferToTopK(
            top, k,
            ScorePairPrepared(prepared, snapshot.segment(s).lines[d], text_value, config, context));
    };
    auto reject = [&](Filter f) { ++result.rejected[static_cast<std::size_t>(f)]; };

    // 1. Seeds, best text first, fully evaluated until k candidates are kept: their k-th score
    //    is a first lower bound of the final k-th score. Evaluated seeds are marked (acc < 0).
    for (const Ranked& seed : seeds) {
        if (full()) break;
        ++result.examined;
        const double text_value = text_of(seed.text_raw);
        acc[seed.doc] = -1.0;
        const auto [s, d] = locate(seed.doc);
        const Segment<SupplyLine>& segment = snapshot.segment(s);
        Filter failed = Filter::kCount;
        if (segment.records.lines[d].Has(SupplyRecord::kExactOnLine)) {
            failed = FirstFailingFilterPrepared(prepared, segment.lines[d], config, context);
        } else {
            failed = records.FirstFailing(segment.records, d);
            if (failed == Filter::kCount)
                failed = LineOnlyFilters(prepared, segment.lines[d], context);
        }
        if (failed != Filter::kCount) {
            reject(failed);
            continue;
        }
        keep(s, d, text_value);
    }

    // 2. Screening, one linear pass per candidate list with the records prefetched: a candidate
    //    whose global bound (w_text * text + rest) cannot reach the current k-th score is skipped
    //    without reading anything; the others get the record filters (counted) and, passing,
    //    their per-record bound; those that can still reach the k-th score become survivors.
    std::vector<Survivor>& survivors = scratch.survivors;
    //    Two passes: the global bound first (reads only the accumulator, in doc order), then the
    //    records of the lines left, prefetched in two stages (the record kFar ahead; the
    //    classification codes and areas it points to kNear ahead, once it has arrived): the
    //    side-array reads were the stall of the one-pass screening.
    std::vector<Pending>& pending = scratch.pending;
    auto screen = [&](const std::vector<std::size_t>& list, bool text) {
        pending.clear();
        for (const std::size_t g : list) {
            const double raw = text ? acc[g] : 0.0;
            if (raw < 0) continue;  // an evaluated seed
            const double text_value = text_of(raw);
            if (full() && text_weight * text_value + rest + kSlack < top.front().score) continue;
            pending.push_back({text_value, g});
        }
        // Pass 1: the hot records (32 B, one cache line each) decide the filters up to the
        // region for kMasked lines; the rejected ones (most: the region filter) never touch the
        // full record or its side arrays. The lines left go to `later` for pass 2. Nothing here
        // depends on the order of the lines (the k-th score does not move during screening).
        std::vector<Pending>& later = scratch.later;
        later.clear();
        std::vector<RecordQuery::SegmentMasks>& masks = scratch.masks;
        masks.clear();
        for (std::size_t s = 0; s < snapshot.segment_count(); ++s) {
            masks.push_back(records.Masks(snapshot.segment(s).records));
        }
        constexpr std::size_t kHotFar = 32;
        const std::size_t count = pending.size();
        for (std::size_t i = 0; i < count; ++i) {
            if (i + kHotFar < count) {
                const auto [ps, pd] = locate(pending[i + kHotFar].doc);
                __builtin_prefetch(&snapshot.segment(ps).records.hot[pd]);
            }
            Pending& p = pending[i];
            ++result.examined;
            const auto [s, d] = locate(p.doc);
            const SupplyRecords& segment_records = snapshot.segment(s).records;
            const HotRecord& hot = segment_records.hot[d];
            if ((hot.flags & SupplyRecord::kExactOnLine) != 0) {
                survivors.push_back({text_weight * p.text_value + rest, p.text_value, p.doc});
                continue;
            }
            if ((hot.flags & SupplyRecord::kMasked) != 0) {
                const Filter failed = records.HotFilters(segment_records, masks[s], d);
                if (failed != Filter::kCount) {
                    reject(failed);
                    continue;
                }
                p.hot_passed = true;
            }
            later.push_back(p);
        }
        // Pass 2: the full records of the lines left, prefetched in two stages (the record kFar
        // ahead; the classification codes and areas it points to kNear ahead, once it has
        // arrived): the rest of the record filters (all of them for an unmasked line), then the
        // per-record bound.
        constexpr std::size_t kFar = 64;
        constexpr std::size_t kNear = 32;
        const std::size_t later_count = later.size();
        for (std::size_t i = 0; i < later_count; ++i) {
            if (i + kFar < later_count) {
                const auto [ps, pd] = locate(later[i + kFar].doc);
                PrefetchRecord(snapshot.segment(ps).records.lines[pd]);
            }
            if (i + kNear < later_count) {
                const auto [ps, pd] = locate(later[i + kNear].doc);
                const SupplyRecords& r = snapshot.segment(ps).records;
                const SupplyRecord& record = r.lines[pd];
                if (record.class_count > 0) __builtin_prefetch(&r.classes[record.classes_begin]);
                if (record.service_count + record.excluded_count > 0) {
                    __builtin_prefetch(&r.areas[record.areas_begin]);
                }
            }
            const std::size_t g = later[i].doc;
            const double text_value = later[i].text_value;
            const double text_part = text_weight * text_value;
            const auto [s, d] = locate(g);
            const SupplyRecords& segment_records = snapshot.segment(s).records;
            const Filter failed = later[i].hot_passed ? records.LaterFilters(segment_records, d)
                                                      : records.FirstFailing(segment_records, d);
            if (failed != Filter::kCount) {
                reject(failed);
                continue;
            }
            const double bound = text_part + records.RestUpper(segment_records, d);
            if (full() && bound + kSlack < top.front().score) {
                ++result.pruned;
                continue;
            }
            survivors.push_back({bound, text_value, g});
        }
    };

    // 3. The visit: survivors in descending bound, the certification/requirement filters and the
    //    score, until the best remaining bound cannot reach the k-th score.
    //    Equal bounds: the smaller line id first (the visit order decides which of them are
    //    visited before the k-th score passes them, hence the rejected and pruned counts).
    auto by_bound = [&id_of](const Survivor& x, const Survivor& y) {
        if (x.bound != y.bound) return x.bound < y.bound;
        return id_of(x.doc) > id_of(y.doc);
    };
    auto visit = [&](double down_to) {
        while (!survivors.empty() && survivors.front().bound >= down_to) {
            if (full() && survivors.front().bound + kSlack < top.front().score) return;
            std::pop_heap(survivors.begin(), survivors.end(), by_bound);
            const Survivor next = survivors.back();
            survivors.pop_back();
            const auto [s, d] = locate(next.doc);
            const Segment<SupplyLine>& segment = snapshot.segment(s);
            const SupplyLine& line = segment.lines[d];
            const Filter failed = segment.records.lines[d].Has(SupplyRecord::kExactOnLine)
                                      ? FirstFailingFilterPrepared(prepared, line, config, context)
                                      : LineOnlyFilters(prepared, line, context);
            if (failed != Filter::kCount) {
                reject(failed);
                continue;
            }
            keep(s, d, next.text_value);
        }
    };
    screen(touched, true);
    std::make_heap(survivors.begin(), survivors.end(), by_bound);
    if (class_only_count > 0) {
        // Every classification-only candidate's bound is at most w_text * 0 + rest: visit the
        // text survivors above that first (the k-th score can only rise), then list and screen
        // the classification-only ones unless the k-th score is already out of their reach.
        const double class_only_bound = text_weight * 0.0 + rest;
        visit(class_only_bound);
        if (!(full() && class_only_bound + kSlack < top.front().score)) {
            ListClassOnly(snapshot, query, scratch);
            const std::size_t before = survivors.size();
            screen(class_only, false);
            for (std::size_t i = before + 1; i <= survivors.size(); ++i) {
                std::push_heap(survivors.begin(),
                               survivors.begin() + static_cast<std::ptrdiff_t>(i), by_bound);
            }
        }
    }
    visit(-std::numeric_limits<double>::infinity());
    result.pruned += survivors.size();  // screened in, but below the final k-th score
    std::sort(top.begin(), top.end(), BetterCandidate);
    result.candidates = std::move(top);
    return result;
}

MatchResult MatchSupply(const DemandSnapshot& snapshot,
                        const SupplyLine& supply,
                        std::size_t k,
                        const MatchConfig& config,
                        const MatchContext& context) {
    const QueryTerms query = SupplyQuery(supply, config);
    auto ceilings = Ceilings(1.0);
    auto neutral_unless = [&](Feature f, bool known) {
        if (!known) ceilings[static_cast<std::size_t>(f)] = kNeutral;
    };
    neutral_unless(Feature::kClassification, !AllClasses(supply).empty());
    neutral_unless(Feature::kPrice, supply.price_amount && *supply.price_amount > 0);
    neutral_unless(Feature::kCapacity, supply.capacity_per_month.has_value());
    neutral_unless(Feature::kLeadTimeSlack, supply.lead_time_days.has_value());
    neutral_unless(Feature::kRegion, !supply.vendor_region.empty());
    neutral_unless(Feature::kChainAffinity, context.chains != nullptr);
    // These two depend on the supply line only: their exact value is the ceiling.
    ceilings[static_cast<std::size_t>(Feature::kEnergyLocal)] = EnergyLocalValue(supply);
    ceilings[static_cast<std::size_t>(Feature::kFreshness)] =
        FreshnessValue(supply, context.today, config.freshness_half_life_days);
    // Pinned statistics describe the supply corpus; the demand corpus uses its own.
    return RunQuery(snapshot, query, k, config, ceilings, nullptr,
                    [&](std::size_t, std::uint32_t, const DemandLine& line, double text_value,
                        const Candidate*, Candidate& out) {
                        Outcome outcome;
                        outcome.failed = FirstFailingFilter(line, supply, config, context);
                        if (outcome.failed == Filter::kCount) {
                            out = ScorePair(line, supply, text_value, config, context);
                            out.id = line.id;
                        }
                        return outcome;
                    });
}

ProjectMatch MatchProject(const SupplySnapshot& snapshot,
                          std::span<const DemandLine> lines,
                          std::size_t k,
                          std::size_t per_line_k,
                          const MatchConfig& config,
                          const MatchContext& context) {
    ProjectMatch out;
    out.config_version = config.version;
    out.demand_lines = lines.size();
    std::map<OrgId, VendorCoverage> vendors;
    for (const DemandLine& demand : lines) {
        const MatchResult result = MatchDemand(snapshot, demand, per_line_k, config, context);
        if (result.candidates.empty()) {
            out.uncovered.push_back(demand.id);
            continue;
        }
        // Best candidate per vendor for this line (candidates are already best-first).
        std::map<OrgId, const Candidate*> best;
        for (const Candidate& candidate : result.candidates) {
            const SupplyLine* line = snapshot.Find(candidate.id);
            if (line != nullptr) best.emplace(line->vendor_id, &candidate);
        }
        for (const auto& [vendor, candidate] : best) {
            VendorCoverage& coverage = vendors[vendor];
            coverage.vendor_id = vendor;
            ++coverage.lines_covered;
            coverage.total_score += candidate->score;
            coverage.lines.push_back({demand.id, candidate->id, candidate->score});
        }
    }
    for (auto& [vendor, coverage] : vendors) {
        coverage.mean_score = coverage.total_score / static_cast<double>(coverage.lines_covered);
        out.vendors.push_back(std::move(coverage));
    }
    std::sort(out.vendors.begin(), out.vendors.end(),
              [](const VendorCoverage& a, const VendorCoverage& b) {
                  if (a.lines_covered != b.lines_covered) return a.lines_covered > b.lines_covered;
                  if (a.total_score != b.total_score) return a.total_score > b.total_score;
                  return a.vendor_id < b.vendor_id;
              });
    if (out.vendors.size() > k) out.vendors.resize(k);
    return out;
}

}  // namespace renewmatch::matcher
