#include "api/lists.hpp"

#include "api/audit.hpp"
#include "api/auth_fields.hpp"
#include "api/http.hpp"
#include "api/ids.hpp"
#include "api/json.hpp"
#include "api/lists_decode.hpp"
#include "api/orgs_reference.hpp"
#include "api/reference.hpp"
#include "api/response.hpp"
#include "api/router.hpp"
#include "api/units.hpp"
#include "matcher/dates.hpp"
#include "matcher/units.hpp"
#include "schema/database.hpp"
#include "schema/list_store.hpp"
#include "schema/org_store.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace renewmatch::api {
namespace {

// ---- canonical line JSON (stored as `body`, returned by reads) ---------------------------------

void WriteDate(JsonWriter& w, std::string_view key, const std::optional<matcher::Day>& day) {
    if (day) w.Field(key, matcher::FormatIsoDay(*day));
}
void WriteNumber(JsonWriter& w, std::string_view key, const std::optional<double>& v) {
    if (v) w.Field(key, *v);
}
void WriteInt(JsonWriter& w, std::string_view key, const std::optional<int>& v) {
    if (v) w.Field(key, static_cast<std::int64_t>(*v));
}
void WriteStrings(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
    if (values.empty()) return;
    w.Key(key).StartArray();
    for (const auto& v : values) w.String(v);
    w.EndArray();
}
void WriteClassification(JsonWriter& w, const matcher::Classification& c) {
    w.StartObject().Field("scheme", c.scheme).Field("id", c.id).EndObject();
}
void WriteClassifications(JsonWriter& w,
                          const matcher::Classification& main,
                          const std::vector<matcher::Classification>& extra) {
    w.Key("classification");
    WriteClassification(w, main);
    if (extra.empty()) return;
    w.Key("additionalClassifications").StartArray();
    for (const auto& c : extra) WriteClassification(w, c);
    w.EndArray();
}

std::string DemandBody(const matcher::DemandLine& d) {
    JsonWriter w;
    w.StartObject().Field("ref", d.ref).Field("title", d.title);
    if (!d.description.empty()) w.Field("description", d.description);
    WriteClassifications(w, d.classification, d.additional_classifications);
    w.Field("quantity", d.quantity);
    w.Key("unit").StartObject().Field("code", d.quantity_unit).EndObject();
    if (d.budget_amount) {
        w.Key("budget").StartObject().Field("amount", *d.budget_amount);
        w.Field("currency", d.budget_currency);
        w.Field("visibility", schema::VisibilityName(d.budget_visibility)).EndObject();
    }
    w.Key("deliveryAddress").StartObject().Field("region", d.delivery_region);
    WriteNumber(w, "lat", d.delivery_lat);
    WriteNumber(w, "lon", d.delivery_lon);
    w.EndObject();
    WriteDate(w, "deliveryDate", d.need_by);
    WriteDate(w, "responseDeadline", d.response_deadline);
    if (!d.requirements.empty()) {
        w.Key("requirements").StartArray();
        for (const auto& q : d.requirements) {
            w.StartObject().Field("name", q.name);
            WriteNumber(w, "min", q.min);
            WriteNumber(w, "max", q.max);
            WriteNumber(w, "expected", q.expected);
            if (!q.unit.empty()) w.Field("unit", q.unit);
            WriteStrings(w, "values", q.allowed_values);
            if (!q.text_equals.empty()) w.Field("equals", q.text_equals);
            w.Field("mandatory", q.mandatory).EndObject();
        }
        w.EndArray();
    }
    WriteStrings(w, "certificationsRequired", d.certifications_required);
    WriteInt(w, "energyEfficiencyMin", d.energy_efficiency_min);
    WriteNumber(w, "localizationRateMin", d.localization_rate_min);
    w.Field("secondHandAllowed", d.second_hand_allowed);
    if (!d.replaces.empty()) {
        w.Key("replaces").StartArray();
        for (const auto& r : d.replaces) {
            w.StartObject().Field("asset", r.asset);
            WriteInt(w, "yearsInService", r.years_in_service);
            w.EndObject();
        }
        w.EndArray();
    }
    if (!d.chain_segment.empty()) w.Field("chainSegment", d.chain_segment);
    w.Field("status", d.status).EndObject();
    return w.Take();
}

std::string SupplyBody(const matcher::SupplyLine& s) {
    JsonWriter w;
    w.StartObject().Field("sku", s.sku).Field("title", s.title);
    if (!s.description.empty()) w.Field("description", s.description);
    if (!s.brand.empty()) w.Field("brand", s.brand);
    if (!s.model.empty()) w.Field("model", s.model);
    WriteClassifications(w, s.classification, s.additional_classifications);
    if (!s.attributes.empty()) {
        w.Key("attributes").StartArray();
        for (const auto& a : s.attributes) {
            w.StartObject().Field("name", a.name);
            WriteNumber(w, "value", a.value);
            WriteNumber(w, "min", a.min);
            WriteNumber(w, "max", a.max);
            if (!a.unit.empty()) w.Field("unit", a.unit);
            if (!a.text.empty()) w.Field("text", a.text);
            w.EndObject();
        }
        w.EndArray();
    }
    if (s.price_amount) {
        w.Key("price").StartObject().Field("amount", *s.price_amount);
        w.Field("currency", s.price_currency);
        WriteDate(w, "validUntil", s.price_valid_until);
        w.EndObject();
    }
    w.Field("minOrderQty", s.min_order_qty);
    WriteNumber(w, "capacityPerMonth", s.capacity_per_month);
    WriteInt(w, "leadTimeDays", s.lead_time_days);
    WriteStrings(w, "serviceAreas", s.service_areas);
    WriteStrings(w, "excludedAreas", s.excluded_areas);
    if (!s.certifications.empty()) {
        w.Key("certifications").StartArray();
        for (const auto& c : s.certifications) {
            w.StartObject().Field("type", c.type);
            if (!c.number.empty()) w.Field("number", c.number);
            WriteDate(w, "expiresAt", c.expires_at);
            w.EndObject();
        }
        w.EndArray();
    }
    WriteInt(w, "energyEfficiencyGrade", s.energy_efficiency_grade);
    WriteNumber(w, "localizationRate", s.localization_rate);
    w.Field("firstOfKind", s.first_of_kind).Field("secondHand", s.second_hand);
    if (!s.chain_segment.empty()) w.Field("chainSegment", s.chain_segment);
    if (!s.vendor_region.empty()) w.Field("vendorRegion", s.vendor_region);
    w.Field("status", s.status);
    if (s.last_confirmed_at != 0)
        w.Field("lastConfirmedAt", matcher::FormatIsoDay(s.last_confirmed_at));
    w.EndObject();
    return w.Take();
}

std::string ProjectBody(const matcher::Project& p) {
    JsonWriter w;
    w.StartObject().Field("ref", p.ref).Field("name", p.name);
    if (!p.type.empty()) w.Field("type", p.type);
    if (!p.sector.empty()) w.Field("sector", p.sector);
    if (!p.region.empty()) w.Field("region", p.region);
    if (!p.filing_code.empty()) w.Field("filingCode", p.filing_code);
    w.Field("stage", p.stage);
    WriteNumber(w, "progressPct", p.progress_pct);
    WriteDate(w, "startDate", p.start_date);
    WriteDate(w, "plannedCompletion", p.planned_completion);
    WriteNumber(w, "totalInvestment", p.total_investment);
    WriteNumber(w, "equipmentInvestment", p.equipment_investment);
    WriteStrings(w, "demandRefs", p.demand_refs);
    w.Field("status", p.status).EndObject();
    return w.Take();
}

// ---- helpers -------------------------------------------------------------------------------

std::string Sha256Hex(std::initializer_list<std::string_view> parts) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
    for (auto part : parts) {
        // Length-prefixed, so ("ab","c") and ("a","bc") differ.
        const std::string len = std::to_string(part.size()) + ":";
        ok = ok && EVP_DigestUpdate(ctx.get(), len.data(), len.size()) == 1;
        ok = ok && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1;
    RENEWMATCH_CHECK(ok, "SHA-256 via OpenSSL EVP cannot fail on valid input");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < length; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 15];
    }
    return out;
}

