#include "api/audit.hpp"

#include "api/json.hpp"
#include "api/page.hpp"
#include "api/response.hpp"
#include "matcher/dates.hpp"
#include "schema/database.hpp"

#include <charconv>
#include <cstdio>

namespace renewmatch::api {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

std::optional<std::int64_t> ParseInt(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

ApiError QueryError(std::string_view name, std::string message) {
    ApiError error = ApiError::Make(Errc::kInvalidArgument, message, "invalid_query");
    error.details.push_back({std::nullopt, std::string(name), "invalid", std::move(message)});
    return error;
}

void WriteEntry(JsonWriter& w, const schema::AuditEntry& e) {
    w.StartObject();
    w.Field("id", e.id);
    w.Field("at", FormatTimestampMs(e.at_ms));
    w.Field("requestId", e.request_id);
    w.Field("keyId", e.key_id);
    w.Field("orgId", e.org_id);
    w.Field("action", e.action);
    w.Field("entityKind", e.entity_kind);
    w.Field("entityId", e.entity_id);
    w.Field("subjectOrgId", e.subject_org_id);
    if (!e.detail.empty()) w.Field("detail", e.detail);
    w.EndObject();
}

Reply ListAudit(RequestContext& context) {
    schema::AuditQuery query;
    const QueryParams& q = context.query;
    if (auto v = q.Get("org")) {
        query.org_id = ParseInt(*v);
        if (!query.org_id || *query.org_id <= 0) {
            return QueryError("org", "org must be a positive organisation id");
        }
    }
    if (auto v = q.Get("entityKind")) query.entity_kind = std::string(*v);
    if (auto v = q.Get("entityId")) query.entity_id = std::string(*v);
    if (auto v = q.Get("action")) query.action = std::string(*v);
    if (auto v = q.Get("from")) {
        query.from_ms = ParseTimestampMs(*v);
        if (!query.from_ms) return QueryError("from", "from must be an RFC 3339 time or unix ms");
    }
    if (auto v = q.Get("to")) {
        query.to_ms = ParseTimestampMs(*v);
        if (!query.to_ms) return QueryError("to", "to must be an RFC 3339 time or unix ms");
    }
    if (query.from_ms && query.to_ms && *query.from_ms > *query.to_ms) {
        return QueryError("from", "from is after to");
    }
    query.limit = 100;
    if (auto v = q.Get("limit")) {
        const auto limit = ParseInt(*v);
        if (!limit || *limit < 1 || *limit > 1000) {
            return QueryError("limit", "limit must be an integer from 1 to 1000");
        }
        query.limit = static_cast<int>(*limit);
    }
    if (auto v = q.Get("cursor")) {
        // The cursor is the id of the last entry of the previous page (opaque to clients).
        query.before_id = ParseInt(*v);
        if (!query.before_id || *query.before_id <= 0) {
            return QueryError("cursor", "cursor is not one this service returned");
        }
    }
    auto page = context.app.db->Read(
        [&](schema::Connection& connection) { return schema::QueryAudit(connection, query); });
    if (!page) return ToApiError(page.error());
    return IdPageResponse(page->items, page->has_more,
                          [](JsonWriter& w, const auto& item) { WriteEntry(w, item); });
}

}  // namespace

schema::AuditEntry AuditEntryFor(const RequestContext& context) {
    schema::AuditEntry entry;
    entry.at_ms = context.now_ms;
    entry.request_id = context.request_id;
    if (context.principal != nullptr) {
        entry.key_id = context.principal->key_id;
        entry.org_id = context.principal->org_id;
    }
    return entry;
}

Result<std::int64_t> RecordAudit(schema::Connection& connection,
                                 const RequestContext& context,
                                 std::string_view action,
                                 std::string_view entity_kind,
                                 std::string_view entity_id,
                                 std::optional<std::int64_t> subject_org_id,
                                 std::string_view detail) {
    schema::AuditEntry entry = AuditEntryFor(context);
    entry.action = std::string(action);
    entry.entity_kind = std::string(entity_kind);
    entry.entity_id = std::string(entity_id);
    entry.subject_org_id = subject_org_id;
    entry.detail = std::string(detail);
    return schema::AppendAudit(connection, entry);
}

std::string FormatTimestampMs(std::int64_t unix_ms) {
    std::int64_t day = unix_ms / kMsPerDay;
    std::int64_t ms_of_day = unix_ms % kMsPerDay;
    if (ms_of_day < 0) {
        ms_of_day += kMsPerDay;
        --day;
    }
    const auto civil = matcher::CivilFromDay(static_cast<matcher::Day>(day));
    const auto seconds = ms_of_day / 1000;
    char buffer[40];
    std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", civil.year,
                  civil.month, civil.day, static_cast<int>(seconds / 3600),
                  static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60),
                  static_cast<int>(ms_of_day % 1000));
    return buffer;
}

std::optional<std::int64_t> ParseTimestampMs(std::string_view text) {
    if (auto ms = ParseInt(text)) return ms;
    if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    const auto year = Digits(text, 0, 4);
    const auto month = Digits(text, 5, 2);
    const auto mday = Digits(text, 8, 2);
    if (!year || !month || !mday) return std::nullopt;
    const auto day = matcher::ParseIsoDay(text.substr(0, 10));  // validates the calendar date
    if (!day) return std::nullopt;
    std::int64_t ms = static_cast<std::int64_t>(*day) * kMsPerDay;
    if (text.size() == 10) return ms;
    if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text.size() < 20 ||
        text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    const auto hour = Digits(text, 11, 2);
    const auto minute = Digits(text, 14, 2);
    const auto second = Digits(text, 17, 2);
    if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    ms += ((*hour * 60 + *minute) * 60 + *second) * std::int64_t{1000};
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int fraction_ms = 0;
        int places = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (places < 3) fraction_ms = fraction_ms * 10 + (text[pos] - '0');
            ++places;
            ++pos;
        }
        if (places == 0) return std::nullopt;
        for (int p = places; p < 3; ++p) fraction_ms *= 10;
        ms += fraction_ms;
    }
    const std::string_view zone = text.substr(pos);
    if (zone == "Z" || zone == "z") return ms;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') {
        return std::nullopt;
    }
    const auto off_h = Digits(zone, 1, 2);
    const auto off_m = Digits(zone, 4, 2);
    if (!off_h || !off_m || *off_h > 23 || *off_m > 59) return std::nullopt;
    const std::int64_t offset_ms = (*off_h * 60 + *off_m) * std::int64_t{60'000};
    return zone[0] == '+' ? ms - offset_ms : ms + offset_ms;
}

void RegisterAuditRoutes(Router& router) {
    RouteOptions options;
    options.roles = {Role::kAdmin};
    options.name = "audit.list";
    router.Add(http::verb::get, "/v1/audit", ListAudit, options);
}

}  // namespace renewmatch::api
