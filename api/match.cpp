#include "api/match.hpp"

#include "api/answer_cache.hpp"
#include "api/auth_fields.hpp"
#include "api/http.hpp"
#include "api/ids.hpp"
#include "api/json.hpp"
#include "api/line_loader.hpp"
#include "api/match_index.hpp"
#include "api/match_runs.hpp"
#include "api/response.hpp"
#include "api/router.hpp"
#include "matcher/dates.hpp"
#include "matcher/engine.hpp"
#include "schema/database.hpp"
#include "schema/list_store.hpp"
#include "schema/match_feed.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace renewmatch::api {
namespace {

constexpr std::int64_t kMaxLimit = 100;
constexpr std::int64_t kDefaultLimit = 10;
// Candidates per demand line considered when ranking a project's suppliers.
constexpr std::size_t kProjectPerLineK = 20;
constexpr std::int64_t kMsPerDay = 86'400'000;

using OrgNameMap = std::unordered_map<std::int64_t, std::string>;

struct QueryOptions {
    std::size_t limit = kDefaultLimit;
    bool explain = true;
};

ApiError BadQuery(std::string field, std::string message) {
    ApiError e = ApiError::Make(Errc::kInvalidArgument, message, "bad_query");
    e.details.push_back({std::nullopt, std::move(field), "invalid_value", std::move(message)});
    return e;
}

ApiResult<QueryOptions> ParseOptions(const RequestContext& ctx, bool allow_explain) {
    QueryOptions options;
    if (auto l = ctx.query.Get("limit")) {
        std::int64_t limit = 0;
        const char* end = l->data() + l->size();
        if (l->empty() || std::from_chars(l->data(), end, limit).ptr != end || limit < 1 ||
            limit > kMaxLimit) {
            return BadQuery("limit", "limit must be an integer from 1 to 100");
        }
        options.limit = static_cast<std::size_t>(limit);
    }
    if (auto e = ctx.query.Get("explain")) {
        if (!allow_explain) return BadQuery("explain", "this route has no explain parameter");
        if (*e == "true" || *e == "1") {
            options.explain = true;
        } else if (*e == "false" || *e == "0") {
            options.explain = false;
        } else {
            return BadQuery("explain", "explain must be true or false");
        }
    }
    return options;
}

// The index, or 503 while it loads (or when the composition root wired none).
ApiResult<const MatchIndex*> ReadyIndex(const RequestContext& ctx) {
    if (ctx.app.match_index == nullptr) {
        return ApiError::Make(Errc::kUnavailable, "matching is not configured on this server",
                              "index_unavailable");
    }
    if (!ctx.app.match_index->ready()) {
        ApiError e = ApiError::Make(Errc::kUnavailable, "the match index is loading; retry shortly",
                                    "index_loading");
        e.headers.emplace_back("Retry-After", "1");
        return e;
    }
    return ctx.app.match_index;
}

matcher::Day Today(const RequestContext& ctx) {
    const std::int64_t ms = ctx.now_ms;
    const std::int64_t days = ms >= 0 ? ms / kMsPerDay : -((-ms + kMsPerDay - 1) / kMsPerDay);
    return static_cast<matcher::Day>(days);
}

bool SeesEverything(const Principal& principal) {
    return principal.role == Role::kAdmin || principal.role == Role::kJob;
}

ApiError NotOwner(std::string_view what) {
    return ApiError::Make(Errc::kForbidden,
                          "only the publishing organisation may see " + std::string(what),
                          "forbidden");
}

// A line that is not in the index: 404 when it does not exist, 403 when it belongs to another
// organisation, 404 `line_withdrawn` for the caller's own withdrawn line.
ApiError NotInIndex(RequestContext& ctx, std::string_view entity, std::int64_t id) {
    const std::string kind(entity);
    if (ctx.app.db != nullptr) {
        auto found = ctx.app.db->Read(
            [&](schema::Connection& c) { return schema::FindLine(c, entity, id); });
        if (!found) return ToApiError(found.error());
        if (*found) {
            if (!SeesEverything(*ctx.principal) && (*found)->org_id != ctx.principal->org_id) {
                return NotOwner("matches for this " + kind + " line");
            }
            if ((*found)->status == "withdrawn") {
                return ApiError::Make(Errc::kNotFound,
                                      kind + " line " + std::to_string(id) +
                                          " is withdrawn: withdrawn lines are not matched",
                                      "line_withdrawn");
            }
            // Committed but not yet in the index (a catch-up failed): say so rather than 404.
            return ApiError::Make(Errc::kUnavailable,
                                  "the match index has not caught up with this line yet",
                                  "index_behind");
        }
    }
    return ApiError::Make(Errc::kNotFound, "no such " + kind + " line");
}

ApiResult<OrgNameMap> OrgNamesFor(RequestContext& ctx, const std::vector<std::int64_t>& ids) {
    if (ctx.app.db == nullptr || ids.empty()) return OrgNameMap{};
    auto names = ctx.app.db->Read([&](schema::Connection& c) { return schema::OrgNames(c, ids); });
    if (!names) return ToApiError(names.error());
    return std::move(*names);
}

void WriteOrg(JsonWriter& w, std::string_view key, std::int64_t id, const OrgNameMap& names) {
    w.Key(key).StartObject().Field("id", id);
    if (auto it = names.find(id); it != names.end()) w.Field("name", it->second);
    w.EndObject();
}

void WriteDate(JsonWriter& w, std::string_view key, const std::optional<matcher::Day>& day) {
    if (day) w.Field(key, matcher::FormatIsoDay(*day));
}

void WriteClassification(JsonWriter& w, const matcher::Classification& c) {
    w.Key("classification").StartObject().Field("scheme", c.scheme).Field("id", c.id).EndObject();
}

// The key fields of a supply line (supply lines have no confidential fields).
void WriteSupplyLine(JsonWriter& w, const matcher::SupplyLine& s) {
    w.StartObject().Field("id", s.id).Field("sku", s.sku).Field("title", s.title);
    if (!s.brand.empty()) w.Field("brand", s.brand);
    if (!s.model.empty()) w.Field("model", s.model);
    WriteClassification(w, s.classification);
    if (s.price_amount) {
        w.Key("price").StartObject().Field("amount", *s.price_amount);
        w.Field("currency", s.price_currency);
        WriteDate(w, "validUntil", s.price_valid_until);
        w.EndObject();
    }
    if (s.min_order_qty > 0) w.Field("minOrderQty", s.min_order_qty);
    if (s.capacity_per_month) w.Field("capacityPerMonth", *s.capacity_per_month);
    if (s.lead_time_days) w.Field("leadTimeDays", static_cast<std::int64_t>(*s.lead_time_days));
    if (s.energy_efficiency_grade) {
        w.Field("energyEfficiencyGrade", static_cast<std::int64_t>(*s.energy_efficiency_grade));
    }
    if (s.localization_rate) w.Field("localizationRate", *s.localization_rate);
    if (!s.vendor_region.empty()) w.Field("vendorRegion", s.vendor_region);
    w.Field("status", s.status).Field("revision", static_cast<std::int64_t>(s.revision));
    w.EndObject();
}

// The key fields of a demand line; the budget through the visibility rules for `viewer`.
void WriteDemandLine(JsonWriter& w, const matcher::DemandLine& d, const Viewer& viewer) {
    w.StartObject();
    if (d.id != 0) w.Field("id", d.id);
    w.Field("ref", d.ref).Field("title", d.title);
    WriteClassification(w, d.classification);
    w.Field("quantity", d.quantity).Field("unit", d.quantity_unit);
    RecordWriter record(w, viewer, d.buyer_id);
    WriteBudget(record, d.budget_amount, d.budget_currency, d.budget_visibility);
    w.Field("deliveryRegion", d.delivery_region);
    WriteDate(w, "deliveryDate", d.need_by);
    WriteDate(w, "responseDeadline", d.response_deadline);
    w.Field("status", d.status);
    if (d.id != 0) w.Field("revision", static_cast<std::int64_t>(d.revision));
    w.EndObject();
}

void WriteRejected(JsonWriter& w,
                   const std::array<std::uint64_t, matcher::kFilterCount>& counts,
                   bool only_nonzero) {
    w.StartObject();
    for (std::size_t f = 0; f < matcher::kFilterCount; ++f) {
        if (only_nonzero && counts[f] == 0) continue;
        w.Field(matcher::FilterName(static_cast<matcher::Filter>(f)), counts[f]);
    }
    w.EndObject();
}

struct Counts {
    std::uint64_t generated = 0;
    std::uint64_t examined = 0;
    std::array<std::uint64_t, matcher::kFilterCount> rejected{};

