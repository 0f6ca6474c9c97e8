#include "schema/match_feed.hpp"

#include "schema/statement.hpp"

#include <algorithm>

namespace renewmatch::schema {

namespace {

// The integer an aggregate query (one row, one column) yields.
Result<std::int64_t> AggregateInt64(Connection& connection, const std::string& sql) {
    auto stmt = connection.Prepare(sql);
    if (!stmt) return stmt.error();
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return Errc::kInternal;  // an aggregate always yields one row
    return stmt->ColumnInt64(0);
}

}  // namespace

Result<std::int64_t> LatestChangeSeq(Connection& connection) {
    return AggregateInt64(connection, "SELECT coalesce(max(seq), 0) FROM changes");
}

Result<std::unordered_map<std::int64_t, std::string>> OrgNames(Connection& connection,
                                                               std::span<const std::int64_t> ids) {
    std::unordered_map<std::int64_t, std::string> names;
    auto stmt = connection.Prepare("SELECT name FROM orgs WHERE id = ?1");
    if (!stmt) return stmt.error();
    for (const std::int64_t id : ids) {
        if (names.contains(id)) continue;
        stmt->Reset();
        stmt->BindInt64(1, id);
        auto row = stmt->Step();
        if (!row) return row.error();
        if (*row) names.emplace(id, stmt->ColumnText(0));
    }
    return names;
}

namespace {

constexpr std::string_view kColumns = "id, org_id, revision, updated_at, status, body";

std::string_view TableOf(std::string_view entity) {
    if (entity == "supply") return "supply_lines";
    if (entity == "demand") return "demand_lines";
    return {};
}

IndexLineRow ReadIndexRow(const Statement& stmt) {
    IndexLineRow r;
    r.id = stmt.ColumnInt64(0);
    r.org_id = stmt.ColumnInt64(1);
    r.revision = stmt.ColumnInt64(2);
    r.updated_at_ms = stmt.ColumnInt64(3);
    r.status = stmt.ColumnTextView(4);
    r.body = stmt.ColumnTextView(5);
    return r;
}

}  // namespace

Result<ChangedLines> ChangedLinesAfter(Connection& connection, std::int64_t after_seq) {
    ChangedLines out;
    out.last_seq = after_seq;
    auto stmt =
        connection.Prepare("SELECT seq, entity, line_id FROM changes WHERE seq > ?1 ORDER BY seq");
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, after_seq);
    while (true) {
        auto stepped = stmt->Step();
        if (!stepped) return stepped.error();
        if (!*stepped) break;
        out.last_seq = stmt->ColumnInt64(0);
        const std::string_view entity = stmt->ColumnTextView(1);
        if (entity == "supply") {
            out.supply.push_back(stmt->ColumnInt64(2));
        } else if (entity == "demand") {
            out.demand.push_back(stmt->ColumnInt64(2));
        }
    }
    for (auto* ids : {&out.supply, &out.demand}) {
        std::sort(ids->begin(), ids->end());
        ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
    }
    return out;
}

Result<void> ForEachLiveLine(Connection& connection,
                             std::string_view entity,
                             const std::function<bool(const IndexLineRow&)>& row) {
    const std::string_view table = TableOf(entity);
    if (table.empty()) return Errc::kInvalidArgument;
    auto stmt = connection.Prepare("SELECT " + std::string(kColumns) + " FROM " +
                                   std::string(table) + " WHERE status <> 'withdrawn' ORDER BY id");
    if (!stmt) return stmt.error();
    while (true) {
        auto stepped = stmt->Step();
        if (!stepped) return stepped.error();
        if (!*stepped) return {};
        if (!row(ReadIndexRow(*stmt))) return {};
    }
}

Result<std::int64_t> CountLines(Connection& connection, std::string_view entity) {
    const std::string_view table = TableOf(entity);
    if (table.empty()) return Errc::kInvalidArgument;
    return AggregateInt64(connection, "SELECT count(*) FROM " + std::string(table));
}

Result<void> ForEachLineById(
    Connection& connection,
    std::string_view entity,
    std::span<const std::int64_t> ids,
    const std::function<void(std::int64_t id, const IndexLineRow* row)>& row) {
    const std::string_view table = TableOf(entity);
    if (table.empty()) return Errc::kInvalidArgument;
    auto stmt = connection.Prepare("SELECT " + std::string(kColumns) + " FROM " +
                                   std::string(table) + " WHERE id = ?1");
    if (!stmt) return stmt.error();
    for (const std::int64_t id : ids) {
        stmt->Reset();
        stmt->BindInt64(1, id);
        auto stepped = stmt->Step();
        if (!stepped) return stepped.error();
        if (!*stepped) {
            row(id, nullptr);
            continue;
        }
        const IndexLineRow found = ReadIndexRow(*stmt);
        row(id, found.status == "withdrawn" ? nullptr : &found);
    }
    return {};
}

}  // namespace renewmatch::schema
