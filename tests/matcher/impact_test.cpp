// Incremental-run support (matcher/impact.hpp, CorpusStatistics in matcher/engine.hpp):
//   * pinned statistics equal to the snapshot's reproduce the default ranking bit for bit;
//   * DemandPairText reproduces the query's raw BM25 and the normaliser exactly;
//   * property: for random catalogs and random single changes (edit, withdrawal, new line),
//     whenever ImpactOfChange says "no" the fresh top-k (pinned statistics) equals the stored
//     one, and every demand whose top-k did change is found by ReachableDemands;
//   * a sequence of incremental rounds (rescore only the impacted demands, carry the rest)
//     ends with exactly the results of a full run under the same statistics;
//   * without pinning, an unrelated change moves other demands' scores (why pinning exists);
//   * the prepared check (PreparedChange, PreparedImpactDemand) gives ImpactOfChange's answer
//     (may_change, reason, unpinned terms) and DemandPairText's raw BM25 bit for bit on random
//     pairs, with pinned, partly pinned and no statistics;
//   * ReachableDemands over several versions at once is the union of the single calls;
//   * PatchTopK: an exact patch of a stored top-k equals a fresh query (ids, scores, features,
//     normaliser) over rounds of random batched changes, and the rounds end with a full run's
//     results;
//   * ChangeIndex::RelevantChanges: PatchTopK over the relevant changed lines answers as over
//     every changed line reaching the demand, and a demand with none keeps a fresh query's
//     top-k.
#include "matcher/impact.hpp"

#include "tests/support/random_lines.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>

