#include "matcher/allocation.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/property_map/function_property_map.hpp>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace renewmatch::matcher {
namespace {

constexpr std::array<std::string_view, 4> kReasonNames = {
    "no_candidates", "capacity_unknown", "capacity_exhausted", "below_allocation_unit"};

// Largest unit count accepted for one quantity or capacity (keeps every sum far from overflow).
constexpr double kMaxUnits = 1e12;

std::int64_t Units(double quantity, double per_quantity) {
    return static_cast<std::int64_t>(std::floor(quantity * per_quantity + 1e-9));
}

// Residual network of one component, solved by successive shortest paths.
class FlowNetwork {
  public:
    using Graph = boost::adjacency_list<boost::vecS,
                                        boost::vecS,
                                        boost::directedS,
                                        boost::no_property,
                                        boost::property<boost::edge_index_t, std::size_t>>;
    using Edge = boost::graph_traits<Graph>::edge_descriptor;
    using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

    explicit FlowNetwork(std::size_t vertices) : graph_(vertices) {}

    // Adds u -> v (capacity, cost) and its reverse residual edge; returns the forward index.
    std::size_t AddEdge(std::size_t u, std::size_t v, std::int64_t capacity, std::int64_t cost) {
        const std::size_t forward = capacity_.size();
        edges_.push_back(boost::add_edge(u, v, forward, graph_).first);
        edges_.push_back(boost::add_edge(v, u, forward + 1, graph_).first);
        capacity_.insert(capacity_.end(), {capacity, 0});
        residual_.insert(residual_.end(), {capacity, 0});
        cost_.insert(cost_.end(), {cost, -cost});
        return forward;
    }

    std::int64_t Flow(std::size_t forward) const { return capacity_[forward] - residual_[forward]; }

