// renewmatch_allocation_bench: scale check of matcher::Allocate (min-cost max-flow) against a
// greedy baseline measured in the same run on the same problem (ratios in docs/matching.md).
//
// Problem: RENEWMATCH_ALLOC_DEMANDS demands (10000) matched with MatchDemandsBatch (top
// RENEWMATCH_ALLOC_K = 10) against RENEWMATCH_ALLOC_LINES generated supply lines (100000;
// bench/generator.hpp: capacity_per_month 1..50 on most lines), turned into an allocation
// problem with MakeAllocationProblem. The matching is set-up, not timed.
//   BM_Allocate        matcher::Allocate on that problem
//   BM_GreedyBaseline  best-pair-first greedy (sort every edge by score, assign what fits)
//   BM_AllocateGiant   synthetic: every demand's 10 candidates drawn uniformly from all supply
//                      lines (one giant component before the reductions)
//   BM_AllocateCongested  synthetic hard case: RENEWMATCH_ALLOC_CONGESTED_DEMANDS (2000) demands
//                      over a pool of demands/5 lines with capacity 1..10, every line congested
//                      (no reduction applies; successive shortest paths on one component)
// Counters: assigned / objective of each method, and the flow's quality relative to greedy.
#include "bench/generator.hpp"
#include "matcher/allocation.hpp"
#include "matcher/engine.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <tuple>

namespace {

using namespace renewmatch;

std::size_t EnvSize(const char* name, std::size_t fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != 0 ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10))
                                   : fallback;
}

struct GreedyResult {
    double assigned = 0;
    double objective = 0;
};

// Best pair first: every (demand, supply) edge with a known capacity by score descending (ties:
// demand id, then supply id), assigning min(remaining quantity, remaining capacity) in whole
// units. Fast and never over-commits, but neither quantity- nor score-optimal.
GreedyResult Greedy(const matcher::AllocationProblem& p) {
    std::map<matcher::LineId, double> capacity;
    for (const auto& s : p.supplies) {
        if (s.capacity) capacity[s.id] = std::floor(*s.capacity + 1e-9);
    }
    std::map<matcher::LineId, double> remaining;
    std::vector<std::tuple<double, matcher::LineId, matcher::LineId>> edges;
    for (const auto& d : p.demands) {
        remaining[d.id] = std::floor(d.quantity + 1e-9);
        for (const auto& c : d.candidates) {
            if (capacity.contains(c.supply_id)) edges.emplace_back(-c.score, d.id, c.supply_id);
        }
    }
    std::sort(edges.begin(), edges.end());
    GreedyResult out;
    for (const auto& [neg_score, d, s] : edges) {
        const double x = std::min(remaining[d], capacity[s]);
        if (x <= 0) continue;
        remaining[d] -= x;
        capacity[s] -= x;
        out.assigned += x;
        out.objective += -neg_score * x;
    }
    return out;
}

struct World {
    matcher::AllocationProblem matched;
    matcher::AllocationProblem giant;
    matcher::AllocationProblem congested;
    World() {
        const std::size_t lines = EnvSize("RENEWMATCH_ALLOC_LINES", 100000);
        const std::size_t demands = EnvSize("RENEWMATCH_ALLOC_DEMANDS", 10000);
        const std::size_t k = EnvSize("RENEWMATCH_ALLOC_K", 10);
        bench::CatalogGenerator gen(42);
        std::vector<matcher::SupplyLine> supply;
        supply.reserve(lines);
        for (std::size_t i = 1; i <= lines; ++i) {
            supply.push_back(gen.Supply(static_cast<matcher::LineId>(i)));
        }
        const auto snapshot = matcher::SupplySnapshot::Build(std::move(supply));
        std::vector<matcher::DemandLine> ds;
        for (std::size_t i = 1; i <= demands; ++i) {
            ds.push_back(gen.Demand(static_cast<matcher::LineId>(1000000000 + i)));
        }
        matcher::MatchContext context;
        context.today = 20000;
        const auto results =
            matcher::MatchDemandsBatch(*snapshot, ds, k, matcher::MatchConfig{}, context, 2);
        matched = matcher::MakeAllocationProblem(ds, results, *snapshot);
        // The giant component: same demands and capacities, uniformly random candidates.
        std::mt19937 rng(7);
        std::uniform_int_distribution<matcher::LineId> pick(1, static_cast<matcher::LineId>(lines));
        std::uniform_real_distribution<double> score(0.5, 1.9);
        std::map<matcher::LineId, std::optional<double>> caps;
        for (const matcher::DemandLine& d : ds) {
            matcher::AllocationDemand demand{d.id, d.quantity, {}};
            while (demand.candidates.size() < k) {
                const matcher::LineId s = pick(rng);
                if (std::any_of(demand.candidates.begin(), demand.candidates.end(),
                                [&](const auto& c) { return c.supply_id == s; })) {
                    continue;
                }
                demand.candidates.push_back({s, score(rng)});
                caps[s] = snapshot->Find(s)->capacity_per_month;
            }
            giant.demands.push_back(std::move(demand));
        }
        for (const auto& [id, cap] : caps) giant.supplies.push_back({id, cap});
        // The hard case: every line congested (about 50 demands name each line, capacity
        // 1..10), so no reduction applies and one component is solved by shortest paths.
        const std::size_t hard = EnvSize("RENEWMATCH_ALLOC_CONGESTED_DEMANDS", 2000);
        const auto pool = static_cast<matcher::LineId>(std::max<std::size_t>(hard / 5, k));
        std::uniform_int_distribution<matcher::LineId> in_pool(1, pool);
        std::uniform_int_distribution<int> capacity(1, 10);
        std::uniform_int_distribution<int> quantity(1, 5);
        for (matcher::LineId s = 1; s <= pool; ++s) {
            congested.supplies.push_back({s, static_cast<double>(capacity(rng))});
        }
        for (std::size_t i = 1; i <= hard; ++i) {
            matcher::AllocationDemand demand{
                static_cast<matcher::LineId>(i), static_cast<double>(quantity(rng)), {}};
            while (demand.candidates.size() < k) {
                const matcher::LineId s = in_pool(rng);
                if (std::none_of(demand.candidates.begin(), demand.candidates.end(),
                                 [&](const auto& c) { return c.supply_id == s; })) {
                    demand.candidates.push_back({s, score(rng)});
                }
            }
            congested.demands.push_back(std::move(demand));
        }
    }
};