    void Add(const matcher::MatchResult& r) {
        generated += r.generated;
        examined += r.examined;
        for (std::size_t f = 0; f < matcher::kFilterCount; ++f) rejected[f] += r.rejected[f];
    }
};

void WriteCounts(JsonWriter& w, const Counts& counts, std::size_t returned) {
    w.Key("counts").StartObject();
    w.Field("generated", counts.generated).Field("examined", counts.examined);
    w.Field("returned", static_cast<std::uint64_t>(returned));
    w.Key("rejected");
    WriteRejected(w, counts.rejected, false);
    w.EndObject();
}

// Why nothing came back: the index side is empty, nothing was relevant, or filters ate it all.
void WriteReason(JsonWriter& w, const Counts& counts, std::size_t searched, std::string_view what) {
    std::string code;
    std::string message;
    if (searched == 0) {
        code = "no_lines";
        message = "there are no " + std::string(what) + " in the index to match against";
    } else if (counts.generated == 0) {
        code = "no_relevant_lines";
        message = "no " + std::string(what) +
                  " shares a text term or a compatible classification with this line";
    } else {
        code = "all_filtered";
        std::size_t top = 0;
        for (std::size_t f = 1; f < matcher::kFilterCount; ++f) {
            if (counts.rejected[f] > counts.rejected[top]) top = f;
        }
        message = "all " + std::to_string(counts.generated) + " relevant " + std::string(what) +
                  " failed a hard filter (most often: " +
                  std::string(matcher::FilterName(static_cast<matcher::Filter>(top))) + ")";
    }
    w.Key("reason").StartObject().Field("code", code).Field("message", message);
    w.Key("eliminated");
    WriteRejected(w, counts.rejected, true);
    w.EndObject();
}

void WriteExplanation(JsonWriter& w, const matcher::Candidate& c) {
    w.Key("explanation").StartObject().Key("features").StartArray();
    for (const auto& f : c.features) {
        w.StartObject().Field("name", matcher::FeatureName(f.feature));
        w.Field("value", f.value).Field("weight", f.weight);
        w.Field("contribution", f.contribution).EndObject();
    }
    w.EndArray().Key("filtersPassed").StartArray();
    for (const auto filter : c.filters_passed) w.String(matcher::FilterName(filter));
    w.EndArray().EndObject();
}

void WriteHeader(JsonWriter& w,
                 const matcher::MatchConfig& config,
                 std::int64_t change_seq,
                 matcher::Day today) {
    w.Field("configVersion", config.version).Field("changeSeq", change_seq);
    w.Field("today", matcher::FormatIsoDay(today));
}

// Approximate heap + inline size of a result, for the answer cache's byte budget.
std::size_t ApproxBytes(const matcher::MatchResult& r) {
    std::size_t bytes = sizeof(r) + r.config_version.capacity() +
                        r.candidates.capacity() * sizeof(matcher::Candidate) +
                        r.unpinned_terms.capacity() * sizeof(r.unpinned_terms[0]);
    for (const auto& [term, df] : r.unpinned_terms) bytes += term.capacity();
    return bytes;
}

// The key of a cached answer: everything the matcher's result depends on besides the line
// itself, which the view's change_seq pins (api/answer_cache.hpp).
AnswerKey KeyFor(AnswerKind kind,
                 std::int64_t id,
                 std::size_t limit,
                 const MatchIndex::View& view,
                 matcher::Day today,
                 const matcher::MatchConfig& config) {
    AnswerKey key;
    key.kind = kind;
    key.id = id;
    key.limit = static_cast<std::uint32_t>(limit);
    key.change_seq = view.change_seq;
    key.today = today;
    key.config = MatchConfigFingerprint(config);
    return key;
}

// The result of `match` (a callable returning a matcher::MatchResult): from the answer cache
// when one is wired and `cacheable`, else computed here.
template <class MatchFn>
std::shared_ptr<const matcher::MatchResult> CachedResult(const RequestContext& ctx,
                                                         const AnswerKey& key,
                                                         bool cacheable,
                                                         MatchFn&& match) {
    if (ctx.app.answer_cache == nullptr || !cacheable) {
        return std::make_shared<const matcher::MatchResult>(match());
    }
    return ctx.app.answer_cache->GetOrCompute<matcher::MatchResult>(key, [&match] {
        auto result = std::make_shared<const matcher::MatchResult>(match());
        const std::size_t bytes = ApproxBytes(*result);
        return AnswerCache::Sized<matcher::MatchResult>{std::move(result), bytes};
    });
}

// A line route's JSON body without the organisation names: `text` with a hole at each offset in
// `holes`, right after the `"id":N` of an organisation object (`"supplier"` / `"buyer"`) whose
// id is the same index of `orgs`. Fill() puts `,"name":"…"` into each hole (nothing for an
// unknown organisation), which gives exactly what WriteOrg would have written with the names.
// Rendering everything but the names once per (answer, explain, viewer) takes the JSON work off
// the answer cache's hit path while names stay live (a rename moves no changeSeq).
struct RenderedBody {
    std::string text;
    std::vector<std::size_t> holes;  // ascending offsets into text
    std::vector<std::int64_t> orgs;  // orgs[i] belongs in holes[i]
};

std::size_t ApproxBytes(const RenderedBody& b) {
    return sizeof(b) + b.text.capacity() + b.holes.capacity() * sizeof(std::size_t) +
           b.orgs.capacity() * sizeof(std::int64_t);
}

// Renders a line route's body into a RenderedBody: the JsonWriter plus the holes.
class BodyWriter {
  public:
    JsonWriter w;