    // Min-cost max-flow from `s` to `t`; returns the number of augmenting paths. The network
    // must have the allocation shape: s -> d edges (cost 0), d -> v edges out of those d, and
    // no other edge into a d.
    //
    // Open demands (residual s -> d) keep potential 0 = potential(s) throughout (their distance
    // is always 0), so they are not expanded by each search: every vertex v entered from open
    // demands starts at min over them of cost(d -> v) - potential(v), read from v's list of
    // such edges sorted by cost (a demand, once full, never reopens: its s -> d flow only
    // grows; so each list is consumed from the front, amortised O(E) in all). Each search then
    // pops only supplies and full demands: without this, every search scans every open demand
    // and its edges, and a congested component costs O(demands * edges).
    std::size_t Solve(std::size_t s, std::size_t t) {
        const std::size_t n = boost::num_vertices(graph_);
        const auto index = boost::get(boost::edge_index, graph_);
        const auto vertex_index = boost::get(boost::vertex_index, graph_);
        constexpr std::int64_t kInf = std::numeric_limits<std::int64_t>::max();
        std::vector<std::int64_t> potential(n, 0);
        std::vector<std::int64_t> distance(n, kInf);
        std::vector<Edge> predecessor(n);
        std::vector<boost::default_color_type> color(n);
        // The demands: heads of s's forward edges; their s -> d edge index.
        std::vector<std::pair<std::size_t, std::size_t>> demands;  // (vertex, s->d edge)
        std::vector<bool> is_demand(n, false);
        for (auto [it, end] = boost::out_edges(s, graph_); it != end; ++it) {
            const std::size_t i = index[*it];
            if ((i & 1) != 0) continue;  // a reverse edge
            demands.emplace_back(boost::target(*it, graph_), i);
            is_demand[boost::target(*it, graph_)] = true;
        }
        // Per vertex: the forward edges entering it from demands, by cost (then edge index).
        std::vector<std::vector<std::size_t>> entering(n);
        for (const auto& [d, sd] : demands) {
            for (auto [it, end] = boost::out_edges(d, graph_); it != end; ++it) {
                const std::size_t i = index[*it];
                if ((i & 1) == 0) entering[boost::target(*it, graph_)].push_back(i);
            }
        }
        std::vector<std::size_t> first(n, 0);
        std::vector<std::size_t> entered;
        for (std::size_t v = 0; v < n; ++v) {
            std::sort(entering[v].begin(), entering[v].end(), [this](std::size_t x, std::size_t y) {
                return cost_[x] != cost_[y] ? cost_[x] < cost_[y] : x < y;
            });
            if (!entering[v].empty()) entered.push_back(v);
        }
        std::vector<std::size_t> sd_of(n, 0);
        for (const auto& [d, sd] : demands) sd_of[d] = sd;
        auto open = [&](std::size_t d) { return residual_[sd_of[d]] > 0; };

        auto residual_edge = [this, index](const Edge& e) { return residual_[index[e]] > 0; };
        boost::filtered_graph<Graph, std::function<bool(const Edge&)>> residual_graph(
            graph_, std::function<bool(const Edge&)>(residual_edge));
        // Reduced cost (Johnson): >= 0 on every residual edge while the potentials are valid.
        auto reduced = [&](const Edge& e) -> std::int64_t {
            return cost_[index[e]] + potential[boost::source(e, graph_)] -
                   potential[boost::target(e, graph_)];
        };
        auto weight = boost::make_function_property_map<Edge, std::int64_t>(reduced);
        std::vector<std::size_t> sources;
        std::size_t augmentations = 0;
        for (;;) {
            std::fill(distance.begin(), distance.end(), kInf);
            std::fill(color.begin(), color.end(), boost::white_color);
            distance[s] = 0;
            color[s] = boost::black_color;
            for (const auto& [d, sd] : demands) {
                if (!open(d)) continue;
                assert(potential[d] == potential[s]);
                distance[d] = 0;
                color[d] = boost::black_color;  // final; never expanded
                predecessor[d] = edges_[sd];
            }
            sources.clear();
            for (std::size_t v : entered) {
                auto& list = entering[v];
                while (first[v] < list.size() &&
                       !open(boost::source(edges_[list[first[v]]], graph_))) {
                    ++first[v];
                }
                if (first[v] == list.size() || color[v] == boost::black_color) continue;
                const Edge e = edges_[list[first[v]]];
                distance[v] = reduced(e);
                predecessor[v] = e;
                sources.push_back(v);
            }
            // The search stops when the sink is settled (Boost's documented way to end a
            // search early is an exception from the visitor).
            bool settled = false;
            try {
                boost::dijkstra_shortest_paths_no_init(
                    residual_graph, sources.begin(), sources.end(), boost::dummy_property_map(),
                    boost::make_iterator_property_map(distance.begin(), vertex_index), weight,
                    vertex_index, std::less<std::int64_t>(), boost::closed_plus<std::int64_t>(kInf),
                    std::int64_t{0},
                    boost::make_dijkstra_visitor(std::make_pair(
                        boost::record_edge_predecessors(
                            boost::make_iterator_property_map(predecessor.begin(), vertex_index),
                            boost::on_edge_relaxed()),
                        SinkSettled{t})),
                    boost::make_iterator_property_map(color.begin(), vertex_index));
            } catch (const SinkSettled::Done&) {
                settled = true;
            }
            if (!settled) break;  // no augmenting path: the flow is maximum
            // New potentials: + min(distance, distance(t)). Settled vertices have distance <=
            // distance(t); the others (tentative or unreached) get distance(t). This keeps every
            // residual reduced cost >= 0 (standard for searches stopped at the sink) and never
            // adds "infinity"; open demands keep distance 0, hence potential 0.
            const std::int64_t sink = distance[t];
            for (std::size_t v = 0; v < n; ++v) potential[v] += std::min(distance[v], sink);
            // Augment by the bottleneck of the shortest path.
            std::int64_t bottleneck = kInf;
            for (Vertex v = t; v != s;) {
                const Edge e = predecessor[v];
                bottleneck = std::min(bottleneck, residual_[index[e]]);
                v = boost::source(e, graph_);
            }
            // Every edge of the path is residual, so this is > 0; the guard keeps a broken
            // invariant from looping forever (release builds).
            assert(bottleneck > 0);
            if (bottleneck <= 0) break;
            for (Vertex v = t; v != s;) {
                const Edge e = predecessor[v];
                const std::size_t i = index[e];
                residual_[i] -= bottleneck;
                residual_[i ^ 1] += bottleneck;  // forward/reverse pairs are (2j, 2j + 1)
                v = boost::source(e, graph_);
            }
            ++augmentations;
        }
        return augmentations;
    }

  private:
    // Dijkstra event visitor: throws Done when the sink is taken off the queue (settled).
    struct SinkSettled {
        using event_filter = boost::on_examine_vertex;
        struct Done {};
        std::size_t sink;
        template <class V, class G>
        void operator()(V v, const G&) const {
            if (static_cast<std::size_t>(v) == sink) throw Done{};
        }
    };

