// Property tests against a brute-force reference on random small catalogs:
//   * no returned candidate violates a hard filter;
//   * no feasible line with a higher score is missing from the top-k;
//   * results do not change when the catalog is permuted;
//   * the score equals the sum of its contributions (same order) and values lie in [0, 1];
//   * an incrementally updated snapshot ranks exactly like a full rebuild;
//   * the batch call equals sequential calls; the reverse direction agrees with the filters.
#include "matcher/engine.hpp"
#include "matcher/text.hpp"
#include "tests/support/index_compare.hpp"
#include "tests/support/random_lines.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <unordered_set>

namespace renewmatch::matcher {
namespace {

const std::vector<std::string> kWords = {
    "数控",    "车床",     "立式",    "加工中心", "空压机", "螺杆",   "变频",
    "水泵",    "离心",     "叉车",    "pump",     "motor",  "servo",  "laser",
    "cutting", "robot",    "VMC-850", "VMC850",   "CK6150", "FANUC",  "Siemens",
    "ABB",     "IRB-1600", "1.5匹",   "12000rpm", "电池包", "注塑机", "HTF-530"};
const std::vector<std::string> kClasses = {"",           "42621100-6", "42622000-6", "42990000-2",
                                           "42120000-6", "31440000-2", "34144900-7"};
const std::vector<std::string> kRegions = {"32", "3205", "320505", "44", "4403", "11"};

class Generator : public testing::RandomSource {
  public:
    using RandomSource::RandomSource;
    std::string Text(int lo, int hi) { return RandomSource::Text(kWords, lo, hi); }
    SupplyLine Supply(LineId id) {
        SupplyLine s;
        s.id = id;
        s.vendor_id = Int(1, 8);
        s.title = Text(1, 4);
        if (Coin(0.5)) s.description = Text(0, 6);
        if (Coin(0.3)) s.model = Pick(kWords);
        s.classification.id = Pick(kClasses);
        if (Coin(0.7)) s.price_amount = Int(1, 100) * 1000.0;
        if (Coin(0.2)) s.price_valid_until = Int(90, 110);
        if (Coin(0.3)) s.min_order_qty = Int(0, 3);
        if (Coin(0.5)) s.capacity_per_month = Int(1, 10);
        if (Coin(0.6)) s.lead_time_days = Int(5, 60);
        if (Coin(0.4)) s.service_areas = {Pick(kRegions)};
        if (Coin(0.2)) s.excluded_areas = {Pick(kRegions)};
        if (Coin(0.5)) {
            s.certifications.push_back({Coin(0.5) ? "CE" : "CCC", "n", std::nullopt});
            if (Coin(0.3)) s.certifications.back().expires_at = Int(90, 200);
        }
        if (Coin(0.5)) s.energy_efficiency_grade = Int(1, 5);
        if (Coin(0.5)) s.localization_rate = Int(0, 10) / 10.0;
        s.first_of_kind = Coin(0.1);
        s.second_hand = Coin(0.1);
        if (Coin(0.5))
            s.attributes.push_back(
                {"power", Int(1, 20) * 1.0, {}, {}, Coin(0.5) ? "kW" : "hp", ""});
        if (Coin(0.3))
            s.attributes.push_back({"controller", {}, {}, {}, "", Coin(0.5) ? "FANUC" : "Siemens"});
        s.status = Coin(0.9) ? "active" : "suspended";
        s.vendor_region = Pick(kRegions);
        s.last_confirmed_at = Int(0, 100);
        return s;
    }
    DemandLine Demand(LineId id) {
        DemandLine d;
        d.id = id;
        d.title = Text(1, 3);
        if (Coin(0.5)) d.description = Text(0, 4);
        if (Coin(0.5)) d.classification.id = Pick(kClasses);
        d.quantity = Int(1, 5);
        if (Coin(0.7)) d.budget_amount = Int(1, 300) * 1000.0;
        if (Coin(0.7)) d.delivery_region = Pick(kRegions);
        if (Coin(0.6)) d.need_by = Int(110, 200);
        if (Coin(0.3)) d.certifications_required = {Coin(0.5) ? "CE" : "CCC"};
        if (Coin(0.2)) d.energy_efficiency_min = Int(1, 4);
        if (Coin(0.2)) d.localization_rate_min = Int(0, 8) / 10.0;
        d.second_hand_allowed = Coin(0.3);
        if (Coin(0.5)) {
            Requirement r;
            r.name = "power";
            r.min = Int(1, 15);
            r.unit = "kW";
            r.mandatory = Coin(0.5);
            d.requirements.push_back(r);
        }
        if (Coin(0.3)) {
            Requirement r;
            r.name = "controller";
            r.allowed_values = {"FANUC"};
            r.mandatory = Coin(0.5);
            d.requirements.push_back(r);
        }
        return d;
    }
};

using Fixture = testing::MatchEnv;

Fixture& Shared() {
    static Fixture fixture;
    return fixture;
}

// Independent BM25 over the live lines, from the same analysed terms.
std::vector<Candidate> BruteForce(const std::vector<SupplyLine>& lines,
                                  const DemandLine& demand,
                                  std::size_t k,
                                  const MatchConfig& config,
                                  const MatchContext& context) {
    const IndexOptions options;
    std::vector<std::vector<std::pair<std::string, std::uint32_t>>> docs;
    double total = 0;
    std::map<std::string, std::uint32_t> df;
    for (const SupplyLine& line : lines) {
        docs.push_back(IndexTerms(line, options));
        for (const auto& [term, tf] : docs.back()) {
            total += tf;
            ++df[term];
        }
    }
    const double n = static_cast<double>(lines.size());
    const double avgdl = std::max(total / n, 1e-9);
    std::map<std::string, double> query;
    for (const Term& t : Analyze(demand.title)) query[t.text] += 1.0;
    for (const Term& t : Analyze(demand.description))
        query[t.text] += config.description_query_weight;
    const auto demand_classes =
        ClassTerms(demand.classification, demand.additional_classifications);
    std::vector<double> texts;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        double text = 0;
        for (const auto& [term, tf] : docs[i]) {
            auto q = query.find(term);
            if (q == query.end()) continue;
            const double d = df[term];
            const double idf = std::log(1 + (n - d + 0.5) / (d + 0.5));
            double len = 0;
            for (const auto& [t2, tf2] : docs[i]) len += tf2;
            const double norm = config.bm25_k1 * (1 - config.bm25_b + config.bm25_b * len / avgdl);
            text += q->second * idf * tf * (config.bm25_k1 + 1) / (tf + norm);
        }
        texts.push_back(text);
    }
    // The text feature is relative to the best raw BM25 in the catalog.
    const double best = texts.empty() ? 0.0 : *std::max_element(texts.begin(), texts.end());
    std::vector<Candidate> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const double text = texts[i];
        // Relevance gate: a shared term or a shared compatible-class prefix.
        bool gate = text > 0;
        if (!gate && !demand.classification.id.empty()) {
            const std::string ds = SignificantClassPrefix(demand.classification.id);
            const std::string ss = SignificantClassPrefix(lines[i].classification.id);
            const std::size_t need = std::min<std::size_t>(config.min_class_prefix, ds.size());
            gate = !lines[i].classification.id.empty() && ss.size() >= need &&
                   ss.compare(0, need, ds, 0, need) == 0;
        }
        if (!gate) continue;
        if (FirstFailingFilter(demand, lines[i], config, context) != Filter::kCount) continue;
        out.push_back(ScorePair(demand, lines[i], best > 0 ? text / best : 0, config, context));
    }
    std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
        return a.score != b.score ? a.score > b.score : a.id < b.id;
    });
    if (out.size() > k) out.resize(k);
    return out;
}