// The unit checker for uploads when the composition root did not wire one: a process-wide
// UnitCatalog over a process-wide UnitSystem (loaded once).
const UnitChecker* DefaultUnits() {
    static const std::unique_ptr<matcher::UnitSystem> units = [] {
        std::string error;
        return matcher::UnitSystem::Load(&error);
    }();
    static const std::unique_ptr<UnitCatalog> catalog =
        units ? std::make_unique<UnitCatalog>(*units) : nullptr;
    return catalog.get();
}

// A unit checker that remembers another one's answers, for one upload: a catalog repeats a
// handful of unit spellings on every line, and each answer costs several UDUNITS parses. The
// answers are the inner checker's, unchanged. Thread-safe (a mutex), as UnitChecker requires;
// at most kMaxEntries spellings are remembered, later ones are passed through.
class MemoUnits final : public UnitChecker {
  public:
    explicit MemoUnits(const UnitChecker& inner) : inner_(inner) {}

    boost::system::result<std::string, UnitProblem> Validate(std::string_view unit) const override {
        std::lock_guard lock(mutex_);
        if (auto it = memo_.find(std::string(unit)); it != memo_.end()) return it->second;
        auto answer = inner_.Validate(unit);
        if (memo_.size() < kMaxEntries) memo_.emplace(std::string(unit), answer);
        return answer;
    }

  private:
    static constexpr std::size_t kMaxEntries = 4096;
    const UnitChecker& inner_;
    mutable std::mutex mutex_;
    mutable std::unordered_map<std::string, boost::system::result<std::string, UnitProblem>> memo_;
};

// What uploads and patches are validated against: the wired reference data and unit checker,
// else the embedded tables and the process-wide catalog; GB/T 2260 regions and GB/T 4754
// sectors from the embedded organisation reference. 503 when UDUNITS-2 is not available.
ApiResult<DecodeContext> MakeDecodeContext(const AppContext& app) {
    DecodeContext decode;
    decode.reference =
        app.reference_data != nullptr ? app.reference_data : ReferenceData::Embedded().get();
    decode.units = app.units != nullptr ? app.units : DefaultUnits();
    if (decode.units == nullptr) {
        return ApiError::Make(Errc::kUnavailable, "the UDUNITS-2 unit database is not available");
    }
    std::shared_ptr<const ReferenceCodes> regions = ReferenceCodes::Embedded();
    decode.normalize_region = [regions](std::string_view code) {
        return regions->NormalizeRegion(code);
    };
    decode.sector_exists = [regions](std::string_view code) {
        return regions->FindSector(code) != nullptr;
    };
    return decode;
}

bool MayPublish(Role role, ListKind kind) {
    switch (role) {
        case Role::kAdmin:
            return true;
        case Role::kBuyer:
            return kind == ListKind::kDemand || kind == ListKind::kProject;
        case Role::kSupplier:
            return kind == ListKind::kSupply;
        case Role::kJob:
            return false;
    }
    return false;
}

void WriteRefs(JsonWriter& w, std::string_view key, const std::vector<std::string>& refs) {
    w.Key(key).StartArray();
    for (const auto& r : refs) w.String(r);
    w.EndArray();
}

void WriteListRecord(JsonWriter& w, const schema::ListRecord& list);

std::string PublishResponse(const schema::ListRecord& list,
                            const schema::PublishResult* result,
                            bool duplicate) {
    JsonWriter w;
    w.StartObject().Key("list");
    WriteListRecord(w, list);
    static const std::vector<std::string> kNone;
    WriteRefs(w, "added", result ? result->added : kNone);
    WriteRefs(w, "changed", result ? result->changed : kNone);
    WriteRefs(w, "unchanged", result ? result->unchanged : kNone);
    WriteRefs(w, "withdrawn", result ? result->withdrawn : kNone);
    w.Field("duplicate", duplicate).EndObject();
    return w.Take();
}

HttpResponse Replay(int status, std::string body) {
    HttpResponse response = JsonResponse(static_cast<unsigned>(status), std::move(body));
    response.set("Idempotent-Replayed", "true");
    return response;
}

ApiError Forbidden(std::string message) {
    return ApiError::Make(Errc::kForbidden, std::move(message), "forbidden");
}

