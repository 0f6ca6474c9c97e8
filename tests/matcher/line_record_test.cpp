// The compact supply-line record (matcher/line_record.hpp) and the record-pruned query:
//   * the record's filters give exactly FirstFailingFilter's answer for every filter before
//     certifications, on randomised lines and demands (missing values, expired certificates,
//     units, several classifications and schemes, empty and long strings);
//   * the record's feature values are bit-identical to ScorePair's;
//   * lines whose strings do not fit are marked for evaluation on the line;
//   * the hot record's filters (code-table masks) split FirstFailing exactly, also when a
//     segment has more distinct codes than its tables hold;
//   * MatchDemand equals an exhaustive pairwise reference (every generated line filtered and
//     scored), bit for bit: candidates, scores, generated, normaliser, and every rejected count
//     when fewer than k candidates come back; with k full, the same top k.
#include "matcher/line_record.hpp"

#include "matcher/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace renewmatch::matcher {
namespace {

class Random {
  public:
    explicit Random(unsigned seed) : rng_(seed) {}
    int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool Coin(double p) { return std::bernoulli_distribution(p)(rng_); }
    template <class T>
    const T& Pick(const std::vector<T>& v) {
        return v[static_cast<std::size_t>(Int(0, static_cast<int>(v.size()) - 1))];
    }

