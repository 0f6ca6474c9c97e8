#include "schema/audit_store.hpp"

#include <algorithm>

namespace renewmatch::schema {

Result<std::int64_t> AppendAudit(Connection& connection, const AuditEntry& entry) {
    auto stmt = connection.Prepare(
        "INSERT INTO audit_log (at, request_id, key_id, org_id, action, entity_kind, entity_id, "
        "subject_org_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) return stmt.error();
    stmt->BindAll(entry.at_ms, entry.request_id, entry.key_id, entry.org_id, entry.action,
                  entry.entity_kind, entry.entity_id, entry.subject_org_id, entry.detail);
    if (auto r = stmt->Exec(); !r) return r.error();
    return connection.LastInsertRowId();
}

Result<AuditPage> QueryAudit(Connection& connection, const AuditQuery& query) {
    const int limit = std::clamp(query.limit, 1, 1000);
    // One statement for every combination of filters: an absent filter binds NULL and its
    // clause is true, so the SQL text (and the cached prepared statement) never varies.
    auto stmt = connection.Prepare(
        "SELECT id, at, request_id, key_id, org_id, action, entity_kind, entity_id, "
        "subject_org_id, detail FROM audit_log WHERE "
        "(?1 IS NULL OR org_id = ?1 OR subject_org_id = ?1) AND "
        "(?2 IS NULL OR entity_kind = ?2) AND (?3 IS NULL OR entity_id = ?3) AND "
        "(?4 IS NULL OR action = ?4) AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6) "
        "AND (?7 IS NULL OR id < ?7) ORDER BY id DESC LIMIT ?8");
    if (!stmt) return stmt.error();
    stmt->BindAll(query.org_id, query.entity_kind, query.entity_id, query.action, query.from_ms,
                  query.to_ms, query.before_id, limit + 1);
    AuditPage page;
    auto more = stmt->StepPage(limit, page.items, [](const Statement& s) {
        AuditEntry e;
        e.id = s.ColumnInt64(0);
        e.at_ms = s.ColumnInt64(1);
        e.request_id = s.ColumnText(2);
        e.key_id = s.ColumnOptionalInt64(3);
        e.org_id = s.ColumnOptionalInt64(4);
        e.action = s.ColumnText(5);
        e.entity_kind = s.ColumnText(6);
        e.entity_id = s.ColumnText(7);
        e.subject_org_id = s.ColumnOptionalInt64(8);
        e.detail = s.ColumnText(9);
        return e;
    });
    if (!more) return more.error();
    page.has_more = *more;
    return page;
}

}  // namespace renewmatch::schema