    // WriteOrg without the name: `"key":{"id":N` + hole + `}`.
    void Org(std::string_view key, std::int64_t id) {
        w.Key(key).StartObject().Field("id", id);
        body_.holes.push_back(w.view().size());
        body_.orgs.push_back(id);
        w.EndObject();
    }

    RenderedBody Finish() {
        body_.text = w.Take();
        return std::move(body_);
    }

  private:
    RenderedBody body_;
};

// A line route's body: the subject line (`write_subject`), the header and counts, then under
// `list_key` each candidate with its rank, score, organisation and line (`write_line`, the line
// found in `lines`; explanation when `explain`), and the reason when there is none.
template <class Lines, class WriteSubject, class WriteLine>
RenderedBody RenderLineBody(const matcher::MatchResult& result,
                            const matcher::MatchConfig& config,
                            std::int64_t change_seq,
                            matcher::Day today,
                            bool explain,
                            WriteSubject&& write_subject,
                            std::string_view list_key,
                            const Lines& lines,
                            WriteLine&& write_line,
                            std::string_view what) {
    Counts counts;
    counts.Add(result);
    BodyWriter body;
    JsonWriter& w = body.w;
    w.StartObject();
    write_subject(w);
    WriteHeader(w, config, change_seq, today);
    WriteCounts(w, counts, result.candidates.size());
    w.Key(list_key).StartArray();
    for (std::size_t i = 0; i < result.candidates.size(); ++i) {
        const auto& c = result.candidates[i];
        const auto* line = lines.Find(c.id);
        if (line == nullptr) continue;  // cannot happen: candidates come from this snapshot
        w.StartObject().Field("rank", static_cast<std::uint64_t>(i + 1));
        w.Field("score", c.score);
        write_line(body, *line);
        if (explain) WriteExplanation(w, c);
        w.EndObject();
    }
    w.EndArray();
    if (result.candidates.empty()) WriteReason(w, counts, lines.live_count(), what);
    w.EndObject();
    return body.Finish();
}

// The body with each hole filled from `names`.
std::string Fill(const RenderedBody& body, const OrgNameMap& names) {
    std::vector<std::string> encoded(body.orgs.size());
    std::size_t size = body.text.size();
    for (std::size_t i = 0; i < body.orgs.size(); ++i) {
        const auto it = names.find(body.orgs[i]);
        if (it == names.end()) continue;
        JsonWriter name;
        name.StartObject().Field("name", it->second).EndObject();
        encoded[i] = name.Take();  // {"name":"…"}
        encoded[i].front() = ',';
        encoded[i].pop_back();  // ,"name":"…"
        size += encoded[i].size();
    }
    std::string out;
    out.reserve(size);
    std::size_t at = 0;
    for (std::size_t i = 0; i < body.holes.size(); ++i) {
        out.append(body.text, at, body.holes[i] - at);
        out += encoded[i];
        at = body.holes[i];
    }
    out.append(body.text, at, std::string::npos);
    return out;
}

// The cache key of a rendered body: the result's key plus the part and the viewer.
AnswerKey BodyKeyFor(AnswerKey key, bool explain, const Viewer& viewer) {
    key.part = explain ? AnswerKey::Part::kBodyExplained : AnswerKey::Part::kBody;
    key.viewer = viewer.admin ? AnswerKey::kAdminViewer : viewer.org_id.value_or(0);
    return key;
}

// The rendered body: from the answer cache under BodyKeyFor(key) when one is wired and
// `cacheable`, else rendered here; then the organisation names are read and filled in.
template <class RenderFn>
Reply CachedBody(RequestContext& ctx,
                 const AnswerKey& key,
                 bool cacheable,
                 bool explain,
                 const Viewer& viewer,
                 RenderFn&& render) {
    std::shared_ptr<const RenderedBody> body;
    if (ctx.app.answer_cache == nullptr || !cacheable) {
        body = std::make_shared<const RenderedBody>(render());
    } else {
        body = ctx.app.answer_cache->GetOrCompute<RenderedBody>(
            BodyKeyFor(key, explain, viewer), [&render] {
                auto rendered = std::make_shared<const RenderedBody>(render());
                const std::size_t bytes = ApproxBytes(*rendered);
                return AnswerCache::Sized<RenderedBody>{std::move(rendered), bytes};
            });
    }
    auto names = OrgNamesFor(ctx, body->orgs);
    if (!names) return names.error();
    return JsonResponse(http::status::ok, Fill(*body, *names));
}

// demand -> supply candidates, shared by GET /v1/demands/{id}/candidates and POST /v1/match
// (a preview, id 0: never cached).
Reply DemandCandidates(RequestContext& ctx,
                       const MatchIndex& index,
                       const MatchIndex::View& view,
                       const matcher::DemandLine& demand,
                       const QueryOptions& options) {
    const matcher::MatchConfig config;
    const matcher::Day today = Today(ctx);
    const AnswerKey key =
        KeyFor(AnswerKind::kDemandCandidates, demand.id, options.limit, view, today, config);
    const bool cacheable = demand.id != 0;
    const Viewer viewer = Viewer::From(ctx.principal);
    return CachedBody(ctx, key, cacheable, options.explain, viewer, [&] {
        const auto cached = CachedResult(ctx, key, cacheable, [&] {
            return matcher::MatchDemand(*view.supply, demand, options.limit, config,
                                        index.Context(today));
        });
        return RenderLineBody(
            *cached, config, view.change_seq, today, options.explain,
            [&](JsonWriter& w) {
                w.Key("demand");
                WriteDemandLine(w, demand, viewer);
            },
            "candidates", *view.supply,
            [](BodyWriter& body, const matcher::SupplyLine& line) {
                body.Org("supplier", line.vendor_id);
                body.w.Key("line");
                WriteSupplyLine(body.w, line);
            },
            "supply lines");
    });
}

// GET /v1/demands/{id}/candidates?run=latest|<run id>: the ranking stored by a match run
// (api/match_runs.hpp), read from SQLite; it needs no live index. Same visibility as the live
// ranking: the demand's buyer, administrators and job keys.
Reply StoredDemandCandidates(RequestContext& ctx, std::string_view run) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    if (ctx.query.Get("limit") || ctx.query.Get("explain")) {
        return BadQuery("run", "limit and explain do not apply to a stored ranking (run=)");
    }
    const auto id = ParsePositiveId(ctx.Param("id"));
    if (!id) return ApiError::Make(Errc::kNotFound, "no such demand line");
    auto line =
        ctx.app.db->Read([&](schema::Connection& c) { return schema::FindLine(c, "demand", *id); });
    if (!line) return ToApiError(line.error(), "the demand line could not be read");
    if (!*line) return ApiError::Make(Errc::kNotFound, "no such demand line");
    if (!SeesEverything(*ctx.principal) && (*line)->org_id != ctx.principal->org_id) {
        return NotOwner("candidates for this demand line");
    }
    auto body = StoredCandidates(*ctx.app.db, StoredCandidatesQuery{*id, std::string(run)});
    if (!body) return body.error();
    return JsonResponse(http::status::ok, std::move(*body));
}

