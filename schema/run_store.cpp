#include "schema/run_store.hpp"

#include "schema/statement.hpp"

#include <cstring>
#include <limits>

namespace renewmatch::schema {
namespace {

constexpr std::string_view kRunColumns =
    "id, mode, scope_classification, scope_region, scope_org_id, scope_key, allocate, weights, "
    "config_version, top_k, status, runner, cancel_requested, progress_done, progress_total, "
    "demands_total, demands_scored, demands_carried, results_count, pairs_examined, "
    "candidates_generated, supply_lines, entered_count, left_count, allocated_quantity, "
    "unassigned_quantity, change_seq, as_of_day, stats_epoch_run_id, base_run_id, "
    "previous_run_id, error, note, requested_by_key, requested_by_org, request_id, created_at, "
    "started_at, finished_at, heartbeat_at, scoring_ms, writing_ms, allocation_ms, "
    "stats_live_count, stats_average_length";

RunRecord ReadRun(const Statement& s) {
    RunRecord r;
    int c = 0;
    r.id = s.ColumnInt64(c++);
    r.mode = s.ColumnText(c++);
    r.scope.classification_prefix = s.ColumnText(c++);
    r.scope.region = s.ColumnText(c++);
    r.scope.org_id = s.ColumnOptionalInt64(c++);
    r.scope_key = s.ColumnText(c++);
    r.allocate = s.ColumnInt64(c++) != 0;
    r.weights = s.ColumnText(c++);
    r.config_version = s.ColumnText(c++);
    r.top_k = s.ColumnInt64(c++);
    r.status = s.ColumnText(c++);
    r.runner = s.ColumnText(c++);
    r.cancel_requested = s.ColumnInt64(c++) != 0;
    r.progress_done = s.ColumnInt64(c++);
    r.progress_total = s.ColumnInt64(c++);
    r.demands_total = s.ColumnInt64(c++);
    r.demands_scored = s.ColumnInt64(c++);
    r.demands_carried = s.ColumnInt64(c++);
    r.results_count = s.ColumnInt64(c++);
    r.pairs_examined = s.ColumnInt64(c++);
    r.candidates_generated = s.ColumnInt64(c++);
    r.supply_lines = s.ColumnInt64(c++);
    r.entered_count = s.ColumnInt64(c++);
    r.left_count = s.ColumnInt64(c++);
    r.allocated_quantity = s.ColumnOptionalDouble(c++);
    r.unassigned_quantity = s.ColumnOptionalDouble(c++);
    r.change_seq = s.ColumnInt64(c++);
    r.as_of_day = s.ColumnOptionalInt64(c++);
    r.stats_epoch_run_id = s.ColumnOptionalInt64(c++);
    r.base_run_id = s.ColumnOptionalInt64(c++);
    r.previous_run_id = s.ColumnOptionalInt64(c++);
    r.error = s.ColumnText(c++);
    r.note = s.ColumnText(c++);
    r.requested_by_key = s.ColumnOptionalInt64(c++);
    r.requested_by_org = s.ColumnOptionalInt64(c++);
    r.request_id = s.ColumnText(c++);
    r.created_at_ms = s.ColumnInt64(c++);
    r.started_at_ms = s.ColumnOptionalInt64(c++);
    r.finished_at_ms = s.ColumnOptionalInt64(c++);
    r.heartbeat_at_ms = s.ColumnOptionalInt64(c++);
    r.scoring_ms = s.ColumnInt64(c++);
    r.writing_ms = s.ColumnInt64(c++);
    r.allocation_ms = s.ColumnInt64(c++);
    r.stats_live_count = s.ColumnOptionalInt64(c++);
    r.stats_average_length = s.ColumnOptionalDouble(c++);
    return r;
}

Result<std::vector<RunRecord>> ReadRuns(Statement& stmt) {
    std::vector<RunRecord> out;
    for (;;) {
        auto row = stmt.Step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back(ReadRun(stmt));
    }
    return out;
}

std::string RunSelect(std::string_view where_and_order) {
    return "SELECT " + std::string(kRunColumns) + " FROM match_runs " +
           std::string(where_and_order);
}

// Feature values as little-endian IEEE-754 float64 (the hosts we build for are little-endian;
// checked at compile time).
static_assert(sizeof(double) == 8);
std::vector<std::uint8_t> PackFeatures(const std::array<double, kRunFeatureCount>& values) {
    std::vector<std::uint8_t> out(values.size() * 8);
    std::memcpy(out.data(), values.data(), out.size());
    return out;
}
bool UnpackFeatures(const std::vector<std::uint8_t>& blob,
                    std::array<double, kRunFeatureCount>& values) {
    if (blob.size() != values.size() * 8) return false;
    std::memcpy(values.data(), blob.data(), blob.size());
    return true;
}

Result<std::vector<ResultRow>> ReadResults(Statement& stmt) {
    std::vector<ResultRow> out;
    for (;;) {
        auto row = stmt.Step();
        if (!row) return row.error();
        if (!*row) break;
        ResultRow r;
        r.demand_id = stmt.ColumnInt64(0);
        r.rank = stmt.ColumnInt64(1);
        r.supply_id = stmt.ColumnInt64(2);
        r.vendor_id = stmt.ColumnInt64(3);
        r.score = stmt.ColumnDouble(4);
        if (!UnpackFeatures(stmt.ColumnBlob(5), r.features)) return Errc::kInternal;
        r.allocated_quantity = stmt.ColumnOptionalDouble(6);
        out.push_back(r);
    }
    return out;
}

constexpr std::string_view kResultColumns =
    "demand_id, rank, supply_id, vendor_id, score, features, allocated_quantity";

}  // namespace

std::string RunScope::Key() const {
    return "class=" + classification_prefix + ";region=" + region +
           ";org=" + (org_id ? std::to_string(*org_id) : std::string());
}

Result<RunRecord> InsertRun(Connection& connection, const NewRun& run) {
    auto stmt = connection.Prepare(
        "INSERT INTO match_runs (mode, scope_classification, scope_region, scope_org_id, "
        "scope_key, allocate, weights, config_version, top_k, status, runner, requested_by_key, "
        "requested_by_org, request_id, created_at, started_at, heartbeat_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) return stmt.error();
    const std::optional<std::int64_t> started =
        run.status == "running" ? std::optional<std::int64_t>(run.now_ms) : std::nullopt;
    stmt->BindAll(run.mode, run.scope.classification_prefix, run.scope.region, run.scope.org_id,
                  run.scope.Key(), run.allocate, run.weights, run.config_version, run.top_k,
                  run.status, run.runner, run.requested_by_key, run.requested_by_org,
                  run.request_id, run.now_ms, started, started);
    if (auto r = stmt->Exec(); !r) return r.error();
    auto found = FindRun(connection, connection.LastInsertRowId());
    if (!found) return found.error();
    if (!*found) return Errc::kInternal;
    return std::move(**found);
}

Result<std::optional<RunRecord>> FindRun(Connection& connection, std::int64_t id) {
    auto stmt = connection.Prepare(RunSelect("WHERE id = ?"));
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, id);
    auto rows = ReadRuns(*stmt);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<RunRecord>();
    return std::optional<RunRecord>(std::move(rows->front()));
}

Result<std::vector<RunRecord>> ListRuns(Connection& connection, const RunQuery& q) {
    auto stmt = connection.Prepare(
        RunSelect("WHERE (?1 = '' OR status = ?1) AND (?2 = '' OR scope_key = ?2) "
                  "AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4"));
    if (!stmt) return stmt.error();
    stmt->BindAll(q.status, q.scope_key, q.before_id, q.limit);
    return ReadRuns(*stmt);
}

Result<std::optional<RunRecord>> LatestSucceededRun(Connection& connection,
                                                    std::string_view scope_key) {
    auto stmt = connection.Prepare(
        RunSelect("WHERE scope_key = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1"));
    if (!stmt) return stmt.error();
    stmt->BindText(1, scope_key);
    auto rows = ReadRuns(*stmt);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<RunRecord>();
    return std::optional<RunRecord>(std::move(rows->front()));
}

Result<std::optional<std::int64_t>> LatestSucceededRunForDemand(Connection& connection,
                                                                std::int64_t demand_id) {
    auto stmt = connection.Prepare(
        "SELECT d.run_id FROM match_run_demands d JOIN match_runs r ON r.id = d.run_id "
        "WHERE d.demand_id = ? AND r.status = 'succeeded' ORDER BY d.run_id DESC LIMIT 1");
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, demand_id);
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(stmt->ColumnInt64(0));
}