  private:
    std::mt19937 rng_;
};

const std::vector<std::string> kWords = {"数控", "车床",   "加工中心", "空压机",  "螺杆",
                                         "pump", "motor",  "servo",    "VMC-850", "FANUC",
                                         "ABB",  "电池包", "注塑机",   "laser",   "robot"};
const std::vector<std::string> kCodes = {"",           "42621100-6", "42622000-6", "42990000-2",
                                         "42000000-1", "31440000-2", "4",          "845710",
                                         "42621100",   "abc"};
const std::vector<std::string> kSchemes = {"CPV", "CPV", "CPV", "HS", "LONGSCHEME"};
const std::vector<std::string> kRegions = {"",     "32", "3205", "320505",   "44",
                                           "4403", "11", "3",    "32050512", "320505123"};
const std::vector<std::string> kCurrencies = {"CNY", "CNY", "USD", "", "VERYLONGCUR"};
const std::vector<std::string> kCerts = {"CE", "CCC", "ISO9001", "ｃｅ"};

std::string Text(Random& r, int lo, int hi) {
    std::string out;
    for (int i = r.Int(lo, hi); i > 0; --i) out += (out.empty() ? "" : " ") + r.Pick(kWords);
    return out;
}

Classification Class(Random& r) {
    Classification c;
    c.scheme = r.Pick(kSchemes);
    c.id = r.Pick(kCodes);
    if (r.Coin(0.02)) c.id = "123456789012345678";  // more digits than the record keeps
    return c;
}

SupplyLine RandomSupply(Random& r, LineId id) {
    SupplyLine s;
    s.id = id;
    s.vendor_id = r.Int(1, 9);
    s.title = Text(r, 1, 4);
    if (r.Coin(0.4)) s.description = Text(r, 0, 5);
    s.classification = Class(r);
    for (int i = r.Int(0, 2); i > 0; --i) s.additional_classifications.push_back(Class(r));
    if (r.Coin(0.7)) s.price_amount = r.Coin(0.05) ? 0.0 : r.Int(1, 100) * 1000.0;
    s.price_currency = r.Pick(kCurrencies);
    if (r.Coin(0.3)) s.price_valid_until = r.Int(90, 110);
    if (r.Coin(0.3)) s.min_order_qty = r.Int(0, 4) * 0.5;
    if (r.Coin(0.5)) s.capacity_per_month = r.Int(0, 10);
    if (r.Coin(0.6)) s.lead_time_days = r.Int(0, 90);
    for (int i = r.Int(0, 2); i > 0; --i) s.service_areas.push_back(r.Pick(kRegions));
    for (int i = r.Int(0, 1); i > 0; --i) s.excluded_areas.push_back(r.Pick(kRegions));
    for (int i = r.Int(0, 2); i > 0; --i) {
        Certification c{r.Pick(kCerts), "n", std::nullopt};
        if (r.Coin(0.4)) c.expires_at = r.Int(80, 200);
        s.certifications.push_back(c);
    }
    if (r.Coin(0.5)) s.energy_efficiency_grade = r.Int(1, 6);
    if (r.Coin(0.5)) s.localization_rate = r.Int(0, 10) / 10.0;
    s.first_of_kind = r.Coin(0.2);
    s.second_hand = r.Coin(0.2);
    if (r.Coin(0.5)) {
        s.attributes.push_back(
            {"power", r.Int(1, 20) * 1.0, {}, {}, r.Coin(0.5) ? "kW" : "hp", ""});
    }
    if (r.Coin(0.3)) {
        s.attributes.push_back({"controller", {}, {}, {}, "", r.Coin(0.5) ? "FANUC" : "Siemens"});
    }
    s.status = r.Coin(0.85) ? "active" : (r.Coin(0.5) ? "suspended" : "Active");
    s.vendor_region = r.Pick(kRegions);
    s.last_confirmed_at = r.Coin(0.3) ? 0 : r.Int(1, 120);
    return s;
}

DemandLine RandomDemand(Random& r, LineId id) {
    DemandLine d;
    d.id = id;
    d.title = Text(r, 1, 3);
    if (r.Coin(0.4)) d.description = Text(r, 0, 4);
    if (r.Coin(0.7)) d.classification = Class(r);
    if (r.Coin(0.2)) d.additional_classifications.push_back(Class(r));
    d.quantity = r.Coin(0.05) ? 0.0 : r.Int(1, 5);
    if (r.Coin(0.7)) d.budget_amount = r.Coin(0.05) ? 0.0 : r.Int(1, 300) * 1000.0;
    d.budget_currency = r.Pick(kCurrencies);
    d.delivery_region = r.Pick(kRegions);
    if (r.Coin(0.6)) d.need_by = r.Int(95, 200);
    if (r.Coin(0.2)) d.response_deadline = r.Int(95, 105);
    if (r.Coin(0.3)) d.certifications_required = {r.Pick(kCerts)};
    if (r.Coin(0.2)) d.energy_efficiency_min = r.Int(1, 4);
    if (r.Coin(0.2)) d.localization_rate_min = r.Int(0, 8) / 10.0;
    d.second_hand_allowed = r.Coin(0.4);
    if (r.Coin(0.4)) {
        Requirement q;
        q.name = "power";
        q.min = r.Int(1, 15);
        q.unit = "kW";
        q.mandatory = r.Coin(0.5);
        d.requirements.push_back(q);
    }
    d.status = r.Coin(0.95) ? "open" : "closed";
    return d;
}

struct World {
    std::unique_ptr<UnitSystem> units;
    MatchConfig config;
    MatchContext context;
    World() {
        std::string error;
        units = UnitSystem::Load(&error);
        context.today = 100;
        context.units = units.get();
    }
};

World& Shared() {
    static World world;
    return world;
}

bool Fits(const SupplyLine& s) {
    auto digits = [](const std::string& id) {
        std::size_t n = 0;
        for (char c : id) {
            if (c == '-') break;
            n += c >= '0' && c <= '9';
        }
        return n;
    };
    auto fits_class = [&](const Classification& c) {
        return c.id.empty() || (c.scheme.size() <= 8 && digits(c.id) <= 16);
    };
    bool fits = s.price_currency.size() <= 7 && fits_class(s.classification);
    for (const auto& c : s.additional_classifications) fits = fits && fits_class(c);
    for (const auto& a : s.service_areas) fits = fits && a.size() <= 8;
    for (const auto& a : s.excluded_areas) fits = fits && a.size() <= 8;
    return fits;
}

TEST(LineRecordTest, PackShortIsAPrefixPreservingEncoding) {
    ShortCode a;
    ShortCode b;
    ASSERT_TRUE(PackShort("32", a));
    ASSERT_TRUE(PackShort("320505", b));
    EXPECT_EQ(a.size, 2);
    EXPECT_EQ(b.bytes & 0xffff000000000000ULL, a.bytes);
    EXPECT_FALSE(PackShort("123456789", a));
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    ASSERT_TRUE(PackCurrency("CNY", x));
    ASSERT_TRUE(PackCurrency("CN", y));
    EXPECT_NE(x, y);
    EXPECT_FALSE(PackCurrency("ABCDEFGH", x));
}

TEST(LineRecordTest, RecordFiltersAndFeaturesEqualTheLineBasedOnes) {
    World& w = Shared();
    ASSERT_NE(w.units, nullptr);
    Random r(4242);
    std::vector<SupplyLine> lines;
    for (int i = 0; i < 600; ++i) lines.push_back(RandomSupply(r, i + 1));
    const SupplyRecords records = BuildSupplyRecords(lines);
    ASSERT_EQ(records.lines.size(), lines.size());
    std::size_t exact_on_line = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const bool flagged = records.lines[i].Has(SupplyRecord::kExactOnLine);
        EXPECT_EQ(flagged, !Fits(lines[i])) << "line " << i;
        exact_on_line += flagged;
    }
    EXPECT_GT(exact_on_line, 0u);
    EXPECT_LT(exact_on_line, lines.size() / 2);
    std::array<std::size_t, kFilterCount + 1> seen{};
    for (int q = 0; q < 150; ++q) {
        const DemandLine demand = RandomDemand(r, 1000 + q);
        // Half the demands with a taxonomy (classification then comes from the line).
        Taxonomy taxonomy;
        taxonomy.parent["4262"] = "42";
        taxonomy.parent["42"] = "";
        MatchContext context = w.context;
        if (q % 2 == 1) context.taxonomy = &taxonomy;
        const RecordQuery query(demand, w.config, context);
        for (std::uint32_t doc = 0; doc < lines.size(); ++doc) {
            const SupplyLine& line = lines[doc];
            if (records.lines[doc].Has(SupplyRecord::kExactOnLine)) continue;
            const Filter want = FirstFailingFilter(demand, line, w.config, context);
            const Filter got = query.FirstFailing(records, doc);
            ++seen[static_cast<std::size_t>(want)];
            if (want < Filter::kCertifications) {
                EXPECT_EQ(got, want) << "demand " << q << " line " << doc;
            } else {
                EXPECT_EQ(got, Filter::kCount) << "demand " << q << " line " << doc;
            }
            const Candidate scored = ScorePair(demand, line, 0.5, w.config, context);
            const auto values = query.FeatureValues(records, doc);
            std::size_t computed = 0;
            for (std::size_t f = 0; f < kFeatureCount; ++f) {
                if (std::isnan(values[f])) continue;
                ++computed;
                EXPECT_EQ(values[f], scored.features[f].value)
                    << FeatureName(static_cast<Feature>(f)) << " demand " << q << " line " << doc;
            }
            // Price, capacity, lead time, region, energy, freshness always; classification
            // without a taxonomy.
            EXPECT_EQ(computed, context.taxonomy == nullptr ? 7u : 6u);
            // The bound is an upper bound of the score's non-text part.
            double rest = 0;
            for (std::size_t f = 1; f < kFeatureCount; ++f) rest += scored.features[f].contribution;
            EXPECT_GE(query.RestBound(records, doc) + 1e-12, rest);
            // The screening bound (no exp/log/pow) is never below it, and barely above.
            EXPECT_GE(query.RestUpper(records, doc) + 1e-12, query.RestBound(records, doc));
            if (query.RestBound(records, doc) <= query.RestUpper(records, doc)) {
                EXPECT_LE(query.RestUpper(records, doc) - query.RestBound(records, doc), 1e-9);
            }
        }
    }
    // The random data reaches every filter (so the comparison above means something).
    for (std::size_t f = 0; f <= kFilterCount; ++f) {
        if (f == static_cast<std::size_t>(Filter::kResponseOpen)) continue;  // per demand
        EXPECT_GT(seen[f], 0u) << FilterName(static_cast<Filter>(f));
    }
}