// GET /v1/demands/{id}/candidates
Reply GetDemandCandidates(RequestContext& ctx) {
    if (auto run = ctx.query.Get("run")) return StoredDemandCandidates(ctx, *run);
    auto index = ReadyIndex(ctx);
    if (!index) return index.error();
    auto options = ParseOptions(ctx, true);
    if (!options) return options.error();
    const auto id = ParsePositiveId(ctx.Param("id"));
    if (!id) return ApiError::Make(Errc::kNotFound, "no such demand line");
    const MatchIndex::View view = (*index)->Current();
    const matcher::DemandLine* demand = view.demands->Find(*id);
    if (demand == nullptr) return NotInIndex(ctx, "demand", *id);
    if (!SeesEverything(*ctx.principal) && demand->buyer_id != ctx.principal->org_id) {
        return NotOwner("candidates for this demand line");
    }
    return DemandCandidates(ctx, **index, view, *demand, *options);
}

// POST /v1/match
Reply PostMatch(RequestContext& ctx) {
    auto index = ReadyIndex(ctx);
    if (!index) return index.error();
    auto options = ParseOptions(ctx, true);
    if (!options) return options.error();
    const UnitChecker* units = ctx.app.units != nullptr ? ctx.app.units : &(*index)->unit_checker();
    const DecodeContext decode = PublishDecodeContext(ctx.app.reference_data, units);
    auto demand = DecodeSingleDemand(ctx.request.body(), decode);
    if (!demand) return demand.error();
    demand->id = 0;  // not stored
    demand->buyer_id = ctx.principal->org_id;
    demand->date_modified = Today(ctx);
    const MatchIndex::View view = (*index)->Current();
    return DemandCandidates(ctx, **index, view, *demand, *options);
}

