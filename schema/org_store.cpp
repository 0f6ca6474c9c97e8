#include "schema/org_store.hpp"

#include <algorithm>

namespace renewmatch::schema {
namespace {

constexpr std::string_view kOrgColumns =
    "id, name, kind, uscc, region, sector, created_at, updated_at, revision";

OrgRecord ReadOrgRow(const Statement& stmt) {
    OrgRecord org;
    org.id = stmt.ColumnInt64(0);
    org.name = stmt.ColumnText(1);
    org.kind = stmt.ColumnText(2);
    org.uscc = stmt.ColumnOptionalText(3);
    org.region = stmt.ColumnText(4);
    org.sector = stmt.ColumnText(5);
    org.created_at_ms = stmt.ColumnInt64(6);
    org.updated_at_ms = stmt.ColumnInt64(7);
    org.revision = stmt.ColumnInt64(8);
    return org;
}

Result<void> LoadChains(Connection& connection, OrgRecord& org) {
    auto stmt = connection.Prepare("SELECT chain FROM org_chains WHERE org_id = ? ORDER BY chain");
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, org.id);
    org.chains.clear();
    for (;;) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        org.chains.push_back(stmt->ColumnText(0));
    }
    return {};
}

Result<void> ReplaceChains(Connection& connection,
                           std::int64_t org_id,
                           const std::vector<std::string>& chains) {
    {
        auto del = connection.Prepare("DELETE FROM org_chains WHERE org_id = ?");
        if (!del) return del.error();
        if (auto r = del->BindInt64(1, org_id).Exec(); !r) return r.error();
    }
    auto ins = connection.Prepare("INSERT OR IGNORE INTO org_chains (org_id, chain) VALUES (?, ?)");
    if (!ins) return ins.error();
    for (const auto& chain : chains) {
        ins->Reset();
        if (auto r = ins->BindInt64(1, org_id).BindText(2, chain).Exec(); !r) return r.error();
    }
    return {};
}

std::vector<std::string> SortedUnique(std::vector<std::string> chains) {
    std::sort(chains.begin(), chains.end());
    chains.erase(std::unique(chains.begin(), chains.end()), chains.end());
    return chains;
}

}  // namespace

Result<OrgRecord> InsertOrg(Connection& connection, const OrgRecord& org) {
    auto stmt = connection.Prepare(
        "INSERT INTO orgs (name, kind, uscc, region, sector, created_at, updated_at, revision) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 1)");
    if (!stmt) return stmt.error();
    stmt->BindAll(org.name, org.kind, org.uscc, org.region, org.sector, org.created_at_ms,
                  org.created_at_ms);
    if (auto r = stmt->Exec(); !r) return r.error();
    OrgRecord stored = org;
    stored.id = connection.LastInsertRowId();
    stored.revision = 1;
    stored.updated_at_ms = org.created_at_ms;
    stored.chains = SortedUnique(org.chains);
    if (auto r = ReplaceChains(connection, stored.id, stored.chains); !r) return r.error();
    return stored;
}

Result<std::optional<OrgRecord>> FindOrg(Connection& connection, std::int64_t id) {
    auto stmt = connection.Prepare(std::string("SELECT ") + std::string(kOrgColumns) +
                                   " FROM orgs WHERE id = ?");
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, id);
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<OrgRecord>();
    OrgRecord org = ReadOrgRow(*stmt);
    if (auto r = LoadChains(connection, org); !r) return r.error();
    return std::optional<OrgRecord>(std::move(org));
}

Result<std::optional<std::int64_t>> FindOrgIdByUscc(Connection& connection, std::string_view uscc) {
    auto stmt = connection.Prepare("SELECT id FROM orgs WHERE uscc = ?");
    if (!stmt) return stmt.error();
    stmt->BindText(1, uscc);
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(stmt->ColumnInt64(0));
}

Result<OrgPage> ListOrgs(Connection& connection,
                         std::int64_t after_id,
                         int limit,
                         std::string_view kind) {
    limit = std::clamp(limit, 1, 1000);
    OrgPage page;
    {
        auto stmt = connection.Prepare(std::string("SELECT ") + std::string(kOrgColumns) +
                                       " FROM orgs WHERE id > ?1 AND (?2 = '' OR kind = ?2) "
                                       "ORDER BY id LIMIT ?3");
        if (!stmt) return stmt.error();
        // One more than asked tells whether another page follows.
        stmt->BindInt64(1, after_id).BindText(2, kind).BindInt64(3, limit + 1);
        auto more = stmt->StepPage(limit, page.items, ReadOrgRow);
        if (!more) return more.error();
        page.has_more = *more;
    }
    for (auto& org : page.items) {
        if (auto r = LoadChains(connection, org); !r) return r.error();
    }
    return page;
}

Result<OrgRecord> UpdateOrg(Connection& connection, const OrgRecord& org) {
    auto stmt = connection.Prepare(
        "UPDATE orgs SET name = ?, kind = ?, uscc = ?, region = ?, sector = ?, updated_at = ?, "
        "revision = revision + 1 WHERE id = ?");
    if (!stmt) return stmt.error();
    stmt->BindAll(org.name, org.kind, org.uscc, org.region, org.sector, org.updated_at_ms, org.id);
    if (auto r = stmt->Exec(); !r) return r.error();
    if (connection.Changes() == 0) return Errc::kNotFound;
    if (auto r = ReplaceChains(connection, org.id, SortedUnique(org.chains)); !r) return r.error();
    auto stored = FindOrg(connection, org.id);
    if (!stored) return stored.error();
    if (!*stored) return Errc::kInternal;
    return std::move(**stored);
}

}  // namespace renewmatch::schema