void ExpectSameRanking(const std::vector<Candidate>& got, const std::vector<Candidate>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i].score, want[i].score, 1e-9) << "rank " << i;
        // Ids must agree unless the two scores are a floating-point near-tie.
        if (i + 1 < want.size() && std::fabs(want[i].score - want[i + 1].score) > 1e-9 &&
            (i == 0 || std::fabs(want[i].score - want[i - 1].score) > 1e-9)) {
            EXPECT_EQ(got[i].id, want[i].id) << "rank " << i;
        }
    }
}

void ExpectIdentical(const MatchResult& a, const MatchResult& b) {
    ASSERT_EQ(a.candidates.size(), b.candidates.size());
    for (std::size_t i = 0; i < a.candidates.size(); ++i) {
        EXPECT_EQ(a.candidates[i].id, b.candidates[i].id) << "rank " << i;
        EXPECT_EQ(a.candidates[i].score, b.candidates[i].score) << "rank " << i;
    }
}

class PropertyTest : public ::testing::TestWithParam<unsigned> {};

TEST_P(PropertyTest, TopKMatchesBruteForceAndNeverViolatesFilters) {
    Fixture& f = Shared();
    ASSERT_NE(f.units, nullptr);
    Generator gen(GetParam());
    std::vector<SupplyLine> lines;
    const int n = gen.Int(20, 120);
    for (int i = 0; i < n; ++i) lines.push_back(gen.Supply(i + 1));
    const auto snapshot = SupplySnapshot::Build(lines);
    for (int q = 0; q < 20; ++q) {
        const DemandLine demand = gen.Demand(1000 + q);
        const std::size_t k = static_cast<std::size_t>(gen.Int(1, 8));
        const MatchResult result = MatchDemand(*snapshot, demand, k, f.config, f.context);
        for (const Candidate& c : result.candidates) {
            const SupplyLine* line = snapshot->Find(c.id);
            ASSERT_NE(line, nullptr);
            EXPECT_EQ(FirstFailingFilter(demand, *line, f.config, f.context), Filter::kCount);
            double sum = 0;
            for (const FeatureExplanation& e : c.features) {
                EXPECT_GE(e.value, 0.0);
                EXPECT_LE(e.value, 1.0);
                EXPECT_EQ(e.contribution, e.weight * e.value);
                sum += e.contribution;
            }
            EXPECT_EQ(sum, c.score);  // exact: same operations, same order
        }
        ExpectSameRanking(result.candidates, BruteForce(lines, demand, k, f.config, f.context));
        std::uint64_t rejected = 0;
        for (auto r : result.rejected) rejected += r;
        EXPECT_LE(rejected + result.candidates.size(), result.examined);
        EXPECT_LE(result.examined, result.generated);
    }
}