Reply PostList(RequestContext& ctx, const ListRouteOptions& options) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    const Principal& principal = *ctx.principal;
    const auto& request = ctx.request;

    std::string content_type(request[http::field::content_type]);
    std::transform(content_type.begin(), content_type.end(), content_type.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    const std::string media = content_type.substr(0, content_type.find(';'));
    const bool is_csv = media == "text/csv";
    if (!is_csv && media != "application/json") {
        return ApiError::Make(Errc::kUnsupportedMediaType,
                              "publish a list as application/json or text/csv",
                              "unsupported_media_type");
    }

    // ---- decode and validate the whole list (no database access) ----
    auto context = MakeDecodeContext(ctx.app);
    if (!context) return context.error();
    DecodeContext& decode = *context;
    decode.limits.max_lines = options.max_lines;
    const MemoUnits memo_units(*decode.units);
    decode.units = &memo_units;

    ApiResult<DecodedList> decoded = ApiError{};
    if (is_csv) {
        ListHeader header;
        const auto kind = ParseListKind(ctx.query.Get("kind").value_or(""));
        std::vector<ErrorDetail> problems;
        if (!kind) {
            problems.push_back({std::nullopt, "kind", "required",
                                "query parameter 'kind' must be demand, supply or project"});
        } else {
            header.kind = *kind;
        }
        header.series = std::string(ctx.query.Get("series").value_or(""));
        header.title = std::string(ctx.query.Get("title").value_or(""));
        header.period = std::string(ctx.query.Get("period").value_or(""));
        if (auto p = ctx.query.Get("publisherId")) {
            std::int64_t id = 0;
            const auto* end = p->data() + p->size();
            if (std::from_chars(p->data(), end, id).ptr != end || id <= 0) {
                problems.push_back({std::nullopt, "publisherId", "wrong_type",
                                    "query parameter 'publisherId' must be a positive integer"});
            } else {
                header.publisher_id = id;
            }
        }
        if (!problems.empty()) {
            ApiError e =
                ApiError::Make(Errc::kInvalidArgument, "bad list parameters", "invalid_list");
            e.details = std::move(problems);
            return e;
        }
        decoded = DecodeCsvList(request.body(), header, decode);
    } else {
        decoded = DecodeJsonList(request.body(), decode);
    }
    if (!decoded) return decoded.error();
    DecodedList& list = *decoded;

    // ---- who publishes ----
    if (!MayPublish(principal.role, list.header.kind)) {
        return Forbidden("this key's role may not publish " +
                         std::string(ListKindName(list.header.kind)) + " lists");
    }
    const std::int64_t publisher = list.header.publisher_id.value_or(principal.org_id);

    const std::string kind_name(ListKindName(list.header.kind));
    const std::string digest =
        Sha256Hex({kind_name, list.header.series, list.header.title, list.header.period,
                   std::to_string(publisher), is_csv ? "csv" : "json", request.body()});
    const std::string idempotency_key(request["Idempotency-Key"]);
    if (idempotency_key.size() > 200) {
        return ApiError::Make(Errc::kInvalidArgument,
                              "Idempotency-Key is longer than 200 characters",
                              "invalid_idempotency_key");
    }

    schema::PublishRequest rq;
    rq.org_id = publisher;
    rq.kind = kind_name;
    rq.series = list.header.series;
    rq.title = list.header.title;
    rq.period = list.header.period;
    rq.digest = digest;
    rq.source_format = is_csv ? "csv" : "json";
    rq.source_encoding = list.source_encoding;
    rq.now_ms = ctx.now_ms;
    rq.key_id = principal.key_id;
    rq.request_id = ctx.request_id;
    // Each canonical body is built just before its line is written (not all up front).
    rq.make_body = [&list](std::size_t i) {
        switch (list.header.kind) {
            case ListKind::kDemand:
                return DemandBody(list.demands[i]);
            case ListKind::kSupply:
                return SupplyBody(list.supply[i]);
            case ListKind::kProject:
                return ProjectBody(list.projects[i]);
        }
        return std::string();
    };
    rq.demands = &list.demands;
    rq.supply = &list.supply;
    rq.projects = &list.projects;

    struct Outcome {
        int status = 201;
        std::string body;
        bool replayed = false;
    };
    std::optional<ApiError> refusal;
    auto written = ctx.app.db->Write([&](schema::Connection& c) -> Result<Outcome> {
        if (!idempotency_key.empty()) {
            auto seen = schema::FindIdempotencyKey(c, principal.org_id, idempotency_key);
            if (!seen) return seen.error();
            if (*seen) {
                if ((*seen)->request_digest != digest) {
                    refusal = ApiError::Make(
                        Errc::kConflict, "Idempotency-Key was already used for a different request",
                        "idempotency_key_reused");
                    return Errc::kConflict;
                }
                return Outcome{(*seen)->status_code, (*seen)->response_body, true};
            }
        }
        if (publisher != principal.org_id) {
            bool allowed = principal.role == Role::kAdmin;
            if (!allowed) {
                auto own = schema::FindOrg(c, principal.org_id);
                if (!own) return own.error();
                allowed = *own && (*own)->kind == "regulator";
            }
            if (!allowed) {
                refusal = Forbidden(
                    "only an administrator or regulator may publish for another "
                    "organisation (publisherId)");
                return Errc::kForbidden;
            }
        }
        auto org = schema::FindOrg(c, publisher);
        if (!org) return org.error();
        if (!*org) {
            refusal = ApiError::Make(Errc::kInvalidArgument, "no such publisher organisation",
                                     "invalid_list");
            refusal->details.push_back(
                {std::nullopt, is_csv ? "publisherId" : "/publisherId", "unknown_org",
                 "organisation " + std::to_string(publisher) + " does not exist"});
            return Errc::kInvalidArgument;
        }
        Outcome outcome;
        auto current = schema::FindCurrentList(c, publisher, kind_name, list.header.series);
        if (!current) return current.error();
        if (*current && (*current)->digest == digest) {
            outcome.status = 200;
            outcome.body = PublishResponse(**current, nullptr, true);
        } else {
            auto published = schema::PublishList(c, rq);
            if (!published) return published.error();
            outcome.body = PublishResponse(published->list, &*published, false);
            auto audit = RecordAudit(c, ctx, "list.publish", "list",
                                     std::to_string(published->list.id), publisher,
                                     kind_name + " " + list.header.series + " v" +
                                         std::to_string(published->list.version));
            if (!audit) return audit.error();
        }
        if (!idempotency_key.empty()) {
            auto saved = schema::SaveIdempotencyKey(
                c, principal.org_id, idempotency_key,
                schema::IdempotencyRecord{digest, outcome.status, outcome.body}, ctx.now_ms);
            if (!saved) return saved.error();
        }
        return outcome;
    });
    if (!written) {
        if (refusal) return *refusal;
        return ToApiError(written.error(), "the list could not be stored");
    }
    if (written->replayed) return Replay(written->status, std::move(written->body));
    // The decoded lines are stored now: free them before the live index catches up, so the
    // two never occupy memory at the same time.
    rq.make_body = nullptr;
    std::vector<matcher::DemandLine>().swap(list.demands);
    std::vector<matcher::SupplyLine>().swap(list.supply);
    std::vector<matcher::Project>().swap(list.projects);
    if (written->status == 201) ctx.app.LinesChanged();
    return JsonResponse(static_cast<unsigned>(written->status), std::move(written->body));
}

