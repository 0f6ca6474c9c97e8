#include "api/orgs.hpp"

#include "api/audit.hpp"
#include "api/ids.hpp"
#include "api/orgs_reference.hpp"
#include "api/orgs_uscc.hpp"
#include "api/page.hpp"
#include "api/response.hpp"
#include "schema/database.hpp"

#include <charconv>
#include <string>
#include <vector>

namespace renewmatch::api {
namespace {

constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxChains = 32;
constexpr std::size_t kMaxChainBytes = 64;

ApiError NoSuchOrg() {
    return ApiError::Make(Errc::kNotFound, "no such organisation", "not_found");
}

bool IsBlank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool ValidChainId(std::string_view id) {
    if (id.empty() || id.size() > kMaxChainBytes) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
    }
    return true;
}

// Collects every problem of a request body before answering, so a client fixes them at once.
class Problems {
  public:
    void Add(std::string field, std::string code, std::string message) {
        details_.push_back({std::nullopt, std::move(field), std::move(code), std::move(message)});
    }
    void Add(const ApiError& error) {
        for (const auto& d : error.details) details_.push_back(d);
        if (error.details.empty()) Add("", error.code, error.message);
    }
    bool empty() const { return details_.empty(); }
    ApiError ToError() && {
        ApiError error = ApiError::Make(
            Errc::kInvalidArgument,
            details_.size() == 1 ? details_.front().message
                                 : std::to_string(details_.size()) + " fields are invalid",
            "validation_failed");
        error.details = std::move(details_);
        return error;
    }

