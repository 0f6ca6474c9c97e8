// The audit log (table `audit_log`, migration 0002_access): append and query, nothing else.
//
// There is deliberately no update or delete function, and the table's triggers make SQLite
// refuse any UPDATE or DELETE (kConflict), so the log is append-only even for code that goes
// around this interface. Writers call AppendAudit on the same Connection, inside the same
// Database::Write transaction, as the change it records: both commit or neither does.
//
// Errors: kConflict on a constraint violation, kBusy/kInternal from SQLite.
// Thread-safety: as the Connection's (one thread at a time).
#pragma once

#include "schema/errc.hpp"
#include "schema/statement.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace renewmatch::schema {

struct AuditEntry {
    std::int64_t id = 0;  // assigned by AppendAudit
    std::int64_t at_ms = 0;
    std::string request_id;              // the HTTP request id, or "cli-…" for offline actions
    std::optional<std::int64_t> key_id;  // the acting key; nullopt offline
    std::optional<std::int64_t> org_id;  // the acting key's organisation
    std::string action;                  // e.g. "org.create", "key.revoke", "list.publish"
    std::string entity_kind;             // e.g. "org", "api_key", "list"
    std::string entity_id;               // the entity's id as text
    std::optional<std::int64_t> subject_org_id;  // the organisation the entity belongs to
    std::string detail;  // short, non-secret summary (may be JSON); "" if none
};

// Appends one entry and returns its id.
[[nodiscard]] Result<std::int64_t> AppendAudit(Connection& connection, const AuditEntry& entry);

struct AuditQuery {
    std::optional<std::int64_t> org_id;  // entries whose actor OR subject organisation is this
    std::optional<std::string> entity_kind;
    std::optional<std::string> entity_id;
    std::optional<std::string> action;
    std::optional<std::int64_t> from_ms;    // at >= from_ms
    std::optional<std::int64_t> to_ms;      // at < to_ms
    std::optional<std::int64_t> before_id;  // cursor: entries with id < before_id
    int limit = 100;                        // 1..1000
};

struct AuditPage {
    std::vector<AuditEntry> items;  // newest first (id descending)
    bool has_more = false;          // another page follows items.back().id
};

[[nodiscard]] Result<AuditPage> QueryAudit(Connection& connection, const AuditQuery& query);

}  // namespace renewmatch::schema