// ---- reads -----------------------------------------------------------------------------------

void WriteListRecord(JsonWriter& w, const schema::ListRecord& list) {
    w.StartObject();
    w.Field("id", list.id).Field("kind", list.kind).Field("series", list.series);
    w.Field("version", list.version).Field("title", list.title).Field("period", list.period);
    w.Field("status", list.status).Field("publisherId", list.org_id);
    w.Field("lineCount", list.line_count);
    w.Field("publishedAt", FormatTimestampMs(list.published_at_ms));
    w.Field("sourceFormat", list.source_format);
    if (!list.source_encoding.empty()) w.Field("sourceEncoding", list.source_encoding);
    w.Key("counts").StartObject().Field("added", list.added).Field("changed", list.changed);
    w.Field("unchanged", list.unchanged).Field("withdrawn", list.withdrawn).EndObject();
    w.EndObject();
}

Reply GetList(RequestContext& ctx) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    const auto id = ParsePositiveId(ctx.Param("id"));
    if (!id) return ApiError::Make(Errc::kNotFound, "no such list");
    auto found = ctx.app.db->Read([&](schema::Connection& c) { return schema::FindList(c, *id); });
    if (!found) return ToApiError(found.error());
    if (!*found) return ApiError::Make(Errc::kNotFound, "no such list");
    JsonWriter w;
    WriteListRecord(w, **found);
    return JsonResponse(http::status::ok, w.Take());
}

Result<void> WriteLineMembers(JsonWriter& w, const schema::LineRow& row, const Viewer& viewer);
Result<void> WriteLineRecord(JsonWriter& w, const schema::LineRow& row, const Viewer& viewer);

// The ETag of a line's revision: "<kind>-<id>-r<revision>" (quotes included).
std::string LineETag(const schema::LineRow& row) {
    return "\"" + row.entity + "-" + std::to_string(row.id) + "-r" + std::to_string(row.revision) +
           "\"";
}

// GET /v1/{demands|supply|projects}/{id}: the line with its storage metadata, an ETag of its
// revision, and confidential fields (hidden/range budgets) redacted for other organisations.
Reply GetLine(RequestContext& ctx, std::string_view entity) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    const auto id = ParsePositiveId(ctx.Param("id"));
    if (!id) return ApiError::Make(Errc::kNotFound, "no such line");
    auto found =
        ctx.app.db->Read([&](schema::Connection& c) { return schema::FindLine(c, entity, *id); });
    if (!found) return ToApiError(found.error());
    if (!*found) return ApiError::Make(Errc::kNotFound, "no such line");
    const schema::LineRow& row = **found;
    const std::string etag = LineETag(row);
    if (ctx.request[http::field::if_none_match] == etag) {
        HttpResponse not_modified{http::status::not_modified, 11};
        not_modified.set(http::field::etag, etag);
        return not_modified;
    }
    JsonWriter w;
    w.StartObject();
    if (!WriteLineMembers(w, row, Viewer::From(ctx.principal))) {
        return ApiError::Make(Errc::kInternal, "stored line is not a JSON object");
    }
    if (row.entity == "project") {
        // The linked demand lines, budgets redacted by the same encoder as their own GET.
        auto demands = ctx.app.db->Read(
            [&](schema::Connection& c) { return schema::ListProjectDemands(c, row.id); });
        if (!demands) return ToApiError(demands.error());
        w.Key("demandLines").StartArray();
        for (const auto& d : *demands) {
            if (!WriteLineRecord(w, d, Viewer::From(ctx.principal))) {
                return ApiError::Make(Errc::kInternal, "stored line is not a JSON object");
            }
        }
        w.EndArray();
    }
    w.EndObject();
    HttpResponse response = JsonResponse(http::status::ok, w.Take());
    response.set(http::field::etag, etag);
    return response;
}

// DELETE /v1/{demands|supply|projects}/{id}: withdraws the line (kept, status 'withdrawn').
// Only the owning organisation's keys (or an administrator) may; If-Match, when sent, must carry
// the current ETag (412 otherwise).
Reply DeleteLine(RequestContext& ctx, std::string_view entity) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    const auto id = ParsePositiveId(ctx.Param("id"));
    if (!id) return ApiError::Make(Errc::kNotFound, "no such line");
    const Principal& principal = *ctx.principal;
    const std::string if_match(ctx.request[http::field::if_match]);
    std::optional<ApiError> refusal;
    auto done = ctx.app.db->Write([&](schema::Connection& c) -> Result<schema::LineRow> {
        auto found = schema::FindLine(c, entity, *id);
        if (!found) return found.error();
        if (!*found) return Errc::kNotFound;
        const schema::LineRow& row = **found;
        if (principal.role != Role::kAdmin && principal.org_id != row.org_id) {
            refusal = Forbidden("only the publishing organisation may withdraw this line");
            return Errc::kForbidden;
        }
        std::optional<std::int64_t> expected;
        if (!if_match.empty()) {
            const std::string etag = LineETag(row);
            if (if_match != etag && if_match != "*") {
                refusal = ApiError::Make(Errc::kPreconditionFailed,
                                         "the line has changed since that ETag (now " + etag + ")",
                                         "precondition_failed");
                return Errc::kPreconditionFailed;
            }
            expected = row.revision;
        }
        auto withdrawn = schema::WithdrawLine(c, entity, *id, expected, ctx.now_ms);
        if (!withdrawn) return withdrawn.error();
        auto audit = RecordAudit(c, ctx, "line.withdraw", std::string(entity), std::to_string(*id),
                                 withdrawn->org_id);
        if (!audit) return audit.error();
        return withdrawn;
    });
    if (!done) {
        if (refusal) return *refusal;
        if (done.error() == make_error_code(Errc::kNotFound)) {
            return ApiError::Make(Errc::kNotFound, "no such line");
        }
        return ToApiError(done.error(), "the line could not be withdrawn");
    }
    ctx.app.LinesChanged();
    JsonWriter w;
    w.StartObject().Field("id", done->id).Field("kind", done->entity);
    w.Field("status", done->status).Field("revision", done->revision).EndObject();
    HttpResponse response = JsonResponse(http::status::ok, w.Take());
    response.set(http::field::etag, LineETag(*done));
    return response;
}