// GET /v1/supply/{id}/opportunities
Reply GetSupplyOpportunities(RequestContext& ctx) {
    auto index = ReadyIndex(ctx);
    if (!index) return index.error();
    auto options = ParseOptions(ctx, true);
    if (!options) return options.error();
    const auto id = ParsePositiveId(ctx.Param("id"));
    if (!id) return ApiError::Make(Errc::kNotFound, "no such supply line");
    const MatchIndex::View view = (*index)->Current();
    const matcher::SupplyLine* supply = view.supply->Find(*id);
    if (supply == nullptr) return NotInIndex(ctx, "supply", *id);
    if (!SeesEverything(*ctx.principal) && supply->vendor_id != ctx.principal->org_id) {
        return NotOwner("opportunities for this supply line");
    }
    const matcher::MatchConfig config;
    const matcher::Day today = Today(ctx);
    const AnswerKey key =
        KeyFor(AnswerKind::kSupplyOpportunities, *id, options->limit, view, today, config);
    // Demand lines of other organisations go through the budget encoder; the explanation has
    // feature values and contributions only, never an amount.
    const Viewer viewer = Viewer::From(ctx.principal);
    return CachedBody(ctx, key, true, options->explain, viewer, [&] {
        const auto cached = CachedResult(ctx, key, true, [&] {
            return matcher::MatchSupply(*view.demands, *supply, options->limit, config,
                                        (*index)->Context(today));
        });
        return RenderLineBody(
            *cached, config, view.change_seq, today, options->explain,
            [&](JsonWriter& w) {
                w.Key("supply");
                WriteSupplyLine(w, *supply);
            },
            "opportunities", *view.demands,
            [&viewer](BodyWriter& body, const matcher::DemandLine& line) {
                body.Org("buyer", line.buyer_id);
                body.w.Key("line");
                WriteDemandLine(body.w, line, viewer);
            },
            "demand lines");
    });
}