// Every generated line filtered and scored (no bound at all), with DemandPairText's raw BM25
// (bit-identical to the query's accumulation).
struct Reference {
    std::vector<Candidate> top;
    std::array<std::uint64_t, kFilterCount> rejected{};
    std::uint64_t generated = 0;
    double normaliser = 0;
    LineId normaliser_id = 0;
};

Reference Exhaustive(const SupplySnapshot& snapshot,
                     const std::vector<SupplyLine>& lines,
                     const DemandLine& demand,
                     std::size_t k,
                     const MatchConfig& config,
                     const MatchContext& context) {
    Reference out;
    std::vector<std::pair<const SupplyLine*, double>> generated;
    for (const SupplyLine& line : lines) {
        const PairText text = DemandPairText(snapshot, demand, line, config, context.statistics);
        if (!text.generated) continue;
        generated.emplace_back(&line, text.raw);
        if (text.raw > out.normaliser ||
            (text.raw == out.normaliser && text.raw > 0 && line.id < out.normaliser_id)) {
            out.normaliser = text.raw;
            out.normaliser_id = line.id;
        }
    }
    out.generated = generated.size();
    for (const auto& [line, raw] : generated) {
        const Filter failed = FirstFailingFilter(demand, *line, config, context);
        if (failed != Filter::kCount) {
            ++out.rejected[static_cast<std::size_t>(failed)];
            continue;
        }
        const double text = out.normaliser > 0 ? raw / out.normaliser : 0.0;
        out.top.push_back(ScorePair(demand, *line, text, config, context));
    }
    std::sort(out.top.begin(), out.top.end(), [](const Candidate& a, const Candidate& b) {
        return a.score != b.score ? a.score > b.score : a.id < b.id;
    });
    if (out.top.size() > k) out.top.resize(k);
    return out;
}