namespace renewmatch::matcher {
namespace {

const std::vector<std::string> kWords = {"数控",  "车床",  "立式",  "加工中心", "空压机", "螺杆",
                                         "变频",  "水泵",  "离心",  "叉车",     "pump",   "motor",
                                         "servo", "laser", "robot", "VMC-850",  "CK6150", "FANUC"};
const std::vector<std::string> kClasses = {"", "42621100-6", "42622000-6", "42990000-2",
                                           "31440000-2"};
const std::vector<std::string> kRegions = {"32", "3205", "44", "11"};

class Gen : public testing::RandomSource {
  public:
    using RandomSource::RandomSource;
    std::string Text(int lo, int hi) { return RandomSource::Text(kWords, lo, hi); }
    SupplyLine Supply(LineId id) {
        SupplyLine s;
        s.id = id;
        s.vendor_id = Int(1, 5);
        s.title = Text(1, 4);
        if (Coin(0.4)) s.description = Text(0, 5);
        if (Coin(0.2)) s.model = Pick(kWords);
        s.classification.id = Pick(kClasses);
        if (Coin(0.7)) s.price_amount = Int(1, 100) * 1000.0;
        if (Coin(0.5)) s.capacity_per_month = Int(1, 10);
        if (Coin(0.5)) s.lead_time_days = Int(5, 60);
        if (Coin(0.3)) s.service_areas = {Pick(kRegions)};
        if (Coin(0.5)) s.energy_efficiency_grade = Int(1, 5);
        if (Coin(0.4)) s.attributes.push_back({"power", Int(1, 20) * 1.0, {}, {}, "kW", ""});
        s.status = Coin(0.9) ? "active" : "suspended";
        s.vendor_region = Pick(kRegions);
        s.last_confirmed_at = Int(0, 100);
        return s;
    }
    DemandLine Demand(LineId id) {
        DemandLine d;
        d.id = id;
        d.title = Text(1, 3);
        if (Coin(0.4)) d.description = Text(0, 3);
        if (Coin(0.5)) d.classification.id = Pick(kClasses);
        d.quantity = Int(1, 5);
        if (Coin(0.7)) d.budget_amount = Int(1, 300) * 1000.0;
        if (Coin(0.6)) d.delivery_region = Pick(kRegions);
        if (Coin(0.5)) d.need_by = Int(110, 200);
        if (Coin(0.2)) d.energy_efficiency_min = Int(1, 4);
        if (Coin(0.4)) {
            Requirement r;
            r.name = "power";
            r.min = Int(1, 15);
            r.unit = "kW";
            r.mandatory = Coin(0.5);
            d.requirements.push_back(r);
        }
        return d;
    }
    // A change of an existing line: a small edit most of the time, sometimes a new line.
    SupplyLine Edit(const SupplyLine& old) {
        SupplyLine s = old;
        switch (Int(0, 6)) {
            case 0:
                s = Supply(old.id);
                break;
            case 1:
                s.title += " " + Pick(kWords);
                break;
            case 2:
                s.price_amount = Int(1, 100) * 1000.0;
                break;
            case 3:
                s.status = s.status == "active" ? "suspended" : "active";
                break;
            case 4:
                s.description = Text(0, 5);
                break;
            case 5:
                s.lead_time_days = Int(5, 60);
                break;
            default:
                s.last_confirmed_at = Int(0, 100);
                break;
        }
        return s;
    }
};

MatchContext Context(const CorpusStatistics* statistics) {
    MatchContext context;
    context.today = 100;
    context.statistics = statistics;
    return context;
}

bool SameRanking(const MatchResult& a, const MatchResult& b) {
    if (a.candidates.size() != b.candidates.size()) return false;
    for (std::size_t i = 0; i < a.candidates.size(); ++i) {
        if (a.candidates[i].id != b.candidates[i].id) return false;
        if (a.candidates[i].score != b.candidates[i].score) return false;  // bit-exact
    }
    return true;
}

bool SameStored(const MatchResult& a, const MatchResult& b) {
    return SameRanking(a, b) && a.text_normaliser == b.text_normaliser &&
           a.text_normaliser_id == b.text_normaliser_id;
}

// A full run with pinned statistics: every result's unpinned terms are pinned before the next
// demand (as the runs executor does after each batch; within one snapshot the values agree).
std::vector<MatchResult> FullRun(const SupplySnapshot& snapshot,
                                 const std::vector<DemandLine>& demands,
                                 std::size_t k,
                                 CorpusStatistics& statistics,
                                 const MatchConfig& config = {}) {
    std::vector<MatchResult> out;
    for (const DemandLine& d : demands) {
        out.push_back(MatchDemand(snapshot, d, k, config, Context(&statistics)));
        statistics.Pin(out.back().unpinned_terms);
    }
    return out;
}

TEST(ImpactTest, PinnedStatisticsOfTheSnapshotReproduceTheDefaultRanking) {
    Gen gen(1);
    const MatchConfig config;
    for (int round = 0; round < 10; ++round) {
        std::vector<SupplyLine> lines;
        for (LineId i = 1; i <= 60; ++i) lines.push_back(gen.Supply(i));
        const auto snapshot = SupplySnapshot::Build(lines);
        CorpusStatistics statistics = CorpusStatistics::Of(*snapshot);
        for (LineId i = 1; i <= 15; ++i) {
            const DemandLine d = gen.Demand(i);
            const MatchResult plain = MatchDemand(*snapshot, d, 5, config, Context(nullptr));
            const MatchResult pinned = MatchDemand(*snapshot, d, 5, config, Context(&statistics));
            statistics.Pin(pinned.unpinned_terms);
            const MatchResult again = MatchDemand(*snapshot, d, 5, config, Context(&statistics));
            EXPECT_TRUE(plain.unpinned_terms.empty());
            EXPECT_TRUE(SameStored(plain, pinned));
            EXPECT_TRUE(SameStored(plain, again));
            EXPECT_TRUE(again.unpinned_terms.empty());
        }
    }
}

TEST(ImpactTest, PairTextReproducesTheQuerysRawBm25AndNormaliser) {
    Gen gen(2);
    const MatchConfig config;
    int with_text = 0;
    for (int round = 0; round < 10; ++round) {
        std::vector<SupplyLine> lines;
        for (LineId i = 1; i <= 50; ++i) lines.push_back(gen.Supply(i));
        // Two segments and a tombstone, so statistics come from a multi-segment snapshot.
        auto snapshot =
            SupplySnapshot::Build(std::vector<SupplyLine>(lines.begin(), lines.begin() + 30));
        const std::vector<LineId> gone = {3};
        snapshot = SupplySnapshot::Apply(
            snapshot, std::vector<SupplyLine>(lines.begin() + 30, lines.end()), gone);
        for (LineId i = 1; i <= 15; ++i) {
            const DemandLine d = gen.Demand(i);
            const MatchResult r = MatchDemand(*snapshot, d, 100, config, Context(nullptr));
            // Brute force over every live line: the normaliser is the best raw among generated
            // lines, its id the smallest with that raw; every candidate's text value is raw /
            // normaliser, bit for bit.
            double best = 0;
            LineId best_id = 0;
            snapshot->ForEachLive([&](const SupplyLine& line) {
                const PairText t = DemandPairText(*snapshot, d, line, config, nullptr);
                if (!t.generated) return;
                if (t.raw > best || (t.raw == best && t.raw > 0 && line.id < best_id)) {
                    best = t.raw;
                    best_id = line.id;
                }
            });
            EXPECT_EQ(r.text_normaliser, best);
            EXPECT_EQ(r.text_normaliser_id, best_id);
            for (const Candidate& c : r.candidates) {
                const PairText t =
                    DemandPairText(*snapshot, d, *snapshot->Find(c.id), config, nullptr);
                EXPECT_TRUE(t.generated);
                const double value = best > 0 ? t.raw / best : 0.0;
                EXPECT_EQ(c.features[0].value, std::min(1.0, value)) << "line " << c.id;
            }
            if (best > 0) ++with_text;
        }
    }
    EXPECT_GT(with_text, 100);
}

// The random set-up of the property tests: 40 supply lines (ids 1..40), `demand_count` demands
// (ids first_demand + 1..), their snapshots and the snapshot's statistics (nothing pinned yet).
struct RandomCatalog {
    RandomCatalog(Gen& gen, LineId first_demand, int demand_count) {
        std::vector<SupplyLine> lines;
        for (LineId i = 1; i <= 40; ++i) lines.push_back(gen.Supply(i));
        snapshot = SupplySnapshot::Build(lines);
        for (LineId i = 1; i <= demand_count; ++i) demands.push_back(gen.Demand(first_demand + i));
        demand_snapshot = DemandSnapshot::Build(demands);
        statistics = CorpusStatistics::Of(*snapshot);
    }
    std::shared_ptr<const SupplySnapshot> snapshot;
    std::vector<DemandLine> demands;
    std::shared_ptr<const DemandSnapshot> demand_snapshot;
    CorpusStatistics statistics;
    LineId next_id = 41;
};

struct ChangeStats {
    int checks = 0;
    int said_no = 0;
    int changed = 0;
};

// The snapshot after a batch of net changes (one final version per line; nullopt = withdrawn).
std::shared_ptr<const SupplySnapshot> ApplyChanges(
    const std::shared_ptr<const SupplySnapshot>& snapshot,
    const std::map<LineId, std::optional<SupplyLine>>& changes) {
    std::vector<SupplyLine> upserts;
    std::vector<LineId> withdrawals;
    for (const auto& [id, version] : changes) {
        if (version) {
            upserts.push_back(*version);
        } else {
            withdrawals.push_back(id);
        }
    }
    return SupplySnapshot::Apply(snapshot, upserts, withdrawals);
}

// One random single change to the catalog; returns (changed id, new version or nullopt).
std::pair<LineId, std::optional<SupplyLine>> RandomChange(Gen& gen,
                                                          const SupplySnapshot& snapshot,
                                                          LineId& next_id) {
    std::vector<const SupplyLine*> live;
    snapshot.ForEachLive([&](const SupplyLine& l) { live.push_back(&l); });
    const int kind = gen.Int(0, 9);
    if (kind < 2 || live.empty()) {
        const LineId id = next_id++;
        return {id, gen.Supply(id)};
    }
    const SupplyLine& old =
        *live[static_cast<std::size_t>(gen.Int(0, static_cast<int>(live.size()) - 1))];
    if (kind < 4) return {old.id, std::nullopt};
    return {old.id, gen.Edit(old)};
}

TEST(ImpactTest, NoImpactMeansTheFreshTopKIsTheStoredOneAndReachableNeverMisses) {
    Gen gen(3);
    const MatchConfig config;
    constexpr std::size_t kK = 3;
    ChangeStats stats;
    for (int round = 0; round < 60; ++round) {
        RandomCatalog catalog(gen, 1000, 12);
        auto& [snapshot, demands, demand_snapshot, statistics, next_id] = catalog;
        const std::vector<MatchResult> stored = FullRun(*snapshot, demands, kK, statistics);
        for (int change = 0; change < 8; ++change) {
            const auto [id, version] = RandomChange(gen, *snapshot, next_id);
            const SupplyLine* old_version = snapshot->Find(id);
            std::set<LineId> reachable;
            std::set<LineId> reachable_new;  // from the new version only
            if (old_version != nullptr) {
                for (LineId d : ReachableDemands(*demand_snapshot, *old_version, config)) {
                    reachable.insert(d);
                }
            }
            std::shared_ptr<const SupplySnapshot> next;
            if (version) {
                next = SupplySnapshot::Apply(snapshot, {*version}, {});
                for (LineId d : ReachableDemands(*demand_snapshot, *version, config)) {
                    reachable.insert(d);
                    reachable_new.insert(d);
                }
            } else {
                const std::vector<LineId> gone = {id};
                next = SupplySnapshot::Apply(snapshot, {}, gone);
            }
            const SupplyLine* now = version ? next->Find(id) : nullptr;
            // The impact checks first (they may pin terms), then the fresh queries.
            std::vector<Impact> impacts;
            for (std::size_t i = 0; i < demands.size(); ++i) {
                impacts.push_back(ImpactOfChange(demands[i], StoredResultSummary::Of(stored[i], kK),
                                                 id, now, *next, config, Context(&statistics)));
                statistics.Pin(impacts.back().unpinned_terms);
            }
            for (std::size_t i = 0; i < demands.size(); ++i) {
                const MatchResult fresh =
                    MatchDemand(*next, demands[i], kK, config, Context(&statistics));
                statistics.Pin(fresh.unpinned_terms);  // lines rescored anyway
                const bool affected = !SameStored(fresh, stored[i]);
                ++stats.checks;
                // The executor needs no old version: "may change" only ever comes from the
                // stored summary (top-k, normaliser id) or a demand the new version reaches.
                const auto& top = stored[i].candidates;
                const bool in_stored = stored[i].text_normaliser_id == id ||
                                       std::any_of(top.begin(), top.end(),
                                                   [&](const Candidate& c) { return c.id == id; });
                if (impacts[i].may_change) {
                    EXPECT_TRUE(in_stored || reachable_new.contains(demands[i].id));
                }
                if (!impacts[i].may_change) {
                    ++stats.said_no;
                    EXPECT_FALSE(affected) << "round " << round << " change " << change << " line "
                                           << id << " demand " << demands[i].id;
                }
                if (affected) {
                    ++stats.changed;
                    EXPECT_TRUE(reachable.contains(demands[i].id))
                        << "ReachableDemands missed demand " << demands[i].id << " for line " << id;
                }
            }
            // Single changes: the stored results stay those of the base catalog.
        }
    }
    // The property is not vacuous: most checks are answered "no impact" (cheap), and real
    // changes of the top-k do occur.
    EXPECT_GT(stats.said_no, stats.checks / 2);
    EXPECT_GT(stats.changed, 50);
}

TEST(ImpactTest, IncrementalRoundsEqualAFullRunWithTheSameStatistics) {
    Gen gen(4);
    const MatchConfig config;
    constexpr std::size_t kK = 4;
    int rescored = 0;
    int carried = 0;
    for (int round = 0; round < 15; ++round) {
        std::vector<SupplyLine> lines;
        for (LineId i = 1; i <= 50; ++i) lines.push_back(gen.Supply(i));
        LineId next_id = 51;
        auto snapshot = SupplySnapshot::Build(lines);
        std::vector<DemandLine> demands;
        for (LineId i = 1; i <= 15; ++i) demands.push_back(gen.Demand(2000 + i));
        CorpusStatistics statistics = CorpusStatistics::Of(*snapshot);
        std::vector<MatchResult> stored = FullRun(*snapshot, demands, kK, statistics);
        for (int step = 0; step < 5; ++step) {
            // A batch of 1-4 changes (net changes: one final version per line).
            std::map<LineId, std::optional<SupplyLine>> changes;
            for (int c = gen.Int(1, 4); c > 0; --c) {
                auto [id, version] = RandomChange(gen, *snapshot, next_id);
                changes[id] = version;
            }
            const auto next = ApplyChanges(snapshot, changes);
            for (std::size_t i = 0; i < demands.size(); ++i) {
                const StoredResultSummary summary = StoredResultSummary::Of(stored[i], kK);
                bool impacted = false;
                for (const auto& [id, version] : changes) {
                    const Impact impact =
                        ImpactOfChange(demands[i], summary, id, version ? next->Find(id) : nullptr,
                                       *next, config, Context(&statistics));
                    statistics.Pin(impact.unpinned_terms);
                    impacted = impacted || impact.may_change;
                }
                if (impacted) {
                    stored[i] = MatchDemand(*next, demands[i], kK, config, Context(&statistics));
                    statistics.Pin(stored[i].unpinned_terms);
                    ++rescored;
                } else {
                    ++carried;
                }
            }
            snapshot = next;
        }
        // A full run on the final catalog with the epoch's statistics gives the same results.
        CorpusStatistics same = statistics;
        const std::vector<MatchResult> full = FullRun(*snapshot, demands, kK, same);
        for (std::size_t i = 0; i < demands.size(); ++i) {
            EXPECT_TRUE(SameStored(full[i], stored[i])) << "round " << round << " demand " << i;
        }
        EXPECT_EQ(same.document_frequency.size(), statistics.document_frequency.size());
    }
    EXPECT_GT(carried, rescored / 2);
    EXPECT_GT(rescored, 0);
}

TEST(ImpactTest, WithoutPinningAnUnrelatedChangeMovesScores) {
    // Why statistics are pinned: adding a line that shares no term with a demand still changes
    // N and the average length, hence every BM25 score of that demand.
    SupplyLine a;
    a.id = 1;
    a.title = "螺杆空压机 变频";
    SupplyLine b;
    b.id = 2;
    b.title = "螺杆空压机";
    SupplyLine unrelated;
    unrelated.id = 3;
    unrelated.title = "电动叉车 3吨 锂电池 叉车";
    DemandLine d;
    d.id = 10;
    d.title = "变频螺杆空压机";
    const MatchConfig config;
    const auto before = SupplySnapshot::Build({a, b});
    const auto after = SupplySnapshot::Apply(before, {unrelated}, {});
    const MatchResult r1 = MatchDemand(*before, d, 5, config, Context(nullptr));
    const MatchResult r2 = MatchDemand(*after, d, 5, config, Context(nullptr));
    ASSERT_EQ(r1.candidates.size(), 2u);
    EXPECT_NE(r1.text_normaliser, r2.text_normaliser);  // drifted
    CorpusStatistics statistics = CorpusStatistics::Of(*before);
    const MatchResult p1 = MatchDemand(*before, d, 5, config, Context(&statistics));
    statistics.Pin(p1.unpinned_terms);
    const MatchResult p2 = MatchDemand(*after, d, 5, config, Context(&statistics));
    EXPECT_TRUE(SameStored(p1, p2));
    EXPECT_FALSE(ImpactOfChange(d, StoredResultSummary::Of(p1, 5), 3, after->Find(3), *after,
                                config, Context(&statistics))
                     .may_change);
}

TEST(ImpactTest, PreparedCheckAgreesWithImpactOfChange) {
    Gen gen(5);
    std::array<int, 6> reasons{};
    int compared = 0;
    int unpinned_reported = 0;
    for (int round = 0; round < 40; ++round) {
        MatchConfig config;
        if (round % 4 == 3) config.weights[3] = 0.6;  // another profile: price counts 3x
        const std::size_t k = static_cast<std::size_t>(gen.Int(1, 6));
        RandomCatalog catalog(gen, 3000, 10);
        auto& [snapshot, demands, demand_snapshot, statistics, next_id] = catalog;
        // Statistics: pinned by a full run over the first demands only (so some query terms of
        // the others stay unpinned), or none at all (the snapshot's exact statistics).
        const std::vector<DemandLine> first(demands.begin(), demands.begin() + 4);
        FullRun(*snapshot, first, k, statistics);
        const bool pinned = round % 5 != 4;
        const MatchContext context = Context(pinned ? &statistics : nullptr);
        std::vector<StoredResultSummary> stored;
        for (const DemandLine& d : demands) {
            stored.push_back(
                StoredResultSummary::Of(MatchDemand(*snapshot, d, k, config, context), k));
        }
        // A few changes at once (edits, withdrawals, new lines); then every changed line and
        // some unchanged ones against every demand.
        std::vector<SupplyLine> upserts;
        std::vector<LineId> withdrawn;
        for (int c = gen.Int(1, 6); c > 0; --c) {
            auto [id, version] = RandomChange(gen, *snapshot, next_id);
            if (version) {
                upserts.push_back(*version);
            } else {
                withdrawn.push_back(id);
            }
        }
        const auto next = SupplySnapshot::Apply(snapshot, upserts, withdrawn);
        std::vector<LineId> ids;
        for (const SupplyLine& u : upserts) ids.push_back(u.id);
        ids.insert(ids.end(), withdrawn.begin(), withdrawn.end());
        for (int extra = 0; extra < 6; ++extra) ids.push_back(gen.Int(1, 40));
        for (const StoredResultSummary& s : stored) {
            if (!s.top_ids.empty()) ids.push_back(s.top_ids.back());
            if (s.text_normaliser_id != 0) ids.push_back(s.text_normaliser_id);
        }
        for (std::size_t i = 0; i < demands.size(); ++i) {
            const PreparedImpactDemand prepared(demands[i], *next, config, context);
            for (const LineId id : ids) {
                const SupplyLine* now = next->Find(id);
                const PreparedChange change = PreparedChange::Of(id, now, *next);
                const Impact want =
                    ImpactOfChange(demands[i], stored[i], id, now, *next, config, context);
                const Impact got = ImpactOfChange(prepared, stored[i], change, config, context);
                EXPECT_EQ(got.may_change, want.may_change) << "round " << round << " line " << id;
                EXPECT_EQ(ImpactReasonName(got.reason), ImpactReasonName(want.reason))
                    << "round " << round << " demand " << demands[i].id << " line " << id;
                EXPECT_EQ(got.unpinned_terms, want.unpinned_terms) << "round " << round;
                ++reasons[static_cast<std::size_t>(want.reason)];
                unpinned_reported += want.unpinned_terms.empty() ? 0 : 1;
                ++compared;
                if (now == nullptr) continue;
                std::vector<std::pair<std::string, std::uint32_t>> want_unpinned;
                std::vector<std::pair<std::string, std::uint32_t>> got_unpinned;
                const PairText want_text = DemandPairText(*next, demands[i], *now, config,
                                                          context.statistics, &want_unpinned);
                const PairText got_text = prepared.Text(change, &got_unpinned);
                EXPECT_EQ(got_text.generated, want_text.generated);
                EXPECT_EQ(got_text.raw, want_text.raw) << "bit-identical raw BM25";
                EXPECT_EQ(got_unpinned, want_unpinned);
            }
        }
    }
    // Not vacuous: every reason occurs, and unpinned terms are reported.
    EXPECT_GT(compared, 2000);
    for (std::size_t r = 0; r < reasons.size(); ++r) {
        EXPECT_GT(reasons[r], 5) << ImpactReasonName(static_cast<ImpactReason>(r));
    }
    EXPECT_GT(unpinned_reported, 20);
}

TEST(ImpactTest, ReachableDemandsOfSeveralVersionsIsTheUnion) {
    Gen gen(6);
    const MatchConfig config;
    std::size_t reached = 0;
    for (int round = 0; round < 20; ++round) {
        std::vector<DemandLine> demands;
        for (LineId i = 1; i <= 30; ++i) demands.push_back(gen.Demand(4000 + i));
        // Two segments and a withdrawn demand, so doc numbers and tombstones are exercised.
        auto snapshot =
            DemandSnapshot::Build(std::vector<DemandLine>(demands.begin(), demands.begin() + 20));
        const std::vector<LineId> gone = {4003};
        snapshot = DemandSnapshot::Apply(
            snapshot, std::vector<DemandLine>(demands.begin() + 20, demands.end()), gone);
        for (int i = 0; i < 10; ++i) {
            const SupplyLine old_version = gen.Supply(i + 1);
            const SupplyLine new_version = gen.Edit(old_version);
            std::set<LineId> want;
            for (LineId d : ReachableDemands(*snapshot, old_version, config)) want.insert(d);
            for (LineId d : ReachableDemands(*snapshot, new_version, config)) want.insert(d);
            const std::array<const SupplyLine*, 3> versions = {&new_version, nullptr, &old_version};
            const std::vector<LineId> got = ReachableDemands(*snapshot, versions, config);
            EXPECT_EQ(got, std::vector<LineId>(want.begin(), want.end()));
            EXPECT_FALSE(std::binary_search(got.begin(), got.end(), 4003));
            reached += got.size();
        }
    }
    EXPECT_GT(reached, 500u);
}

TEST(ImpactTest, ReasonsForSimpleChanges) {
    SupplyLine a;
    a.id = 1;
    a.title = "螺杆空压机 变频";
    SupplyLine b;
    b.id = 2;
    b.title = "螺杆空压机";
    DemandLine d;
    d.id = 10;
    d.title = "变频螺杆空压机";
    const MatchConfig config;
    const auto snapshot = SupplySnapshot::Build({a, b});
    CorpusStatistics statistics = CorpusStatistics::Of(*snapshot);
    const MatchResult r = MatchDemand(*snapshot, d, 1, config, Context(&statistics));
    statistics.Pin(r.unpinned_terms);
    ASSERT_EQ(r.candidates.size(), 1u);
    EXPECT_EQ(r.candidates[0].id, 1);
    EXPECT_EQ(r.text_normaliser_id, 1);
    const StoredResultSummary summary = StoredResultSummary::Of(r, 1);
    auto reason = [&](LineId id, const SupplyLine* now) {
        return ImpactReasonName(
            ImpactOfChange(d, summary, id, now, *snapshot, config, Context(&statistics)).reason);
    };
    EXPECT_EQ(reason(1, nullptr), "in_top_k");
    EXPECT_EQ(reason(2, nullptr), "none");  // withdrawn, neither in the top-k nor normaliser
    SupplyLine better = b;
    better.title = "变频螺杆空压机 变频 螺杆 空压机";
    const auto with_better = SupplySnapshot::Apply(snapshot, {better}, {});
    EXPECT_EQ(ImpactReasonName(ImpactOfChange(d, summary, 2, with_better->Find(2), *with_better,
                                              config, Context(&statistics))
                                   .reason),
              "reaches_normaliser");
    SupplyLine off = b;
    off.status = "suspended";
    const auto with_off = SupplySnapshot::Apply(snapshot, {off}, {});
    EXPECT_EQ(ImpactReasonName(ImpactOfChange(d, summary, 2, with_off->Find(2), *with_off, config,
                                              Context(&statistics))
                                   .reason),
              "none");
}

// A change for the patch tests: mostly edits that keep the text (price, lead time, status,
// confirmation date), of lines in some demand's stored top-k half the time, so that both
// "patched" and every "not exact" reason occur; sometimes a new line, a withdrawal or a text
// edit.
std::pair<LineId, std::optional<SupplyLine>> PatchChange(Gen& gen,
                                                         const SupplySnapshot& snapshot,
                                                         const std::vector<LineId>& top_ids,
                                                         LineId& next_id) {
    const int kind = gen.Int(0, 19);
    if (kind < 2) {
        const LineId id = next_id++;
        return {id, gen.Supply(id)};
    }
    std::vector<const SupplyLine*> live;
    snapshot.ForEachLive([&](const SupplyLine& l) { live.push_back(&l); });
    const SupplyLine* old = nullptr;
    if (!top_ids.empty() && gen.Coin(0.5)) old = snapshot.Find(gen.Pick(top_ids));
    if (old == nullptr) {
        old = live[static_cast<std::size_t>(gen.Int(0, static_cast<int>(live.size()) - 1))];
    }
    if (kind < 4) return {old->id, std::nullopt};
    if (kind < 6) return {old->id, gen.Edit(*old)};
    SupplyLine s = *old;
    if (kind < 13) {
        s.price_amount = gen.Int(1, 100) * 1000.0;
    } else if (kind < 16) {
        s.lead_time_days = gen.Int(5, 60);
    } else if (kind < 18) {
        s.last_confirmed_at = gen.Int(0, 100);
    } else {
        s.status = s.status == "active" ? "suspended" : "active";
    }
    return {old->id, s};
}

// The result a patch stands for: the stored candidates it keeps, the fresh ones it adds, the
// stored normaliser.
MatchResult Patched(const MatchResult& stored, const TopKPatch& patch) {
    MatchResult out = stored;
    out.candidates.clear();
    for (const TopKPatch::Entry& e : patch.top) {
        out.candidates.push_back(e.stored_index ? stored.candidates.at(*e.stored_index) : e.fresh);
    }
    return out;
}

bool SameCandidates(const MatchResult& a, const MatchResult& b) {
    if (!SameStored(a, b)) return false;
    for (std::size_t i = 0; i < a.candidates.size(); ++i) {
        for (std::size_t f = 0; f < kFeatureCount; ++f) {
            if (a.candidates[i].features[f].value != b.candidates[i].features[f].value) {
                return false;
            }
        }
    }
    return true;
}

// The end of a test's round: a full run with the same statistics (pinned as it goes) has the
// stored candidates of every demand.
void ExpectFullRunCandidates(const SupplySnapshot& snapshot,
                             const std::vector<DemandLine>& demands,
                             std::size_t k,
                             const MatchConfig& config,
                             const CorpusStatistics& statistics,
                             const std::vector<MatchResult>& stored,
                             int round) {
    CorpusStatistics same = statistics;
    for (std::size_t i = 0; i < demands.size(); ++i) {
        const MatchResult full = MatchDemand(snapshot, demands[i], k, config, Context(&same));
        same.Pin(full.unpinned_terms);
        EXPECT_TRUE(SameCandidates(full, stored[i])) << "round " << round << " demand " << i;
    }
}

// One step's changes: 1..max_changes made by `change` (PatchChange, AnyChange), the last per line.
template <class ChangeFn>
std::map<LineId, std::optional<SupplyLine>> RandomBatch(Gen& gen,
                                                        int max_changes,
                                                        const SupplySnapshot& snapshot,
                                                        const std::vector<LineId>& top_ids,
                                                        LineId& next_id,
                                                        ChangeFn&& change) {
    std::map<LineId, std::optional<SupplyLine>> batch;
    for (int c = gen.Int(1, max_changes); c > 0; --c) {
        auto [id, version] = change(gen, snapshot, top_ids, next_id);
        batch[id] = version;
    }
    return batch;
}

// The ids of every stored top-k and of every stored normaliser line.
std::vector<LineId> TopIds(const std::vector<MatchResult>& stored) {
    std::vector<LineId> top_ids;
    for (const MatchResult& r : stored) {
        for (const Candidate& c : r.candidates) top_ids.push_back(c.id);
        if (r.text_normaliser_id != 0) top_ids.push_back(r.text_normaliser_id);
    }
    return top_ids;
}

// Demand -> the changed lines of `batch` whose new (`after`) or old (`before`) version reaches it.
std::map<LineId, std::set<LineId>> ReachedBy(
    const std::map<LineId, std::optional<SupplyLine>>& batch,
    const SupplySnapshot& before,
    const SupplySnapshot& after,
    const DemandSnapshot& demands,
    const MatchConfig& config) {
    std::map<LineId, std::set<LineId>> reached;
    for (const auto& [id, version] : batch) {
        const std::array<const SupplyLine*, 2> versions = {after.Find(id), before.Find(id)};
        for (LineId d : ReachableDemands(demands, versions, config)) reached[d].insert(id);
    }
    return reached;
}

TEST(ImpactTest, PatchedTopKEqualsAFreshQuery) {
    // Rounds of batched random changes; every demand's stored result is patched when PatchTopK
    // says it is exact (checked at once against a fresh pinned query: ids, scores and feature
    // values bit for bit, normaliser and its id), else rescored; at the end the stored results
    // equal a full run with the same statistics.
    Gen gen(7);
    std::array<int, 7> outcomes{};  // by reason when not exact; [0] = exact
    int patched_changed = 0;        // exact and different from the stored top-k
    int patched_same = 0;
    int id_texts = 0;  // texts compared with and without term ids
    for (int round = 0; round < 40; ++round) {
        MatchConfig config;
        if (round % 4 == 3) config.weights[3] = 0.6;  // another profile: price counts 3x
        const std::size_t k = static_cast<std::size_t>(gen.Int(1, 6));
        RandomCatalog catalog(gen, 5000, 12);
        auto& [snapshot, demands, demand_snapshot, statistics, next_id] = catalog;
        std::vector<MatchResult> stored = FullRun(*snapshot, demands, k, statistics, config);
        for (int step = 0; step < 6; ++step) {
            const std::vector<LineId> top_ids = TopIds(stored);
            auto batch = RandomBatch(gen, 4, *snapshot, top_ids, next_id, PatchChange);
            const auto next = ApplyChanges(snapshot, batch);
            // Each changed line prepared once, and the demands its old or new version reaches.
            std::vector<PreparedChange> changes;
            for (const auto& [id, version] : batch) {
                changes.push_back(PreparedChange::Of(id, next->Find(id), *next));
            }
            const auto reached = ReachedBy(batch, *snapshot, *next, *demand_snapshot, config);
            const MatchContext context = Context(&statistics);
            for (std::size_t i = 0; i < demands.size(); ++i) {
                const auto reach = reached.find(demands[i].id);
                if (reach == reached.end()) continue;  // carried (ImpactTest above)
                std::vector<const PreparedChange*> mine;
                for (const PreparedChange& c : changes) {
                    if (reach->second.contains(c.id)) mine.push_back(&c);
                }
                const PreparedImpactDemand prepared(demands[i], *next, config, context);
                const TopKPatch patch = PatchTopK(prepared, StoredResultSummary::Of(stored[i], k),
                                                  mine, config, context);
                {
                    // The same with integer term ids (AssignTermIds / UseDictionary).
                    std::vector<PreparedChange> with_ids;
                    for (const PreparedChange* c : mine) with_ids.push_back(*c);
                    std::vector<std::string> dictionary;
                    AssignTermIds(with_ids, dictionary);
                    PreparedImpactDemand by_id(demands[i], *next, config, context);
                    by_id.UseDictionary(dictionary);
                    std::vector<const PreparedChange*> mine_ids;
                    for (const PreparedChange& c : with_ids) {
                        mine_ids.push_back(&c);
                        std::vector<std::pair<std::string, std::uint32_t>> u1;
                        std::vector<std::pair<std::string, std::uint32_t>> u2;
                        const PairText t1 = prepared.Text(c, &u1);
                        const PairText t2 = by_id.Text(c, &u2);
                        EXPECT_EQ(t1.raw, t2.raw) << "bit-identical";
                        EXPECT_EQ(t1.generated, t2.generated);
                        EXPECT_EQ(u1, u2);
                        ++id_texts;
                    }
                    const TopKPatch again = PatchTopK(by_id, StoredResultSummary::Of(stored[i], k),
                                                      mine_ids, config, context);
                    EXPECT_EQ(again.exact, patch.exact);
                    EXPECT_EQ(again.reason, patch.reason);
                    EXPECT_EQ(again.unpinned_terms, patch.unpinned_terms);
                    ASSERT_EQ(again.top.size(), patch.top.size());
                    for (std::size_t j = 0; j < patch.top.size(); ++j) {
                        EXPECT_EQ(again.top[j].id, patch.top[j].id);
                        EXPECT_EQ(again.top[j].score, patch.top[j].score);
                    }
                }
                statistics.Pin(patch.unpinned_terms);
                if (!patch.exact) {
                    ++outcomes.at(static_cast<std::size_t>(patch.reason));
                    stored[i] = MatchDemand(*next, demands[i], k, config, Context(&statistics));
                    statistics.Pin(stored[i].unpinned_terms);
                    continue;
                }
                ++outcomes[0];
                const MatchResult patched = Patched(stored[i], patch);
                // The reference query on a copy of the statistics (pinning its other terms now
                // would change what the later steps see).
                CorpusStatistics copy = statistics;
                const MatchResult fresh = MatchDemand(*next, demands[i], k, config, Context(&copy));
                EXPECT_TRUE(SameCandidates(fresh, patched))
                    << "round " << round << " step " << step << " demand " << demands[i].id;
                if (patch.SameAsStored(stored[i].candidates.size())) {
                    ++patched_same;
                } else {
                    ++patched_changed;
                }
                stored[i] = patched;
            }
            snapshot = next;
        }
        CorpusStatistics same = statistics;
        std::vector<MatchResult> full;
        for (const DemandLine& d : demands) {
            full.push_back(MatchDemand(*snapshot, d, k, config, Context(&same)));
            same.Pin(full.back().unpinned_terms);
        }
        for (std::size_t i = 0; i < demands.size(); ++i) {
            EXPECT_TRUE(SameCandidates(full[i], stored[i])) << "round " << round << " demand " << i;
        }
    }
    // Not vacuous: patches that change the top-k, patches that keep it, and every reason a
    // patch is refused occur.
    EXPECT_GT(id_texts, 500);
    EXPECT_GT(patched_changed, 50);
    EXPECT_GT(patched_same, 50);
    for (const ImpactReason r : {ImpactReason::kSetNormaliser, ImpactReason::kReachesNormaliser,
                                 ImpactReason::kTopKIncomplete}) {
        EXPECT_GT(outcomes[static_cast<std::size_t>(r)], 5) << ImpactReasonName(r);
    }
}

// A change for the relevance test: every kind the executor sees (re-price, lead time,
// status, withdrawal, new line, title / description edit, classification change), biased to
// lines in some stored top-k or setting a normaliser.
std::pair<LineId, std::optional<SupplyLine>> AnyChange(Gen& gen,
                                                       const SupplySnapshot& snapshot,
                                                       const std::vector<LineId>& top_ids,
                                                       LineId& next_id) {
    const int kind = gen.Int(0, 9);
    if (kind == 0) {
        const LineId id = next_id++;
        return {id, gen.Supply(id)};
    }
    if (kind == 1) {
        // A new line copying a live line's text: strong text, often above a k-th score.
        std::vector<const SupplyLine*> live;
        snapshot.ForEachLive([&](const SupplyLine& l) { live.push_back(&l); });
        SupplyLine s = live.empty() ? gen.Supply(next_id) : *gen.Pick(live);
        s.id = next_id++;
        s.status = "active";
        return {s.id, s};
    }
    auto [id, version] = PatchChange(gen, snapshot, top_ids, next_id);
    if (version && kind == 9) {
        version->classification.id = gen.Pick(kClasses);  // classification change
    } else if (version && kind == 8) {
        version->title = gen.Text(1, 4);  // retitled
    }
    return {id, version};
}

TEST(ImpactTest, RelevantChangesPatchLikeAllReachingChanges) {
    // ChangeIndex::RelevantChanges against what the executor used to give PatchTopK (every
    // changed line whose old or new version reaches the demand, ReachableDemands): over rounds
    // of random batched changes of every kind, several weight profiles and k, the relevant set
    // is a subset of the reaching set, and PatchTopK answers the same on both (exact, reason,
    // unpinned terms, new top-k ids, scores and stored rows); a demand with no relevant change
    // has a fresh query equal to its stored result, and every exact patch equals a fresh query.
    // This fails if the relevance filter missed a changed line that can affect a demand.
    Gen gen(11);
    int demands_checked = 0;
    int pruned = 0;         // the text threshold applied
    int smaller = 0;        // the relevant set strictly smaller than the reaching set
    int none_relevant = 0;  // reached, but no relevant change: carried
    int changed_top = 0;    // exact patches that change the top-k
    int rescored = 0;
    for (int round = 0; round < 40; ++round) {
        MatchConfig config;
        switch (round % 5) {
            case 1:
                config.weights[3] = 0.6;  // price counts 3x
                break;
            case 2:
                config.weights[0] = 0.4;  // text weighs less than the rest: theta > normaliser
                break;
            case 3:
                config.weights[0] = 3.0;  // text dominates: a low theta
                break;
            default:
                break;
        }
        const std::size_t k = static_cast<std::size_t>(gen.Int(1, 6));
        RandomCatalog catalog(gen, 9000, 14);
        auto& [snapshot, demands, demand_snapshot, statistics, next_id] = catalog;
        std::vector<MatchResult> stored = FullRun(*snapshot, demands, k, statistics, config);
        for (int step = 0; step < 6; ++step) {
            const std::vector<LineId> top_ids = TopIds(stored);
            auto batch = RandomBatch(gen, 6, *snapshot, top_ids, next_id, AnyChange);
            const auto next = ApplyChanges(snapshot, batch);
            std::vector<PreparedChange> changes;
            for (const auto& [id, version] : batch) {
                changes.push_back(PreparedChange::Of(id, next->Find(id), *next));
                // As the executor: a re-price is marked by its previous (live) version.
                if (const SupplyLine* old = snapshot->Find(id)) {
                    changes.back().MarkTextUnchanged(*old, *next);
                }
            }
            const auto reached = ReachedBy(batch, *snapshot, *next, *demand_snapshot, config);
            std::vector<std::string> dictionary;
            AssignTermIds(changes, dictionary);
            const MatchContext context = Context(&statistics);
            const ChangeIndex index(changes, dictionary, *next, config, context);
            for (std::size_t i = 0; i < demands.size(); ++i) {
                ++demands_checked;
                PreparedImpactDemand prepared(demands[i], *next, config, context);
                prepared.UseDictionary(dictionary);
                const StoredResultSummary summary = StoredResultSummary::Of(stored[i], k);
                std::vector<const PreparedChange*> relevant;
                ChangeIndex::Stats stats;
                index.RelevantChanges(prepared, summary, relevant, &stats);
                pruned += stats.pruned ? 1 : 0;
                ASSERT_TRUE(std::is_sorted(relevant.begin(), relevant.end(),
                                           [](auto* a, auto* b) { return a->id < b->id; }));
                std::vector<const PreparedChange*> all;
                const auto reach = reached.find(demands[i].id);
                for (const PreparedChange& c : changes) {
                    if (reach != reached.end() && reach->second.contains(c.id)) all.push_back(&c);
                }
                for (const PreparedChange* c : relevant) {
                    EXPECT_TRUE(std::find(all.begin(), all.end(), c) != all.end())
                        << "relevant line " << c->id << " does not reach demand " << demands[i].id;
                }
                if (relevant.size() < all.size()) ++smaller;
                CorpusStatistics copy = statistics;
                const MatchResult fresh = MatchDemand(*next, demands[i], k, config, Context(&copy));
                if (relevant.empty()) {
                    // Carried: the stored result must be what a query returns now.
                    if (!all.empty()) ++none_relevant;
                    EXPECT_TRUE(SameCandidates(fresh, stored[i]))
                        << "round " << round << " step " << step << " demand " << demands[i].id
                        << ": no relevant change, but the fresh top-k differs";
                    continue;
                }
                const TopKPatch by_relevant =
                    PatchTopK(prepared, summary, relevant, config, context);
                const TopKPatch by_all = PatchTopK(prepared, summary, all, config, context);
                EXPECT_EQ(by_relevant.exact, by_all.exact) << "round " << round << " step " << step;
                EXPECT_EQ(by_relevant.reason, by_all.reason);
                EXPECT_EQ(by_relevant.unpinned_terms, by_all.unpinned_terms);
                ASSERT_EQ(by_relevant.top.size(), by_all.top.size());
                for (std::size_t j = 0; j < by_all.top.size(); ++j) {
                    EXPECT_EQ(by_relevant.top[j].id, by_all.top[j].id);
                    EXPECT_EQ(by_relevant.top[j].score, by_all.top[j].score);
                    EXPECT_EQ(by_relevant.top[j].stored_index, by_all.top[j].stored_index);
                }
                statistics.Pin(by_relevant.unpinned_terms);
                if (!by_relevant.exact) {
                    ++rescored;
                    stored[i] = MatchDemand(*next, demands[i], k, config, Context(&statistics));
                    statistics.Pin(stored[i].unpinned_terms);
                    continue;
                }
                const MatchResult patched = Patched(stored[i], by_relevant);
                EXPECT_TRUE(SameCandidates(fresh, patched))
                    << "round " << round << " step " << step << " demand " << demands[i].id;
                if (!by_relevant.SameAsStored(stored[i].candidates.size())) ++changed_top;
                stored[i] = patched;
            }
            snapshot = next;
        }
        ExpectFullRunCandidates(*snapshot, demands, k, config, statistics, stored, round);
    }
    // Not vacuous: the threshold applies, leaves lines out, leaves whole demands without a
    // check, and patches and rescorings both occur.
    EXPECT_GT(demands_checked, 3000);
    EXPECT_GT(pruned, 500) << demands_checked;
    EXPECT_GT(smaller, 200) << demands_checked;
    EXPECT_GT(none_relevant, 50) << demands_checked;
    EXPECT_GT(changed_top, 50);
    EXPECT_GT(rescored, 20);
}

TEST(ImpactTest, PatchTopKSimpleCases) {
    // Two lines share the demand's terms; line 1 sets the normaliser and is first.
    SupplyLine a;
    a.id = 1;
    a.title = "螺杆空压机 变频";
    a.price_amount = 50000;
    SupplyLine b;
    b.id = 2;
    b.title = "螺杆空压机";
    b.price_amount = 90000;
    SupplyLine c;
    c.id = 3;
    c.title = "螺杆空压机";
    c.price_amount = 50000;
    DemandLine d;
    d.id = 10;
    d.title = "变频螺杆空压机";
    d.budget_amount = 100000;
    const MatchConfig config;
    const auto snapshot = SupplySnapshot::Build({a, b, c});
    CorpusStatistics statistics = CorpusStatistics::Of(*snapshot);
    const MatchContext context = Context(&statistics);
    const MatchResult r = MatchDemand(*snapshot, d, 2, config, context);
    statistics.Pin(r.unpinned_terms);
    ASSERT_EQ(r.candidates.size(), 2u);
    ASSERT_EQ(r.candidates[0].id, 1);
    ASSERT_EQ(r.candidates[1].id, 2);
    const StoredResultSummary summary = StoredResultSummary::Of(r, 2);
    auto patch = [&](const SupplyLine& changed, bool withdrawn = false) {
        const auto next = withdrawn ? SupplySnapshot::Apply(snapshot, {}, std::vector{changed.id})
                                    : SupplySnapshot::Apply(snapshot, {changed}, {});
        const PreparedChange change = PreparedChange::Of(changed.id, next->Find(changed.id), *next);
        const std::array<const PreparedChange*, 1> changes = {&change};
        const PreparedImpactDemand prepared(d, *next, config, context);
        return PatchTopK(prepared, summary, changes, config, context);
    };
    // The price feature prefers a price close to the budget (r = price / budget <= 1).
    // Line 3's price moves close to the budget and it overtakes line 2: patched, 2 leaves.
    SupplyLine closer = c;
    closer.price_amount = 99500;
    TopKPatch p = patch(closer);
    auto ids = [](const TopKPatch& patched) {
        std::set<LineId> out;
        for (const auto& e : patched.top) out.insert(e.id);
        return out;
    };
    ASSERT_TRUE(p.exact);
    ASSERT_EQ(p.top.size(), 2u);
    EXPECT_EQ(ids(p), (std::set<LineId>{1, 3}));
    for (const auto& e : p.top) EXPECT_EQ(e.stored_index.has_value(), e.id == 1);
    // Line 2's price moves closer to the budget: it stays with a higher score (patched, not
    // the stored top-k).
    SupplyLine b_closer = b;
    b_closer.price_amount = 95000;
    p = patch(b_closer);
    ASSERT_TRUE(p.exact);
    EXPECT_FALSE(p.SameAsStored(2));
    EXPECT_EQ(ids(p), (std::set<LineId>{1, 2}));
    for (const auto& e : p.top) {
        if (e.id == 2) {
            EXPECT_GT(e.score, r.candidates[1].score);
        }
    }
    // Line 2 withdrawn: line 3 would replace it, but it is not known: not exact.
    p = patch(b, true);
    EXPECT_FALSE(p.exact);
    EXPECT_EQ(ImpactReasonName(p.reason), "top_k_incomplete");
    // Line 1 (the normaliser) with the same text and a new price: exact; withdrawn: not.
    SupplyLine a_other = a;
    a_other.price_amount = 40000;
    p = patch(a_other);
    EXPECT_TRUE(p.exact);
    EXPECT_EQ(ImpactReasonName(patch(a, true).reason), "set_normaliser");
    SupplyLine a_text = a;
    a_text.title = "螺杆空压机";
    EXPECT_EQ(ImpactReasonName(patch(a_text).reason), "set_normaliser");
}

// The changes of one step prepared for PatchTopK: each changed line once, with
// MarkTextUnchanged against its version in `before` when `mark` (as the runs executor does), and
// the changed lines that reach each demand (old or new version).
struct PreparedStep {
    std::vector<PreparedChange> changes;
    std::map<LineId, std::vector<const PreparedChange*>> reaching;  // demand -> changes
};
void PrepareStep(const SupplySnapshot& before,
                 const SupplySnapshot& after,
                 const DemandSnapshot& demands,
                 const std::map<LineId, std::optional<SupplyLine>>& batch,
                 const MatchConfig& config,
                 bool mark,
                 PreparedStep& out) {
    out.changes.clear();
    out.reaching.clear();
    for (const auto& [id, version] : batch) {
        out.changes.push_back(PreparedChange::Of(id, after.Find(id), after));
        if (mark && before.Find(id) != nullptr) {
            out.changes.back().MarkTextUnchanged(*before.Find(id), after);
        }
    }
    for (const PreparedChange& c : out.changes) {
        const std::array<const SupplyLine*, 2> versions = {after.Find(c.id), before.Find(c.id)};
        for (LineId d : ReachableDemands(demands, versions, config)) out.reaching[d].push_back(&c);
    }
}

TEST(ImpactTest, SameTextChangesSettledOnTheRecordEqualAFreshQuery) {
    // Rounds of batched changes, mostly re-prices and other edits that keep the text (so the
    // record-first dismissal of MarkTextUnchanged applies), of top-k lines half the time. Every
    // patch with the marks is compared with the patch without them (the marks may only settle
    // more patches exactly, never give another top-k) and, when exact, with a fresh pinned query
    // (ids, scores, feature values bit for bit, normaliser); the final state equals a full run.
    Gen gen(11);
    int marked = 0;             // changes marked text_unchanged
    std::size_t settled = 0;    // checks settled on the record without text work
    int exact_both = 0;         // patches exact with and without the marks
    int exact_only_marked = 0;  // exact only with the marks
    int entered = 0;            // a marked change in the new top-k (it must not be dismissed)
    for (int round = 0; round < 40; ++round) {
        MatchConfig config;
        if (round % 3 == 2) config.weights[3] = 0.6;
        const std::size_t k = static_cast<std::size_t>(gen.Int(1, 5));
        RandomCatalog catalog(gen, 5000, 12);
        auto& [snapshot, demands, demand_snapshot, statistics, next_id] = catalog;
        std::vector<MatchResult> stored = FullRun(*snapshot, demands, k, statistics, config);
        for (int step = 0; step < 6; ++step) {
            std::vector<LineId> top_ids;
            for (const MatchResult& r : stored) {
                for (const Candidate& c : r.candidates) top_ids.push_back(c.id);
            }
            auto batch = RandomBatch(gen, 4, *snapshot, top_ids, next_id, PatchChange);
            const auto next = ApplyChanges(snapshot, batch);
            PreparedStep with_marks;
            PreparedStep plain;
            PrepareStep(*snapshot, *next, *demand_snapshot, batch, config, true, with_marks);
            PrepareStep(*snapshot, *next, *demand_snapshot, batch, config, false, plain);
            for (const PreparedChange& c : with_marks.changes) marked += c.text_unchanged ? 1 : 0;
            const MatchContext context = Context(&statistics);
            for (std::size_t i = 0; i < demands.size(); ++i) {
                const auto reach = with_marks.reaching.find(demands[i].id);
                if (reach == with_marks.reaching.end()) continue;
                const PreparedImpactDemand prepared(demands[i], *next, config, context);
                const StoredResultSummary summary = StoredResultSummary::Of(stored[i], k);
                const TopKPatch patch =
                    PatchTopK(prepared, summary, reach->second, config, context);
                const TopKPatch reference =
                    PatchTopK(prepared, summary, plain.reaching.at(demands[i].id), config, context);
                EXPECT_EQ(reference.without_text, 0u);
                settled += patch.without_text;
                if (reference.exact) {
                    ASSERT_TRUE(patch.exact) << "round " << round << " step " << step;
                    ASSERT_EQ(patch.top.size(), reference.top.size());
                    for (std::size_t j = 0; j < patch.top.size(); ++j) {
                        EXPECT_EQ(patch.top[j].id, reference.top[j].id);
                        EXPECT_EQ(patch.top[j].score, reference.top[j].score);
                    }
                    ++exact_both;
                } else if (patch.exact) {
                    ++exact_only_marked;
                }
                statistics.Pin(patch.unpinned_terms);
                statistics.Pin(reference.unpinned_terms);
                if (!patch.exact) {
                    stored[i] = MatchDemand(*next, demands[i], k, config, Context(&statistics));
                    statistics.Pin(stored[i].unpinned_terms);
                    continue;
                }
                for (const TopKPatch::Entry& e : patch.top) {
                    for (const PreparedChange* c : reach->second) {
                        entered += (c->id == e.id && c->text_unchanged) ? 1 : 0;
                    }
                }
                const MatchResult patched = Patched(stored[i], patch);
                CorpusStatistics copy = statistics;
                const MatchResult fresh = MatchDemand(*next, demands[i], k, config, Context(&copy));
                EXPECT_TRUE(SameCandidates(fresh, patched))
                    << "round " << round << " step " << step << " demand " << demands[i].id;
                stored[i] = patched;
            }
            snapshot = next;
        }
        ExpectFullRunCandidates(*snapshot, demands, k, config, statistics, stored, round);
    }
    // Not vacuous: marked changes, checks settled without text, exact patches, and marked
    // changes that had to be kept because they enter (or stay in) the top-k.
    EXPECT_GT(marked, 200);
    EXPECT_GT(settled, 200u);
    EXPECT_GT(exact_both, 100);
    EXPECT_GT(entered, 50);
    (void)exact_only_marked;
}

TEST(ImpactTest, SameTextChangesThatMustNotBeSettledOnTheRecord) {
    // Line 1 has exactly the demand's title (it sets the normaliser); lines 2-4 add a word the
    // query lacks (the same raw BM25, below line 1's), so their scores differ by price only
    // (closeness to the budget; the "price" profile weighs it 0.6) and equal prices tie exactly.
    auto line = [](LineId id, double price, const char* title) {
        SupplyLine s;
        s.id = id;
        s.title = title;
        s.price_amount = price;
        return s;
    };
    const SupplyLine a = line(1, 95000, "变频螺杆空压机");
    const SupplyLine b = line(2, 20000, "变频螺杆空压机 水泵");
    const SupplyLine c = line(3, 90000, "变频螺杆空压机 水泵");
    const SupplyLine e = line(4, 30000, "变频螺杆空压机 水泵");
    DemandLine d;
    d.id = 10;
    d.title = "变频螺杆空压机";
    d.budget_amount = 100000;
    MatchConfig config;
    config.weights[3] = 0.6;
    const auto snapshot = SupplySnapshot::Build({a, b, c, e});
    CorpusStatistics statistics = CorpusStatistics::Of(*snapshot);
    const MatchContext context = Context(&statistics);
    const MatchResult r = MatchDemand(*snapshot, d, 2, config, context);
    statistics.Pin(r.unpinned_terms);
    ASSERT_EQ(r.candidates.size(), 2u);
    ASSERT_EQ(r.candidates[0].id, 1);
    ASSERT_EQ(r.candidates[1].id, 3);
    ASSERT_EQ(r.text_normaliser_id, 1);
    const StoredResultSummary summary = StoredResultSummary::Of(r, 2);
    // Patches `changed` (marked: same text as in `snapshot`) and checks an exact patch against
    // a fresh query on the changed catalog.
    auto patch = [&](const SupplyLine& changed) {
        const auto next = SupplySnapshot::Apply(snapshot, {changed}, {});
        PreparedChange change = PreparedChange::Of(changed.id, next->Find(changed.id), *next);
        change.MarkTextUnchanged(*snapshot->Find(changed.id), *next);
        EXPECT_TRUE(change.text_unchanged);
        const std::array<const PreparedChange*, 1> changes = {&change};
        const PreparedImpactDemand prepared(d, *next, config, context);
        TopKPatch p = PatchTopK(prepared, summary, changes, config, context);
        if (p.exact) {
            CorpusStatistics copy = statistics;
            const MatchResult fresh = MatchDemand(*next, d, 2, config, Context(&copy));
            EXPECT_TRUE(SameCandidates(fresh, Patched(r, p)));
        }
        return p;
    };
    auto ids = [](const TopKPatch& p) {
        std::vector<LineId> out;
        for (const auto& entry : p.top) out.push_back(entry.id);
        return out;
    };
    // A re-price that moves line 4 (outside the top-k) into it: kept, it enters, line 3 leaves.
    SupplyLine e_closer = e;
    e_closer.price_amount = 99000;
    TopKPatch p = patch(e_closer);
    ASSERT_TRUE(p.exact);
    EXPECT_EQ(ids(p), (std::vector<LineId>{1, 4}));
    EXPECT_EQ(p.without_text, 0u);
    // A re-price far from the budget: line 4 cannot reach the k-th score even with the best
    // text value: settled on the record.
    SupplyLine e_far = e;
    e_far.price_amount = 5000;
    p = patch(e_far);
    ASSERT_TRUE(p.exact);
    EXPECT_TRUE(p.SameAsStored(2));
    EXPECT_EQ(p.without_text, 1u);
    // A tie at the k-th score: line 2 re-priced to line 3's price scores exactly the same and
    // ranks first by its smaller id: kept, it enters and line 3 leaves.
    SupplyLine b_tie = b;
    b_tie.price_amount = c.price_amount;
    p = patch(b_tie);
    ASSERT_TRUE(p.exact);
    EXPECT_EQ(ids(p), (std::vector<LineId>{1, 2}));
    EXPECT_EQ(p.without_text, 0u);
    // The k-th line re-priced with a validity that has expired: it fails the price-validity
    // filter and leaves; its replacement is unknown to the patch.
    SupplyLine c_expired = c;
    c_expired.price_amount = 95000;
    c_expired.price_valid_until = context.today - 1;
    p = patch(c_expired);
    EXPECT_FALSE(p.exact);
    EXPECT_EQ(ImpactReasonName(p.reason), "top_k_incomplete");
    // Line 4 re-priced into reach but suspended by the same publish: settled on the record.
    SupplyLine e_off = e_closer;
    e_off.status = "suspended";
    p = patch(e_off);
    ASSERT_TRUE(p.exact);
    EXPECT_TRUE(p.SameAsStored(2));
    EXPECT_EQ(p.without_text, 1u);
    // The normaliser's line re-priced: never settled without its text (its raw is checked).
    SupplyLine a_other = a;
    a_other.price_amount = 92000;
    p = patch(a_other);
    ASSERT_TRUE(p.exact);
    EXPECT_EQ(ids(p), (std::vector<LineId>{1, 3}));
    EXPECT_EQ(p.without_text, 0u);
    // A text edit is not marked.
    SupplyLine e_text = e;
    e_text.title = "螺杆空压机 变频 螺杆";
    const auto next = SupplySnapshot::Apply(snapshot, {e_text}, {});
    PreparedChange change = PreparedChange::Of(4, next->Find(4), *next);
    change.MarkTextUnchanged(e, *next);
    EXPECT_FALSE(change.text_unchanged);
}

}  // namespace
}  // namespace renewmatch::matcher
