// Capacity-aware allocation: assigns demand quantities to supply-line capacities as a min-cost
// flow (Boost.Graph), given each demand's candidates and their scores (DESIGN §5.6).
//
// Model. The "supplier" whose capacity is limited is the SUPPLY LINE: `capacity_per_month` is a
// property of a line (one product of one vendor), and a vendor publishing two lines publishes
// two capacities. The flow network is
//     source -> demand d       capacity = d's quantity (in allocation units), cost 0
//     demand d -> supply s     for every candidate s of d, capacity = d's quantity,
//                              cost = M - round(score(d, s) * score_scale)
//     supply s -> sink         capacity = s's capacity (in allocation units), cost 0
// where M is the largest rounded score of the problem (so every cost is >= 0). Every unit of
// flow crosses exactly one demand -> supply edge, so for a flow of value F the cost is
// M * F - sum(rounded score * units). A minimum-cost MAXIMUM flow therefore (1) assigns as many
// units as possible and (2) among those maximises sum(score * quantity) on the rounded scores.
//
// Rounding. Scores are rounded to integers at `score_scale` (default 1e6, i.e. 1e-6 score
// resolution). On U assigned units the rounded objective differs from the exact one by at most
// U / (2 * score_scale) for ANY assignment, so the assignment found is optimal for the exact
// objective within U / score_scale, and exactly optimal when scores are multiples of
// 1 / score_scale (tests compare against brute force on both kinds of instances).
//
// Quantities. Flow is integral: a quantity q counts floor(q * units_per_quantity + 1e-9) units
// (default 1 unit = 1 of the demand's quantity unit, e.g. one piece for C62). A demand's
// fractional remainder below one unit is reported unassigned with reason
// `below_allocation_unit`; capacities are floored the same way. The demand's quantity and the
// supply line's capacity are taken to be in the same unit (as the engine's capacity feature
// does). A candidate whose supply line has no known capacity is NOT allocatable (nothing may be
// promised against an unknown capacity); a demand all of whose candidates are like that is
// reported with reason `capacity_unknown`.
//
// Unassigned reasons (per demand, with the quantity): `no_candidates` (the demand has no
// candidate at all), `capacity_unknown` (no candidate has a known capacity),
// `capacity_exhausted` (at the maximum flow every candidate with known capacity is fully
// committed, to this or other demands: a demand left short has a residual source edge, so any
// unsaturated candidate would give an augmenting path), `below_allocation_unit` (see above).
//
// Guarantees. No supply line is ever committed beyond its capacity (flow conservation on the
// supply -> sink edge; re-checked after solving). Deterministic: the input is canonicalised
// (demands by id, candidates by supply id, supplies by id) and the solver is deterministic, so
// the same problem, in any input order, yields the same assignment. Among several optimal
// assignments the one returned is the one the id-ordered search finds first; no further
// preference is promised.
//
// Algorithm and complexity. Two exact reductions come first (proof at the code): a supply
// line is "uncongested" when its capacity covers every open demand naming it; a demand whose
// best candidate is uncongested takes it whole (to a fixpoint), and uncongested lines do not
// connect demands. The rest is split into connected components (union-find over demand /
// congested-supply edges); each component is solved by successive shortest paths with Johnson
// potentials, each path found by boost::dijkstra_shortest_paths_no_init on the residual graph
// (boost::filtered_graph), multi-source: open demands stay at distance 0 and are not expanded
// (each line starts at its cheapest edge from an open demand, from a per-line list sorted by
// cost), and the search stops when the sink is settled. Per component: O(A * (E' + V) log V)
// for A augmenting paths (A is at most the number of units, in practice about the number of
// demands plus saturated lines), E' = edges of lines and already-full demands, V = vertices.
// The loop is written here rather than calling
// boost::successive_shortest_path_nonnegative_weights because that function adds the
// "infinite" distance of unreachable vertices to their potentials, a signed overflow, and
// always searches the whole graph from the source.
//
// Errors. Invalid input (non-finite or non-positive quantities, negative capacities, duplicate
// ids, non-finite scores, options out of range) returns an AllocationError naming the field;
// nothing is partially computed.
//
// Thread-safety: pure functions of their arguments; safe to call concurrently.
#pragma once