// MatchDemand(k) against an exhaustive reference `all` computed with a k at least as large
// (truncated here to k): candidates, scores, features, generated and normaliser always; the
// counts stay consistent (rejected + kept + pruned <= examined <= generated); with fewer than k
// back, every rejected count, examined == generated and nothing pruned. Returns the result.
MatchResult ExpectLikeReference(const SupplySnapshot& snapshot,
                                const DemandLine& demand,
                                std::size_t k,
                                Reference want,
                                const MatchContext& context,
                                const std::string& what) {
    const World& w = Shared();
    if (want.top.size() > k) want.top.resize(k);
    const MatchResult got = MatchDemand(snapshot, demand, k, w.config, context);
    EXPECT_EQ(got.candidates.size(), want.top.size()) << what << " k " << k;
    for (std::size_t i = 0; i < std::min(want.top.size(), got.candidates.size()); ++i) {
        EXPECT_EQ(got.candidates[i].id, want.top[i].id) << what << " k " << k << " rank " << i;
        EXPECT_EQ(got.candidates[i].score, want.top[i].score) << what << " rank " << i;
        for (std::size_t f = 0; f < kFeatureCount; ++f) {
            EXPECT_EQ(got.candidates[i].features[f].value, want.top[i].features[f].value)
                << what << " rank " << i << " feature " << f;
        }
    }
    EXPECT_EQ(got.generated, want.generated) << what;
    EXPECT_EQ(got.text_normaliser, want.normaliser) << what;
    EXPECT_EQ(got.text_normaliser_id, want.normaliser_id) << what;
    std::uint64_t rejected = 0;
    for (auto n : got.rejected) rejected += n;
    EXPECT_LE(rejected + got.candidates.size() + got.pruned, got.examined) << what;
    EXPECT_LE(got.examined, got.generated) << what;
    if (got.candidates.size() < k) {
        EXPECT_EQ(got.rejected, want.rejected) << what << " k " << k;
        EXPECT_EQ(got.pruned, 0u) << what;
        EXPECT_EQ(got.examined, got.generated) << what;
    }
    return got;
}

class PrunedQueryTest : public ::testing::TestWithParam<unsigned> {};

TEST_P(PrunedQueryTest, EqualsTheExhaustiveReferenceWithKFullAndNotFull) {
    World& w = Shared();
    ASSERT_NE(w.units, nullptr);
    Random r(GetParam());
    std::vector<SupplyLine> lines;
    // Few classes, many lines: most generated candidates are classification-only (raw 0), the
    // case the record bound prunes.
    for (int i = 0; i < 400; ++i) {
        SupplyLine s = RandomSupply(r, i + 1);
        if (r.Coin(0.6)) s.title = r.Coin(0.5) ? "设备" : "equipment";
        lines.push_back(s);
    }
    // Two segments and a tombstone, so records are looked up per segment.
    std::vector<SupplyLine> first(lines.begin(), lines.begin() + 300);
    std::vector<SupplyLine> second(lines.begin() + 300, lines.end());
    auto snapshot = SupplySnapshot::Build(first);
    const LineId withdrawn = 7;
    snapshot = SupplySnapshot::Apply(snapshot, second, std::span<const LineId>(&withdrawn, 1));
    std::erase_if(lines, [&](const SupplyLine& s) { return s.id == withdrawn; });
    std::uint64_t pruned_total = 0;
    std::size_t full = 0;
    std::size_t not_full = 0;
    for (int q = 0; q < 30; ++q) {
        const DemandLine demand = RandomDemand(r, 5000 + q);
        const Reference all =
            Exhaustive(*snapshot, lines, demand, lines.size(), w.config, w.context);
        for (std::size_t k : {std::size_t{1}, std::size_t{3}, std::size_t{10}, std::size_t{500}}) {
            const MatchResult got = ExpectLikeReference(*snapshot, demand, k, all, w.context,
                                                        "demand " + std::to_string(q));
            if (got.candidates.size() < k) {
                ++not_full;
            } else {
                ++full;
                pruned_total += got.pruned;
            }
        }
    }
    EXPECT_GT(full, 0u);
    EXPECT_GT(not_full, 0u);
    EXPECT_GT(pruned_total, 0u);  // the bound does prune here
}