TEST_P(PropertyTest, PermutingTheCatalogChangesNothing) {
    Fixture& f = Shared();
    Generator gen(GetParam() + 1000);
    std::vector<SupplyLine> lines;
    for (int i = 0; i < 80; ++i) lines.push_back(gen.Supply(i + 1));
    const auto a = SupplySnapshot::Build(lines);
    std::mt19937 shuffle_rng(GetParam());
    std::shuffle(lines.begin(), lines.end(), shuffle_rng);
    const auto b = SupplySnapshot::Build(lines);
    for (int q = 0; q < 20; ++q) {
        const DemandLine demand = gen.Demand(q);
        ExpectIdentical(MatchDemand(*a, demand, 5, f.config, f.context),
                        MatchDemand(*b, demand, 5, f.config, f.context));
    }
}

TEST_P(PropertyTest, IncrementalSnapshotRanksLikeFullRebuild) {
    Fixture& f = Shared();
    Generator gen(GetParam() + 2000);
    std::map<LineId, SupplyLine> live;
    std::vector<SupplyLine> initial;
    for (int i = 0; i < 60; ++i) {
        initial.push_back(gen.Supply(i + 1));
        live[i + 1] = initial.back();
    }
    IndexOptions options;
    options.max_segments = 3;  // force merges during the rounds
    auto snapshot = SupplySnapshot::Build(initial, options);
    const auto original = snapshot;
    const DemandLine probe = gen.Demand(999);
    const MatchResult before = MatchDemand(*original, probe, 5, f.config, f.context);
    LineId next_id = 61;
    for (int round = 0; round < 12; ++round) {
        std::vector<SupplyLine> upserts;
        std::vector<LineId> withdrawals;
        for (int u = gen.Int(0, 6); u > 0; --u) {
            // Replace an existing id or add a new one.
            const LineId id =
                gen.Coin(0.5) && !live.empty()
                    ? std::next(live.begin(), gen.Int(0, static_cast<int>(live.size()) - 1))->first
                    : next_id++;
            upserts.push_back(gen.Supply(id));
            live[id] = upserts.back();
        }
        for (int w = gen.Int(0, 3); w > 0 && !live.empty(); --w) {
            const LineId id =
                std::next(live.begin(), gen.Int(0, static_cast<int>(live.size()) - 1))->first;
            withdrawals.push_back(id);
            live.erase(id);
        }
        // An upsert and a withdrawal of the same id in one Apply: the withdrawal wins only if
        // the id is not re-added; keep the model simple by not mixing them.
        for (LineId id : withdrawals) {
            std::erase_if(upserts, [id](const SupplyLine& s) { return s.id == id; });
        }
        snapshot = SupplySnapshot::Apply(snapshot, upserts, withdrawals);
        EXPECT_LE(snapshot->segment_count(), options.max_segments + 1);
        std::vector<SupplyLine> all;
        for (const auto& [id, line] : live) all.push_back(line);
        const auto rebuilt = SupplySnapshot::Build(all, options);
        ASSERT_EQ(snapshot->live_count(), rebuilt->live_count());
        ASSERT_EQ(snapshot->total_length(), rebuilt->total_length());
        for (int q = 0; q < 8; ++q) {
            const DemandLine demand = gen.Demand(q);
            ExpectIdentical(MatchDemand(*snapshot, demand, 6, f.config, f.context),
                            MatchDemand(*rebuilt, demand, 6, f.config, f.context));
        }
    }
    // The original snapshot is untouched by all the updates (a query keeps its snapshot).
    ExpectIdentical(before, MatchDemand(*original, probe, 5, f.config, f.context));
}