Result<std::vector<RunRecord>> ActiveRuns(Connection& connection) {
    auto stmt = connection.Prepare(RunSelect("WHERE status IN ('queued', 'running') ORDER BY id"));
    if (!stmt) return stmt.error();
    return ReadRuns(*stmt);
}

Result<Transition> StartRun(Connection& connection, std::int64_t id, std::int64_t now_ms) {
    auto stmt = connection.Prepare(
        "UPDATE match_runs SET status = 'running', started_at = ?2, heartbeat_at = ?2 "
        "WHERE id = ?1 AND status = 'queued'");
    if (!stmt) return stmt.error();
    stmt->BindAll(id, now_ms);
    if (auto r = stmt->Exec(); !r) return r.error();
    return Transition{connection.Changes() == 1};
}

Result<void> SetRunPlan(Connection& connection,
                        std::int64_t id,
                        const RunPlan& plan,
                        std::int64_t now_ms) {
    auto stmt = connection.Prepare(
        "UPDATE match_runs SET change_seq = ?, as_of_day = ?, stats_epoch_run_id = ?, "
        "base_run_id = ?, previous_run_id = ?, demands_total = ?, progress_total = ?, "
        "supply_lines = ?, note = ?, heartbeat_at = ? WHERE id = ? AND status = 'running'");
    if (!stmt) return stmt.error();
    stmt->BindAll(plan.change_seq, plan.as_of_day, plan.stats_epoch_run_id, plan.base_run_id,
                  plan.previous_run_id, plan.demands_total, plan.progress_total, plan.supply_lines,
                  plan.note, now_ms, id);
    return stmt->Exec();
}

