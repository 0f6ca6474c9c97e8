// MatchDemand's `generated` count when the classification-only lines are counted rather than
// listed (engine.cpp, Generate): the dense division bitsets of a segment (Segment::class_bits)
// counted by popcount, the posting loops of the other classification terms outside their union,
// tombstoned docs (withdrawn and replaced lines), several segments, and both outcomes of the
// classification-only block (skipped with k full, listed and screened otherwise). The reference
// is the relevance gate line by line (DemandPairText) over the live lines.
#include "matcher/engine.hpp"
#include "tests/support/random_lines.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace renewmatch::matcher {
namespace {

SupplyLine Line(LineId id, const std::string& title, const std::string& code) {
    SupplyLine s;
    s.id = id;
    s.vendor_id = 1 + id % 5;
    s.title = title;
    s.classification = {"CPV", code};
    s.price_amount = 1000.0 + static_cast<double>(id % 7) * 100.0;
    s.price_currency = "CNY";
    s.status = id % 11 == 0 ? "suspended" : "active";
    s.vendor_region = "320505";
    if (id % 3 == 0) s.service_areas = {"44"};
    s.last_confirmed_at = 90;
    return s;
}

// 1,200 lines: division 42 dense (>= 1/64 of the docs), division 31 sparse (5 lines, two of
// them also in 42 through an additional code), division 34 dense but not in the query; a few
// share a text term with the demand.
std::vector<SupplyLine> Catalog() {
    std::vector<SupplyLine> lines;
    for (LineId id = 1; id <= 1200; ++id) {
        std::string code = id % 4 == 0 ? "34144900-7" : "42621100-6";
        std::string title = id % 50 == 0 ? "数控车床 FANUC" : "空压机 螺杆";
        SupplyLine s = Line(id, title, code);
        if (id <= 5) {
            s.classification = {"CPV", "31440000-2"};
            if (id <= 2) s.additional_classifications = {{"CPV", "42990000-2"}};
        }
        lines.push_back(s);
    }
    return lines;
}

DemandLine Query(LineId id, bool two_terms) {
    DemandLine d;
    d.id = id;
    d.title = "数控车床";
    d.classification = {"CPV", "42621100-6"};
    if (two_terms) d.additional_classifications = {{"CPV", "31440000-2"}};
    d.quantity = 1;
    d.budget_amount = 1200.0;
    d.budget_currency = "CNY";
    d.delivery_region = "320505";
    d.status = "open";
    return d;
}

std::uint64_t GateCount(const SupplySnapshot& snapshot,
                        const std::vector<SupplyLine>& live,
                        const DemandLine& demand,
                        const MatchConfig& config) {
    std::uint64_t n = 0;
    for (const SupplyLine& line : live) {
        if (DemandPairText(snapshot, demand, line, config, nullptr).generated) ++n;
    }
    return n;
}

TEST(GeneratedCountTest, DenseAndSparseClassTermsTombstonesAndSegments) {
    testing::MatchEnv env;
    std::vector<SupplyLine> lines = Catalog();
    std::vector<SupplyLine> head(lines.begin(), lines.begin() + 1000);
    std::vector<SupplyLine> tail(lines.begin() + 1000, lines.end());
    auto snapshot = SupplySnapshot::Build(head);
    // The paths this test is about exist: a dense 42 bitset, no dense 31 bitset.
    const Segment<SupplyLine>& first = snapshot->segment(0);
    ASSERT_NE(first.ClassBits(ClassTerm("CPV", "42")), nullptr);
    ASSERT_NE(first.ClassBits(ClassTerm("CPV", "34")), nullptr);
    ASSERT_EQ(first.ClassBits(ClassTerm("CPV", "31")), nullptr);
    ASSERT_FALSE(first.Find(ClassTerm("CPV", "31")).empty());

    std::vector<SupplyLine> live = head;
    auto check = [&](const std::string& what) {
        for (bool two_terms : {false, true}) {
            const DemandLine demand = Query(77, two_terms);
            const std::uint64_t want = GateCount(*snapshot, live, demand, env.config);
            for (std::size_t k : {std::size_t{1}, std::size_t{3}, std::size_t{5000}}) {
                const MatchResult got = MatchDemand(*snapshot, demand, k, env.config, env.context);
                EXPECT_EQ(got.generated, want) << what << " two_terms " << two_terms << " k " << k;
                if (got.candidates.size() < k) {
                    // Listed and screened: every generated line examined.
                    EXPECT_EQ(got.examined, got.generated) << what << " k " << k;
                }
            }
        }
    };
    check("one segment");

    // Tombstones in the first segment: withdrawn lines in 42, in 31 (one also in 42), a
    // text-touched line, and replacements (the new copy lands in the second segment).
    std::vector<LineId> withdrawn = {1, 5, 50, 100, 7, 8, 9};
    std::vector<SupplyLine> upserts = tail;
    SupplyLine replaced = Line(2, "数控车床 立式", "31440000-2");
    replaced.additional_classifications = {{"CPV", "42990000-2"}};
    upserts.push_back(replaced);
    SupplyLine moved = Line(12, "空压机", "34144900-7");  // leaves division 42
    upserts.push_back(moved);
    snapshot = SupplySnapshot::Apply(snapshot, upserts, withdrawn);
    ASSERT_GE(snapshot->segment_count(), 2u);
    ASSERT_TRUE(snapshot->HasDeleted(0));
    std::erase_if(live, [&](const SupplyLine& s) {
        return std::find(withdrawn.begin(), withdrawn.end(), s.id) != withdrawn.end() ||
               s.id == 2 || s.id == 12;
    });
    live.insert(live.end(), upserts.begin(), upserts.end());
    ASSERT_EQ(live.size(), snapshot->live_count());
    check("tombstones and two segments");

    // A third segment, tombstones in the second.
    std::vector<LineId> later = {1001, 1100, 2};
    snapshot = SupplySnapshot::Apply(snapshot, {Line(5000, "螺杆", "42000000-1")}, later);
    std::erase_if(live, [&](const SupplyLine& s) {
        return std::find(later.begin(), later.end(), s.id) != later.end();
    });
    live.push_back(Line(5000, "螺杆", "42000000-1"));
    ASSERT_EQ(live.size(), snapshot->live_count());
    check("three segments");
}

TEST(GeneratedCountTest, ClassOnlyBlockSkippedAndScreenedAgree) {
    // The same query with k = 1 (the classification-only lines are out of reach of the k-th
    // score: counted, never listed) and k large (listed and screened): `generated` and the
    // normaliser agree, and the k = 1 answer is the first of the large-k answer.
    testing::MatchEnv env;
    const std::vector<SupplyLine> lines = Catalog();
    const auto snapshot = SupplySnapshot::Build(lines);
    const DemandLine demand = Query(78, true);
    const MatchResult one = MatchDemand(*snapshot, demand, 1, env.config, env.context);
    const MatchResult all = MatchDemand(*snapshot, demand, 5000, env.config, env.context);
    ASSERT_EQ(one.candidates.size(), 1u);
    ASSERT_GT(all.candidates.size(), 1u);
    EXPECT_LT(one.examined, one.generated);  // the block was skipped
    EXPECT_EQ(all.examined, all.generated);  // ... and here listed
    EXPECT_EQ(one.generated, all.generated);
    EXPECT_EQ(one.text_normaliser, all.text_normaliser);
    EXPECT_EQ(one.text_normaliser_id, all.text_normaliser_id);
    EXPECT_EQ(one.candidates[0].id, all.candidates[0].id);
    EXPECT_EQ(one.candidates[0].score, all.candidates[0].score);
}

}  // namespace
}  // namespace renewmatch::matcher
