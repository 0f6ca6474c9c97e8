// /v1/orgs/{id}/keys: API keys of an organisation, and the key operations shared with the
// offline CLI (renewmatch keys ...) and the first-run bootstrap.
//
//   POST   /v1/orgs/{id}/keys            admin: create; the response carries the secret
//                                         ("key") exactly once, with Cache-Control: no-store
//   GET    /v1/orgs/{id}/keys            admin any org; others their own org (404 otherwise):
//                                         metadata only, never a secret or hash
//   DELETE /v1/orgs/{id}/keys/{keyId}    admin any org; others their own org (404 otherwise):
//                                         revoke; refused from the very next request
// A key's role must fit its organisation's kind: admin -> regulator; buyer -> buyer or both;
// supplier -> supplier or both; job -> any kind. Otherwise 422 on /role.
//
// Thread-safety: stateless functions; each runs inside the caller's transaction or its own.
#pragma once

#include "api/principal.hpp"
#include "api/router.hpp"
#include "schema/audit_store.hpp"
#include "schema/errc.hpp"
#include "schema/key_store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace renewmatch::schema {
class Database;
}  // namespace renewmatch::schema

namespace renewmatch::api {

// A key as just created: its metadata plus the secret token, which is never stored or shown
// again.
struct CreatedKey {
    std::int64_t key_id = 0;
    std::int64_t org_id = 0;
    Role role = Role::kBuyer;
    std::string name;
    std::int64_t created_at_ms = 0;
    std::string token;  // rmk_<key_id>_<secret>
};

// Whether a key with `role` may belong to an organisation of `org_kind`.
bool RoleFitsOrgKind(Role role, std::string_view org_kind);

// Creates a key inside the caller's write transaction and appends its audit row (`audit`
// supplies who/when/request; its action/entity fields are filled in here). Errors: kNotFound
// (no such organisation), kInvalidArgument (role does not fit the organisation's kind),
// kInternal (no entropy), SQLite errors.
[[nodiscard]] Result<CreatedKey> CreateKeyInTransaction(schema::Connection& connection,
                                                        std::int64_t org_id,
                                                        Role role,
                                                        std::string_view name,
                                                        schema::AuditEntry audit);

// Revokes a key of `org_id` inside the caller's write transaction, appending an audit row
// when it changed. Returns the key's record after the change. kNotFound when the key does not
// exist or belongs to another organisation.
[[nodiscard]] Result<schema::ApiKeyRecord> RevokeKeyInTransaction(schema::Connection& connection,
                                                                  std::int64_t org_id,
                                                                  std::int64_t key_id,
                                                                  schema::AuditEntry audit);

// If no unrevoked admin key exists: creates the administrator organisation ("renewmatch
// administrators", kind regulator) unless one exists, and an admin key for it, both audited
// as request "bootstrap"; returns the key (its secret shown once). Otherwise returns nullopt
// and changes nothing. Runs in one write transaction, so two concurrent bootstraps create one
// key.
[[nodiscard]] Result<std::optional<CreatedKey>> BootstrapAdmin(schema::Database& db,
                                                               std::int64_t now_ms);
[[nodiscard]] Result<std::optional<CreatedKey>> BootstrapAdmin(schema::Database& db);

// JSON for a key's metadata (no secret, no hash).
class JsonWriter;
void WriteKeyJson(JsonWriter& writer, const schema::ApiKeyRecord& key);

void RegisterKeyRoutes(Router& router);

}  // namespace renewmatch::api