// RFC 7396 JSON Merge Patch: applies `patch` to `target` in place. Object members of the patch
// are merged recursively, null members remove, anything else replaces.
void ApplyMergePatch(JsonValue& target,
                     const JsonValue& patch,
                     JsonDocument::AllocatorType& allocator) {
    if (!patch.IsObject()) {
        target.CopyFrom(patch, allocator);
        return;
    }
    if (!target.IsObject()) target.SetObject();
    for (const auto& member : patch.GetObject()) {
        auto it = target.FindMember(member.name);
        if (member.value.IsNull()) {
            if (it != target.MemberEnd()) target.RemoveMember(it);
            continue;
        }
        if (it != target.MemberEnd()) {
            ApplyMergePatch(it->value, member.value, allocator);
            continue;
        }
        JsonValue value;
        ApplyMergePatch(value, member.value, allocator);
        JsonValue name(member.name, allocator);
        target.AddMember(name, value, allocator);
    }
}

// PATCH /v1/{demands|supply|projects}/{id}: a JSON Merge Patch (RFC 7396) applied to the line's
// canonical body, re-validated by the publishing decoder, stored as revision + 1. Requires
// If-Match with the current ETag (428 without, 412 when stale); only the owning organisation or
// an administrator. A patch that leaves the body as it is writes nothing and returns 200.
Reply PatchLine(RequestContext& ctx, std::string_view entity) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    const auto id = ParsePositiveId(ctx.Param("id"));
    if (!id) return ApiError::Make(Errc::kNotFound, "no such line");
    const Principal& principal = *ctx.principal;
    std::string content_type(ctx.request[http::field::content_type]);
    std::transform(content_type.begin(), content_type.end(), content_type.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    std::string media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && media.back() == ' ') media.pop_back();
    if (media != "application/merge-patch+json" && media != "application/json") {
        return ApiError::Make(Errc::kUnsupportedMediaType,
                              "send a JSON Merge Patch as application/merge-patch+json",
                              "unsupported_media_type");
    }
    auto patch = ParseDocument(ctx.request.body());
    if (!patch) return patch.error();
    if (!patch->IsObject()) {
        ApiError e = ApiError::Make(Errc::kInvalidArgument, "a line patch must be a JSON object",
                                    "invalid_line");
        e.details.push_back({std::nullopt, "", "wrong_type", e.message});
        return e;
    }
    const auto kind = ParseListKind(entity);
    if (!kind) return ApiError::Make(Errc::kInternal, "unknown line kind");

    auto context = MakeDecodeContext(ctx.app);
    if (!context) return context.error();
    const DecodeContext& decode = *context;

    const std::string if_match(ctx.request[http::field::if_match]);
    std::optional<ApiError> refusal;
    bool unchanged = false;
    auto done = ctx.app.db->Write([&](schema::Connection& c) -> Result<schema::LineRow> {
        auto found = schema::FindLine(c, entity, *id);
        if (!found) return found.error();
        if (!*found) return Errc::kNotFound;
        const schema::LineRow& row = **found;
        if (principal.role != Role::kAdmin && principal.org_id != row.org_id) {
            refusal = Forbidden("only the publishing organisation may change this line");
            return Errc::kForbidden;
        }
        const std::string etag = LineETag(row);
        if (if_match.empty()) {
            refusal = ApiError::Make(
                Errc::kPreconditionFailed,
                "PATCH needs If-Match with the line's ETag (now " + etag + "); GET the line first",
                "precondition_required");
            return Errc::kPreconditionFailed;
        }
        if (if_match != etag) {
            refusal = ApiError::Make(Errc::kPreconditionFailed,
                                     "the line has changed since that ETag (now " + etag + ")",
                                     "precondition_failed");
            return Errc::kPreconditionFailed;
        }
        if (row.status == "withdrawn") {
            refusal = ApiError::Make(Errc::kConflict,
                                     "a withdrawn line cannot be patched; publish it again",
                                     "line_withdrawn");
            return Errc::kConflict;
        }
        auto merged = ParseDocument(row.body);
        if (!merged || !merged->IsObject()) return Errc::kInternal;
        ApplyMergePatch(*merged, *patch, merged->GetAllocator());
        auto decoded = DecodeJsonLine(*kind, *merged, decode);
        if (!decoded) {
            refusal = decoded.error();
            refusal->code = "invalid_line";
            refusal->message =
                "the patched line was rejected: " + std::to_string(refusal->details.size()) +
                (refusal->details.size() == 1 ? " error" : " errors") + " (nothing was stored)";
            return Errc::kInvalidArgument;
        }
        std::string body;
        std::string_view new_ref;
        switch (*kind) {
            case ListKind::kDemand:
                body = DemandBody(decoded->demands.front());
                new_ref = decoded->demands.front().ref;
                break;
            case ListKind::kSupply:
                body = SupplyBody(decoded->supply.front());
                new_ref = decoded->supply.front().sku;
                break;
            case ListKind::kProject:
                body = ProjectBody(decoded->projects.front());
                new_ref = decoded->projects.front().ref;
                break;
        }
        if (new_ref != row.ref) {
            const std::string field = *kind == ListKind::kSupply ? "/sku" : "/ref";
            refusal = ApiError::Make(Errc::kInvalidArgument,
                                     "the patched line was rejected: 1 error (nothing was stored)",
                                     "invalid_line");
            refusal->details.push_back({std::nullopt, field, "immutable",
                                        "'" + field.substr(1) +
                                            "' identifies the line and cannot change (was '" +
                                            row.ref + "')"});
            return Errc::kInvalidArgument;
        }
        if (body == row.body) {
            unchanged = true;
            return row;
        }
        schema::LineReplacement replacement;
        replacement.entity = std::string(entity);
        replacement.id = row.id;
        replacement.expected_revision = row.revision;
        replacement.demand = decoded->demands.empty() ? nullptr : &decoded->demands.front();
        replacement.supply = decoded->supply.empty() ? nullptr : &decoded->supply.front();
        replacement.project = decoded->projects.empty() ? nullptr : &decoded->projects.front();
        replacement.body = std::move(body);
        replacement.now_ms = ctx.now_ms;
        auto stored = schema::ReplaceLine(c, replacement);
        if (!stored) return stored.error();
        auto audit = RecordAudit(c, ctx, "line.patch", std::string(entity), std::to_string(*id),
                                 stored->org_id, "r" + std::to_string(stored->revision));
        if (!audit) return audit.error();
        return stored;
    });
    if (!done) {
        if (refusal) {
            if (refusal->code == "precondition_required") {
                // 428 has no Errc of its own; the body is the usual error shape.
                return JsonResponse(428U, EncodeError(*refusal, ctx.request_id));
            }
            return *refusal;
        }
        if (done.error() == make_error_code(Errc::kNotFound)) {
            return ApiError::Make(Errc::kNotFound, "no such line");
        }
        return ToApiError(done.error(), "the line could not be changed");
    }
    if (!unchanged) ctx.app.LinesChanged();
    JsonWriter w;
    if (!WriteLineRecord(w, *done, Viewer::From(ctx.principal))) {
        return ApiError::Make(Errc::kInternal, "stored line is not a JSON object");
    }
    HttpResponse response = JsonResponse(http::status::ok, w.Take());
    response.set(http::field::etag, LineETag(*done));
    return response;
}