    Graph graph_;
    std::vector<Edge> edges_;  // by edge index
    std::vector<std::int64_t> capacity_;
    std::vector<std::int64_t> residual_;
    std::vector<std::int64_t> cost_;
};

struct DisjointSets {
    std::vector<std::size_t> parent;
    explicit DisjointSets(std::size_t n) : parent(n) {
        std::iota(parent.begin(), parent.end(), std::size_t{0});
    }
    std::size_t Find(std::size_t x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }
    void Union(std::size_t a, std::size_t b) {
        a = Find(a);
        b = Find(b);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);  // root = smallest member
    }
};

std::optional<AllocationError> Validate(const AllocationProblem& problem,
                                        const AllocationOptions& options) {
    auto error = [](std::string field, std::string message) {
        return AllocationError{std::move(field), std::move(message)};
    };
    if (!std::isfinite(options.units_per_quantity) || options.units_per_quantity <= 0 ||
        options.units_per_quantity > 1e6) {
        return error("options.units_per_quantity", "must be in (0, 1e6]");
    }
    if (!std::isfinite(options.score_scale) || options.score_scale <= 0 ||
        options.score_scale > 1e9) {
        return error("options.score_scale", "must be in (0, 1e9]");
    }
    std::vector<LineId> ids;
    for (std::size_t i = 0; i < problem.demands.size(); ++i) {
        const AllocationDemand& d = problem.demands[i];
        const std::string at = "demands[" + std::to_string(i) + "]";
        if (!std::isfinite(d.quantity) || d.quantity <= 0) {
            return error(at + ".quantity", "must be a finite number > 0");
        }
        if (d.quantity * options.units_per_quantity > kMaxUnits) {
            return error(at + ".quantity", "too large (more than 1e12 allocation units)");
        }
        std::vector<LineId> supply_ids;
        for (std::size_t j = 0; j < d.candidates.size(); ++j) {
            const double score = d.candidates[j].score;
            if (!std::isfinite(score) || std::fabs(score * options.score_scale) > 1e12) {
                return error(at + ".candidates[" + std::to_string(j) + "].score",
                             "must be finite, |score * score_scale| <= 1e12");
            }
            supply_ids.push_back(d.candidates[j].supply_id);
        }
        std::sort(supply_ids.begin(), supply_ids.end());
        if (std::adjacent_find(supply_ids.begin(), supply_ids.end()) != supply_ids.end()) {
            return error(at + ".candidates", "names a supply line twice");
        }
        ids.push_back(d.id);
    }
    std::sort(ids.begin(), ids.end());
    if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
        return error("demands", "duplicate demand id " + std::to_string(*dup));
    }
    ids.clear();
    for (std::size_t i = 0; i < problem.supplies.size(); ++i) {
        const AllocationSupply& s = problem.supplies[i];
        if (s.capacity && (!std::isfinite(*s.capacity) || *s.capacity < 0 ||
                           *s.capacity * options.units_per_quantity > kMaxUnits)) {
            return error("supplies[" + std::to_string(i) + "].capacity",
                         "must be a finite number >= 0 (at most 1e12 allocation units)");
        }
        ids.push_back(s.id);
    }
    std::sort(ids.begin(), ids.end());
    if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
        return error("supplies", "duplicate supply id " + std::to_string(*dup));
    }
    return std::nullopt;
}

}  // namespace

std::string_view UnassignedReasonName(UnassignedReason reason) {
    const auto i = static_cast<std::size_t>(reason);
    return i < kReasonNames.size() ? kReasonNames[i] : std::string_view("unknown");
}

std::int64_t ScoreUnits(double score, const AllocationOptions& options) {
    return std::llround(score * options.score_scale);
}

