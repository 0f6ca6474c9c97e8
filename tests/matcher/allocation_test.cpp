// Allocation (matcher/allocation.hpp): optimality against brute force on many small random
// instances (every integer assignment enumerated), capacity invariants, unassigned reasons,
// fractional quantities, determinism under input permutation, input validation, and the
// builder from match results.
#include "matcher/allocation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>

namespace renewmatch::matcher {
namespace {

Allocation Solve(const AllocationProblem& problem, const AllocationOptions& options = {}) {
    auto result = Allocate(problem, options);
    if (auto* error = std::get_if<AllocationError>(&result)) {
        ADD_FAILURE() << error->field << ": " << error->message;
        return {};
    }
    return std::get<Allocation>(std::move(result));
}

AllocationError SolveError(const AllocationProblem& problem,
                           const AllocationOptions& options = {}) {
    auto result = Allocate(problem, options);
    if (auto* error = std::get_if<AllocationError>(&result)) return *error;
    ADD_FAILURE() << "expected an error";
    return {};
}

// The best assignment by exhaustive enumeration of every integer flow on every edge.
struct BruteBest {
    std::int64_t units = -1;
    std::int64_t objective_units = 0;  // best rounded objective among max-unit assignments
    double objective = 0;              // best exact objective among max-unit assignments
};

BruteBest BruteForce(const AllocationProblem& problem, const AllocationOptions& options) {
    struct E {
        std::size_t demand;
        std::size_t supply;
        double score;
        std::int64_t score_units;
    };
    std::map<LineId, std::int64_t> capacity;
    std::map<LineId, std::size_t> supply_slot;
    std::vector<std::int64_t> cap_units;
    for (const AllocationSupply& s : problem.supplies) {
        if (!s.capacity) continue;
        supply_slot[s.id] = cap_units.size();
        cap_units.push_back(
            static_cast<std::int64_t>(std::floor(*s.capacity * options.units_per_quantity + 1e-9)));
    }
    std::vector<E> edges;
    std::vector<std::int64_t> demand_units;
    for (std::size_t i = 0; i < problem.demands.size(); ++i) {
        const AllocationDemand& d = problem.demands[i];
        demand_units.push_back(
            static_cast<std::int64_t>(std::floor(d.quantity * options.units_per_quantity + 1e-9)));
        for (const AllocationCandidate& c : d.candidates) {
            auto it = supply_slot.find(c.supply_id);
            if (it != supply_slot.end()) {
                edges.push_back(
                    {i, it->second, c.score, std::llround(c.score * options.score_scale)});
            }
        }
    }
    BruteBest best;
    std::vector<std::int64_t> left_d = demand_units;
    std::vector<std::int64_t> left_s = cap_units;
    std::function<void(std::size_t, std::int64_t, std::int64_t, double)> go =
        [&](std::size_t e, std::int64_t units, std::int64_t obj_units, double obj) {
            if (e == edges.size()) {
                if (units > best.units) {
                    best = {units, obj_units, obj};
                } else if (units == best.units) {
                    best.objective_units = std::max(best.objective_units, obj_units);
                    best.objective = std::max(best.objective, obj);
                }
                return;
            }
            const E& edge = edges[e];
            const std::int64_t most = std::min(left_d[edge.demand], left_s[edge.supply]);
            for (std::int64_t x = 0; x <= most; ++x) {
                left_d[edge.demand] -= x;
                left_s[edge.supply] -= x;
                go(e + 1, units + x, obj_units + x * edge.score_units,
                   obj + static_cast<double>(x) * edge.score);
                left_d[edge.demand] += x;
                left_s[edge.supply] += x;
            }
        };
    go(0, 0, 0, 0.0);
    return best;
}

// Random small instance: 1-4 demands, 1-4 supply lines, <= 7 edges, quantities and capacities
// 0-3 (some capacities unknown). `grid` scores are multiples of 1/1000; otherwise continuous.
AllocationProblem RandomProblem(std::mt19937& rng, bool grid, std::size_t max_edges = 7) {
    auto in = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    AllocationProblem p;
    const int nd = in(1, 4);
    const int ns = in(1, 4);
    for (int s = 0; s < ns; ++s) {
        AllocationSupply supply{100 + s, std::nullopt};
        if (in(0, 9) > 0) supply.capacity = in(0, 3);
        p.supplies.push_back(supply);
    }
    std::size_t edges = 0;
    for (int d = 0; d < nd; ++d) {
        AllocationDemand demand{10 + d, static_cast<double>(in(1, 3)), {}};
        for (int s = 0; s < ns && edges < max_edges; ++s) {
            if (in(0, 2) == 0) continue;
            const double score =
                grid ? in(0, 2000) / 1000.0 : std::uniform_real_distribution<double>(0.0, 1.9)(rng);
            demand.candidates.push_back({100 + s, score});
            ++edges;
        }
        p.demands.push_back(demand);
    }
    std::shuffle(p.demands.begin(), p.demands.end(), rng);
    return p;
}

void ExpectInvariants(const AllocationProblem& problem, const Allocation& a) {
    std::map<LineId, double> committed;
    std::map<LineId, double> assigned;
    std::map<LineId, std::map<LineId, double>> candidates;
    for (const AllocationDemand& d : problem.demands) {
        for (const AllocationCandidate& c : d.candidates) candidates[d.id][c.supply_id] = c.score;
    }
    std::map<LineId, std::optional<double>> capacity;
    for (const AllocationSupply& s : problem.supplies) capacity[s.id] = s.capacity;
    for (const Assignment& x : a.assignments) {
        EXPECT_GT(x.quantity, 0);
        ASSERT_TRUE(candidates[x.demand_id].contains(x.supply_id)) << "not a candidate";
        ASSERT_TRUE(capacity[x.supply_id].has_value()) << "assigned against unknown capacity";
        committed[x.supply_id] += x.quantity;
        assigned[x.demand_id] += x.quantity;
    }
    for (const auto& [id, q] : committed) {
        EXPECT_LE(q, *capacity[id] + 1e-9) << "supply " << id << " over-committed";
    }
    for (const SupplyUse& use : a.supplies) {
        EXPECT_LE(use.committed_units, use.capacity_units);
        EXPECT_NEAR(use.committed, committed[use.supply_id], 1e-9);
    }
    std::map<LineId, double> unassigned;
    for (const Unassigned& u : a.unassigned) {
        EXPECT_GT(u.quantity, 0);
        unassigned[u.demand_id] += u.quantity;
    }
    for (const AllocationDemand& d : problem.demands) {
        EXPECT_NEAR(assigned[d.id] + unassigned[d.id], d.quantity, 1e-9) << "demand " << d.id;
        EXPECT_LE(assigned[d.id], d.quantity + 1e-9);
    }
}

TEST(AllocationTest, OptimalAgainstBruteForceOnGridScores) {
    std::mt19937 rng(7);
    int nontrivial = 0;
    for (int round = 0; round < 400; ++round) {
        const AllocationProblem p = RandomProblem(rng, /*grid=*/true);
        const Allocation a = Solve(p);
        const BruteBest best = BruteForce(p, {});
        ASSERT_EQ(a.assigned_units, best.units) << "round " << round;
        // Grid scores are exact at scale 1e6, so the optimum is exact.
        ASSERT_EQ(a.objective_units, best.objective_units) << "round " << round;
        ASSERT_NEAR(a.objective, best.objective, 1e-9) << "round " << round;
        ExpectInvariants(p, a);
        if (best.units > 1) ++nontrivial;
    }
    EXPECT_GT(nontrivial, 150);  // the instances are not all trivial
}

TEST(AllocationTest, RoundingDoesNotChangeTheOptimumOnContinuousScores) {
    // Continuous scores are rounded to 1e-6; the exact objective of the solver's assignment is
    // compared with the exact brute-force optimum (bound: U / score_scale; observed: equal).
    std::mt19937 rng(11);
    for (int round = 0; round < 300; ++round) {
        const AllocationProblem p = RandomProblem(rng, /*grid=*/false);
        const Allocation a = Solve(p);
        const BruteBest best = BruteForce(p, {});
        ASSERT_EQ(a.assigned_units, best.units) << "round " << round;
        ASSERT_NEAR(a.objective, best.objective, 1e-9) << "round " << round;
        ExpectInvariants(p, a);
    }
}

TEST(AllocationTest, CoarseScaleCanOnlyLoseWithinTheStatedBound) {
    // At score_scale 10 (0.1 resolution) rounding may pick a worse assignment, but never by
    // more than U / score_scale, and the maximum quantity is unaffected.
    std::mt19937 rng(13);
    AllocationOptions coarse;
    coarse.score_scale = 10;
    int differed = 0;
    for (int round = 0; round < 300; ++round) {
        const AllocationProblem p = RandomProblem(rng, /*grid=*/false);
        const Allocation a = Solve(p, coarse);
        const BruteBest best = BruteForce(p, coarse);
        ASSERT_EQ(a.assigned_units, best.units);
        ASSERT_EQ(a.objective_units, best.objective_units);  // optimal on the rounded scores
        EXPECT_GE(a.objective, best.objective - static_cast<double>(best.units) / 10 - 1e-9);
        if (a.objective < best.objective - 1e-9) ++differed;
    }
    EXPECT_GT(differed, 0);  // the bound is not vacuous: coarse rounding does change optima
}

TEST(AllocationTest, MaximisesQuantityBeforeScore) {
    // Greedy by score would give d1 -> s1 (0.9) and leave d2 without supply.
    AllocationProblem p;
    p.supplies = {{1, 1.0}, {2, 1.0}};
    p.demands = {{10, 1, {{1, 0.9}, {2, 0.8}}}, {11, 1, {{1, 0.85}}}};
    const Allocation a = Solve(p);
    ASSERT_EQ(a.assignments.size(), 2u);
    EXPECT_EQ(a.assignments[0].demand_id, 10);
    EXPECT_EQ(a.assignments[0].supply_id, 2);
    EXPECT_EQ(a.assignments[1].demand_id, 11);
    EXPECT_EQ(a.assignments[1].supply_id, 1);
    EXPECT_TRUE(a.unassigned.empty());
    EXPECT_NEAR(a.objective, 1.65, 1e-12);
}

TEST(AllocationTest, BeatsGreedyOnScore) {
    // Greedy (best pair first) gives d1-s1 + d2-s2 = 1.1; the optimum is d1-s2 + d2-s1 = 1.85.
    AllocationProblem p;
    p.supplies = {{1, 1.0}, {2, 1.0}};
    p.demands = {{10, 1, {{1, 1.0}, {2, 0.9}}}, {11, 1, {{1, 0.95}, {2, 0.1}}}};
    const Allocation a = Solve(p);
    EXPECT_NEAR(a.objective, 1.85, 1e-12);
    ASSERT_EQ(a.assignments.size(), 2u);
    EXPECT_EQ(a.assignments[0].supply_id, 2);
    EXPECT_EQ(a.assignments[1].supply_id, 1);
}

TEST(AllocationTest, ReportsUnassignedQuantitiesWithReasons) {
    AllocationProblem p;
    p.supplies = {{1, 2.0}, {2, std::nullopt}, {3, 0.0}};
    p.demands = {
        {10, 3, {}},                    // no candidates
        {11, 2, {{2, 0.9}}},            // only an unknown capacity
        {12, 3, {{1, 0.5}, {2, 0.4}}},  // 2 from s1, 1 short: s1 exhausted (s2 unknown)
        {13, 1, {{3, 0.7}}},            // s3 has capacity 0
        {14, 1, {{99, 0.7}}},           // line not listed: unknown
    };
    const Allocation a = Solve(p);
    ExpectInvariants(p, a);
    ASSERT_EQ(a.assignments.size(), 1u);
    EXPECT_EQ(a.assignments[0].demand_id, 12);
    EXPECT_EQ(a.assignments[0].quantity, 2.0);
    std::map<LineId, std::pair<double, std::string_view>> reasons;
    for (const Unassigned& u : a.unassigned) {
        reasons[u.demand_id] = {u.quantity, UnassignedReasonName(u.reason)};
    }
    EXPECT_EQ(reasons[10], std::make_pair(3.0, std::string_view("no_candidates")));
    EXPECT_EQ(reasons[11], std::make_pair(2.0, std::string_view("capacity_unknown")));
    EXPECT_EQ(reasons[12], std::make_pair(1.0, std::string_view("capacity_exhausted")));
    EXPECT_EQ(reasons[13], std::make_pair(1.0, std::string_view("capacity_exhausted")));
    EXPECT_EQ(reasons[14], std::make_pair(1.0, std::string_view("capacity_unknown")));
    EXPECT_EQ(a.demanded, 10.0);
    EXPECT_EQ(a.assigned, 2.0);
}

TEST(AllocationTest, FractionalQuantitiesUseAllocationUnits) {
    AllocationProblem p;
    p.supplies = {{1, 10.0}};
    p.demands = {{10, 2.5, {{1, 0.5}}}, {11, 0.4, {{1, 0.5}}}};
    {
        const Allocation a = Solve(p);  // whole units
        ExpectInvariants(p, a);
        ASSERT_EQ(a.assignments.size(), 1u);
        EXPECT_EQ(a.assignments[0].quantity, 2.0);
        ASSERT_EQ(a.unassigned.size(), 2u);
        EXPECT_EQ(a.unassigned[0].reason, UnassignedReason::kBelowAllocationUnit);
        EXPECT_NEAR(a.unassigned[0].quantity, 0.5, 1e-12);
        EXPECT_EQ(a.unassigned[1].demand_id, 11);
        EXPECT_NEAR(a.unassigned[1].quantity, 0.4, 1e-12);
    }
    {
        AllocationOptions tenths;
        tenths.units_per_quantity = 10;
        const Allocation a = Solve(p, tenths);
        ExpectInvariants(p, a);
        EXPECT_TRUE(a.unassigned.empty());
        EXPECT_NEAR(a.assigned, 2.9, 1e-12);
        EXPECT_EQ(a.assigned_units, 29);
    }
}

TEST(AllocationTest, CapacityInvariantsOnLargerRandomInstances) {
    std::mt19937 rng(23);
    auto in = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (int round = 0; round < 30; ++round) {
        AllocationProblem p;
        for (int s = 0; s < 40; ++s) {
            AllocationSupply supply{1000 + s, std::nullopt};
            if (in(0, 9) > 1) supply.capacity = in(0, 30) / 2.0;
            p.supplies.push_back(supply);
        }
        for (int d = 0; d < 80; ++d) {
            AllocationDemand demand{d, in(1, 40) / 4.0, {}};
            for (int c = in(0, 6); c > 0; --c) {
                const LineId s = 1000 + in(0, 39);
                const bool dup =
                    std::any_of(demand.candidates.begin(), demand.candidates.end(),
                                [&](const AllocationCandidate& x) { return x.supply_id == s; });
                if (!dup) demand.candidates.push_back({s, in(0, 1000) / 500.0});
            }
            p.demands.push_back(demand);
        }
        AllocationOptions quarters;
        quarters.units_per_quantity = 4;
        const Allocation a = Solve(p, quarters);
        ExpectInvariants(p, a);
        EXPECT_TRUE(std::none_of(a.unassigned.begin(), a.unassigned.end(), [](const Unassigned& u) {
            return u.reason == UnassignedReason::kBelowAllocationUnit;
        }));
        // Every demand left short by exhaustion has all its known-capacity candidates full.
        std::map<LineId, const SupplyUse*> use;
        for (const SupplyUse& u : a.supplies) use[u.supply_id] = &u;
        for (const Unassigned& u : a.unassigned) {
            if (u.reason != UnassignedReason::kCapacityExhausted) continue;
            const auto d =
                std::find_if(p.demands.begin(), p.demands.end(),
                             [&](const AllocationDemand& x) { return x.id == u.demand_id; });
            for (const AllocationCandidate& c : d->candidates) {
                if (use.contains(c.supply_id)) {
                    EXPECT_EQ(use[c.supply_id]->committed_units, use[c.supply_id]->capacity_units);
                }
            }
        }
    }
}

// An independent reference for instances too large to enumerate: textbook successive shortest
// paths with Bellman-Ford on the plain network (no reductions, no potentials, no early stop).
std::pair<std::int64_t, std::int64_t> ReferenceMinCostFlow(const AllocationProblem& p) {
    const AllocationOptions options;
    struct Arc {
        std::size_t to;
        std::int64_t cap;
        std::int64_t cost;
    };
    std::vector<Arc> arcs;
    std::map<LineId, std::size_t> supply_vertex;
    std::size_t n = 2;
    std::vector<std::vector<std::size_t>> out(2);
    auto vertex = [&] {
        out.emplace_back();
        return n++;
    };
    auto arc = [&](std::size_t u, std::size_t v, std::int64_t cap, std::int64_t cost) {
        out[u].push_back(arcs.size());
        arcs.push_back({v, cap, cost});
        out[v].push_back(arcs.size());
        arcs.push_back({u, 0, -cost});
    };
    for (const AllocationSupply& s : p.supplies) {
        if (!s.capacity) continue;
        supply_vertex[s.id] = vertex();
        arc(supply_vertex[s.id], 1, static_cast<std::int64_t>(std::floor(*s.capacity + 1e-9)), 0);
    }
    for (const AllocationDemand& d : p.demands) {
        const std::size_t v = vertex();
        const auto q = static_cast<std::int64_t>(std::floor(d.quantity + 1e-9));
        arc(0, v, q, 0);
        for (const AllocationCandidate& c : d.candidates) {
            auto it = supply_vertex.find(c.supply_id);
            if (it != supply_vertex.end()) arc(v, it->second, q, -ScoreUnits(c.score, options));
        }
    }
    std::int64_t units = 0;
    std::int64_t objective = 0;
    constexpr std::int64_t kInf = std::numeric_limits<std::int64_t>::max() / 4;
    for (;;) {
        std::vector<std::int64_t> dist(n, kInf);
        std::vector<std::size_t> via(n, arcs.size());
        dist[0] = 0;
        for (bool changed = true; changed;) {
            changed = false;
            for (std::size_t u = 0; u < n; ++u) {
                if (dist[u] == kInf) continue;
                for (std::size_t a : out[u]) {
                    if (arcs[a].cap > 0 && dist[u] + arcs[a].cost < dist[arcs[a].to]) {
                        dist[arcs[a].to] = dist[u] + arcs[a].cost;
                        via[arcs[a].to] = a;
                        changed = true;
                    }
                }
            }
        }
        if (dist[1] == kInf) break;
        std::int64_t push = kInf;
        for (std::size_t v = 1; v != 0; v = arcs[via[v] ^ 1].to)
            push = std::min(push, arcs[via[v]].cap);
        for (std::size_t v = 1; v != 0; v = arcs[via[v] ^ 1].to) {
            arcs[via[v]].cap -= push;
            arcs[via[v] ^ 1].cap += push;
        }
        units += push;
        objective -= push * dist[1];
    }
    return {units, objective};
}

TEST(AllocationTest, MatchesAReferenceSolverOnCongestedMediumInstances) {
    // Every line shared by many demands with small capacities: no reduction applies, so this
    // exercises the multi-source, sink-stopped search on components of ~60 demands.
    std::mt19937 rng(41);
    auto in = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (int round = 0; round < 25; ++round) {
        AllocationProblem p;
        const int lines = in(5, 15);
        for (int s = 0; s < lines; ++s) {
            p.supplies.push_back({500 + s, static_cast<double>(in(0, 6))});
        }
        for (int d = 0; d < 60; ++d) {
            AllocationDemand demand{d, static_cast<double>(in(1, 4)), {}};
            for (int s = 0; s < lines; ++s) {
                if (in(0, 2) == 0) demand.candidates.push_back({500 + s, in(0, 1900) / 1000.0});
            }
            p.demands.push_back(demand);
        }
        const Allocation a = Solve(p);
        ExpectInvariants(p, a);
        const auto [units, objective] = ReferenceMinCostFlow(p);
        ASSERT_EQ(a.assigned_units, units) << "round " << round;
        ASSERT_EQ(a.objective_units, objective) << "round " << round;
        EXPECT_GT(a.augmentations, 0u);
    }
}

TEST(AllocationTest, DeterministicUnderPermutationAndRepetition) {
    std::mt19937 rng(31);
    for (int round = 0; round < 50; ++round) {
        AllocationProblem p = RandomProblem(rng, /*grid=*/true, /*max_edges=*/12);
        // Many ties: every score equal, so only the id-ordered search decides.
        if (round % 2 == 0) {
            for (AllocationDemand& d : p.demands) {
                for (AllocationCandidate& c : d.candidates) c.score = 0.5;
            }
        }
        const Allocation first = Solve(p);
        for (int perm = 0; perm < 4; ++perm) {
            std::shuffle(p.demands.begin(), p.demands.end(), rng);
            std::shuffle(p.supplies.begin(), p.supplies.end(), rng);
            for (AllocationDemand& d : p.demands) {
                std::shuffle(d.candidates.begin(), d.candidates.end(), rng);
            }
            const Allocation again = Solve(p);
            ASSERT_EQ(again.assignments.size(), first.assignments.size());
            for (std::size_t i = 0; i < first.assignments.size(); ++i) {
                EXPECT_EQ(again.assignments[i].demand_id, first.assignments[i].demand_id);
                EXPECT_EQ(again.assignments[i].supply_id, first.assignments[i].supply_id);
                EXPECT_EQ(again.assignments[i].units, first.assignments[i].units);
            }
            ASSERT_EQ(again.unassigned.size(), first.unassigned.size());
            for (std::size_t i = 0; i < first.unassigned.size(); ++i) {
                EXPECT_EQ(again.unassigned[i].demand_id, first.unassigned[i].demand_id);
                EXPECT_EQ(again.unassigned[i].reason, first.unassigned[i].reason);
            }
        }
    }
}

TEST(AllocationTest, RejectsInvalidInputNamingTheField) {
    AllocationProblem ok;
    ok.supplies = {{1, 2.0}};
    ok.demands = {{10, 1, {{1, 0.5}}}};
    {
        AllocationProblem p = ok;
        p.demands[0].quantity = -1;
        EXPECT_EQ(SolveError(p).field, "demands[0].quantity");
    }
    {
        AllocationProblem p = ok;
        p.demands[0].quantity = std::nan("");
        EXPECT_EQ(SolveError(p).field, "demands[0].quantity");
    }
    {
        AllocationProblem p = ok;
        p.demands[0].candidates[0].score = std::numeric_limits<double>::infinity();
        EXPECT_EQ(SolveError(p).field, "demands[0].candidates[0].score");
    }
    {
        AllocationProblem p = ok;
        p.demands[0].candidates.push_back({1, 0.2});
        EXPECT_EQ(SolveError(p).field, "demands[0].candidates");
    }
    {
        AllocationProblem p = ok;
        p.demands.push_back(p.demands[0]);
        EXPECT_EQ(SolveError(p).field, "demands");
    }
    {
        AllocationProblem p = ok;
        p.supplies[0].capacity = -3;
        EXPECT_EQ(SolveError(p).field, "supplies[0].capacity");
    }
    {
        AllocationProblem p = ok;
        p.supplies.push_back(p.supplies[0]);
        EXPECT_EQ(SolveError(p).field, "supplies");
    }
    {
        AllocationOptions bad;
        bad.units_per_quantity = 0;
        EXPECT_EQ(SolveError(ok, bad).field, "options.units_per_quantity");
    }
    EXPECT_EQ(Solve(AllocationProblem{}).assignments.size(), 0u);  // empty is fine
}

TEST(AllocationTest, BuildsTheProblemFromMatchResults) {
    SupplyLine a;
    a.id = 1;
    a.title = "螺杆空压机";
    a.capacity_per_month = 3;
    SupplyLine b;
    b.id = 2;
    b.title = "螺杆空压机 变频";
    const auto snapshot = SupplySnapshot::Build({a, b});
    DemandLine d;
    d.id = 10;
    d.title = "螺杆空压机 变频";
    d.quantity = 5;
    const std::vector<DemandLine> demands = {d};
    const std::vector<MatchResult> results = {
        MatchDemand(*snapshot, d, 10, MatchConfig{}, MatchContext{})};
    ASSERT_EQ(results[0].candidates.size(), 2u);
    const AllocationProblem p = MakeAllocationProblem(demands, results, *snapshot);
    ASSERT_EQ(p.demands.size(), 1u);
    EXPECT_EQ(p.demands[0].quantity, 5.0);
    ASSERT_EQ(p.supplies.size(), 2u);
    EXPECT_EQ(p.supplies[0].capacity, std::optional<double>(3.0));
    EXPECT_FALSE(p.supplies[1].capacity.has_value());
    const Allocation x = Solve(p);
    ASSERT_EQ(x.assignments.size(), 1u);
    EXPECT_EQ(x.assignments[0].supply_id, 1);
    EXPECT_EQ(x.assignments[0].quantity, 3.0);
    ASSERT_EQ(x.unassigned.size(), 1u);
    EXPECT_EQ(x.unassigned[0].reason, UnassignedReason::kCapacityExhausted);
    EXPECT_EQ(x.unassigned[0].quantity, 2.0);
}

}  // namespace
}  // namespace renewmatch::matcher
