// The audit log at the api level: recording a write (for every owner's handlers) and reading
// it back (GET /v1/audit, administrators only).
//
// Every handler that changes state calls RecordAudit with the writer Connection it was given
// inside Database::Write, so the audit row commits or rolls back together with the change:
//
//   db.Write([&](schema::Connection& c) -> Result<T> {
//       ... the change ...
//       if (auto a = RecordAudit(c, ctx, "list.publish", "list", id, owner_org); !a) return
//       a.error(); return value;
//   });
//
// Actions are "<entity>.<verb>" ("org.create", "org.update", "key.create", "key.revoke").
// Times on the wire are RFC 3339 UTC with milliseconds ("2026-11-27T05:00:00.000Z").
//
// Thread-safety: stateless functions.
#pragma once

#include "api/router.hpp"
#include "schema/audit_store.hpp"
#include "schema/errc.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace renewmatch::api {

// The audit row's "who and when" for the request in `context` (time, request id, the caller's
// key and organisation when authenticated); the caller fills in the action and the entity.
schema::AuditEntry AuditEntryFor(const RequestContext& context);

// Appends the audit row for a write made by the request in `context`.
[[nodiscard]] Result<std::int64_t> RecordAudit(schema::Connection& connection,
                                               const RequestContext& context,
                                               std::string_view action,
                                               std::string_view entity_kind,
                                               std::string_view entity_id,
                                               std::optional<std::int64_t> subject_org_id,
                                               std::string_view detail = {});

// "2026-11-27T05:00:00.000Z" for unix milliseconds.
std::string FormatTimestampMs(std::int64_t unix_ms);
// Parses RFC 3339 ("2026-11-27T05:00:00Z", optional fraction, "Z" or ±hh:mm offset), a bare
// date ("2026-11-27" = midnight UTC) or an integer of unix milliseconds.
std::optional<std::int64_t> ParseTimestampMs(std::string_view text);

// GET /v1/audit?org=&entityKind=&entityId=&action=&from=&to=&limit=&cursor=
void RegisterAuditRoutes(Router& router);

}  // namespace renewmatch::api
