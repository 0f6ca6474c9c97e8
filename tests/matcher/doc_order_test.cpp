// Doc order inside a segment (index.hpp, "Doc order"): docs are numbered by primary
// classification, title prefix and line id, not by arrival order, and nothing a query returns
// depends on doc numbers.
//   * lines of one classification are one contiguous doc range, sorted by (title prefix, id);
//   * the segment is a function of the set of lines: any arrival order, any block split gives
//     the same segment;
//   * MatchDemand / MatchSupply / MatchProject results -- candidates, scores, features,
//     generated, examined, pruned, every rejected count, the normaliser and its id -- are the
//     same for any arrival order, for Build vs Apply (several segments, tombstones, merges), on
//     catalogs built to have many equal raw BM25 values and equal bounds (the ties that used to
//     be broken by doc number).
#include "matcher/engine.hpp"
#include "matcher/units.hpp"
#include "tests/support/index_compare.hpp"
#include "tests/support/random_lines.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace renewmatch::matcher {
namespace {

// Few words and classes: many lines share a title exactly, so raw BM25 ties are the rule.
const std::vector<std::string> kWords = {"数控", "车床", "pump", "motor", "VMC-850", "FANUC"};
const std::vector<std::string> kClasses = {"42621100-6", "42622000-6", "42990000-2", "31440000-2",
                                           ""};
const std::vector<std::string> kRegions = {"32", "3205", "44", "11"};

class TieGenerator : public testing::RandomSource {
  public:
    using RandomSource::RandomSource;
    std::string Text(int lo, int hi) { return RandomSource::Text(kWords, lo, hi); }
    SupplyLine Supply(LineId id) {
        SupplyLine s;
        s.id = id;
        s.vendor_id = Int(1, 6);
        s.title = Text(1, 2);
        if (Coin(0.1)) s.description = Text(1, 2);
        s.classification.id = Pick(kClasses);
        if (Coin(0.1)) s.additional_classifications.push_back({"CPV", Pick(kClasses)});
        // Few distinct values: equal scores and equal bounds are frequent too.
        if (Coin(0.7)) s.price_amount = Int(1, 3) * 10000.0;
        if (Coin(0.5)) s.capacity_per_month = 5;
        if (Coin(0.5)) s.lead_time_days = Int(1, 2) * 20;
        if (Coin(0.3)) s.service_areas = {Pick(kRegions)};
        if (Coin(0.5)) s.certifications.push_back({"CE", "n", std::nullopt});
        if (Coin(0.4)) s.attributes.push_back({"power", Int(1, 2) * 5.0, {}, {}, "kW", ""});
        s.second_hand = Coin(0.05);
        s.status = Coin(0.95) ? "active" : "suspended";
        s.vendor_region = Pick(kRegions);
        s.last_confirmed_at = 90 + Int(0, 1) * 5;
        return s;
    }
    DemandLine Demand(LineId id) {
        DemandLine d;
        d.id = id;
        d.title = Text(1, 2);
        if (Coin(0.7)) d.classification.id = Pick(kClasses);
        d.quantity = Int(1, 3);
        if (Coin(0.6)) d.budget_amount = Int(1, 3) * 20000.0;
        if (Coin(0.5)) d.delivery_region = Pick(kRegions);
        if (Coin(0.5)) d.need_by = 100 + Int(10, 40);
        if (Coin(0.4)) d.certifications_required = {"CE"};
        if (Coin(0.4)) {
            Requirement r;
            r.name = "power";
            r.min = 8;
            r.unit = "kW";
            r.mandatory = Coin(0.7);
            d.requirements.push_back(r);
        }
        return d;
    }
};

using Env = testing::MatchEnv;

Env& Shared() {
    static Env env;
    return env;
}

std::vector<SupplyLine> Catalog(unsigned seed, std::size_t n) {
    TieGenerator gen(seed);
    std::vector<SupplyLine> lines;
    for (std::size_t i = 0; i < n; ++i) lines.push_back(gen.Supply(static_cast<LineId>(i + 1)));
    return lines;
}

std::vector<DemandLine> Demands(unsigned seed, std::size_t n, LineId first_id) {
    TieGenerator gen(seed);
    std::vector<DemandLine> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(gen.Demand(first_id + static_cast<LineId>(i)));
    return out;
}

template <class T>
std::vector<T> Shuffled(std::vector<T> v, unsigned seed) {
    std::mt19937 rng(seed);
    std::shuffle(v.begin(), v.end(), rng);
    return v;
}

// Every field of a result, bit for bit.
void ExpectSameResult(const MatchResult& a, const MatchResult& b) {
    EXPECT_EQ(a.generated, b.generated);
    EXPECT_EQ(a.examined, b.examined);
    EXPECT_EQ(a.pruned, b.pruned);
    EXPECT_EQ(a.rejected, b.rejected);
    EXPECT_EQ(a.text_normaliser, b.text_normaliser);
    EXPECT_EQ(a.text_normaliser_id, b.text_normaliser_id);
    EXPECT_EQ(a.unpinned_terms, b.unpinned_terms);
    ASSERT_EQ(a.candidates.size(), b.candidates.size());
    for (std::size_t i = 0; i < a.candidates.size(); ++i) {
        const Candidate& x = a.candidates[i];
        const Candidate& y = b.candidates[i];
        EXPECT_EQ(x.id, y.id) << "rank " << i;
        EXPECT_EQ(x.score, y.score) << "rank " << i;
        for (std::size_t f = 0; f < kFeatureCount; ++f) {
            EXPECT_EQ(x.features[f].value, y.features[f].value) << "rank " << i << " f " << f;
            EXPECT_EQ(x.features[f].contribution, y.features[f].contribution);
        }
        EXPECT_EQ(x.filters_passed, y.filters_passed);
    }
}

// The primary-class key the doc order sorts by first.
template <class Line>
std::string ClassKey(const Line& line) {
    return line.classification.scheme + "|" + line.classification.id;
}

TEST(DocOrderTest, LinesOfOneClassificationAreContiguousAndSorted) {
    // Arrival order interleaves the classes (shuffled ids): an arrival-order numbering would
    // split every class into many runs.
    const auto lines = Shuffled(Catalog(11, 2000), 5);
    const auto snapshot = SupplySnapshot::Build(lines);
    ASSERT_EQ(snapshot->segment_count(), 1u);
    const Segment<SupplyLine>& segment = snapshot->segment(0);
    ASSERT_EQ(segment.lines.size(), lines.size());
    std::set<std::string> closed;  // classes whose run has ended
    std::size_t runs = 0;
    for (std::size_t d = 0; d < segment.lines.size(); ++d) {
        const std::string key = ClassKey(segment.lines[d]);
        if (d == 0 || key != ClassKey(segment.lines[d - 1])) {
            ++runs;
            EXPECT_FALSE(closed.count(key)) << "class " << key << " split at doc " << d;
            if (d > 0) closed.insert(ClassKey(segment.lines[d - 1]));
        } else {
            // Inside a class: title bytes, then id, ascending.
            const SupplyLine& p = segment.lines[d - 1];
            const SupplyLine& q = segment.lines[d];
            const std::string pt = p.title.substr(0, 16);
            const std::string qt = q.title.substr(0, 16);
            EXPECT_TRUE(pt < qt || (pt == qt && p.id < q.id)) << "doc " << d;
        }
        EXPECT_EQ(segment.ids[d], segment.lines[d].id);
        EXPECT_EQ(segment.LocalDoc(segment.lines[d].id), static_cast<std::int64_t>(d));
    }
    EXPECT_EQ(runs, kClasses.size());
    // Postings stay doc-sorted and point at docs that hold the term's class.
    const std::string term = ClassTerm("CPV", "4262");
    const auto postings = segment.Find(term);
    ASSERT_FALSE(postings.empty());
    for (std::size_t i = 1; i < postings.size(); ++i) {
        EXPECT_LT(postings[i - 1].doc, postings[i].doc);
    }
    // The class-only postings of the primary classes form near-contiguous ranges: the docs
    // whose PRIMARY class is under 4262 are exactly one range.
    std::uint32_t lo = UINT32_MAX;
    std::uint32_t hi = 0;
    std::size_t primary = 0;
    for (std::uint32_t d = 0; d < segment.lines.size(); ++d) {
        if (segment.lines[d].classification.id.rfind("4262", 0) == 0) {
            lo = std::min(lo, d);
            hi = std::max(hi, d);
            ++primary;
        }
    }
    ASSERT_GT(primary, 0u);
    EXPECT_EQ(hi - lo + 1, primary);
    // Lengths and records follow the lines.
    for (std::uint32_t d = 0; d < segment.lines.size(); d += 97) {
        std::uint32_t length = 0;
        for (const auto& [t, tf] : IndexTerms(segment.lines[d], snapshot->options())) length += tf;
        EXPECT_EQ(segment.lengths[d], length) << "doc " << d;
        const SupplyRecords one = BuildSupplyRecords(std::span(&segment.lines[d], 1));
        EXPECT_EQ(segment.records.lines[d].lead_time_days, one.lines[0].lead_time_days);
        EXPECT_EQ(segment.records.lines[d].price, one.lines[0].price);
        EXPECT_EQ(segment.records.lines[d].flags, one.lines[0].flags);
    }
}

TEST(DocOrderTest, SegmentIsAFunctionOfTheSetOfLines) {
    const auto lines = Catalog(12, 3000);
    const auto in_order = SupplySnapshot::Build(lines);
    const auto shuffled = SupplySnapshot::Build(Shuffled(lines, 7));
    testing::ExpectSameSnapshot(*in_order, *shuffled);
    // SegmentBuilder with uneven blocks, fed in yet another order.
    auto reversed = lines;
    std::reverse(reversed.begin(), reversed.end());
    SegmentBuilder<SupplyLine> builder(IndexOptions{});
    std::size_t at = 0;
    for (std::size_t size : {1u, 700u, 5u, 1294u, 1000u}) {
        std::span<SupplyLine> block(reversed.data() + at, size);
        builder.Append(builder.Analyse(block), block);
        at += size;
    }
    ASSERT_EQ(at, reversed.size());
    testing::ExpectSameSnapshot(*in_order, *builder.Finish());
    // Demand segments too.
    const auto demands = Demands(13, 500, 100000);
    testing::ExpectSameSnapshot(*DemandSnapshot::Build(demands),
                                *DemandSnapshot::Build(Shuffled(demands, 3)));
}

// The same live lines, built five ways.
struct Variants {
    std::vector<std::shared_ptr<const SupplySnapshot>> snapshots;
    std::vector<std::string> names;
};

Variants BuildVariants(const std::vector<SupplyLine>& final_lines, unsigned seed) {
    Variants v;
    auto add = [&](std::string name, std::shared_ptr<const SupplySnapshot> s) {
        v.names.push_back(std::move(name));
        v.snapshots.push_back(std::move(s));
    };
    add("build", SupplySnapshot::Build(final_lines));
    add("build shuffled", SupplySnapshot::Build(Shuffled(final_lines, seed)));
    // Build a stale first half (modified titles and prices, plus lines withdrawn later), then
    // Apply the real lines in shuffled chunks: several segments, tombstones, one merge.
    const auto shuffled = Shuffled(final_lines, seed + 1);
    const auto half = static_cast<std::ptrdiff_t>(shuffled.size() / 2);
    std::vector<SupplyLine> stale(shuffled.begin(), shuffled.begin() + half);
    for (std::size_t i = 0; i < stale.size(); i += 3) {
        stale[i].title += " motor";
        stale[i].price_amount = 5000.0;
    }
    std::vector<LineId> withdrawn;
    for (LineId id = 900000; id < 900050; ++id) {
        SupplyLine ghost = stale[static_cast<std::size_t>(id) % stale.size()];
        ghost.id = id;
        stale.push_back(ghost);
        withdrawn.push_back(id);
    }
    IndexOptions few;
    few.max_segments = 3;
    auto applied = SupplySnapshot::Build(stale, few);
    const std::size_t chunk = (shuffled.size() + 4) / 5;
    for (std::size_t at = 0; at < shuffled.size(); at += chunk) {
        std::vector<SupplyLine> upserts(
            shuffled.begin() + static_cast<std::ptrdiff_t>(at),
            shuffled.begin() + static_cast<std::ptrdiff_t>(std::min(at + chunk, shuffled.size())));
        std::vector<LineId> out;
        if (at == 0) out = withdrawn;
        applied = SupplySnapshot::Apply(applied, std::move(upserts), out);
    }
    EXPECT_GT(applied->segment_count(), 1u);
    EXPECT_EQ(applied->live_count(), final_lines.size());
    add("apply + merges", applied);
    return v;
}

class DocOrderResults : public ::testing::TestWithParam<unsigned> {};

TEST_P(DocOrderResults, MatchDemandIsIndependentOfArrivalOrderAndSegments) {
    const Env& env = Shared();
    const unsigned seed = GetParam();
    const auto lines = Catalog(seed, 2500);
    const Variants v = BuildVariants(lines, seed * 31);
    const auto demands = Demands(seed + 100, 30, 500000);
    std::size_t ties_seen = 0;
    for (const DemandLine& demand : demands) {
        // The catalog must exercise ties: several lines share the best raw BM25.
        const MatchResult first = MatchDemand(*v.snapshots[0], demand, 1, env.config, env.context);
        if (first.text_normaliser > 0) {
            std::size_t best = 0;
            for (const SupplyLine& line : lines) {
                const PairText t =
                    DemandPairText(*v.snapshots[0], demand, line, env.config, nullptr, nullptr);
                best += t.raw == first.text_normaliser;
            }
            ties_seen += best > 1;
        }
        for (std::size_t k : {1u, 5u, 40u}) {
            const MatchResult want =
                MatchDemand(*v.snapshots[0], demand, k, env.config, env.context);
            for (std::size_t i = 1; i < v.snapshots.size(); ++i) {
                SCOPED_TRACE(v.names[i] + ", demand " + std::to_string(demand.id) + ", k " +
                             std::to_string(k));
                ExpectSameResult(MatchDemand(*v.snapshots[i], demand, k, env.config, env.context),
                                 want);
            }
        }
    }
    EXPECT_GT(ties_seen, 10u);
    // MatchProject over the same variants.
    const ProjectMatch want = MatchProject(*v.snapshots[0], demands, 5, 5, env.config, env.context);
    for (std::size_t i = 1; i < v.snapshots.size(); ++i) {
        const ProjectMatch got =
            MatchProject(*v.snapshots[i], demands, 5, 5, env.config, env.context);
        EXPECT_EQ(got.uncovered, want.uncovered);
        ASSERT_EQ(got.vendors.size(), want.vendors.size());
        for (std::size_t j = 0; j < got.vendors.size(); ++j) {
            EXPECT_EQ(got.vendors[j].vendor_id, want.vendors[j].vendor_id);
            EXPECT_EQ(got.vendors[j].total_score, want.vendors[j].total_score);
            EXPECT_EQ(got.vendors[j].lines_covered, want.vendors[j].lines_covered);
        }
    }
}

TEST_P(DocOrderResults, MatchSupplyIsIndependentOfArrivalOrderAndSegments) {
    const Env& env = Shared();
    const unsigned seed = GetParam();
    const auto demands = Demands(seed + 200, 1500, 1);
    const auto built = DemandSnapshot::Build(demands);
    const auto shuffled = DemandSnapshot::Build(Shuffled(demands, seed));
    auto applied =
        DemandSnapshot::Build(std::vector<DemandLine>(demands.begin() + 700, demands.end()));
    applied = DemandSnapshot::Apply(
        applied, std::vector<DemandLine>(demands.begin(), demands.begin() + 700), {});
    const auto supplies = Catalog(seed + 300, 25);
    for (const SupplyLine& supply : supplies) {
        for (std::size_t k : {1u, 5u, 40u}) {
            SCOPED_TRACE("supply " + std::to_string(supply.id) + ", k " + std::to_string(k));
            const MatchResult want = MatchSupply(*built, supply, k, env.config, env.context);
            ExpectSameResult(MatchSupply(*shuffled, supply, k, env.config, env.context), want);
            ExpectSameResult(MatchSupply(*applied, supply, k, env.config, env.context), want);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DocOrderResults, ::testing::Range(1u, 5u));

}  // namespace
}  // namespace renewmatch::matcher