Result<void> UpdateProgress(Connection& connection,
                            std::int64_t id,
                            const RunProgress& p,
                            std::int64_t now_ms) {
    auto stmt = connection.Prepare(
        "UPDATE match_runs SET progress_done = ?, demands_scored = ?, demands_carried = ?, "
        "results_count = ?, pairs_examined = ?, candidates_generated = ?, entered_count = ?, "
        "left_count = ?, scoring_ms = ?, writing_ms = ?, allocation_ms = ?, heartbeat_at = ? "
        "WHERE id = ? AND status = 'running'");
    if (!stmt) return stmt.error();
    stmt->BindAll(p.progress_done, p.demands_scored, p.demands_carried, p.results_count,
                  p.pairs_examined, p.candidates_generated, p.entered_count, p.left_count,
                  p.scoring_ms, p.writing_ms, p.allocation_ms, now_ms, id);
    return stmt->Exec();
}

Result<CancelState> CancelRequested(Connection& connection, std::int64_t id) {
    auto stmt = connection.Prepare("SELECT cancel_requested, status FROM match_runs WHERE id = ?");
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, id);
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return Errc::kNotFound;
    return CancelState{stmt->ColumnInt64(0) != 0 || stmt->ColumnTextView(1) == "cancelled"};
}

Result<std::optional<RunRecord>> RequestCancel(Connection& connection,
                                               std::int64_t id,
                                               std::int64_t now_ms) {
    {
        auto queued = connection.Prepare(
            "UPDATE match_runs SET status = 'cancelled', cancel_requested = 1, finished_at = ?2, "
            "error = 'cancelled before it started' WHERE id = ?1 AND status = 'queued'");
        if (!queued) return queued.error();
        queued->BindAll(id, now_ms);
        if (auto r = queued->Exec(); !r) return r.error();
    }
    {
        auto running = connection.Prepare(
            "UPDATE match_runs SET cancel_requested = 1 WHERE id = ? AND status = 'running'");
        if (!running) return running.error();
        running->BindInt64(1, id);
        if (auto r = running->Exec(); !r) return r.error();
    }
    return FindRun(connection, id);
}

