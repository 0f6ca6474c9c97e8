#include "schema/list_store.hpp"

#include "schema/statement.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace renewmatch::schema {

std::string_view VisibilityName(matcher::BudgetVisibility v) {
    switch (v) {
        case matcher::BudgetVisibility::kPublic:
            return "public";
        case matcher::BudgetVisibility::kRange:
            return "range";
        case matcher::BudgetVisibility::kHidden:
            return "hidden";
    }
    return "public";
}

matcher::BudgetVisibility ParseVisibility(std::string_view name) {
    if (name == "hidden") return matcher::BudgetVisibility::kHidden;
    if (name == "range") return matcher::BudgetVisibility::kRange;
    return matcher::BudgetVisibility::kPublic;
}

namespace {

#define RM_LIST_TRY(expr)                      \
    do {                                       \
        if (auto rm_try_ = (expr); !rm_try_) { \
            return rm_try_.error();            \
        }                                      \
    } while (0)

// "INSERT INTO t (id, c1, ...) VALUES (?1, ?2, ...) ON CONFLICT (id) DO UPDATE SET c1 =
// excluded.c1, ..." — one statement for both a new line (id NULL) and a new revision (id set).
// created_at is never overwritten.
std::string UpsertSql(std::string_view table, std::initializer_list<std::string_view> columns) {
    std::string sql = "INSERT INTO " + std::string(table) + " (id";
    for (auto c : columns) sql += ", " + std::string(c);
    sql += ") VALUES (?1";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += ", ?" + std::to_string(i + 2);
    sql += ") ON CONFLICT (id) DO UPDATE SET ";
    bool first = true;
    for (auto c : columns) {
        if (c == "created_at") continue;
        if (!first) sql += ", ";
        sql += std::string(c) + " = excluded." + std::string(c);
        first = false;
    }
    return sql;
}

const std::string& DemandUpsertSql() {
    static const std::string sql = UpsertSql("demand_lines", {"org_id",
                                                              "series",
                                                              "ref",
                                                              "list_id",
                                                              "status",
                                                              "revision",
                                                              "title",
                                                              "classification_scheme",
                                                              "classification_id",
                                                              "quantity",
                                                              "quantity_unit",
                                                              "budget_amount",
                                                              "budget_currency",
                                                              "budget_visibility",
                                                              "delivery_region",
                                                              "delivery_lat",
                                                              "delivery_lon",
                                                              "need_by",
                                                              "response_deadline",
                                                              "energy_efficiency_min",
                                                              "localization_rate_min",
                                                              "second_hand_allowed",
                                                              "chain_segment",
                                                              "body",
                                                              "created_at",
                                                              "updated_at"});
    return sql;
}

const std::string& SupplyUpsertSql() {
    static const std::string sql = UpsertSql("supply_lines", {"org_id",
                                                              "series",
                                                              "sku",
                                                              "list_id",
                                                              "status",
                                                              "revision",
                                                              "title",
                                                              "brand",
                                                              "model",
                                                              "classification_scheme",
                                                              "classification_id",
                                                              "price_amount",
                                                              "price_currency",
                                                              "price_valid_until",
                                                              "min_order_qty",
                                                              "capacity_per_month",
                                                              "lead_time_days",
                                                              "energy_efficiency_grade",
                                                              "localization_rate",
                                                              "first_of_kind",
                                                              "second_hand",
                                                              "chain_segment",
                                                              "vendor_region",
                                                              "last_confirmed_at",
                                                              "body",
                                                              "created_at",
                                                              "updated_at"});
    return sql;
}

const std::string& ProjectUpsertSql() {
    static const std::string sql = UpsertSql("projects", {"org_id",
                                                          "series",
                                                          "ref",
                                                          "list_id",
                                                          "status",
                                                          "revision",
                                                          "name",
                                                          "type",
                                                          "sector",
                                                          "region",
                                                          "filing_code",
                                                          "stage",
                                                          "progress_pct",
                                                          "start_date",
                                                          "planned_completion",
                                                          "total_investment",
                                                          "equipment_investment",
                                                          "body",
                                                          "created_at",
                                                          "updated_at"});
    return sql;
}

// A line of the series as stored before this publication: what the comparison needs, and what
// line_history needs when this revision is replaced.
struct Existing {
    std::int64_t id = 0;
    std::string body;
    std::string status;
    std::int64_t revision = 0;
    std::int64_t list_id = 0;
    std::int64_t updated_at_ms = 0;
    bool seen = false;  // present in the new version
};

struct Target {
    std::string_view entity;  // demand | supply | project
    std::string_view table;
    std::string_view ref_column;
};

Target TargetFor(std::string_view kind) {
    if (kind == "supply") return {"supply", "supply_lines", "sku"};
    if (kind == "project") return {"project", "projects", "ref"};
    return {"demand", "demand_lines", "ref"};
}

// Deletes the child rows SQL reads (service areas, project links) before a line's new revision
// writes them again. Everything else a line holds lives only in its canonical body.
Result<void> DeleteChildren(Connection& c, std::string_view entity, std::int64_t id) {
    std::string_view sql;
    if (entity == "supply") {
        sql = "DELETE FROM service_areas WHERE line_id = ?1";
    } else if (entity == "project") {
        sql = "DELETE FROM project_demands WHERE project_id = ?1";
    } else {
        return {};
    }
    auto stmt = c.Prepare(sql);
    if (!stmt) return stmt.error();
    return stmt->BindAll(id).Exec();
}

// Writes one line row (insert when existing_id is nullopt) and its children; returns its id.
Result<std::int64_t> WriteDemand(Connection& c,
                                 const PublishRequest& rq,
                                 std::int64_t list_id,
                                 const matcher::DemandLine& d,
                                 const std::string& body,
                                 std::optional<std::int64_t> existing_id,
                                 std::int64_t revision) {
    auto stmt = c.Prepare(DemandUpsertSql());
    if (!stmt) return stmt.error();
    stmt->BindAll(existing_id, rq.org_id, rq.series, d.ref, list_id, d.status, revision, d.title,
                  d.classification.scheme, d.classification.id, d.quantity, d.quantity_unit,
                  d.budget_amount, d.budget_currency, VisibilityName(d.budget_visibility),
                  d.delivery_region, d.delivery_lat, d.delivery_lon, d.need_by, d.response_deadline,
                  d.energy_efficiency_min, d.localization_rate_min, d.second_hand_allowed,
                  d.chain_segment, body, rq.now_ms, rq.now_ms);
    RM_LIST_TRY(stmt->Exec());
    const std::int64_t id = existing_id ? *existing_id : c.LastInsertRowId();
    return id;
}

Result<std::int64_t> WriteSupply(Connection& c,
                                 const PublishRequest& rq,
                                 std::int64_t list_id,
                                 const matcher::SupplyLine& s,
                                 const std::string& body,
                                 std::optional<std::int64_t> existing_id,
                                 std::int64_t revision) {
    auto stmt = c.Prepare(SupplyUpsertSql());
    if (!stmt) return stmt.error();
    stmt->BindAll(existing_id, rq.org_id, rq.series, s.sku, list_id, s.status, revision, s.title,
                  s.brand, s.model, s.classification.scheme, s.classification.id, s.price_amount,
                  s.price_currency, s.price_valid_until, s.min_order_qty, s.capacity_per_month,
                  s.lead_time_days, s.energy_efficiency_grade, s.localization_rate, s.first_of_kind,
                  s.second_hand, s.chain_segment, s.vendor_region, s.last_confirmed_at, body,
                  rq.now_ms, rq.now_ms);
    RM_LIST_TRY(stmt->Exec());
    const std::int64_t id = existing_id ? *existing_id : c.LastInsertRowId();
    if (existing_id) RM_LIST_TRY(DeleteChildren(c, "supply", id));
    for (int excluded = 0; excluded <= 1; ++excluded) {
        const auto& areas = excluded ? s.excluded_areas : s.service_areas;
        for (std::size_t i = 0; i < areas.size(); ++i) {
            const auto& region = areas[i];
            if (std::find(areas.begin(), areas.begin() + static_cast<std::ptrdiff_t>(i), region) !=
                areas.begin() + static_cast<std::ptrdiff_t>(i)) {
                continue;  // listed twice
            }
            auto r = c.Prepare(
                "INSERT INTO service_areas (line_id, region, excluded) VALUES (?1, ?2, ?3)");
            if (!r) return r.error();
            RM_LIST_TRY(r->BindAll(id, region, excluded).Exec());
        }
    }
    return id;
}

Result<std::int64_t> WriteProject(Connection& c,
                                  const PublishRequest& rq,
                                  std::int64_t list_id,
                                  const matcher::Project& p,
                                  const std::string& body,
                                  std::optional<std::int64_t> existing_id,
                                  std::int64_t revision) {
    auto stmt = c.Prepare(ProjectUpsertSql());
    if (!stmt) return stmt.error();
    stmt->BindAll(existing_id, rq.org_id, rq.series, p.ref, list_id, p.status, revision, p.name,
                  p.type, p.sector, p.region, p.filing_code, p.stage, p.progress_pct, p.start_date,
                  p.planned_completion, p.total_investment, p.equipment_investment, body, rq.now_ms,
                  rq.now_ms);
    RM_LIST_TRY(stmt->Exec());
    const std::int64_t id = existing_id ? *existing_id : c.LastInsertRowId();
    if (existing_id) RM_LIST_TRY(DeleteChildren(c, "project", id));
    std::unordered_set<std::string> seen;
    for (const auto& ref : p.demand_refs) {
        if (!seen.insert(ref).second) continue;
        auto r = c.Prepare("INSERT INTO project_demands (project_id, demand_ref) VALUES (?1, ?2)");
        if (!r) return r.error();
        RM_LIST_TRY(r->BindAll(id, ref).Exec());
    }
    return id;
}

// Copies the revision a line is about to leave into line_history. line_history holds every
// revision except the current one (which is the line row itself), so a line published once and
// never changed has no history row.
Result<void> ArchiveRevision(Connection& c,
                             std::string_view entity,
                             std::int64_t line_id,
                             std::int64_t revision,
                             std::int64_t list_id,
                             std::string_view status,
                             std::string_view body,
                             std::int64_t at_ms) {
    auto h = c.Prepare(
        "INSERT INTO line_history (entity, line_id, revision, list_id, status, body, at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!h) return h.error();
    return h->BindAll(entity, line_id, revision, list_id, status, body, at_ms).Exec();
}

// Announces a new revision of a line in the change feed.
Result<void> RecordChange(Connection& c,
                          std::string_view entity,
                          std::int64_t line_id,
                          std::string_view ref,
                          std::int64_t revision,
                          std::int64_t list_id,
                          std::string_view change,
                          const PublishRequest& rq) {
    auto f = c.Prepare(
        "INSERT INTO changes (at, org_id, entity, line_id, ref, change, revision, list_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!f) return f.error();
    return f->BindAll(rq.now_ms, rq.org_id, entity, line_id, ref, change, revision, list_id).Exec();
}

constexpr std::string_view kListColumns =
    "id, org_id, kind, series, version, title, period, status, digest, source_format, "
    "source_encoding, line_count, added, changed, unchanged, withdrawn, published_at";

ListRecord ReadList(const Statement& s) {
    ListRecord r;
    r.id = s.ColumnInt64(0);
    r.org_id = s.ColumnInt64(1);
    r.kind = s.ColumnText(2);
    r.series = s.ColumnText(3);
    r.version = s.ColumnInt64(4);
    r.title = s.ColumnText(5);
    r.period = s.ColumnText(6);
    r.status = s.ColumnText(7);
    r.digest = s.ColumnText(8);
    r.source_format = s.ColumnText(9);
    r.source_encoding = s.ColumnText(10);
    r.line_count = s.ColumnInt64(11);
    r.added = s.ColumnInt64(12);
    r.changed = s.ColumnInt64(13);
    r.unchanged = s.ColumnInt64(14);
    r.withdrawn = s.ColumnInt64(15);
    r.published_at_ms = s.ColumnInt64(16);
    return r;
}

// Reads a LineRow from the current row of `s`, whose columns are id, org_id, series, ref,
// list_id, status, revision, updated_at, body and, for demand lines, budget_amount,
// budget_currency, budget_visibility (kLineColumns / kDemandBudgetColumns).
LineRow ReadLineRow(const Statement& s, std::string_view entity) {
    LineRow r;
    r.entity = std::string(entity);
    r.id = s.ColumnInt64(0);
    r.org_id = s.ColumnInt64(1);
    r.series = s.ColumnText(2);
    r.ref = s.ColumnText(3);
    r.list_id = s.ColumnInt64(4);
    r.status = s.ColumnText(5);
    r.revision = s.ColumnInt64(6);
    r.updated_at_ms = s.ColumnInt64(7);
    r.body = s.ColumnText(8);
    if (entity == "demand") {
        r.budget_amount = s.ColumnOptionalDouble(9);
        r.budget_currency = s.ColumnText(10);
        r.budget_visibility = s.ColumnText(11);
    }
    return r;
}

std::string_view RefOf(const PublishRequest& rq, std::size_t i) {
    if (rq.kind == "supply") return (*rq.supply)[i].sku;
    if (rq.kind == "project") return (*rq.projects)[i].ref;
    return (*rq.demands)[i].ref;
}

// Writes line `i` of the request (of its kind) via WriteDemand / WriteSupply / WriteProject.
Result<std::int64_t> WriteLine(Connection& c,
                               const PublishRequest& rq,
                               std::size_t i,
                               std::int64_t list_id,
                               const std::string& body,
                               std::optional<std::int64_t> existing_id,
                               std::int64_t revision) {
    if (rq.kind == "supply") {
        return WriteSupply(c, rq, list_id, (*rq.supply)[i], body, existing_id, revision);
    }
    if (rq.kind == "project") {
        return WriteProject(c, rq, list_id, (*rq.projects)[i], body, existing_id, revision);
    }
    return WriteDemand(c, rq, list_id, (*rq.demands)[i], body, existing_id, revision);
}

}  // namespace

Result<std::optional<ListRecord>> FindCurrentList(Connection& connection,
                                                  std::int64_t org_id,
                                                  std::string_view kind,
                                                  std::string_view series) {
    auto stmt = connection.Prepare("SELECT " + std::string(kListColumns) +
                                   " FROM lists WHERE org_id = ?1 AND kind = ?2 AND series = ?3 "
                                   "AND status = 'current'");
    if (!stmt) return stmt.error();
    stmt->BindAll(org_id, kind, series);
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<ListRecord>();
    return std::optional<ListRecord>(ReadList(*stmt));
}

Result<std::optional<ListRecord>> FindList(Connection& connection, std::int64_t id) {
    auto stmt =
        connection.Prepare("SELECT " + std::string(kListColumns) + " FROM lists WHERE id = ?1");
    if (!stmt) return stmt.error();
    stmt->BindAll(id);
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<ListRecord>();
    return std::optional<ListRecord>(ReadList(*stmt));
}

Result<PublishResult> PublishList(Connection& c, const PublishRequest& rq) {
    const Target target = TargetFor(rq.kind);
    const std::size_t n = rq.kind == "supply"    ? (rq.supply ? rq.supply->size() : 0)
                          : rq.kind == "project" ? (rq.projects ? rq.projects->size() : 0)
                                                 : (rq.demands ? rq.demands->size() : 0);
    // Bodies must match the lines one to one, or be built on demand.
    if (rq.bodies.empty() ? (n > 0 && !rq.make_body) : rq.bodies.size() != n) {
        return Errc::kInternal;
    }

    auto current = FindCurrentList(c, rq.org_id, rq.kind, rq.series);
    if (!current) return current.error();
    PublishResult result;
    ListRecord& list = result.list;
    list.org_id = rq.org_id;
    list.kind = rq.kind;
    list.series = rq.series;
    list.version = *current ? (*current)->version + 1 : 1;
    list.title = rq.title;
    list.period = rq.period;
    list.status = "current";
    list.digest = rq.digest;
    list.source_format = rq.source_format;
    list.source_encoding = rq.source_encoding;
    list.line_count = static_cast<std::int64_t>(n);
    list.published_at_ms = rq.now_ms;
    if (*current) {
        auto s = c.Prepare("UPDATE lists SET status = 'superseded' WHERE id = ?1");
        if (!s) return s.error();
        RM_LIST_TRY(s->BindAll((*current)->id).Exec());
    }
    {
        auto s = c.Prepare(
            "INSERT INTO lists (org_id, kind, series, version, title, period, status, digest, "
            "source_format, source_encoding, line_count, published_at, published_by, request_id) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'current', ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
        if (!s) return s.error();
        RM_LIST_TRY(s->BindAll(rq.org_id, rq.kind, rq.series, list.version, rq.title, rq.period,
                               rq.digest, rq.source_format, rq.source_encoding, list.line_count,
                               rq.now_ms, rq.key_id, rq.request_id)
                        .Exec());
        list.id = c.LastInsertRowId();
    }

    // The series' existing lines, by ref.
    std::unordered_map<std::string, Existing> existing;
    {
        auto s = c.Prepare("SELECT id, " + std::string(target.ref_column) +
                           ", body, status, revision, list_id, updated_at FROM " +
                           std::string(target.table) + " WHERE org_id = ?1 AND series = ?2");
        if (!s) return s.error();
        s->BindAll(rq.org_id, rq.series);
        while (true) {
            auto row = s->Step();
            if (!row) return row.error();
            if (!*row) break;
            existing.emplace(s->ColumnText(1),
                             Existing{s->ColumnInt64(0), s->ColumnText(2), s->ColumnText(3),
                                      s->ColumnInt64(4), s->ColumnInt64(5), s->ColumnInt64(6)});
        }
    }

    const std::string keep_sql =
        "UPDATE " + std::string(target.table) + " SET list_id = ?1 WHERE id = ?2";
    std::string made_body;  // line i's body when the request builds bodies on demand
    for (std::size_t i = 0; i < n; ++i) {
        const std::string_view ref = RefOf(rq, i);
        if (rq.bodies.empty()) made_body = rq.make_body(i);
        const std::string& body = rq.bodies.empty() ? made_body : rq.bodies[i];
        auto it = existing.find(std::string(ref));
        std::optional<std::int64_t> existing_id;
        std::int64_t revision = 1;
        if (it != existing.end()) {
            Existing& old = it->second;
            old.seen = true;
            if (old.body == body && old.status != "withdrawn") {
                auto s = c.Prepare(keep_sql);
                if (!s) return s.error();
                RM_LIST_TRY(s->BindAll(list.id, old.id).Exec());
                result.unchanged.emplace_back(ref);
                continue;
            }
            RM_LIST_TRY(ArchiveRevision(c, target.entity, old.id, old.revision, old.list_id,
                                        old.status, old.body, old.updated_at_ms));
            existing_id = old.id;
            revision = old.revision + 1;
        }
        auto id = WriteLine(c, rq, i, list.id, body, existing_id, revision);
        if (!id) return id.error();
        RM_LIST_TRY(RecordChange(c, target.entity, *id, ref, revision, list.id,
                                 existing_id ? "changed" : "created", rq));
        (existing_id ? result.changed : result.added).emplace_back(ref);
    }

    // Lines of the series missing from this version are withdrawn (kept, with history).
    for (auto& [ref, old] : existing) {
        if (old.seen || old.status == "withdrawn") continue;
        RM_LIST_TRY(ArchiveRevision(c, target.entity, old.id, old.revision, old.list_id, old.status,
                                    old.body, old.updated_at_ms));
        auto s = c.Prepare("UPDATE " + std::string(target.table) +
                           " SET status = 'withdrawn', revision = ?1, list_id = ?2, "
                           "updated_at = ?3 WHERE id = ?4");
        if (!s) return s.error();
        RM_LIST_TRY(s->BindAll(old.revision + 1, list.id, rq.now_ms, old.id).Exec());
        RM_LIST_TRY(RecordChange(c, target.entity, old.id, ref, old.revision + 1, list.id,
                                 "withdrawn", rq));
        result.withdrawn.push_back(ref);
    }
    std::sort(result.withdrawn.begin(), result.withdrawn.end());

    list.added = static_cast<std::int64_t>(result.added.size());
    list.changed = static_cast<std::int64_t>(result.changed.size());
    list.unchanged = static_cast<std::int64_t>(result.unchanged.size());
    list.withdrawn = static_cast<std::int64_t>(result.withdrawn.size());
    auto s = c.Prepare(
        "UPDATE lists SET added = ?1, changed = ?2, unchanged = ?3, withdrawn = ?4 WHERE id = ?5");
    if (!s) return s.error();
    RM_LIST_TRY(
        s->BindAll(list.added, list.changed, list.unchanged, list.withdrawn, list.id).Exec());
    return result;
}

Result<std::optional<IdempotencyRecord>> FindIdempotencyKey(Connection& connection,
                                                            std::int64_t org_id,
                                                            std::string_view key) {
    auto stmt = connection.Prepare(
        "SELECT request_digest, status_code, response_body FROM idempotency_keys "
        "WHERE org_id = ?1 AND key = ?2");
    if (!stmt) return stmt.error();
    stmt->BindAll(org_id, key);
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<IdempotencyRecord>();
    IdempotencyRecord r;
    r.request_digest = stmt->ColumnText(0);
    r.status_code = static_cast<int>(stmt->ColumnInt64(1));
    r.response_body = stmt->ColumnText(2);
    return std::optional<IdempotencyRecord>(std::move(r));
}

Result<void> SaveIdempotencyKey(Connection& connection,
                                std::int64_t org_id,
                                std::string_view key,
                                const IdempotencyRecord& record,
                                std::int64_t now_ms) {
    auto stmt = connection.Prepare(
        "INSERT INTO idempotency_keys (org_id, key, request_digest, status_code, response_body, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!stmt) return stmt.error();
    return stmt
        ->BindAll(org_id, key, record.request_digest, static_cast<std::int64_t>(record.status_code),
                  record.response_body, now_ms)
        .Exec();
}

Result<std::optional<LineRow>> FindLine(Connection& connection,
                                        std::string_view entity,
                                        std::int64_t id) {
    const Target target = TargetFor(entity);
    if (target.entity != entity) return std::optional<LineRow>();
    const bool demand = entity == "demand";
    auto stmt =
        connection.Prepare("SELECT id, org_id, series, " + std::string(target.ref_column) +
                           ", list_id, status, revision, updated_at, body" +
                           (demand ? ", budget_amount, budget_currency, budget_visibility" : "") +
                           " FROM " + std::string(target.table) + " WHERE id = ?1");
    if (!stmt) return stmt.error();
    stmt->BindAll(id);
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<LineRow>();
    return std::optional<LineRow>(ReadLineRow(*stmt, entity));
}

namespace {

// Escapes LIKE wildcards so user text matches literally (ESCAPE '\').
std::string LikeLiteral(std::string_view text) {
    std::string out;
    for (char ch : text) {
        if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
        out += ch;
    }
    return out;
}

}  // namespace

Result<std::vector<LineRow>> ListLines(Connection& connection, const LineQuery& q) {
    const Target target = TargetFor(q.entity);
    if (target.entity != q.entity) return Errc::kInvalidArgument;
    const bool demand = q.entity == "demand";
    const bool project = q.entity == "project";
    std::string sql = "SELECT id, org_id, series, " + std::string(target.ref_column) +
                      ", list_id, status, revision, updated_at, body" +
                      (demand ? ", budget_amount, budget_currency, budget_visibility" : "") +
                      " FROM " + std::string(target.table) + " WHERE id > ?1";
    std::vector<std::string> texts;  // ?2.. bound in order
    std::vector<std::int64_t> ints;
    int next = 2;
    std::string int_clause;
    auto add_text = [&](const std::string& clause_fmt, std::string value) {
        std::string clause = clause_fmt;
        const std::string marker = "?P";
        for (auto p = clause.find(marker); p != std::string::npos; p = clause.find(marker)) {
            clause.replace(p, marker.size(), "?" + std::to_string(next));
        }
        sql += " AND " + clause;
        texts.push_back(std::move(value));
        ++next;
    };
    if (!q.status.empty()) add_text("status = ?P", q.status);
    if (!q.classification_prefix.empty() && !project) {
        add_text("classification_id LIKE ?P ESCAPE '\\'",
                 LikeLiteral(q.classification_prefix) + "%");
    }
    if (!q.region_prefix.empty() && q.entity != "supply") {
        const char* column = demand ? "delivery_region" : "region";
        add_text(std::string(column) + " LIKE ?P ESCAPE '\\'", LikeLiteral(q.region_prefix) + "%");
    }
    if (!q.region_prefix.empty() && q.entity == "supply") {
        // Served (see the header): no service area, or one containing or inside the region; and
        // no excluded area containing it. Uses the service_areas primary key (line_id, ...).
        add_text(
            "(NOT EXISTS (SELECT 1 FROM service_areas a WHERE a.line_id = supply_lines.id AND "
            "a.excluded = 0) OR EXISTS (SELECT 1 FROM service_areas a WHERE a.line_id = "
            "supply_lines.id AND a.excluded = 0 AND (substr(?P, 1, length(a.region)) = a.region OR "
            "substr(a.region, 1, length(?P)) = ?P))) AND NOT EXISTS (SELECT 1 FROM service_areas "
            "x WHERE x.line_id = supply_lines.id AND x.excluded = 1 AND substr(?P, 1, "
            "length(x.region)) = x.region)",
            q.region_prefix);
    }
    if (!q.vendor_region_prefix.empty() && q.entity == "supply") {
        add_text("vendor_region LIKE ?P ESCAPE '\\'", LikeLiteral(q.vendor_region_prefix) + "%");
    }
    if (!q.text.empty()) {
        add_text(std::string("(") + (project ? "name" : "title") +
                     " LIKE ?P ESCAPE '\\' OR coalesce(json_extract(body, '$.description'), '') "
                     "LIKE ?P ESCAPE '\\')",
                 "%" + LikeLiteral(q.text) + "%");
    }
    const int first_int = next;
    if (q.org_id) {
        sql += " AND org_id = ?" + std::to_string(next++);
        ints.push_back(*q.org_id);
    }
    if (q.updated_since_ms) {
        sql += " AND updated_at >= ?" + std::to_string(next++);
        ints.push_back(*q.updated_since_ms);
    }
    if (q.list_id) {
        sql += " AND list_id = ?" + std::to_string(next++);
        ints.push_back(*q.list_id);
    }
    sql += " ORDER BY id LIMIT ?" + std::to_string(next);
    auto stmt = connection.Prepare(sql);
    if (!stmt) return stmt.error();
    stmt->Bind(1, q.after_id);
    for (std::size_t i = 0; i < texts.size(); ++i) stmt->Bind(2 + static_cast<int>(i), texts[i]);
    for (std::size_t i = 0; i < ints.size(); ++i)
        stmt->Bind(first_int + static_cast<int>(i), ints[i]);
    stmt->Bind(next, q.limit);
    std::vector<LineRow> out;
    while (true) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back(ReadLineRow(*stmt, q.entity));
    }
    return out;
}

Result<std::vector<LineRow>> ListProjectDemands(Connection& connection, std::int64_t project_id) {
    auto stmt = connection.Prepare(
        "SELECT d.id, d.org_id, d.series, d.ref, d.list_id, d.status, d.revision, d.updated_at, "
        "d.body, d.budget_amount, d.budget_currency, d.budget_visibility "
        "FROM projects p JOIN project_demands pd ON pd.project_id = p.id "
        "JOIN demand_lines d ON d.org_id = p.org_id AND d.ref = pd.demand_ref "
        "WHERE p.id = ?1 ORDER BY d.id");
    if (!stmt) return stmt.error();
    stmt->BindAll(project_id);
    std::vector<LineRow> out;
    while (true) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back(ReadLineRow(*stmt, "demand"));
    }
    return out;
}

Result<std::vector<ListRecord>> ListLists(Connection& connection, const ListQuery& q) {
    std::string sql = "SELECT " + std::string(kListColumns) +
                      " FROM lists WHERE id > ?1 AND (?2 = '' OR kind = ?2) AND (?3 = '' OR "
                      "status = ?3) AND (?4 IS NULL OR org_id = ?4) AND (?5 = '' OR series = ?5) "
                      "ORDER BY id LIMIT ?6";
    auto stmt = connection.Prepare(sql);
    if (!stmt) return stmt.error();
    stmt->Bind(1, q.after_id).Bind(2, q.kind).Bind(3, q.status).Bind(4, q.org_id);
    stmt->Bind(5, q.series).Bind(6, q.limit);
    std::vector<ListRecord> out;
    while (true) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back(ReadList(*stmt));
    }
    return out;
}

Result<LineRow> WithdrawLine(Connection& connection,
                             std::string_view entity,
                             std::int64_t id,
                             std::optional<std::int64_t> expected_revision,
                             std::int64_t now_ms) {
    auto found = FindLine(connection, entity, id);
    if (!found) return found.error();
    if (!*found) return Errc::kNotFound;
    LineRow row = std::move(**found);
    if (expected_revision && *expected_revision != row.revision) return Errc::kPreconditionFailed;
    if (row.status == "withdrawn") return row;
    const Target target = TargetFor(entity);
    RM_LIST_TRY(ArchiveRevision(connection, target.entity, row.id, row.revision, row.list_id,
                                row.status, row.body, row.updated_at_ms));
    auto s = connection.Prepare("UPDATE " + std::string(target.table) +
                                " SET status = 'withdrawn', revision = revision + 1, "
                                "updated_at = ?1 WHERE id = ?2");
    if (!s) return s.error();
    RM_LIST_TRY(s->BindAll(now_ms, id).Exec());
    row.status = "withdrawn";
    row.revision += 1;
    row.updated_at_ms = now_ms;
    PublishRequest rq;
    rq.org_id = row.org_id;
    rq.now_ms = now_ms;
    RM_LIST_TRY(RecordChange(connection, target.entity, row.id, row.ref, row.revision, row.list_id,
                             "withdrawn", rq));
    return row;
}

Result<LineRow> ReplaceLine(Connection& connection, const LineReplacement& replacement) {
    const Target target = TargetFor(replacement.entity);
    if (target.entity != replacement.entity) return Errc::kInvalidArgument;
    auto found = FindLine(connection, replacement.entity, replacement.id);
    if (!found) return found.error();
    if (!*found) return Errc::kNotFound;
    LineRow row = std::move(**found);
    if (row.revision != replacement.expected_revision) return Errc::kPreconditionFailed;
    if (row.status == "withdrawn") return Errc::kConflict;
    PublishRequest rq;
    rq.org_id = row.org_id;
    rq.series = row.series;
    rq.now_ms = replacement.now_ms;
    const std::int64_t revision = row.revision + 1;
    // The one line value as a one-element "list" of its kind, so the publishing writers and
    // RefOf serve here too.
    rq.kind = std::string(target.entity);
    std::vector<matcher::DemandLine> demands;
    std::vector<matcher::SupplyLine> supply;
    std::vector<matcher::Project> projects;
    if (target.entity == "demand" && replacement.demand != nullptr) {
        demands.push_back(*replacement.demand);
    } else if (target.entity == "supply" && replacement.supply != nullptr) {
        supply.push_back(*replacement.supply);
    } else if (target.entity == "project" && replacement.project != nullptr) {
        projects.push_back(*replacement.project);
    } else {
        return Errc::kInvalidArgument;
    }
    rq.demands = &demands;
    rq.supply = &supply;
    rq.projects = &projects;
    if (RefOf(rq, 0) != row.ref) return Errc::kConflict;
    RM_LIST_TRY(ArchiveRevision(connection, target.entity, row.id, row.revision, row.list_id,
                                row.status, row.body, row.updated_at_ms));
    RM_LIST_TRY(WriteLine(connection, rq, 0, row.list_id, replacement.body, row.id, revision));
    RM_LIST_TRY(RecordChange(connection, target.entity, row.id, row.ref, revision, row.list_id,
                             "changed", rq));
    auto after = FindLine(connection, replacement.entity, replacement.id);
    if (!after) return after.error();
    if (!*after) return Errc::kInternal;
    return std::move(**after);
}

Result<std::vector<ChangeRow>> ListChanges(Connection& connection,
                                           std::int64_t after_seq,
                                           std::int64_t limit) {
    auto stmt = connection.Prepare(
        "SELECT seq, at, org_id, entity, line_id, ref, change, revision, list_id FROM changes "
        "WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    if (!stmt) return stmt.error();
    stmt->BindAll(after_seq, limit);
    std::vector<ChangeRow> out;
    while (true) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back(ChangeRow{stmt->ColumnInt64(0), stmt->ColumnInt64(1), stmt->ColumnInt64(2),
                                stmt->ColumnText(3), stmt->ColumnInt64(4), stmt->ColumnText(5),
                                stmt->ColumnText(6), stmt->ColumnInt64(7), stmt->ColumnInt64(8)});
    }
    return out;
}

}  // namespace renewmatch::schema