  private:
    std::vector<ErrorDetail> details_;
};

// Applies the members present in `body` to `org`; for a create every required member must be
// present. Returns the problems found (empty when `org` is ready to store).
Problems ApplyOrgBody(const JsonValue& body, bool creating, schema::OrgRecord& org) {
    Problems problems;
    if (auto unknown =
            RejectUnknownFields(body, "", {"name", "kind", "uscc", "region", "sector", "chains"});
        !unknown) {
        problems.Add(unknown.error());
        if (!body.IsObject()) return problems;
    }
    const auto& codes = *ReferenceCodes::Embedded();

    if (auto name = ReadOptionalString(body, "name", "", kMaxNameBytes); !name) {
        problems.Add(name.error());
    } else if (name->has_value()) {
        if (IsBlank(**name)) {
            problems.Add("/name", "required", "name must not be blank");
        } else {
            org.name = std::move(**name);
        }
    } else if (creating) {
        problems.Add("/name", "required", "name is required");
    }

    if (auto kind = ReadOptionalString(body, "kind", "", 32); !kind) {
        problems.Add(kind.error());
    } else if (kind->has_value()) {
        const std::string& k = **kind;
        if (k != "buyer" && k != "supplier" && k != "both" && k != "regulator") {
            problems.Add("/kind", "invalid_enum",
                         "kind must be one of buyer, supplier, both, regulator");
        } else {
            org.kind = k;
        }
    } else if (creating) {
        problems.Add("/kind", "required", "kind is required");
    }

    const auto uscc_member = body.IsObject() ? body.FindMember("uscc") : body.MemberEnd();
    if (body.IsObject() && uscc_member != body.MemberEnd() && uscc_member->value.IsNull()) {
        org.uscc.reset();  // explicit null clears it (allowed for regulators only, checked below)
    } else if (auto uscc = ReadOptionalString(body, "uscc", "", 64); !uscc) {
        problems.Add(uscc.error());
    } else if (uscc->has_value()) {
        UsccResult checked = ValidateUscc(**uscc);
        if (!checked.ok()) {
            problems.Add(
                "/uscc", checked.problem->code,
                "uscc is not a valid unified social credit code: " + checked.problem->message);
        } else {
            org.uscc = std::move(checked.canonical);
        }
    }

    if (auto region = ReadOptionalString(body, "region", "", 16); !region) {
        problems.Add(region.error());
    } else if (region->has_value()) {
        if ((*region)->empty()) {
            org.region.clear();
        } else if (auto normalized = codes.NormalizeRegion(**region)) {
            org.region = *normalized;
        } else {
            problems.Add("/region", "unknown_region",
                         "region '" + **region +
                             "' is not a GB/T 2260 division code in data/regions (use e.g. "
                             "\"320505\", \"320500\" or \"3205\")");
        }
    }

    if (auto sector = ReadOptionalString(body, "sector", "", 16); !sector) {
        problems.Add(sector.error());
    } else if (sector->has_value()) {
        std::string code = **sector;
        if (code.size() == 1 && code[0] >= 'a' && code[0] <= 'z') {
            code[0] = static_cast<char>(code[0] - 'a' + 'A');
        }
        if (code.empty()) {
            org.sector.clear();
        } else if (codes.FindSector(code) != nullptr) {
            org.sector = code;
        } else {
            problems.Add("/sector", "unknown_sector",
                         "sector '" + **sector + "' is not a GB/T 4754-2017 code in data/gbt4754");
        }
    }

    if (auto chains = ReadOptionalArray(body, "chains", ""); !chains) {
        problems.Add(chains.error());
    } else if (*chains != nullptr) {
        const JsonValue& array = **chains;
        if (array.Size() > kMaxChains) {
            problems.Add("/chains", "out_of_range", "at most 32 chains");
        } else {
            std::vector<std::string> ids;
            for (rapidjson::SizeType i = 0; i < array.Size(); ++i) {
                const std::string at = JsonPointerAppend("/chains", i);
                auto id = AsString(array[i], at, kMaxChainBytes);
                if (!id) {
                    problems.Add(id.error());
                } else if (!ValidChainId(*id)) {
                    problems.Add(at, "invalid_format",
                                 "a chain id is 1-64 characters of a-z, 0-9, '.', '_', '-'");
                } else {
                    ids.push_back(std::move(*id));
                }
            }
            org.chains = std::move(ids);
        }
    }

    if (problems.empty() && !org.uscc.has_value() && org.kind != "regulator") {
        problems.Add("/uscc", "required",
                     "uscc is required for buyer, supplier and both organisations");
    }
    return problems;
}

ApiError DuplicateUscc(std::int64_t existing_id) {
    ApiError error =
        ApiError::Make(Errc::kConflict,
                       "an organisation with this unified social credit code already exists: " +
                           std::to_string(existing_id),
                       "duplicate_uscc");
    error.details.push_back({std::nullopt, "/uscc", "duplicate",
                             "already registered to organisation " + std::to_string(existing_id)});
    error.headers.emplace_back("Location", "/v1/orgs/" + std::to_string(existing_id));
    return error;
}

HttpResponse OrgResponse(http::status status, const schema::OrgRecord& org) {
    JsonWriter w;
    WriteOrgJson(w, org);
    HttpResponse response = JsonResponse(status, w.Take());
    if (status == http::status::created) {
        response.set(http::field::location, "/v1/orgs/" + std::to_string(org.id));
    }
    return response;
}

// Outcome of a write transaction: the stored org, or an ApiError decided inside it.
struct OrgWrite {
    std::optional<schema::OrgRecord> org;
    std::optional<ApiError> refusal;
};

Reply CreateOrg(RequestContext& context) {
    auto doc = ParseDocument(context.request.body());
    if (!doc) return doc.error();
    schema::OrgRecord org;
    if (Problems problems = ApplyOrgBody(*doc, true, org); !problems.empty()) {
        return std::move(problems).ToError();
    }
    org.created_at_ms = context.now_ms;
    auto written = context.app.db->Write([&](schema::Connection& c) -> Result<OrgWrite> {
        if (org.uscc) {
            auto existing = schema::FindOrgIdByUscc(c, *org.uscc);
            if (!existing) return existing.error();
            if (*existing) return OrgWrite{std::nullopt, DuplicateUscc(**existing)};
        }
        auto stored = schema::InsertOrg(c, org);
        if (!stored) return stored.error();
        auto audit = RecordAudit(c, context, "org.create", "org", std::to_string(stored->id),
                                 stored->id, stored->name);
        if (!audit) return audit.error();
        return OrgWrite{std::move(*stored), std::nullopt};
    });
    if (!written) return ToApiError(written.error());
    if (written->refusal) return std::move(*written->refusal);
    return OrgResponse(http::status::created, *written->org);
}

Reply GetOrg(RequestContext& context) {
    const auto id = ParsePositiveId(context.Param("id"));
    if (!id) return NoSuchOrg();
    // A non-administrator sees its own organisation only; any other id is "not found" whether
    // or not it exists.
    if (context.principal->role != Role::kAdmin && context.principal->org_id != *id) {
        return NoSuchOrg();
    }
    auto org = context.app.db->Read([&](schema::Connection& c) { return schema::FindOrg(c, *id); });
    if (!org) return ToApiError(org.error());
    if (!*org) return NoSuchOrg();
    return OrgResponse(http::status::ok, **org);
}

Reply ListOrgs(RequestContext& context) {
    int limit = 100;
    std::int64_t after = 0;
    std::string kind;
    if (auto v = context.query.Get("limit")) {
        std::int64_t parsed = 0;
        const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), parsed);
        if (ec != std::errc() || end != v->data() + v->size() || parsed < 1 || parsed > 1000) {
            ApiError e = ApiError::Make(Errc::kInvalidArgument,
                                        "limit must be an integer from 1 to 1000", "invalid_query");
            e.details.push_back({std::nullopt, "limit", "invalid", e.message});
            return e;
        }
        limit = static_cast<int>(parsed);
    }
    if (auto v = context.query.Get("cursor")) {
        const auto parsed = ParsePositiveId(*v);
        if (!parsed) {
            ApiError e = ApiError::Make(Errc::kInvalidArgument,
                                        "cursor is not one this service returned", "invalid_query");
            e.details.push_back({std::nullopt, "cursor", "invalid", e.message});
            return e;
        }
        after = *parsed;
    }
    if (auto v = context.query.Get("kind")) kind = std::string(*v);
    auto page = context.app.db->Read(
        [&](schema::Connection& c) { return schema::ListOrgs(c, after, limit, kind); });
    if (!page) return ToApiError(page.error());
    return IdPageResponse(page->items, page->has_more,
                          [](JsonWriter& w, const auto& item) { WriteOrgJson(w, item); });
}