INSTANTIATE_TEST_SUITE_P(Seeds, PrunedQueryTest, ::testing::Range(1u, 7u));

// Edge cases of MatchDemand's bound-ordered visit (seeds, screening, visit by bound), each
// against the exhaustive reference (ExpectLikeReference).
void ExpectExhaustive(const SupplySnapshot& snapshot,
                      const std::vector<SupplyLine>& lines,
                      const DemandLine& demand,
                      std::size_t k,
                      const MatchContext& context,
                      const std::string& what) {
    const World& w = Shared();
    ExpectLikeReference(snapshot, demand, k,
                        Exhaustive(snapshot, lines, demand, k, w.config, context), context, what);
}

SupplyLine PlainSupply(LineId id, const std::string& title, const std::string& code) {
    SupplyLine s;
    s.id = id;
    s.vendor_id = 1;
    s.title = title;
    s.classification = {"CPV", code};
    s.price_amount = 1000.0;
    s.price_currency = "CNY";
    s.status = "active";
    s.vendor_region = "320505";
    s.last_confirmed_at = 90;
    return s;
}

DemandLine PlainDemand(LineId id, const std::string& title, const std::string& code) {
    DemandLine d;
    d.id = id;
    d.title = title;
    d.classification = {"CPV", code};
    d.quantity = 1;
    d.budget_amount = 1200.0;
    d.budget_currency = "CNY";
    d.delivery_region = "320505";
    d.status = "open";
    return d;
}

TEST(BoundOrderedVisitTest, TiesAtTheKthScoreKeepTheSmallestIds) {
    // 200 identical lines (more than the seeds, so the normaliser scans every candidate): every
    // score ties, the smallest ids win; a few better and worse lines around them.
    std::vector<SupplyLine> lines;
    for (LineId id = 1; id <= 200; ++id) {
        lines.push_back(PlainSupply(1000 - id, "数控车床 FANUC", "42621100-6"));
    }
    SupplyLine better = PlainSupply(5000, "数控车床 FANUC 数控", "42621100-6");
    lines.push_back(better);
    SupplyLine worse = PlainSupply(6000, "数控车床", "42990000-2");
    worse.price_amount = 9000.0;
    lines.push_back(worse);
    const auto snapshot = SupplySnapshot::Build(lines);
    const DemandLine demand = PlainDemand(1, "数控车床 FANUC", "42621100-6");
    for (std::size_t k : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{10},
                          std::size_t{150}, std::size_t{201}, std::size_t{202}, std::size_t{500}}) {
        ExpectExhaustive(*snapshot, lines, demand, k, Shared().context, "ties");
    }
    const MatchResult got = MatchDemand(*snapshot, demand, 3, Shared().config, Shared().context);
    ASSERT_EQ(got.candidates.size(), 3u);
    EXPECT_EQ(got.candidates[1].score, got.candidates[2].score);
    EXPECT_LT(got.candidates[1].id, got.candidates[2].id);
}

TEST(BoundOrderedVisitTest, KLargerThanFeasibleCountsEveryRejection) {
    Random r(77);
    std::vector<SupplyLine> lines;
    for (int i = 0; i < 120; ++i) lines.push_back(RandomSupply(r, i + 1));
    const auto snapshot = SupplySnapshot::Build(lines);
    for (int q = 0; q < 20; ++q) {
        const DemandLine demand = RandomDemand(r, 900 + q);
        for (std::size_t k : {std::size_t{119}, std::size_t{120}, std::size_t{1000}}) {
            ExpectExhaustive(*snapshot, lines, demand, k, Shared().context,
                             "demand " + std::to_string(q));
        }
    }
}