// The matcher's part of a project answer (cached like a line's MatchResult).
struct ProjectAnswer {
    matcher::ProjectMatch match;
    Counts counts;
};

std::size_t ApproxBytes(const ProjectAnswer& a) {
    std::size_t bytes = sizeof(a) + a.match.config_version.capacity() +
                        a.match.vendors.capacity() * sizeof(matcher::VendorCoverage) +
                        a.match.uncovered.capacity() * sizeof(matcher::LineId);
    for (const auto& v : a.match.vendors) {
        bytes += v.lines.capacity() * sizeof(matcher::VendorCoverage::Line);
    }
    return bytes;
}

// GET /v1/projects/{id}/candidates
Reply GetProjectCandidates(RequestContext& ctx) {
    auto index = ReadyIndex(ctx);
    if (!index) return index.error();
    auto options = ParseOptions(ctx, false);
    if (!options) return options.error();
    const auto id = ParsePositiveId(ctx.Param("id"));
    if (!id) return ApiError::Make(Errc::kNotFound, "no such project");
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    struct Project {
        schema::LineRow row;
        std::vector<schema::LineRow> demands;
    };
    auto found = ctx.app.db->Read([&](schema::Connection& c) -> Result<std::optional<Project>> {
        auto row = schema::FindLine(c, "project", *id);
        if (!row) return row.error();
        if (!*row) return std::optional<Project>();
        auto demands = schema::ListProjectDemands(c, *id);
        if (!demands) return demands.error();
        return std::optional<Project>(Project{std::move(**row), std::move(*demands)});
    });
    if (!found) return ToApiError(found.error());
    if (!*found) return ApiError::Make(Errc::kNotFound, "no such project");
    const Project& project = **found;
    if (!SeesEverything(*ctx.principal) && project.row.org_id != ctx.principal->org_id) {
        return NotOwner("candidates for this project");
    }
    if (project.row.status == "withdrawn") {
        return ApiError::Make(
            Errc::kNotFound,
            "project " + std::to_string(*id) + " is withdrawn: withdrawn projects are not matched",
            "line_withdrawn");
    }

    // The project's open demand lines as the index has them (the view's, not the rows': one
    // consistent snapshot for lines and candidates).
    const MatchIndex::View view = (*index)->Current();
    std::vector<matcher::DemandLine> lines;
    std::vector<std::pair<std::int64_t, std::string>> skipped;  // (id, why)
    for (const auto& row : project.demands) {
        const matcher::DemandLine* line = view.demands->Find(row.id);
        if (line == nullptr) {
            skipped.emplace_back(row.id, "withdrawn");
        } else if (line->status != "open") {
            skipped.emplace_back(row.id, line->status);
        } else {
            lines.push_back(*line);
        }
    }
    const matcher::MatchConfig config;
    const matcher::Day today = Today(ctx);
    auto compute = [&] {
        const auto context = (*index)->Context(today);
        auto answer = std::make_shared<ProjectAnswer>();
        answer->match = matcher::MatchProject(*view.supply, lines, options->limit, kProjectPerLineK,
                                              config, context);
        // Per-filter counts over the project's lines (the same per-line search MatchProject
        // makes).
        for (const auto& line : lines) {
            answer->counts.Add(
                matcher::MatchDemand(*view.supply, line, kProjectPerLineK, config, context));
        }
        return std::shared_ptr<const ProjectAnswer>(std::move(answer));
    };
    std::shared_ptr<const ProjectAnswer> answer;
    if (ctx.app.answer_cache == nullptr) {
        answer = compute();
    } else {
        // The key names the demand lines matched: the project's membership is read from SQLite
        // per request, the lines themselves are pinned by change_seq.
        AnswerKey key =
            KeyFor(AnswerKind::kProjectCandidates, *id, options->limit, view, today, config);
        key.lines.reserve(lines.size());
        for (const auto& line : lines) key.lines.push_back(line.id);
        answer = ctx.app.answer_cache->GetOrCompute<ProjectAnswer>(key, [&] {
            auto value = compute();
            return AnswerCache::Sized<ProjectAnswer>{value, ApproxBytes(*value)};
        });
    }
    const matcher::ProjectMatch& match = answer->match;
    const Counts& counts = answer->counts;
    std::vector<std::int64_t> orgs;
    for (const auto& v : match.vendors) orgs.push_back(v.vendor_id);
    auto names = OrgNamesFor(ctx, orgs);
    if (!names) return names.error();
    std::unordered_map<std::int64_t, const matcher::DemandLine*> by_id;
    for (const auto& line : lines) by_id.emplace(line.id, &line);

    JsonWriter w;
    w.StartObject();
    w.Key("project").StartObject().Field("id", project.row.id).Field("ref", project.row.ref);
    if (auto body = ParseDocument(project.row.body); body && body->IsObject()) {
        if (auto name = body->FindMember("name");
            name != body->MemberEnd() && name->value.IsString()) {
            w.Field("name",
                    std::string_view(name->value.GetString(), name->value.GetStringLength()));
        }
    }
    w.Field("status", project.row.status).EndObject();
    WriteHeader(w, config, view.change_seq, today);
    w.Field("demandLines", static_cast<std::uint64_t>(lines.size()));
    WriteCounts(w, counts, match.vendors.size());
    w.Key("suppliers").StartArray();
    for (std::size_t i = 0; i < match.vendors.size(); ++i) {
        const auto& v = match.vendors[i];
        w.StartObject().Field("rank", static_cast<std::uint64_t>(i + 1));
        WriteOrg(w, "supplier", v.vendor_id, *names);
        w.Field("linesCovered", static_cast<std::uint64_t>(v.lines_covered));
        w.Field("totalScore", v.total_score).Field("meanScore", v.mean_score);
        w.Key("lines").StartArray();
        for (const auto& l : v.lines) {
            w.StartObject().Field("demandId", l.demand_id);
            if (auto it = by_id.find(l.demand_id); it != by_id.end()) {
                w.Field("demandRef", it->second->ref);
            }
            w.Field("supplyId", l.supply_id);
            if (const auto* s = view.supply->Find(l.supply_id)) {
                w.Field("sku", s->sku).Field("title", s->title);
            }
            w.Field("score", l.score).EndObject();
        }
        w.EndArray().EndObject();
    }
    w.EndArray();
    w.Key("uncovered").StartArray();
    for (const auto id_uncovered : match.uncovered) {
        w.StartObject().Field("id", id_uncovered);
        if (auto it = by_id.find(id_uncovered); it != by_id.end()) w.Field("ref", it->second->ref);
        w.EndObject();
    }
    w.EndArray();
    w.Key("notMatched").StartArray();
    for (const auto& [line_id, why] : skipped) {
        w.StartObject().Field("id", line_id).Field("status", why).EndObject();
    }
    w.EndArray();
    if (match.vendors.empty()) {
        if (lines.empty()) {
            w.Key("reason").StartObject().Field("code", "no_open_lines");
            w.Field("message", "the project has no open demand lines to match");
            w.Key("eliminated").StartObject().EndObject().EndObject();
        } else {
            WriteReason(w, counts, view.supply->live_count(), "supply lines");
        }
    }
    w.EndObject();
    return JsonResponse(http::status::ok, w.Take());
}

}  // namespace

