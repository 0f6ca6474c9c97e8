// Organisation storage (table `orgs` and `org_chains`, migration 0002_access).
//
// Free functions over a borrowed schema::Connection, so that callers compose them inside one
// Database::Write transaction with the audit row for the same change. Values are validated by
// the api layer before they get here; the table CHECKs are the last line of defence and turn
// into kConflict.
//
// Errors: kConflict on a constraint violation (e.g. a duplicate USCC), kNotFound from UpdateOrg
// when the id does not exist, kBusy/kInternal from SQLite.
// Thread-safety: as the Connection's (one thread at a time).
#pragma once

#include "schema/errc.hpp"
#include "schema/statement.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::schema {

struct OrgRecord {
    std::int64_t id = 0;
    std::string name;
    std::string kind;                 // buyer | supplier | both | regulator
    std::optional<std::string> uscc;  // canonical 18-character code
    std::string region;               // GB/T 2260 significant prefix, "" if unknown
    std::string sector;               // GB/T 4754-2017 code, "" if unknown
    std::vector<std::string> chains;  // sorted, unique
    std::int64_t created_at_ms = 0;
    std::int64_t updated_at_ms = 0;
    std::int64_t revision = 1;
};

struct OrgPage {
    std::vector<OrgRecord> items;
    bool has_more = false;  // another page follows items.back().id
};

// Inserts `org` (id, revision ignored) and returns it with its new id and revision 1.
[[nodiscard]] Result<OrgRecord> InsertOrg(Connection& connection, const OrgRecord& org);

// The organisation with `id`, or nullopt.
[[nodiscard]] Result<std::optional<OrgRecord>> FindOrg(Connection& connection, std::int64_t id);

// The id of the organisation holding `uscc` (canonical form), or nullopt.
[[nodiscard]] Result<std::optional<std::int64_t>> FindOrgIdByUscc(Connection& connection,
                                                                  std::string_view uscc);

// Organisations with id > after_id in id order, at most `limit` (1..1000); `kind` filters
// when non-empty.
[[nodiscard]] Result<OrgPage> ListOrgs(Connection& connection,
                                       std::int64_t after_id,
                                       int limit,
                                       std::string_view kind = {});

// Replaces every field of organisation `org.id` (and its chains), bumps the revision and sets
// updated_at. Returns the stored record. kNotFound when there is no such organisation.
[[nodiscard]] Result<OrgRecord> UpdateOrg(Connection& connection, const OrgRecord& org);

}  // namespace renewmatch::schema