Result<Transition> FinishRun(Connection& connection,
                             std::int64_t id,
                             const RunFinish& f,
                             std::int64_t now_ms) {
    if (f.status != "succeeded" && f.status != "failed" && f.status != "cancelled") {
        return Errc::kInvalidArgument;
    }
    auto stmt = connection.Prepare(
        "UPDATE match_runs SET status = ?, error = ?, progress_done = ?, demands_scored = ?, "
        "demands_carried = ?, results_count = ?, pairs_examined = ?, candidates_generated = ?, "
        "entered_count = ?, left_count = ?, scoring_ms = ?, writing_ms = ?, allocation_ms = ?, "
        "allocated_quantity = ?, unassigned_quantity = ?, finished_at = ?, heartbeat_at = ? "
        "WHERE id = ? AND status IN ('queued', 'running')");
    if (!stmt) return stmt.error();
    const auto& p = f.progress;
    stmt->BindAll(f.status, f.error, p.progress_done, p.demands_scored, p.demands_carried,
                  p.results_count, p.pairs_examined, p.candidates_generated, p.entered_count,
                  p.left_count, p.scoring_ms, p.writing_ms, p.allocation_ms, f.allocated_quantity,
                  f.unassigned_quantity, now_ms, now_ms, id);
    if (auto r = stmt->Exec(); !r) return r.error();
    return Transition{connection.Changes() == 1};
}

Result<std::vector<std::int64_t>> FailAbandonedRuns(Connection& connection,
                                                    std::string_view runner,
                                                    std::int64_t stale_before_ms,
                                                    std::string_view reason,
                                                    std::int64_t now_ms) {
    std::vector<std::int64_t> ids;
    {
        auto find = connection.Prepare(
            "SELECT id FROM match_runs WHERE status IN ('queued', 'running') "
            "AND (?1 = '' OR runner = ?1) AND coalesce(heartbeat_at, created_at) < ?2 ORDER BY id");
        if (!find) return find.error();
        find->BindAll(runner, stale_before_ms);
        for (;;) {
            auto row = find->Step();
            if (!row) return row.error();
            if (!*row) break;
            ids.push_back(find->ColumnInt64(0));
        }
    }
    auto update = connection.Prepare(
        "UPDATE match_runs SET status = 'failed', error = ?, finished_at = ? "
        "WHERE id = ? AND status IN ('queued', 'running')");
    if (!update) return update.error();
    for (const auto id : ids) {
        update->Reset();
        update->BindAll(reason, now_ms, id);
        if (auto r = update->Exec(); !r) return r.error();
    }
    return ids;
}

Result<void> SaveStatisticsEpoch(Connection& connection,
                                 std::int64_t epoch_run_id,
                                 std::int64_t live_count,
                                 double average_length) {
    auto stmt = connection.Prepare(
        "UPDATE match_runs SET stats_live_count = ?, stats_average_length = ? WHERE id = ?");
    if (!stmt) return stmt.error();
    stmt->BindAll(live_count, average_length, epoch_run_id);
    return stmt->Exec();
}

Result<void> PinTerms(Connection& connection,
                      std::int64_t epoch_run_id,
                      std::span<const std::pair<std::string, std::uint32_t>> terms) {
    auto stmt = connection.Prepare(
        "INSERT OR IGNORE INTO match_run_statistics (epoch_run_id, term, df) VALUES (?, ?, ?)");
    if (!stmt) return stmt.error();
    for (const auto& [term, df] : terms) {
        stmt->Reset();
        stmt->BindAll(epoch_run_id, term, static_cast<std::int64_t>(df));
        if (auto r = stmt->Exec(); !r) return r.error();
    }
    return {};
}

Result<PinnedStatistics> LoadStatisticsEpoch(Connection& connection, std::int64_t epoch_run_id) {
    auto run = FindRun(connection, epoch_run_id);
    if (!run) return run.error();
    if (!*run || !(*run)->stats_live_count || !(*run)->stats_average_length) {
        return Errc::kNotFound;
    }
    PinnedStatistics out;
    out.live_count = *(*run)->stats_live_count;
    out.average_length = *(*run)->stats_average_length;
    auto stmt = connection.Prepare(
        "SELECT term, df FROM match_run_statistics WHERE epoch_run_id = ? ORDER BY term");
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, epoch_run_id);
    for (;;) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        out.terms.emplace_back(stmt->ColumnText(0), stmt->ColumnInt64(1));
    }
    return out;
}

