#include "api/keys.hpp"

#include "api/audit.hpp"
#include "api/ids.hpp"
#include "api/json.hpp"
#include "api/keys_secret.hpp"
#include "api/response.hpp"
#include "schema/database.hpp"
#include "schema/org_store.hpp"

#include <chrono>

namespace renewmatch::api {
namespace {

constexpr std::size_t kMaxKeyNameBytes = 200;
constexpr std::string_view kAdminOrgName = "renewmatch administrators";

ApiError NoSuchOrg() {
    return ApiError::Make(Errc::kNotFound, "no such organisation", "not_found");
}
ApiError NoSuchKey() {
    return ApiError::Make(Errc::kNotFound, "no such API key", "not_found");
}

// The principal may act on keys of `org_id`: administrators on any, others on their own only.
bool MayManageOrg(const Principal& principal, std::int64_t org_id) {
    return principal.role == Role::kAdmin || principal.org_id == org_id;
}

struct KeyWrite {
    std::optional<CreatedKey> created;
    std::optional<schema::ApiKeyRecord> record;
    std::optional<ApiError> refusal;
};

Reply CreateKey(RequestContext& context) {
    const auto org_id = ParsePositiveId(context.Param("id"));
    if (!org_id) return NoSuchOrg();
    auto doc = ParseDocument(context.request.body());
    if (!doc) return doc.error();
    if (auto unknown = RejectUnknownFields(*doc, "", {"role", "name"}); !unknown) {
        return unknown.error();
    }
    auto role_text = ReadString(*doc, "role", "", 16);
    if (!role_text) return role_text.error();
    const std::optional<Role> role = ParseRole(*role_text);
    if (!role) {
        return FieldError("/role", "invalid_enum",
                          "role must be one of admin, buyer, supplier, job");
    }
    auto name = ReadOptionalString(*doc, "name", "", kMaxKeyNameBytes);
    if (!name) return name.error();

    auto written = context.app.db->Write([&](schema::Connection& c) -> Result<KeyWrite> {
        auto created =
            CreateKeyInTransaction(c, *org_id, *role, name->value_or(""), AuditEntryFor(context));
        if (created) return KeyWrite{std::move(*created), std::nullopt, std::nullopt};
        if (created.error() == Errc::kNotFound) {
            return KeyWrite{std::nullopt, std::nullopt, NoSuchOrg()};
        }
        if (created.error() == Errc::kInvalidArgument) {
            return KeyWrite{std::nullopt, std::nullopt,
                            FieldError("/role", "role_not_allowed_for_kind",
                                       "role '" + *role_text +
                                           "' does not fit this organisation's kind (admin: "
                                           "regulator; buyer: buyer/both; supplier: "
                                           "supplier/both; job: any)")};
        }
        return created.error();
    });
    if (!written) return ToApiError(written.error());
    if (written->refusal) return std::move(*written->refusal);
    const CreatedKey& key = *written->created;
    JsonWriter w;
    w.StartObject();
    w.Field("id", key.key_id);
    w.Field("orgId", key.org_id);
    w.Field("role", RoleName(key.role));
    w.Field("name", key.name);
    w.Field("createdAt", FormatTimestampMs(key.created_at_ms));
    w.NullField("revokedAt");
    w.Field("active", true);
    // The only time the secret leaves the server.
    w.Field("key", key.token);
    w.EndObject();
    HttpResponse response = JsonResponse(http::status::created, w.Take());
    response.set(http::field::cache_control, "no-store");
    response.set(http::field::location,
                 "/v1/orgs/" + std::to_string(key.org_id) + "/keys/" + std::to_string(key.key_id));
    return response;
}

Reply ListKeys(RequestContext& context) {
    const auto org_id = ParsePositiveId(context.Param("id"));
    if (!org_id || !MayManageOrg(*context.principal, *org_id)) return NoSuchOrg();
    struct Listing {
        bool org_exists = false;
        std::vector<schema::ApiKeyRecord> keys;
    };
    auto listing = context.app.db->Read([&](schema::Connection& c) -> Result<Listing> {
        auto org = schema::FindOrg(c, *org_id);
        if (!org) return org.error();
        if (!*org) return Listing{};
        auto keys = schema::ListApiKeys(c, *org_id);
        if (!keys) return keys.error();
        return Listing{true, std::move(*keys)};
    });
    if (!listing) return ToApiError(listing.error());
    if (!listing->org_exists) return NoSuchOrg();
    JsonWriter w;
    w.StartObject().Key("items").StartArray();
    for (const auto& key : listing->keys) WriteKeyJson(w, key);
    w.EndArray().EndObject();
    return JsonResponse(http::status::ok, w.Take());
}

Reply RevokeKey(RequestContext& context) {
    const auto org_id = ParsePositiveId(context.Param("id"));
    const auto key_id = ParsePositiveId(context.Param("keyId"));
    if (!org_id || !MayManageOrg(*context.principal, *org_id)) return NoSuchOrg();
    if (!key_id) return NoSuchKey();
    auto written = context.app.db->Write([&](schema::Connection& c) -> Result<KeyWrite> {
        auto revoked = RevokeKeyInTransaction(c, *org_id, *key_id, AuditEntryFor(context));
        if (revoked) return KeyWrite{std::nullopt, std::move(*revoked), std::nullopt};
        if (revoked.error() == Errc::kNotFound) {
            return KeyWrite{std::nullopt, std::nullopt, NoSuchKey()};
        }
        return revoked.error();
    });
    if (!written) return ToApiError(written.error());
    if (written->refusal) return std::move(*written->refusal);
    JsonWriter w;
    WriteKeyJson(w, *written->record);
    return JsonResponse(http::status::ok, w.Take());
}

}  // namespace

bool RoleFitsOrgKind(Role role, std::string_view org_kind) {
    switch (role) {
        case Role::kAdmin:
            return org_kind == "regulator";
        case Role::kBuyer:
            return org_kind == "buyer" || org_kind == "both";
        case Role::kSupplier:
            return org_kind == "supplier" || org_kind == "both";
        case Role::kJob:
            return true;
    }
    return false;
}

Result<CreatedKey> CreateKeyInTransaction(schema::Connection& connection,
                                          std::int64_t org_id,
                                          Role role,
                                          std::string_view name,
                                          schema::AuditEntry audit) {
    auto org = schema::FindOrg(connection, org_id);
    if (!org) return org.error();
    if (!*org) return Errc::kNotFound;
    if (!RoleFitsOrgKind(role, (*org)->kind)) return Errc::kInvalidArgument;
    auto secret = GenerateKeySecret();
    if (!secret) return secret.error();
    auto key_id =
        schema::InsertApiKey(connection, org_id, RoleName(role), name, audit.at_ms, audit.key_id);
    if (!key_id) return key_id.error();
    const KeyHash hash = HashKeySecret(*key_id, *secret);
    if (auto set = schema::SetApiKeyHash(connection, *key_id, hash); !set) return set.error();
    audit.action = "key.create";
    audit.entity_kind = "api_key";
    audit.entity_id = std::to_string(*key_id);
    audit.subject_org_id = org_id;
    audit.detail = std::string("role=") + std::string(RoleName(role));
    if (auto logged = schema::AppendAudit(connection, audit); !logged) return logged.error();
    CreatedKey created;
    created.key_id = *key_id;
    created.org_id = org_id;
    created.role = role;
    created.name = std::string(name);
    created.created_at_ms = audit.at_ms;
    created.token = FormatKeyToken(*key_id, *secret);
    return created;
}

Result<schema::ApiKeyRecord> RevokeKeyInTransaction(schema::Connection& connection,
                                                    std::int64_t org_id,
                                                    std::int64_t key_id,
                                                    schema::AuditEntry audit) {
    auto key = schema::FindApiKey(connection, key_id);
    if (!key) return key.error();
    if (!*key || (*key)->org_id != org_id) return Errc::kNotFound;
    auto changed = schema::RevokeApiKey(connection, key_id, audit.at_ms);
    if (!changed) return changed.error();
    if (*changed) {
        audit.action = "key.revoke";
        audit.entity_kind = "api_key";
        audit.entity_id = std::to_string(key_id);
        audit.subject_org_id = org_id;
        if (auto logged = schema::AppendAudit(connection, audit); !logged) return logged.error();
        (*key)->revoked_at_ms = audit.at_ms;
    }
    return std::move(**key);
}

Result<std::optional<CreatedKey>> BootstrapAdmin(schema::Database& db, std::int64_t now_ms) {
    return db.Write([&](schema::Connection& c) -> Result<std::optional<CreatedKey>> {
        auto has_admin = schema::HasActiveAdminKey(c);
        if (!has_admin) return has_admin.error();
        if (*has_admin) return std::optional<CreatedKey>();
        schema::AuditEntry audit;
        audit.at_ms = now_ms;
        audit.request_id = "bootstrap";
        // Reuse the administrator organisation of an earlier bootstrap (all of whose keys were
        // revoked) instead of creating another one.
        std::optional<std::int64_t> org_id;
        {
            auto page = schema::ListOrgs(c, 0, 1000, "regulator");
            if (!page) return page.error();
            for (const auto& org : page->items) {
                if (org.name == kAdminOrgName) {
                    org_id = org.id;
                    break;
                }
            }
        }
        if (!org_id) {
            schema::OrgRecord org;
            org.name = std::string(kAdminOrgName);
            org.kind = "regulator";
            org.created_at_ms = now_ms;
            auto stored = schema::InsertOrg(c, org);
            if (!stored) return stored.error();
            org_id = stored->id;
            schema::AuditEntry org_audit = audit;
            org_audit.action = "org.create";
            org_audit.entity_kind = "org";
            org_audit.entity_id = std::to_string(stored->id);
            org_audit.subject_org_id = stored->id;
            if (auto logged = schema::AppendAudit(c, org_audit); !logged) return logged.error();
        }
        auto created = CreateKeyInTransaction(c, *org_id, Role::kAdmin, "bootstrap admin", audit);
        if (!created) return created.error();
        return std::optional<CreatedKey>(std::move(*created));
    });
}

Result<std::optional<CreatedKey>> BootstrapAdmin(schema::Database& db) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return BootstrapAdmin(db, static_cast<std::int64_t>(now));
}