std::variant<Allocation, AllocationError> Allocate(const AllocationProblem& problem,
                                                   const AllocationOptions& options) {
    if (auto error = Validate(problem, options)) return *error;
    const double per = options.units_per_quantity;

    // Canonical order: demands by id, candidates by supply id, supplies by id.
    std::vector<const AllocationDemand*> demands;
    for (const AllocationDemand& d : problem.demands) demands.push_back(&d);
    std::sort(demands.begin(), demands.end(),
              [](const AllocationDemand* a, const AllocationDemand* b) { return a->id < b->id; });
    std::map<LineId, std::optional<double>> capacity_of;
    for (const AllocationSupply& s : problem.supplies) capacity_of[s.id] = s.capacity;

    // Supplies with a known capacity that some candidate names get a dense index.
    std::map<LineId, std::size_t> supply_index;
    for (const AllocationDemand* d : demands) {
        for (const AllocationCandidate& c : d->candidates) {
            auto it = capacity_of.find(c.supply_id);
            if (it != capacity_of.end() && it->second) supply_index.emplace(c.supply_id, 0);
        }
    }
    std::vector<LineId> supply_ids;
    for (auto& [id, idx] : supply_index) {
        idx = supply_ids.size();
        supply_ids.push_back(id);
    }
    const std::size_t nd = demands.size();
    const std::size_t ns = supply_ids.size();

    // Per demand: units, allocatable edges (sorted by supply index), counts for the reasons.
    struct EdgeIn {
        std::size_t supply;
        double score;
        std::int64_t score_units;
    };
    std::vector<std::int64_t> demand_units(nd);
    std::vector<std::vector<EdgeIn>> edges(nd);
    std::int64_t max_score_units = std::numeric_limits<std::int64_t>::min();
    for (std::size_t i = 0; i < nd; ++i) {
        demand_units[i] = Units(demands[i]->quantity, per);
        for (const AllocationCandidate& c : demands[i]->candidates) {
            auto it = supply_index.find(c.supply_id);
            if (it == supply_index.end()) continue;
            const std::int64_t su = ScoreUnits(c.score, options);
            edges[i].push_back({it->second, c.score, su});
            max_score_units = std::max(max_score_units, su);
        }
        std::sort(edges[i].begin(), edges[i].end(),
                  [](const EdgeIn& a, const EdgeIn& b) { return a.supply < b.supply; });
    }
    std::vector<std::int64_t> supply_units(ns);
    for (std::size_t j = 0; j < ns; ++j) {
        supply_units[j] = Units(*capacity_of.at(supply_ids[j]), per);
    }

    Allocation out;
    std::vector<std::int64_t> assigned_units(nd, 0);
    std::vector<std::int64_t> committed(ns, 0);
    std::vector<std::vector<Assignment>> per_demand(nd);
    auto record = [&](std::size_t i, std::size_t x, std::int64_t units) {
        const EdgeIn& e = edges[i][x];
        assigned_units[i] += units;
        committed[e.supply] += units;
        out.objective_units += e.score_units * units;
        per_demand[i].push_back({demands[i]->id, supply_ids[e.supply],
                                 static_cast<double>(units) / per, e.score, units});
    };

    // Exact reductions before solving. A supply line is UNCONGESTED when its remaining capacity
    // covers the whole quantity of every still-open demand naming it: no feasible flow can
    // saturate it. (1) A demand whose best candidate (highest rounded score) is uncongested
    // takes its whole quantity there: moving any other units of that demand to it keeps every
    // constraint, frees capacity elsewhere and does not lower the objective (exchange
    // argument). Repeated to a fixpoint (a served demand no longer counts against its other
    // candidates). (2) Uncongested lines do not link demands into one component: each demand's
    // edge to one becomes a private edge to the sink with the demand's own quantity.
    std::vector<bool> open(nd, false);
    std::vector<std::int64_t> neighbour_units(ns, 0);
    for (std::size_t i = 0; i < nd; ++i) {
        open[i] = !edges[i].empty() && demand_units[i] > 0;
        if (!open[i]) continue;
        for (const EdgeIn& e : edges[i]) neighbour_units[e.supply] += demand_units[i];
    }
    auto uncongested = [&](std::size_t j) {
        return supply_units[j] - committed[j] >= neighbour_units[j];
    };
    for (bool progress = true; progress;) {
        progress = false;
        for (std::size_t i = 0; i < nd; ++i) {
            if (!open[i]) continue;
            std::size_t best = 0;  // highest rounded score, then smallest supply id
            for (std::size_t x = 1; x < edges[i].size(); ++x) {
                if (edges[i][x].score_units > edges[i][best].score_units) best = x;
            }
            if (!uncongested(edges[i][best].supply)) continue;
            record(i, best, demand_units[i]);
            open[i] = false;
            for (const EdgeIn& e : edges[i]) neighbour_units[e.supply] -= demand_units[i];
            ++out.direct;
            progress = true;
        }
    }

    // Components over open demands [0, nd) and congested supplies [nd, nd + ns).
    DisjointSets sets(nd + ns);
    for (std::size_t i = 0; i < nd; ++i) {
        if (!open[i]) continue;
        for (const EdgeIn& e : edges[i]) {
            if (!uncongested(e.supply)) sets.Union(i, nd + e.supply);
        }
    }
    std::map<std::size_t, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> parts;
    for (std::size_t i = 0; i < nd; ++i) {
        if (open[i]) parts[sets.Find(i)].first.push_back(i);
    }
    for (std::size_t j = 0; j < ns; ++j) {
        if (uncongested(j)) continue;
        auto it = parts.find(sets.Find(nd + j));
        if (it != parts.end()) it->second.second.push_back(j);
    }

    for (const auto& [root, members] : parts) {
        const auto& [ds, ss] = members;
        // Vertices: 0 source, 1 sink, 2.. demands, then congested supplies.
        std::vector<std::size_t> local_supply(ns, 0);
        for (std::size_t k = 0; k < ss.size(); ++k) local_supply[ss[k]] = 2 + ds.size() + k;
        FlowNetwork network(2 + ds.size() + ss.size());
        struct Placed {
            std::size_t demand;
            std::size_t edge;
            std::size_t forward;
        };
        std::vector<Placed> placed;
        for (std::size_t k = 0; k < ds.size(); ++k) {
            const std::size_t i = ds[k];
            network.AddEdge(0, 2 + k, demand_units[i], 0);
            for (std::size_t x = 0; x < edges[i].size(); ++x) {
                const EdgeIn& e = edges[i][x];
                // An uncongested line is this demand's private edge to the sink.
                const std::size_t head = uncongested(e.supply) ? 1 : local_supply[e.supply];
                const std::size_t f =
                    network.AddEdge(2 + k, head, demand_units[i], max_score_units - e.score_units);
                placed.push_back({i, x, f});
            }
        }
        for (std::size_t j : ss) {
            network.AddEdge(local_supply[j], 1, supply_units[j] - committed[j], 0);
        }
        out.augmentations += network.Solve(0, 1);
        ++out.components;
        for (const Placed& p : placed) {
            const std::int64_t units = network.Flow(p.forward);
            if (units > 0) record(p.demand, p.edge, units);
        }
    }

    for (std::size_t i = 0; i < nd; ++i) {
        const AllocationDemand& d = *demands[i];
        out.demanded += d.quantity;
        for (Assignment& a : per_demand[i]) {
            out.assigned += a.quantity;
            out.objective += a.score * a.quantity;
            out.assigned_units += a.units;
            out.assignments.push_back(a);
        }
        const std::int64_t short_units = demand_units[i] - assigned_units[i];
        assert(short_units >= 0);
        if (short_units > 0) {
            UnassignedReason reason = UnassignedReason::kCapacityExhausted;
            if (d.candidates.empty()) {
                reason = UnassignedReason::kNoCandidates;
            } else if (edges[i].empty()) {
                reason = UnassignedReason::kCapacityUnknown;
            }
            out.unassigned.push_back({d.id, static_cast<double>(short_units) / per, reason});
        }
        const double remainder = d.quantity - static_cast<double>(demand_units[i]) / per;
        if (remainder > 1e-9 * std::max(1.0, d.quantity)) {
            out.unassigned.push_back({d.id, remainder, UnassignedReason::kBelowAllocationUnit});
        }
    }
    for (std::size_t j = 0; j < ns; ++j) {
        // The supply -> sink edge bounds the flow; this re-check guards the invariant.
        if (committed[j] > supply_units[j]) {
            return AllocationError{
                "supplies",
                "internal error: supply line " + std::to_string(supply_ids[j]) + " over-committed"};
        }
        out.supplies.push_back({supply_ids[j], *capacity_of.at(supply_ids[j]),
                                static_cast<double>(committed[j]) / per, supply_units[j],
                                committed[j]});
    }
    return out;
}

AllocationProblem MakeAllocationProblem(std::span<const DemandLine> demands,
                                        std::span<const MatchResult> results,
                                        const SupplySnapshot& supply) {
    AllocationProblem problem;
    std::map<LineId, std::optional<double>> capacities;
    const std::size_t n = std::min(demands.size(), results.size());
    for (std::size_t i = 0; i < n; ++i) {
        AllocationDemand d{demands[i].id, demands[i].quantity, {}};
        for (const Candidate& c : results[i].candidates) {
            d.candidates.push_back({c.id, c.score});
            if (!capacities.contains(c.id)) {
                const SupplyLine* line = supply.Find(c.id);
                capacities[c.id] =
                    line != nullptr ? line->capacity_per_month : std::optional<double>();
            }
        }
        problem.demands.push_back(std::move(d));
    }
    for (const auto& [id, capacity] : capacities) problem.supplies.push_back({id, capacity});
    return problem;
}

}  // namespace renewmatch::matcher
