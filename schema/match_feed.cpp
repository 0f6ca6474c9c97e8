#include "schema/match_feed.hpp"

#include "schema/statement.hpp"

namespace renewmatch::schema {

Result<std::int64_t> LatestChangeSeq(Connection& connection) {
    auto stmt = connection.Prepare("SELECT coalesce(max(seq), 0) FROM changes");
    if (!stmt) return stmt.error();
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return Errc::kInternal;  // an aggregate always yields one row
    return stmt->ColumnInt64(0);
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

}  // namespace renewmatch::schema