TEST_P(PropertyTest, BatchEqualsSequentialAndReverseRespectsFilters) {
    Fixture& f = Shared();
    Generator gen(GetParam() + 3000);
    std::vector<SupplyLine> lines;
    for (int i = 0; i < 100; ++i) lines.push_back(gen.Supply(i + 1));
    std::vector<DemandLine> demands;
    for (int i = 0; i < 40; ++i) demands.push_back(gen.Demand(i + 1));
    const auto snapshot = SupplySnapshot::Build(lines);
    const auto batch = MatchDemandsBatch(*snapshot, demands, 5, f.config, f.context, 3);
    ASSERT_EQ(batch.size(), demands.size());
    for (std::size_t i = 0; i < demands.size(); ++i) {
        ExpectIdentical(batch[i], MatchDemand(*snapshot, demands[i], 5, f.config, f.context));
    }
    const auto demand_index = DemandSnapshot::Build(demands);
    for (int s = 0; s < 10; ++s) {
        const SupplyLine& supply = lines[static_cast<std::size_t>(s)];
        const MatchResult reverse = MatchSupply(*demand_index, supply, 5, f.config, f.context);
        for (const Candidate& c : reverse.candidates) {
            const DemandLine* demand = demand_index->Find(c.id);
            ASSERT_NE(demand, nullptr);
            EXPECT_EQ(FirstFailingFilter(*demand, supply, f.config, f.context), Filter::kCount);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Seeds, PropertyTest, ::testing::Range(1u, 9u));

// Analysis on several threads (more lines than one 8,192-line analysis chunk) must produce the
// same segment, byte for byte, and the same rankings as a sequential build, also after Apply
// (which rebuilds merged segments with the snapshot's options).
TEST(ParallelBuildTest, ThreadedAnalysisBuildsTheSameIndex) {
    Fixture& f = Shared();
    Generator gen(77);
    std::vector<SupplyLine> lines;
    for (int i = 0; i < 9000; ++i) lines.push_back(gen.Supply(i + 1));
    IndexOptions parallel;
    parallel.parallel_for = ThreadedFor(3);
    const auto a = SupplySnapshot::Build(lines);
    const auto b = SupplySnapshot::Build(lines, parallel);
    ASSERT_EQ(a->segment_count(), 1u);
    renewmatch::testing::ExpectSameSnapshot(*a, *b);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    EXPECT_GT(a->segment(0).postings.size(), 9000u);
    std::vector<SupplyLine> upserts;
    for (int i = 0; i < 50; ++i) upserts.push_back(gen.Supply(i * 7 + 1));
    const std::vector<LineId> withdrawn = {2, 4, 6};
    const auto a2 = SupplySnapshot::Apply(a, upserts, withdrawn);
    const auto b2 = SupplySnapshot::Apply(b, upserts, withdrawn);
    for (int i = 0; i < 20; ++i) {
        const DemandLine demand = gen.Demand(i + 1);
        ExpectIdentical(MatchDemand(*a, demand, 10, f.config, f.context),
                        MatchDemand(*b, demand, 10, f.config, f.context));
        ExpectIdentical(MatchDemand(*a2, demand, 10, f.config, f.context),
                        MatchDemand(*b2, demand, 10, f.config, f.context));
    }
}

}  // namespace
}  // namespace renewmatch::matcher