// GET /v1/changes?since=CURSOR&limit=N: the ordered change feed. The cursor is opaque to
// clients (today the last seq seen, as decimal); "" or absent starts from the beginning.
Reply GetChanges(RequestContext& ctx) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    std::int64_t since = 0;
    if (auto s = ctx.query.Get("since"); s && !s->empty()) {
        const char* end = s->data() + s->size();
        if (std::from_chars(s->data(), end, since).ptr != end || since < 0) {
            ApiError e = ApiError::Make(Errc::kInvalidArgument, "bad cursor", "bad_query");
            e.details.push_back(
                {std::nullopt, "since", "invalid_value", "not a cursor from this feed"});
            return e;
        }
    }
    std::int64_t limit = 500;
    if (auto l = ctx.query.Get("limit")) {
        const char* end = l->data() + l->size();
        if (std::from_chars(l->data(), end, limit).ptr != end || limit < 1 || limit > 5000) {
            ApiError e = ApiError::Make(Errc::kInvalidArgument, "bad limit", "bad_query");
            e.details.push_back({std::nullopt, "limit", "out_of_range", "limit must be 1..5000"});
            return e;
        }
    }
    auto rows = ctx.app.db->Read(
        [&](schema::Connection& c) { return schema::ListChanges(c, since, limit); });
    if (!rows) return ToApiError(rows.error());
    JsonWriter w;
    w.StartObject().Key("changes").StartArray();
    for (const auto& r : *rows) {
        w.StartObject().Field("seq", r.seq).Field("at", FormatTimestampMs(r.at_ms));
        w.Field("kind", r.entity).Field("id", r.line_id).Field("ref", r.ref);
        w.Field("change", r.change).Field("revision", r.revision).Field("listId", r.list_id);
        w.Field("publisherId", r.org_id).EndObject();
    }
    w.EndArray();
    w.Field("next", std::to_string(rows->empty() ? since : rows->back().seq));
    w.Field("hasMore", static_cast<std::int64_t>(rows->size()) == limit).EndObject();
    return JsonResponse(http::status::ok, w.Take());
}

// ---- listings ---------------------------------------------------------------------------------

ApiError BadQuery(std::string field, std::string message) {
    ApiError e = ApiError::Make(Errc::kInvalidArgument, message, "bad_query");
    e.details.push_back({std::nullopt, std::move(field), "invalid_value", std::move(message)});
    return e;
}

// 400: a cursor that this listing (with these filters) did not issue.
ApiError BadCursor() {
    ApiError e = ApiError::Make(Errc::kMalformed, "not a cursor of this listing", "bad_cursor");
    e.details.push_back({std::nullopt, "cursor", "invalid_value", e.message});
    return e;
}

// Cursors are opaque to clients: hex of "<last id>.<check>", where check is the first 16 hex
// digits of SHA-256 over (route scope, filters, last id). A cursor edited by hand, or replayed
// against different filters, fails the check and is refused with 400.
std::string EncodeCursor(std::string_view scope, std::int64_t last_id) {
    const std::string id = std::to_string(last_id);
    const std::string plain =
        id + "." + Sha256Hex({"renewmatch-cursor-v1", scope, id}).substr(0, 16);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const char c : plain) {
        const auto ch = static_cast<unsigned char>(c);
        out += kHex[ch >> 4];
        out += kHex[ch & 15];
    }
    return out;
}