World& Shared() {
    static World world;
    return world;
}

void Report(benchmark::State& state,
            const matcher::AllocationProblem& problem,
            const matcher::Allocation& a) {
    const GreedyResult g = Greedy(problem);
    std::size_t edges = 0;
    for (const auto& d : problem.demands) edges += d.candidates.size();
    state.counters["demands"] = static_cast<double>(problem.demands.size());
    state.counters["edges"] = static_cast<double>(edges);
    state.counters["components"] = static_cast<double>(a.components);
    state.counters["augmentations"] = static_cast<double>(a.augmentations);
    state.counters["demanded"] = a.demanded;
    state.counters["assigned"] = a.assigned;
    state.counters["objective"] = a.objective;
    state.counters["greedy_assigned"] = g.assigned;
    state.counters["greedy_objective"] = g.objective;
    state.counters["assigned_vs_greedy"] = g.assigned > 0 ? a.assigned / g.assigned : 0;
    state.counters["objective_vs_greedy"] = g.objective > 0 ? a.objective / g.objective : 0;
}

matcher::Allocation Run(const matcher::AllocationProblem& problem) {
    auto result = matcher::Allocate(problem);
    if (auto* error = std::get_if<matcher::AllocationError>(&result)) {
        std::fprintf(stderr, "allocation failed: %s: %s\n", error->field.c_str(),
                     error->message.c_str());
        std::abort();
    }
    return std::get<matcher::Allocation>(std::move(result));
}

void BM_Allocate(benchmark::State& state) {
    const auto& problem = Shared().matched;
    matcher::Allocation a;
    for (auto _ : state) {
        a = Run(problem);
        benchmark::DoNotOptimize(a.objective);
    }
    Report(state, problem, a);
}

void BM_GreedyBaseline(benchmark::State& state) {
    const auto& problem = Shared().matched;
    GreedyResult g;
    for (auto _ : state) {
        g = Greedy(problem);
        benchmark::DoNotOptimize(g.objective);
    }
    state.counters["assigned"] = g.assigned;
    state.counters["objective"] = g.objective;
}

void BM_AllocateGiant(benchmark::State& state) {
    const auto& problem = Shared().giant;
    matcher::Allocation a;
    for (auto _ : state) {
        a = Run(problem);
        benchmark::DoNotOptimize(a.objective);
    }
    Report(state, problem, a);
}

void BM_GreedyGiant(benchmark::State& state) {
    const auto& problem = Shared().giant;
    GreedyResult g;
    for (auto _ : state) {
        g = Greedy(problem);
        benchmark::DoNotOptimize(g.objective);
    }
    state.counters["assigned"] = g.assigned;
    state.counters["objective"] = g.objective;
}

void BM_AllocateCongested(benchmark::State& state) {
    const auto& problem = Shared().congested;
    matcher::Allocation a;
    for (auto _ : state) {
        a = Run(problem);
        benchmark::DoNotOptimize(a.objective);
    }
    Report(state, problem, a);
}

void BM_GreedyCongested(benchmark::State& state) {
    const auto& problem = Shared().congested;
    GreedyResult g;
    for (auto _ : state) {
        g = Greedy(problem);
        benchmark::DoNotOptimize(g.objective);
    }
    state.counters["assigned"] = g.assigned;
    state.counters["objective"] = g.objective;
}

BENCHMARK(BM_GreedyBaseline)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_Allocate)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_GreedyGiant)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_AllocateGiant)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_GreedyCongested)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_AllocateCongested)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