TEST(BoundOrderedVisitTest, AllClassificationOnlyCandidates) {
    // The demand shares no text term with any line: every candidate comes from the
    // classification (raw BM25 0, normaliser 0), some failing filters.
    Random r(91);
    std::vector<SupplyLine> lines;
    for (LineId id = 1; id <= 150; ++id) {
        SupplyLine s = PlainSupply(id, "空压机 螺杆", id % 3 == 0 ? "42990000-2" : "42621100-6");
        if (id % 7 == 0) s.status = "suspended";
        if (id % 5 == 0) s.lead_time_days = 80;
        if (r.Coin(0.5)) s.capacity_per_month = r.Int(0, 3);
        s.last_confirmed_at = r.Int(0, 100);
        s.price_amount = r.Int(1, 30) * 100.0;
        lines.push_back(s);
    }
    const auto snapshot = SupplySnapshot::Build(lines);
    DemandLine demand = PlainDemand(1, "robot laser", "42621100-6");
    demand.need_by = 150;
    for (std::size_t k : {std::size_t{1}, std::size_t{4}, std::size_t{60}, std::size_t{1000}}) {
        ExpectExhaustive(*snapshot, lines, demand, k, Shared().context, "class only");
    }
    const MatchResult got = MatchDemand(*snapshot, demand, 4, Shared().config, Shared().context);
    EXPECT_EQ(got.text_normaliser, 0.0);
    EXPECT_EQ(got.candidates.size(), 4u);
    EXPECT_EQ(got.generated, 150u);
}

TEST(BoundOrderedVisitTest, PinnedStatisticsAndSegments) {
    // Pinned N, average length and dfs (some terms unpinned), two segments and a tombstone.
    Random r(5);
    std::vector<SupplyLine> lines;
    for (int i = 0; i < 300; ++i) {
        SupplyLine s = RandomSupply(r, i + 1);
        if (r.Coin(0.5)) s.title = r.Coin(0.5) ? "设备" : "equipment";
        lines.push_back(s);
    }
    std::vector<SupplyLine> first(lines.begin(), lines.begin() + 200);
    std::vector<SupplyLine> second(lines.begin() + 200, lines.end());
    auto snapshot = SupplySnapshot::Build(first);
    const LineId withdrawn = 11;
    snapshot = SupplySnapshot::Apply(snapshot, second, std::span<const LineId>(&withdrawn, 1));
    std::erase_if(lines, [&](const SupplyLine& s) { return s.id == withdrawn; });
    CorpusStatistics statistics;
    statistics.live_count = 5000;
    statistics.average_length = 7.5;
    statistics.document_frequency = {{"数控", 40}, {"pump", 4999}, {"robot", 1}, {"ABB", 9000}};
    MatchContext context = Shared().context;
    context.statistics = &statistics;
    for (int q = 0; q < 25; ++q) {
        const DemandLine demand = RandomDemand(r, 700 + q);
        for (std::size_t k : {std::size_t{1}, std::size_t{5}, std::size_t{400}}) {
            ExpectExhaustive(*snapshot, lines, demand, k, context, "pinned " + std::to_string(q));
        }
    }
}

}  // namespace
}  // namespace renewmatch::matcher