std::optional<std::int64_t> DecodeCursor(std::string_view scope, std::string_view cursor) {
    if (cursor.empty() || cursor.size() % 2 != 0 || cursor.size() > 128) return std::nullopt;
    std::string plain;
    for (std::size_t i = 0; i < cursor.size(); i += 2) {
        unsigned value = 0;
        const char* begin = cursor.data() + i;
        if (std::from_chars(begin, begin + 2, value, 16).ptr != begin + 2) return std::nullopt;
        plain += static_cast<char>(value);
    }
    const auto dot = plain.find('.');
    if (dot == std::string::npos) return std::nullopt;
    const auto id = ParsePositiveId(std::string_view(plain).substr(0, dot));
    if (!id || EncodeCursor(scope, *id) != cursor) return std::nullopt;
    return id;
}

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.mmm]Z" (UTC) -> unix ms.
std::optional<std::int64_t> ParseInstantMs(std::string_view text) {
    if (text.size() < 10) return std::nullopt;
    const auto day = matcher::ParseIsoDay(text.substr(0, 10));
    if (!day) return std::nullopt;
    std::int64_t ms = static_cast<std::int64_t>(*day) * 86'400'000;
    if (text.size() == 10) return ms;
    if (text.size() != 20 && text.size() != 24) return std::nullopt;
    if (text[10] != 'T' || text[13] != ':' || text[16] != ':' || text.back() != 'Z') {
        return std::nullopt;
    }
    auto two = [&](std::size_t at, int max) -> std::optional<int> {
        int v = 0;
        const char* b = text.data() + at;
        if (std::from_chars(b, b + 2, v).ptr != b + 2 || v < 0 || v > max) return std::nullopt;
        return v;
    };
    const auto h = two(11, 23), m = two(14, 59), sec = two(17, 60);
    if (!h || !m || !sec) return std::nullopt;
    ms += ((*h * 60 + *m) * 60 + *sec) * std::int64_t{1000};
    if (text.size() == 24) {
        if (text[19] != '.') return std::nullopt;
        int frac = 0;
        const char* b = text.data() + 20;
        if (std::from_chars(b, b + 3, frac).ptr != b + 3 || frac < 0) return std::nullopt;
        ms += frac;
    }
    return ms;
}

// Parses ?limit= (1..1000, default 100).
ApiResult<std::int64_t> PageLimit(const RequestContext& ctx) {
    std::int64_t limit = 100;
    if (auto l = ctx.query.Get("limit")) {
        const char* end = l->data() + l->size();
        if (l->empty() || std::from_chars(l->data(), end, limit).ptr != end || limit < 1 ||
            limit > 1000) {
            return BadQuery("limit", "limit must be an integer from 1 to 1000");
        }
    }
    return limit;
}

// Writes one line as GET /v1/{kind}/{id} does (metadata + the line, budgets via auth_fields).
// Writes the members of one line as GET /v1/{kind}/{id} does (metadata + the line, budgets via
// auth_fields, the stored status), without the enclosing braces.
Result<void> WriteLineMembers(JsonWriter& w, const schema::LineRow& row, const Viewer& viewer) {
    auto body = ParseDocument(row.body);
    if (!body || !body->IsObject()) return Errc::kInternal;
    w.Field("id", row.id).Field("kind", row.entity);
    w.Field("publisherId", row.org_id).Field("series", row.series).Field("listId", row.list_id);
    w.Field("status", row.status).Field("revision", row.revision);
    w.Field("updatedAt", FormatTimestampMs(row.updated_at_ms));
    w.Key("line").StartObject();
    RecordWriter record(w, viewer, row.org_id);
    for (const auto& member : body->GetObject()) {
        const std::string_view key(member.name.GetString(), member.name.GetStringLength());
        if (key == "budget") {
            WriteBudget(record, row.budget_amount, row.budget_currency,
                        schema::ParseVisibility(row.budget_visibility));
        } else if (key == "status") {
            w.Field("status", row.status);  // the stored status ('withdrawn' included)
        } else {
            w.Key(key).Value(member.value);
        }
    }
    w.EndObject();
    return {};
}

Result<void> WriteLineRecord(JsonWriter& w, const schema::LineRow& row, const Viewer& viewer) {
    w.StartObject();
    if (auto written = WriteLineMembers(w, row, viewer); !written) return written;
    w.EndObject();
    return {};
}

// GET /v1/demands|supply|projects and /v1/lists/{id}/lines:
//   ?status=&classification=&region=&publisherId=&q=&updatedSince=&limit=&cursor=
Reply ListLinesRoute(RequestContext& ctx, std::string entity, bool of_list) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    schema::LineQuery q;
    q.entity = entity;
    if (of_list) {
        const auto id = ParsePositiveId(ctx.Param("id"));
        if (!id) return ApiError::Make(Errc::kNotFound, "no such list");
        auto found =
            ctx.app.db->Read([&](schema::Connection& c) { return schema::FindList(c, *id); });
        if (!found) return ToApiError(found.error());
        if (!*found) return ApiError::Make(Errc::kNotFound, "no such list");
        q.entity = (*found)->kind;
        q.list_id = *id;
    }
    static const std::vector<std::string> kParams = {"status",       "classification", "region",
                                                     "vendorRegion", "publisherId",    "q",
                                                     "updatedSince", "limit",          "cursor"};
    std::string scope = q.entity;
    if (q.list_id) scope += "|list=" + std::to_string(*q.list_id);
    for (const auto& name : kParams) {
        if (name == "limit" || name == "cursor") continue;
        scope += "|" + name + "=" + std::string(ctx.query.Get(name).value_or(""));
    }
    q.status = std::string(ctx.query.Get("status").value_or(""));
    q.classification_prefix = std::string(ctx.query.Get("classification").value_or(""));
    if (!q.classification_prefix.empty() && q.entity == "project") {
        return BadQuery("classification", "projects have no classification filter");
    }
    // Regions are compared in significant-prefix form ("320500" -> "3205"), as stored.
    for (const auto& [name, target] : {std::pair{"region", &q.region_prefix},
                                       std::pair{"vendorRegion", &q.vendor_region_prefix}}) {
        const auto value = ctx.query.Get(name);
        if (!value || value->empty()) continue;
        const auto normalized = NormalizeRegionForm(*value);
        if (!normalized) {
            return BadQuery(
                name, std::string(name) + " must be a GB/T 2260 region code of 2, 4 or 6 digits");
        }
        *target = *normalized;
    }
    if (!q.vendor_region_prefix.empty() && q.entity != "supply") {
        return BadQuery("vendorRegion", "vendorRegion filters supply lines only");
    }
    q.text = std::string(ctx.query.Get("q").value_or(""));
    if (q.text.size() > 200) return BadQuery("q", "q is longer than 200 characters");
    if (auto p = ctx.query.Get("publisherId")) {
        const auto id = ParsePositiveId(*p);
        if (!id) return BadQuery("publisherId", "publisherId must be a positive integer");
        q.org_id = id;
    }
    if (auto u = ctx.query.Get("updatedSince")) {
        q.updated_since_ms = ParseInstantMs(*u);
        if (!q.updated_since_ms) {
            return BadQuery("updatedSince",
                            "updatedSince must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.mmm]Z");
        }
    }
    auto limit = PageLimit(ctx);
    if (!limit) return limit.error();
    q.limit = *limit + 1;  // one extra row says whether there is a next page
    if (auto c = ctx.query.Get("cursor")) {
        const auto after = DecodeCursor(scope, *c);
        if (!after) return BadCursor();
        q.after_id = *after;
    }
    auto rows = ctx.app.db->Read([&](schema::Connection& c) { return schema::ListLines(c, q); });
    if (!rows) return ToApiError(rows.error());
    const bool more = static_cast<std::int64_t>(rows->size()) > *limit;
    if (more) rows->pop_back();
    const Viewer viewer = Viewer::From(ctx.principal);
    JsonWriter w;
    w.StartObject().Key("items").StartArray();
    for (const auto& row : *rows) {
        if (!WriteLineRecord(w, row, viewer)) {
            return ApiError::Make(Errc::kInternal, "stored line is not a JSON object");
        }
    }
    w.EndArray();
    if (more) w.Field("nextCursor", EncodeCursor(scope, rows->back().id));
    w.Field("hasMore", more).EndObject();
    return JsonResponse(http::status::ok, w.Take());
}

