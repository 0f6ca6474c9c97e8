// Run diff (matcher/run_diff.hpp): entered / left / moved per demand, k truncation, first run,
// duplicates, and a randomised check that applying the diff to the previous top-k reproduces
// the new top-k's membership and ranks.
#include "matcher/run_diff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace renewmatch::matcher {
namespace {

std::vector<RankedLine> Ranking(std::initializer_list<LineId> ids) {
    std::vector<RankedLine> out;
    double score = 1.0;
    for (LineId id : ids) {
        out.push_back({id, score});
        score -= 0.1;
    }
    return out;
}

TEST(RunDiffTest, EnteredLeftAndMoved) {
    const auto before = Ranking({1, 2, 3, 4});
    const auto after = Ranking({3, 1, 5, 4});
    const TopKDiff d = DiffTopK(before, after, 4);
    ASSERT_EQ(d.entered.size(), 1u);
    EXPECT_EQ(d.entered[0].id, 5);
    EXPECT_EQ(d.entered[0].rank, 3u);
    ASSERT_EQ(d.left.size(), 1u);
    EXPECT_EQ(d.left[0].id, 2);
    EXPECT_EQ(d.left[0].previous_rank, 2u);
    ASSERT_EQ(d.moved.size(), 2u);
    EXPECT_EQ(d.moved[0].id, 3);  // by new rank
    EXPECT_EQ(d.moved[0].previous_rank, 3u);
    EXPECT_EQ(d.moved[0].rank, 1u);
    EXPECT_EQ(d.moved[1].id, 1);
    EXPECT_EQ(d.moved[1].rank, 2u);
    EXPECT_EQ(d.unchanged, 1u);  // 4 stayed 4th
    EXPECT_TRUE(d.changed());
}

TEST(RunDiffTest, IdenticalRankingsHaveNoChange) {
    const auto r = Ranking({7, 8, 9});
    const TopKDiff d = DiffTopK(r, r, 10);
    EXPECT_FALSE(d.changed());
    EXPECT_EQ(d.unchanged, 3u);
}

TEST(RunDiffTest, FirstRunEntersEverything) {
    const TopKDiff d = DiffTopK({}, Ranking({4, 2}), 10);
    ASSERT_EQ(d.entered.size(), 2u);
    EXPECT_EQ(d.entered[0].id, 4);
    EXPECT_EQ(d.entered[1].id, 2);
    EXPECT_TRUE(d.left.empty());
}

TEST(RunDiffTest, OnlyTheTopKCounts) {
    // The previous run kept 5; at k = 3, id 4 sliding from 4th to 3rd is an entry and 3 leaving
    // the top 3 is a departure, while 5 (beyond k on both sides) is not mentioned.
    const TopKDiff d = DiffTopK(Ranking({1, 2, 3, 4, 5}), Ranking({1, 2, 4, 3, 5}), 3);
    ASSERT_EQ(d.entered.size(), 1u);
    EXPECT_EQ(d.entered[0].id, 4);
    ASSERT_EQ(d.left.size(), 1u);
    EXPECT_EQ(d.left[0].id, 3);
    EXPECT_TRUE(d.moved.empty());
}

TEST(RunDiffTest, DuplicateIdsCountAtTheirFirstPosition) {
    const TopKDiff d = DiffTopK(Ranking({1, 2, 1}), Ranking({1, 2}), 3);
    EXPECT_FALSE(d.changed());
}

TEST(RunDiffTest, RandomDiffsReconstructTheNewTopK) {
    std::mt19937 rng(3);
    for (int round = 0; round < 500; ++round) {
        std::vector<LineId> pool(20);
        for (LineId i = 0; i < 20; ++i) pool[static_cast<std::size_t>(i)] = i + 1;
        std::shuffle(pool.begin(), pool.end(), rng);
        std::vector<RankedLine> before;
        std::vector<RankedLine> after;
        const std::size_t nb = rng() % 9;
        const std::size_t na = rng() % 9;
        for (std::size_t i = 0; i < nb; ++i) before.push_back({pool[i], 1.0 / double(i + 1)});
        std::shuffle(pool.begin(), pool.begin() + 12, rng);
        for (std::size_t i = 0; i < na; ++i) after.push_back({pool[i], 1.0 / double(i + 1)});
        const std::size_t k = 1 + rng() % 8;
        const TopKDiff d = DiffTopK(before, after, k);
        // previous membership - left + entered == new membership; ranks agree.
        std::map<LineId, std::size_t> rebuilt;
        for (std::size_t i = 0; i < std::min(k, before.size()); ++i) rebuilt[before[i].id] = i + 1;
        for (const auto& l : d.left) ASSERT_EQ(rebuilt.erase(l.id), 1u);
        for (const auto& e : d.entered) ASSERT_TRUE(rebuilt.emplace(e.id, e.rank).second);
        for (const auto& m : d.moved) {
            ASSERT_EQ(rebuilt.at(m.id), m.previous_rank);
            rebuilt[m.id] = m.rank;
        }
        std::map<LineId, std::size_t> expected;
        for (std::size_t i = 0; i < std::min(k, after.size()); ++i) expected[after[i].id] = i + 1;
        ASSERT_EQ(rebuilt, expected) << "round " << round;
        EXPECT_EQ(d.unchanged + d.moved.size() + d.entered.size(), expected.size());
    }
}

TEST(RunDiffTest, RankingOfAMatchResult) {
    MatchResult r;
    r.candidates.resize(2);
    r.candidates[0].id = 9;
    r.candidates[0].score = 0.8;
    r.candidates[1].id = 3;
    r.candidates[1].score = 0.5;
    const auto ranking = RankingOf(r);
    ASSERT_EQ(ranking.size(), 2u);
    EXPECT_EQ(ranking[0].id, 9);
    EXPECT_EQ(ranking[1].score, 0.5);
}

}  // namespace
}  // namespace renewmatch::matcher