void WriteKeyJson(JsonWriter& w, const schema::ApiKeyRecord& key) {
    w.StartObject();
    w.Field("id", key.id);
    w.Field("orgId", key.org_id);
    w.Field("role", key.role);
    w.Field("name", key.name);
    w.Field("createdAt", FormatTimestampMs(key.created_at_ms));
    w.Field("createdBy", key.created_by);
    if (key.revoked_at_ms) {
        w.Field("revokedAt", FormatTimestampMs(*key.revoked_at_ms));
    } else {
        w.NullField("revokedAt");
    }
    w.Field("active", !key.revoked_at_ms.has_value());
    w.EndObject();
}

void RegisterKeyRoutes(Router& router) {
    RouteOptions admin_only;
    admin_only.roles = {Role::kAdmin};
    admin_only.name = "keys.create";
    admin_only.body_limit = 16 * 1024;
    router.Add(http::verb::post, "/v1/orgs/{id}/keys", CreateKey, admin_only);
    RouteOptions own_org;  // handlers scope non-administrators to their own organisation
    own_org.name = "keys.list";
    router.Add(http::verb::get, "/v1/orgs/{id}/keys", ListKeys, own_org);
    own_org.name = "keys.revoke";
    router.Add(http::verb::delete_, "/v1/orgs/{id}/keys/{keyId}", RevokeKey, own_org);
}

}  // namespace renewmatch::api