Result<void> InsertResults(Connection& connection,
                           std::int64_t run_id,
                           std::span<const ResultRow> rows) {
    auto stmt = connection.Prepare(
        "INSERT INTO match_results (run_id, demand_id, rank, supply_id, vendor_id, score, "
        "features, allocated_quantity) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) return stmt.error();
    for (const auto& r : rows) {
        stmt->Reset();
        const auto blob = PackFeatures(r.features);
        stmt->BindAll(run_id, r.demand_id, r.rank, r.supply_id, r.vendor_id, r.score);
        stmt->BindBlob(7, blob);
        stmt->Bind(8, r.allocated_quantity);
        if (auto e = stmt->Exec(); !e) return e.error();
    }
    return {};
}

Result<std::vector<ResultRow>> ListResults(Connection& connection, const ResultQuery& q) {
    auto stmt = connection.Prepare(
        "SELECT " + std::string(kResultColumns) +
        " FROM match_results WHERE run_id = ?1 AND (?2 IS NULL OR demand_id = ?2) "
        "AND (demand_id > ?3 OR (demand_id = ?3 AND rank > ?4)) "
        "AND (?6 IS NULL OR demand_id IN (SELECT id FROM demand_lines WHERE org_id = ?6)) "
        "ORDER BY demand_id, rank LIMIT ?5");
    if (!stmt) return stmt.error();
    stmt->BindAll(q.run_id, q.demand_id, q.after_demand, q.after_rank, q.limit, q.demand_org_id);
    return ReadResults(*stmt);
}

Result<std::vector<ResultRow>> ResultsInRange(Connection& connection,
                                              std::int64_t run_id,
                                              std::int64_t first_demand,
                                              std::int64_t last_demand) {
    auto stmt =
        connection.Prepare("SELECT " + std::string(kResultColumns) +
                           " FROM match_results WHERE run_id = ? AND demand_id BETWEEN ? AND ? "
                           "ORDER BY demand_id, rank");
    if (!stmt) return stmt.error();
    stmt->BindAll(run_id, first_demand, last_demand);
    return ReadResults(*stmt);
}

Result<void> SetAllocatedQuantity(Connection& connection,
                                  std::int64_t run_id,
                                  std::int64_t demand_id,
                                  std::int64_t rank,
                                  double quantity) {
    auto stmt = connection.Prepare(
        "UPDATE match_results SET allocated_quantity = ? "
        "WHERE run_id = ? AND demand_id = ? AND rank = ?");
    if (!stmt) return stmt.error();
    stmt->BindAll(quantity, run_id, demand_id, rank);
    return stmt->Exec();
}

Result<void> InsertDemandSummaries(Connection& connection,
                                   std::int64_t run_id,
                                   std::span<const DemandSummary> rows) {
    auto stmt = connection.Prepare(
        "INSERT INTO match_run_demands (run_id, demand_id, demand_revision, carried, candidates, "
        "generated, examined, kth_score, quantity, text_normaliser, text_normaliser_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) return stmt.error();
    for (const auto& r : rows) {
        stmt->Reset();
        stmt->BindAll(run_id, r.demand_id, r.demand_revision, r.carried, r.candidates, r.generated,
                      r.examined, r.kth_score, r.quantity, r.text_normaliser, r.text_normaliser_id);
        if (auto e = stmt->Exec(); !e) return e.error();
    }
    return {};
}

Result<std::vector<DemandSummary>> ListDemandSummaries(Connection& connection,
                                                       std::int64_t run_id) {
    auto stmt = connection.Prepare(
        "SELECT demand_id, demand_revision, carried, candidates, generated, examined, kth_score, "
        "quantity, text_normaliser, text_normaliser_id FROM match_run_demands WHERE run_id = ? "
        "ORDER BY demand_id");
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, run_id);
    std::vector<DemandSummary> out;
    for (;;) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        DemandSummary d;
        d.demand_id = stmt->ColumnInt64(0);
        d.demand_revision = stmt->ColumnInt64(1);
        d.carried = stmt->ColumnInt64(2) != 0;
        d.candidates = stmt->ColumnInt64(3);
        d.generated = stmt->ColumnInt64(4);
        d.examined = stmt->ColumnInt64(5);
        d.kth_score = stmt->ColumnOptionalDouble(6);
        d.quantity = stmt->ColumnDouble(7);
        d.text_normaliser = stmt->ColumnDouble(8);
        d.text_normaliser_id = stmt->ColumnInt64(9);
        out.push_back(d);
    }
    return out;
}