#include "matcher/domain.hpp"
#include "matcher/engine.hpp"
#include "matcher/index.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace renewmatch::matcher {

struct AllocationCandidate {
    LineId supply_id = 0;
    double score = 0;  // higher is better; any finite value
};

struct AllocationDemand {
    LineId id = 0;
    double quantity = 0;  // > 0, in the demand's quantity unit
    std::vector<AllocationCandidate> candidates;
};

struct AllocationSupply {
    LineId id = 0;
    std::optional<double> capacity;  // >= 0; absent = unknown (not allocatable)
};

struct AllocationProblem {
    std::vector<AllocationDemand> demands;
    // Capacities of the supply lines the candidates name; a candidate naming a line not listed
    // here is treated as capacity unknown.
    std::vector<AllocationSupply> supplies;
};

struct AllocationOptions {
    double units_per_quantity = 1;  // allocation units per quantity unit, in (0, 1e6]
    double score_scale = 1e6;       // score resolution of the integer costs, in (0, 1e9]
};

enum class UnassignedReason : std::uint8_t {
    kNoCandidates,
    kCapacityUnknown,
    kCapacityExhausted,
    kBelowAllocationUnit,
};
std::string_view UnassignedReasonName(UnassignedReason reason);  // "no_candidates", ...

struct Assignment {
    LineId demand_id = 0;
    LineId supply_id = 0;
    double quantity = 0;
    double score = 0;
    std::int64_t units = 0;
};

struct Unassigned {
    LineId demand_id = 0;
    double quantity = 0;
    UnassignedReason reason = UnassignedReason::kNoCandidates;
};

struct SupplyUse {
    LineId supply_id = 0;
    double capacity = 0;
    double committed = 0;  // <= capacity, always
    std::int64_t capacity_units = 0;
    std::int64_t committed_units = 0;
};

struct Allocation {
    std::vector<Assignment> assignments;  // by demand id, then supply id; quantity > 0
    std::vector<Unassigned> unassigned;   // by demand id, then reason; quantity > 0
    std::vector<SupplyUse> supplies;      // every known-capacity line some candidate names, by id
    double demanded = 0;                  // sum of demand quantities
    double assigned = 0;                  // sum of assignment quantities
    double objective = 0;                 // sum of score * quantity over assignments (exact scores)
    std::int64_t assigned_units = 0;
    std::int64_t objective_units = 0;  // sum of rounded score * units (what the solver maximised)
    std::size_t direct = 0;            // demands served whole by their best, uncongested candidate
    std::size_t components = 0;        // connected components solved
    std::size_t augmentations = 0;     // shortest paths augmented, over all components
};

struct AllocationError {
    std::string field;  // e.g. "demands[3].quantity"
    std::string message;
};

// Solves the problem; see the header comment for the model, objective and guarantees.
std::variant<Allocation, AllocationError> Allocate(const AllocationProblem& problem,
                                                   const AllocationOptions& options = {});

// The integer a score is rounded to: llround(score * options.score_scale).
std::int64_t ScoreUnits(double score, const AllocationOptions& options);

// Builds a problem from match results: demand i's candidates are results[i].candidates (id and
// score), its quantity demands[i].quantity; every candidate's capacity comes from its line in
// `supply` (absent line or absent capacity_per_month = unknown). demands.size() must equal
// results.size() (extra entries of the longer span are ignored).
AllocationProblem MakeAllocationProblem(std::span<const DemandLine> demands,
                                        std::span<const MatchResult> results,
                                        const SupplySnapshot& supply);

}  // namespace renewmatch::matcher