Reply UpdateOrg(RequestContext& context) {
    const auto id = ParsePositiveId(context.Param("id"));
    if (!id) return NoSuchOrg();
    auto doc = ParseDocument(context.request.body());
    if (!doc) return doc.error();
    // The body is applied to the stored record inside the write transaction, so a concurrent
    // update cannot slip between the read and the write.
    auto written = context.app.db->Write([&](schema::Connection& c) -> Result<OrgWrite> {
        auto current = schema::FindOrg(c, *id);
        if (!current) return current.error();
        if (!*current) return OrgWrite{std::nullopt, NoSuchOrg()};
        schema::OrgRecord org = std::move(**current);
        const std::optional<std::string> old_uscc = org.uscc;
        if (Problems problems = ApplyOrgBody(*doc, false, org); !problems.empty()) {
            return OrgWrite{std::nullopt, std::move(problems).ToError()};
        }
        if (org.uscc && org.uscc != old_uscc) {
            auto existing = schema::FindOrgIdByUscc(c, *org.uscc);
            if (!existing) return existing.error();
            if (*existing && **existing != org.id) {
                return OrgWrite{std::nullopt, DuplicateUscc(**existing)};
            }
        }
        org.updated_at_ms = context.now_ms;
        auto stored = schema::UpdateOrg(c, org);
        if (!stored) return stored.error();
        auto audit = RecordAudit(c, context, "org.update", "org", std::to_string(stored->id),
                                 stored->id, stored->name);
        if (!audit) return audit.error();
        return OrgWrite{std::move(*stored), std::nullopt};
    });
    if (!written) return ToApiError(written.error());
    if (written->refusal) return std::move(*written->refusal);
    return OrgResponse(http::status::ok, *written->org);
}

}  // namespace

void WriteOrgJson(JsonWriter& w, const schema::OrgRecord& org) {
    const auto& codes = *ReferenceCodes::Embedded();
    w.StartObject();
    w.Field("id", org.id);
    w.Field("name", org.name);
    w.Field("kind", org.kind);
    w.Field("uscc", org.uscc);
    w.Field("region", org.region);
    const RegionEntry* region = org.region.empty() ? nullptr : codes.FindRegion(org.region);
    if (region != nullptr) {
        w.Field("regionName", region->name);
    } else {
        w.NullField("regionName");
    }
    w.Field("sector", org.sector);
    const SectorEntry* sector = org.sector.empty() ? nullptr : codes.FindSector(org.sector);
    if (sector != nullptr) {
        w.Field("sectorName", sector->name);
    } else {
        w.NullField("sectorName");
    }
    w.Key("chains").StartArray();
    for (const auto& chain : org.chains) w.String(chain);
    w.EndArray();
    w.Field("createdAt", FormatTimestampMs(org.created_at_ms));
    w.Field("updatedAt", FormatTimestampMs(org.updated_at_ms));
    w.Field("revision", org.revision);
    w.EndObject();
}

void RegisterOrgRoutes(Router& router) {
    RouteOptions admin_only;
    admin_only.roles = {Role::kAdmin};
    RouteOptions any_role;  // handlers scope non-administrators to their own organisation

    admin_only.name = "orgs.create";
    router.Add(http::verb::post, "/v1/orgs", CreateOrg, admin_only);
    admin_only.name = "orgs.list";
    router.Add(http::verb::get, "/v1/orgs", ListOrgs, admin_only);
    any_role.name = "orgs.get";
    router.Add(http::verb::get, "/v1/orgs/{id}", GetOrg, any_role);
    admin_only.name = "orgs.update";
    router.Add(http::verb::patch, "/v1/orgs/{id}", UpdateOrg, admin_only);
}

}  // namespace renewmatch::api