// GET /v1/lists?kind=&status=&publisherId=&series=&limit=&cursor=
Reply ListListsRoute(RequestContext& ctx) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    schema::ListQuery q;
    q.kind = std::string(ctx.query.Get("kind").value_or(""));
    if (!q.kind.empty() && !ParseListKind(q.kind)) {
        return BadQuery("kind", "kind must be demand, supply or project");
    }
    q.status = std::string(ctx.query.Get("status").value_or(""));
    if (!q.status.empty() && q.status != "current" && q.status != "superseded") {
        return BadQuery("status", "status must be current or superseded");
    }
    q.series = std::string(ctx.query.Get("series").value_or(""));
    if (auto p = ctx.query.Get("publisherId")) {
        const auto id = ParsePositiveId(*p);
        if (!id) return BadQuery("publisherId", "publisherId must be a positive integer");
        q.org_id = id;
    }
    const std::string scope = "lists|" + q.kind + "|" + q.status + "|" + q.series + "|" +
                              std::string(ctx.query.Get("publisherId").value_or(""));
    auto limit = PageLimit(ctx);
    if (!limit) return limit.error();
    q.limit = *limit + 1;
    if (auto c = ctx.query.Get("cursor")) {
        const auto after = DecodeCursor(scope, *c);
        if (!after) return BadCursor();
        q.after_id = *after;
    }
    auto rows = ctx.app.db->Read([&](schema::Connection& c) { return schema::ListLists(c, q); });
    if (!rows) return ToApiError(rows.error());
    const bool more = static_cast<std::int64_t>(rows->size()) > *limit;
    if (more) rows->pop_back();
    JsonWriter w;
    w.StartObject().Key("items").StartArray();
    for (const auto& list : *rows) WriteListRecord(w, list);
    w.EndArray();
    if (more) w.Field("nextCursor", EncodeCursor(scope, rows->back().id));
    w.Field("hasMore", more).EndObject();
    return JsonResponse(http::status::ok, w.Take());
}

}  // namespace

void RegisterListRoutes(Router& router, const ListRouteOptions& options) {
    router.Add(
        http::verb::post, "/v1/lists",
        [options](RequestContext& ctx) { return PostList(ctx, options); },
        RouteOptions::Authenticated("lists.publish", {Role::kBuyer, Role::kSupplier},
                                    options.body_limit));
    router.Add(http::verb::get, "/v1/lists/{id}", GetList,
               RouteOptions::Authenticated("lists.get"));
    router.Add(
        http::verb::get, "/v1/demands/{id}",
        [](RequestContext& ctx) { return GetLine(ctx, "demand"); },
        RouteOptions::Authenticated("demands.get"));
    router.Add(
        http::verb::get, "/v1/supply/{id}",
        [](RequestContext& ctx) { return GetLine(ctx, "supply"); },
        RouteOptions::Authenticated("supply.get"));
    router.Add(
        http::verb::get, "/v1/projects/{id}",
        [](RequestContext& ctx) { return GetLine(ctx, "project"); },
        RouteOptions::Authenticated("projects.get"));
    for (const auto& [path, entity] :
         {std::pair{"/v1/demands/{id}", "demand"}, std::pair{"/v1/supply/{id}", "supply"},
          std::pair{"/v1/projects/{id}", "project"}}) {
        const std::string entity_name(entity);
        router.Add(
            http::verb::delete_, path,
            [entity_name](RequestContext& ctx) { return DeleteLine(ctx, entity_name); },
            RouteOptions::Authenticated(entity_name + ".withdraw",
                                        {Role::kBuyer, Role::kSupplier}));
    }
    for (const auto& [path, entity] :
         {std::pair{"/v1/demands/{id}", "demand"}, std::pair{"/v1/supply/{id}", "supply"},
          std::pair{"/v1/projects/{id}", "project"}}) {
        const std::string entity_name(entity);
        router.Add(
            http::verb::patch, path,
            [entity_name](RequestContext& ctx) { return PatchLine(ctx, entity_name); },
            RouteOptions::Authenticated(entity_name + ".patch", {Role::kBuyer, Role::kSupplier}));
    }
    router.Add(http::verb::get, "/v1/lists", ListListsRoute,
               RouteOptions::Authenticated("lists.list"));
    router.Add(
        http::verb::get, "/v1/lists/{id}/lines",
        [](RequestContext& ctx) { return ListLinesRoute(ctx, "", true); },
        RouteOptions::Authenticated("lists.lines"));
    for (const auto& [path, entity, name] :
         {std::tuple{"/v1/demands", "demand", "demands.list"},
          std::tuple{"/v1/supply", "supply", "supply.list"},
          std::tuple{"/v1/projects", "project", "projects.list"}}) {
        const std::string entity_name(entity);
        router.Add(
            http::verb::get, path,
            [entity_name](RequestContext& ctx) { return ListLinesRoute(ctx, entity_name, false); },
            RouteOptions::Authenticated(name));
    }
    router.Add(http::verb::get, "/v1/changes", GetChanges,
               RouteOptions::Authenticated("changes.list"));
}

}  // namespace renewmatch::api