Result<std::int64_t> CarryForward(Connection& connection,
                                  std::int64_t from_run,
                                  std::int64_t to_run,
                                  std::int64_t demand_id) {
    auto results = connection.Prepare(
        "INSERT INTO match_results (run_id, demand_id, rank, supply_id, vendor_id, score, "
        "features, allocated_quantity) SELECT ?1, demand_id, rank, supply_id, vendor_id, score, "
        "features, NULL FROM match_results WHERE run_id = ?2 AND demand_id = ?3");
    if (!results) return results.error();
    results->BindAll(to_run, from_run, demand_id);
    if (auto r = results->Exec(); !r) return r.error();
    const std::int64_t copied = connection.Changes();
    auto summary = connection.Prepare(
        "INSERT INTO match_run_demands (run_id, demand_id, demand_revision, carried, candidates, "
        "generated, examined, kth_score, quantity, text_normaliser, text_normaliser_id) "
        "SELECT ?1, demand_id, demand_revision, 1, candidates, generated, examined, kth_score, "
        "quantity, text_normaliser, text_normaliser_id FROM match_run_demands "
        "WHERE run_id = ?2 AND demand_id = ?3");
    if (!summary) return summary.error();
    summary->BindAll(to_run, from_run, demand_id);
    if (auto r = summary->Exec(); !r) return r.error();
    return copied;
}

Result<void> InsertDiffs(Connection& connection,
                         std::int64_t run_id,
                         std::span<const DiffRow> rows) {
    auto stmt = connection.Prepare(
        "INSERT INTO match_run_diffs (run_id, demand_id, supply_id, change, old_rank, new_rank) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!stmt) return stmt.error();
    for (const auto& r : rows) {
        stmt->Reset();
        stmt->BindAll(run_id, r.demand_id, r.supply_id, r.change, r.old_rank, r.new_rank);
        if (auto e = stmt->Exec(); !e) return e.error();
    }
    return {};
}

Result<std::vector<DiffRow>> ListDiffs(Connection& connection,
                                       std::int64_t run_id,
                                       std::optional<std::int64_t> demand_id) {
    auto stmt = connection.Prepare(
        "SELECT demand_id, supply_id, change, old_rank, new_rank FROM match_run_diffs "
        "WHERE run_id = ?1 AND (?2 IS NULL OR demand_id = ?2) ORDER BY demand_id, supply_id");
    if (!stmt) return stmt.error();
    stmt->BindAll(run_id, demand_id);
    std::vector<DiffRow> out;
    for (;;) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back({stmt->ColumnInt64(0), stmt->ColumnInt64(1), stmt->ColumnText(2),
                       stmt->ColumnOptionalInt64(3), stmt->ColumnOptionalInt64(4)});
    }
    return out;
}

Result<void> InsertUnassigned(Connection& connection,
                              std::int64_t run_id,
                              std::span<const UnassignedRow> rows) {
    auto stmt = connection.Prepare(
        "INSERT INTO match_run_unassigned (run_id, demand_id, quantity, reason) "
        "VALUES (?, ?, ?, ?)");
    if (!stmt) return stmt.error();
    for (const auto& r : rows) {
        stmt->Reset();
        stmt->BindAll(run_id, r.demand_id, r.quantity, r.reason);
        if (auto e = stmt->Exec(); !e) return e.error();
    }
    return {};
}

Result<std::vector<UnassignedRow>> ListUnassigned(Connection& connection,
                                                  std::int64_t run_id,
                                                  std::optional<std::int64_t> demand_id) {
    auto stmt = connection.Prepare(
        "SELECT demand_id, quantity, reason FROM match_run_unassigned "
        "WHERE run_id = ?1 AND (?2 IS NULL OR demand_id = ?2) ORDER BY demand_id");
    if (!stmt) return stmt.error();
    stmt->BindAll(run_id, demand_id);
    std::vector<UnassignedRow> out;
    for (;;) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back({stmt->ColumnInt64(0), stmt->ColumnDouble(1), stmt->ColumnText(2)});
    }
    return out;
}

}  // namespace renewmatch::schema