WarmUpResult WarmDemandCandidates(const MatchIndex& index,
                                  AnswerCache& cache,
                                  matcher::Day today,
                                  const std::function<bool()>& stop,
                                  std::size_t part,
                                  std::size_t parts) {
    const MatchIndex::View view = index.Current();
    const matcher::MatchConfig config;
    const auto context = index.Context(today);
    WarmUpResult out;
    out.change_seq = view.change_seq;
    out.today = today;
    std::vector<const matcher::DemandLine*> open;
    view.demands->ForEachLive([&open](const matcher::DemandLine& d) {
        if (d.status == "open") open.push_back(&d);
    });
    std::sort(open.begin(), open.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
    out.demands = open.size();
    const auto limit = static_cast<std::size_t>(kDefaultLimit);
    parts = std::max<std::size_t>(parts, 1);
    for (std::size_t i = part; i < open.size(); i += parts) {
        const matcher::DemandLine* demand = open[i];
        if (stop() || index.Current().change_seq != view.change_seq) {
            out.cancelled = true;
            break;
        }
        bool computed = false;
        cache.GetOrCompute<matcher::MatchResult>(
            KeyFor(AnswerKind::kDemandCandidates, demand->id, limit, view, today, config), [&] {
                computed = true;
                auto result = std::make_shared<const matcher::MatchResult>(
                    matcher::MatchDemand(*view.supply, *demand, limit, config, context));
                const std::size_t bytes = ApproxBytes(*result);
                return AnswerCache::Sized<matcher::MatchResult>{std::move(result), bytes};
            });
        ++(computed ? out.computed : out.present);
    }
    return out;
}

void RegisterMatchRoutes(Router& router) {
    router.Add(http::verb::get, "/v1/demands/{id}/candidates", GetDemandCandidates,
               RouteOptions::Authenticated("demands.candidates", {Role::kBuyer, Role::kJob}));
    router.Add(http::verb::get, "/v1/supply/{id}/opportunities", GetSupplyOpportunities,
               RouteOptions::Authenticated("supply.opportunities", {Role::kSupplier, Role::kJob}));
    router.Add(http::verb::get, "/v1/projects/{id}/candidates", GetProjectCandidates,
               RouteOptions::Authenticated("projects.candidates", {Role::kBuyer, Role::kJob}));
    router.Add(http::verb::post, "/v1/match", PostMatch,
               RouteOptions::Authenticated("match.preview", {Role::kBuyer, Role::kJob}, 64 * 1024));
}

}  // namespace renewmatch::api