namespace renewmatch::matcher {
namespace {

// Generation is blocked (engine.cpp: kGenerateBlock = 8192 docs per block): a catalog of three
// blocks in its first segment (8192 + 8192 + 3616 docs), a second segment, tombstones in both
// (withdrawals and replacements), demands with several classification terms whose postings cross
// every block boundary. Against the exhaustive reference, computed once per demand for the largest
// k, with every smaller k compared on its prefix.
TEST(BoundOrderedVisitTest, BlockedGenerationAcrossBlocksSegmentsAndTombstones) {
    Random r(2026);
    std::vector<SupplyLine> lines;
    for (LineId id = 1; id <= 22000; ++id) lines.push_back(RandomSupply(r, id));
    std::vector<SupplyLine> first(lines.begin(), lines.begin() + 20000);
    std::vector<SupplyLine> second(lines.begin() + 20000, lines.end());
    auto snapshot = SupplySnapshot::Build(first);
    // Withdraw ids around the block boundaries of the first segment and replace a few more.
    std::vector<LineId> withdrawn = {1, 8192, 8193, 16384, 16385, 19999};
    for (LineId id = 100; id <= 20000; id += 997) withdrawn.push_back(id);
    std::vector<SupplyLine> replaced;
    for (LineId id = 8194; id <= 8200; ++id) {
        SupplyLine s = RandomSupply(r, id);
        s.title = "数控 车床 " + s.title;
        replaced.push_back(s);
    }
    std::vector<SupplyLine> upserts = second;
    upserts.insert(upserts.end(), replaced.begin(), replaced.end());
    snapshot = SupplySnapshot::Apply(snapshot, upserts, withdrawn);
    // Then tombstones in the second segment too.
    const std::vector<LineId> later = {20001, 21000, 22000};
    snapshot = SupplySnapshot::Apply(snapshot, {}, later);
    withdrawn.insert(withdrawn.end(), later.begin(), later.end());
    ASSERT_GE(snapshot->segment_count(), 2u);
    ASSERT_GT(snapshot->segment(0).lines.size(), 2u * 8192u);
    std::vector<SupplyLine> live;
    for (const SupplyLine& s : lines) {
        const bool gone = std::find(withdrawn.begin(), withdrawn.end(), s.id) != withdrawn.end();
        const bool swapped = s.id >= 8194 && s.id <= 8200;
        if (!gone && !swapped) live.push_back(s);
    }
    live.insert(live.end(), replaced.begin(), replaced.end());
    ASSERT_EQ(live.size(), snapshot->live_count());

    const World& w = Shared();
    std::uint64_t full = 0;
    std::uint64_t not_full = 0;
    std::uint64_t full_examined = 0;
    std::uint64_t full_generated = 0;
    for (int q = 0; q < 6; ++q) {
        DemandLine demand = RandomDemand(r, 9000 + q);
        demand.status = "open";
        demand.response_deadline.reset();
        if (q % 2 == 0) {
            // Two classification terms ("\x01CPV:42", "\x01CPV:31"): class-only lines from both.
            demand.classification = {"CPV", "42621100-6"};
            demand.additional_classifications = {{"CPV", "31440000-2"}};
        }
        if (q == 5) demand.title = "robot";  // one text term
        const std::size_t big = live.size();
        const Reference want = Exhaustive(*snapshot, live, demand, big, w.config, w.context);
        ASSERT_GT(want.generated, 2u * 8192u / 4u) << q;  // postings cross the block boundaries
        for (std::size_t k : {std::size_t{1}, std::size_t{10}, std::size_t{100}, big}) {
            const MatchResult got = ExpectLikeReference(*snapshot, demand, k, want, w.context,
                                                        "query " + std::to_string(q));
            if (got.candidates.size() < k) {
                ++not_full;
            } else {
                ++full;
                full_examined += got.examined;
                full_generated += got.generated;
            }
        }
    }
    EXPECT_GT(full, 0u);
    EXPECT_LT(full_examined, full_generated);  // the bounds do skip record reads here
    EXPECT_GT(not_full, 0u);
}

// More distinct area and classification codes than a segment's code tables hold (64 each), so a
// segment has both kMasked lines (HotRecord masks) and unmasked ones (side arrays).
std::string ManyAreas(Random& r) {
    static const std::vector<std::string> kPrefixes = {"3", "32", "3205", "44", "4403", ""};
    std::string area = r.Pick(kPrefixes);
    if (r.Coin(0.5)) area += std::to_string(r.Int(10, 99));  // ~90 more distinct codes
    return area;
}

SupplyLine ManyCodesSupply(Random& r, LineId id) {
    SupplyLine s = RandomSupply(r, id);
    s.service_areas.clear();
    s.excluded_areas.clear();
    for (int i = r.Int(0, 3); i > 0; --i) s.service_areas.push_back(ManyAreas(r));
    if (r.Coin(0.2)) s.excluded_areas.push_back(ManyAreas(r));
    if (r.Coin(0.6)) {
        // ~150 distinct codes in divisions 42 and 31.
        s.classification = {
            "CPV", (r.Coin(0.7) ? "42" : "31") + std::to_string(r.Int(100, 249)) + "000-1"};
    }
    return s;
}

TEST(LineRecordTest, HotFiltersEqualFirstFailingWithFullCodeTables) {
    World& w = Shared();
    Random r(777);
    std::vector<SupplyLine> lines;
    for (int i = 0; i < 1500; ++i) lines.push_back(ManyCodesSupply(r, i + 1));
    const SupplyRecords records = BuildSupplyRecords(lines);
    EXPECT_EQ(records.area_codes.size(), SupplyRecords::kMaxCodes);
    EXPECT_EQ(records.class_codes.size(), SupplyRecords::kMaxCodes);
    ASSERT_EQ(records.hot.size(), lines.size());
    std::size_t masked = 0;
    std::size_t unmasked = 0;
    std::array<std::size_t, kFilterCount + 1> hot_answers{};
    for (int q = 0; q < 60; ++q) {
        DemandLine demand = RandomDemand(r, 1000 + q);
        demand.delivery_region = ManyAreas(r) + (r.Coin(0.5) ? "0512" : "");
        if (q % 3 == 0) {
            demand.classification = {"CPV", "42" + std::to_string(r.Int(100, 249)) + "000-1"};
            demand.additional_classifications = {{"CPV", "31200000-1"}};
        }
        const RecordQuery query(demand, w.config, w.context);
        const RecordQuery::SegmentMasks masks = query.Masks(records);
        for (std::uint32_t doc = 0; doc < lines.size(); ++doc) {
            const SupplyRecord& record = records.lines[doc];
            EXPECT_EQ(records.hot[doc].flags, record.flags);
            EXPECT_EQ(records.hot[doc].price_valid_until, record.price_valid_until);
            if (record.Has(SupplyRecord::kExactOnLine)) continue;
            const Filter want = query.FirstFailing(records, doc);
            // The record's answer is the line's (the test above); here the split must agree.
            const Filter line_want = FirstFailingFilter(demand, lines[doc], w.config, w.context);
            EXPECT_EQ(want, line_want < Filter::kCertifications ? line_want : Filter::kCount);
            if (!record.Has(SupplyRecord::kMasked)) {
                ++unmasked;
                continue;
            }
            ++masked;
            const Filter hot = query.HotFilters(records, masks, doc);
            ++hot_answers[static_cast<std::size_t>(hot)];
            const Filter got = hot != Filter::kCount ? hot : query.LaterFilters(records, doc);
            EXPECT_EQ(got, want) << "demand " << q << " line " << doc;
        }
    }
    EXPECT_GT(masked, 0u);
    EXPECT_GT(unmasked, 0u);
    // The hot filters answer for classification and region, and pass lines on.
    EXPECT_GT(hot_answers[static_cast<std::size_t>(Filter::kClassification)], 0u);
    EXPECT_GT(hot_answers[static_cast<std::size_t>(Filter::kRegion)], 0u);
    EXPECT_GT(hot_answers[static_cast<std::size_t>(Filter::kCount)], 0u);
}

// MatchDemand's screening with masked and unmasked lines in one segment (and a second segment
// with its own code tables, tombstones in both), two classification terms (the classification-only
// lines counted without being listed, listed when screened), against the exhaustive reference.
TEST(BoundOrderedVisitTest, ScreeningWithFullCodeTablesSegmentsAndTombstones) {
    Random r(31337);
    std::vector<SupplyLine> lines;
    for (LineId id = 1; id <= 3000; ++id) lines.push_back(ManyCodesSupply(r, id));
    std::vector<SupplyLine> first(lines.begin(), lines.begin() + 2500);
    std::vector<SupplyLine> second(lines.begin() + 2500, lines.end());
    auto snapshot = SupplySnapshot::Build(first);
    std::vector<LineId> withdrawn;
    for (LineId id = 3; id <= 2500; id += 101) withdrawn.push_back(id);
    snapshot = SupplySnapshot::Apply(snapshot, second, withdrawn);
    ASSERT_EQ(snapshot->segment_count(), 2u);
    std::vector<SupplyLine> live;
    for (const SupplyLine& s : lines) {
        if (std::find(withdrawn.begin(), withdrawn.end(), s.id) == withdrawn.end()) {
            live.push_back(s);
        }
    }
    ASSERT_EQ(live.size(), snapshot->live_count());
    const World& w = Shared();
    std::uint64_t full = 0;
    std::uint64_t not_full = 0;
    std::uint64_t skipped_class_only = 0;  // k full with lines left unexamined
    for (int q = 0; q < 24; ++q) {
        DemandLine demand = RandomDemand(r, 9000 + q);
        demand.status = "open";
        demand.response_deadline.reset();
        demand.delivery_region = ManyAreas(r) + "0505";
        if (q % 2 == 0) {
            demand.classification = {"CPV", "42" + std::to_string(r.Int(100, 249)) + "000-1"};
            demand.additional_classifications = {{"CPV", "31200000-1"}};
        }
        const std::size_t big = live.size();
        const Reference want = Exhaustive(*snapshot, live, demand, big, w.config, w.context);
        for (std::size_t k : {std::size_t{1}, std::size_t{10}, std::size_t{60}, big}) {
            const MatchResult got = ExpectLikeReference(*snapshot, demand, k, want, w.context,
                                                        "query " + std::to_string(q));
            if (got.candidates.size() < k) {
                ++not_full;
            } else {
                ++full;
                skipped_class_only += got.examined < got.generated;
            }
        }
    }
    EXPECT_GT(full, 0u);
    EXPECT_GT(not_full, 0u);
    EXPECT_GT(skipped_class_only, 0u);
}

}  // namespace
}  // namespace renewmatch::matcher
