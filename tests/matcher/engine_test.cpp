// Engine behaviour not covered by golden files: project coverage, chain-map parsing and the
// shipped chain data, snapshot isolation, "why no candidates" counts, configuration version.
#include "matcher/engine.hpp"

#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace renewmatch::matcher {
namespace {

SupplyLine Supply(LineId id, OrgId vendor, std::string title) {
    SupplyLine s;
    s.id = id;
    s.vendor_id = vendor;
    s.title = std::move(title);
    return s;
}

DemandLine Demand(LineId id, std::string title) {
    DemandLine d;
    d.id = id;
    d.title = std::move(title);
    return d;
}

TEST(EngineTest, ProjectRanksVendorsByCoverageThenQuality) {
    // Vendor 1 can serve all three lines, vendor 2 two lines (with better text), vendor 3 one.
    const auto snapshot = SupplySnapshot::Build({
        Supply(1, 1, "螺杆空压机 37kW"),
        Supply(2, 1, "数控车床"),
        Supply(3, 1, "电动叉车"),
        Supply(4, 2, "螺杆空压机 37kW 永磁变频"),
        Supply(5, 2, "数控车床 CK6150"),
        Supply(6, 3, "电动叉车 3吨"),
    });
    const std::vector<DemandLine> lines = {Demand(10, "螺杆空压机 37kW 永磁变频"),
                                           Demand(11, "数控车床 CK6150"),
                                           Demand(12, "电动叉车 3吨"), Demand(13, "病床")};
    const ProjectMatch match =
        MatchProject(*snapshot, lines, 10, 10, MatchConfig{}, MatchContext{});
    ASSERT_EQ(match.vendors.size(), 3u);
    EXPECT_EQ(match.vendors[0].vendor_id, 1);
    EXPECT_EQ(match.vendors[0].lines_covered, 3u);
    EXPECT_EQ(match.vendors[1].vendor_id, 2);
    EXPECT_EQ(match.vendors[1].lines_covered, 2u);
    EXPECT_EQ(match.vendors[2].vendor_id, 3);
    EXPECT_EQ(match.uncovered, std::vector<LineId>{13});
    EXPECT_EQ(match.config_version, MatchConfig{}.version);
    EXPECT_NEAR(match.vendors[1].mean_score * 2, match.vendors[1].total_score, 1e-12);
}

TEST(EngineTest, WhyNoCandidatesIsAnsweredWithCounts) {
    SupplyLine far = Supply(1, 1, "叉车");
    far.service_areas = {"44"};
    SupplyLine old = Supply(2, 1, "叉车");
    old.second_hand = true;
    const auto snapshot = SupplySnapshot::Build({far, old, Supply(3, 1, "水泵")});
    DemandLine demand = Demand(9, "叉车");
    demand.delivery_region = "3205";
    const MatchResult result = MatchDemand(*snapshot, demand, 5, MatchConfig{}, MatchContext{});
    EXPECT_TRUE(result.candidates.empty());
    EXPECT_EQ(result.generated, 2u);  // the pump shares no term and no class
    EXPECT_EQ(result.rejected[static_cast<std::size_t>(Filter::kRegion)], 1u);
    EXPECT_EQ(result.rejected[static_cast<std::size_t>(Filter::kSecondHand)], 1u);
    EXPECT_EQ(FilterName(Filter::kSecondHand), "second_hand");
    EXPECT_EQ(FeatureName(Feature::kChainAffinity), "chain_affinity");
}

TEST(EngineTest, QueryKeepsItsSnapshotAcrossUpdates) {
    const auto v1 = SupplySnapshot::Build({Supply(1, 1, "水泵"), Supply(2, 1, "水泵 离心")});
    const std::vector<LineId> withdraw = {1};
    const auto v2 = SupplySnapshot::Apply(v1, {Supply(3, 2, "水泵 离心 不锈钢")}, withdraw);
    EXPECT_EQ(v1->live_count(), 2u);
    EXPECT_EQ(v2->live_count(), 2u);
    EXPECT_NE(v1->Find(1), nullptr);
    EXPECT_EQ(v2->Find(1), nullptr);
    EXPECT_EQ(v2->DocumentFrequency("水泵"), 2u);
    EXPECT_EQ(v1->DocumentFrequency("不锈"), 0u);
    const auto r1 = MatchDemand(*v1, Demand(9, "水泵"), 5, MatchConfig{}, MatchContext{});
    const auto r2 = MatchDemand(*v2, Demand(9, "水泵"), 5, MatchConfig{}, MatchContext{});
    ASSERT_EQ(r1.candidates.size(), 2u);
    ASSERT_EQ(r2.candidates.size(), 2u);
    EXPECT_EQ(r1.candidates[0].id, 1);  // shorter line ranks first under BM25 length norm
    EXPECT_EQ(r2.candidates[0].id, 2);
}

TEST(EngineTest, ReplacingALineKeepsOneCopy) {
    const auto v1 = SupplySnapshot::Build({Supply(1, 1, "水泵"), Supply(1, 1, "叉车")});
    EXPECT_EQ(v1->live_count(), 1u);
    EXPECT_EQ(v1->Find(1)->title, "叉车");
    const auto v2 = SupplySnapshot::Apply(v1, {Supply(1, 1, "车床")}, {});
    EXPECT_EQ(v2->live_count(), 1u);
    EXPECT_EQ(v2->Find(1)->title, "车床");
    EXPECT_EQ(v2->DocumentFrequency("叉车"), 0u);
}

TEST(ChainMapTest, ParsesTheShippedChainData) {
    std::ifstream in(renewmatch::testing::SourceDir() / "data/chains/chains.txt");
    ASSERT_TRUE(in);
    std::stringstream text;
    text << in.rdbuf();
    std::string error;
    const auto map = ParseChainMap(text.str(), &error);
    ASSERT_TRUE(map) << error;
    for (const char* chain : {"nev", "elec", "mat", "equip"}) {
        EXPECT_TRUE(map->chain_names.contains(chain)) << chain;
        int tiers[3] = {0, 0, 0};
        for (const auto& [id, segment] : map->segments) {
            if (segment.chain_id == chain) ++tiers[static_cast<int>(segment.tier)];
        }
        EXPECT_GT(tiers[0], 0) << chain << " upstream";
        EXPECT_GT(tiers[1], 0) << chain << " midstream";
        EXPECT_GT(tiers[2], 0) << chain << " downstream";
    }
    EXPECT_TRUE(map->Linked("nev.battery", "nev.materials"));
    EXPECT_TRUE(map->Linked("nev.materials", "nev.battery"));
    EXPECT_FALSE(map->Linked("nev.battery", "elec.ic"));
    EXPECT_EQ(map->SegmentsForCpv("34144900-7"), std::vector<std::string>{"nev.vehicle"});
    EXPECT_EQ(map->SegmentsForCpv("42621100-6"), std::vector<std::string>{"equip.machine_tools"});
    EXPECT_TRUE(map->SegmentsForCpv("03000000-1").empty());
}

TEST(ChainMapTest, RejectsMalformedRecordsWithTheLine) {
    std::string error;
    EXPECT_FALSE(ParseChainMap("chain|a|A\nsegment|a.x|b|upstream|X\n", &error));
    EXPECT_EQ(error, "line 2: unknown chain 'b'");
    EXPECT_FALSE(ParseChainMap("chain|a|A\nsegment|a.x|a|sideways|X\n", &error));
    EXPECT_NE(error.find("line 2: tier"), std::string::npos);
    EXPECT_FALSE(ParseChainMap("chain|a|A\nchain|a|B\n", &error));
    EXPECT_EQ(error, "line 2: duplicate chain 'a'");
    EXPECT_FALSE(ParseChainMap("# c\n\nlink|x|y\n", &error));
    EXPECT_EQ(error, "line 3: unknown segment 'x'");
    EXPECT_FALSE(ParseChainMap("chain|a|A\nsegment|a.x|a|upstream|X\ncpv|4x|a.x\n", &error));
    EXPECT_NE(error.find("line 3: cpv prefix"), std::string::npos);
    EXPECT_FALSE(ParseChainMap("bogus|1\n", &error));
    EXPECT_EQ(error, "line 1: unknown record kind 'bogus'");
}

TEST(ClassificationTest, SignificantPrefixAndTaxonomyProximity) {
    EXPECT_EQ(SignificantClassPrefix("42621100-6"), "426211");
    EXPECT_EQ(SignificantClassPrefix("42000000-6"), "42");
    EXPECT_EQ(SignificantClassPrefix("845710"), "84571");
    DemandLine demand = Demand(1, "x");
    demand.classification.id = "42621000-7";
    SupplyLine supply = Supply(2, 1, "x");
    supply.classification.id = "42621100-6";
    MatchContext context;
    const Candidate prefix = ScorePair(demand, supply, 0, MatchConfig{}, context);
    EXPECT_DOUBLE_EQ(prefix.features[static_cast<std::size_t>(Feature::kClassification)].value,
                     1.0);
    // An explicit tree overrides digit prefixes: here both codes hang off "42" directly.
    Taxonomy taxonomy;
    taxonomy.parent = {{"42", ""}, {"42621", "42"}, {"426211", "42"}};
    context.taxonomy = &taxonomy;
    const Candidate tree = ScorePair(demand, supply, 0, MatchConfig{}, context);
    EXPECT_DOUBLE_EQ(tree.features[static_cast<std::size_t>(Feature::kClassification)].value, 0.5);
}

// Freshness halves every half-life after the confirmation date; a line without one (day 0, the
// field's "not given" value) is neutral rather than infinitely stale.
TEST(FreshnessTest, HalvesPerHalfLifeAndIsNeutralWithoutAConfirmationDate) {
    const DemandLine demand = Demand(1, "x");
    SupplyLine supply = Supply(2, 1, "x");
    MatchContext context;
    context.today = 20'000;
    MatchConfig config;
    config.freshness_half_life_days = 90;
    auto freshness = [&] {
        return ScorePair(demand, supply, 0, config, context)
            .features[static_cast<std::size_t>(Feature::kFreshness)]
            .value;
    };
    supply.last_confirmed_at = 20'000;
    EXPECT_DOUBLE_EQ(freshness(), 1.0);
    supply.last_confirmed_at = 20'000 - 90;
    EXPECT_DOUBLE_EQ(freshness(), 0.5);
    supply.last_confirmed_at = 0;
    EXPECT_DOUBLE_EQ(freshness(), kNeutral);
}

}  // namespace
}  // namespace renewmatch::matcher
