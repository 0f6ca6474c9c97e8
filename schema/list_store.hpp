// Storage of published lists and their lines (tables of migration 0003_lists).
//
// Free functions over a borrowed schema::Connection, so the api layer composes them inside one
// Database::Write transaction together with the audit row and the idempotency record: a list is
// stored entirely or not at all, and readers (WAL snapshots) never see half of it.
//
// Versioning (PublishList): a new version of (org, kind, series) supersedes the current one.
// Each line is matched to the series' existing line with the same ref (sku for supply):
//   * no such line            -> inserted, revision 1                          ("added")
//   * same canonical body     -> kept as is, moved to the new version          ("unchanged")
//   * different body          -> updated, revision + 1, children replaced      ("changed")
//   * existing line not in the new version and not already withdrawn -> status 'withdrawn',
//     revision + 1                                                             ("withdrawn")
// Every new revision is announced in the `changes` feed. line_history holds every revision of a
// line except its current one (the line row is that): the revision a change, withdrawal or PATCH
// replaces is copied there with the status, body and list it had, `at` = when it was written.
// A withdrawn line that reappears in a later version is "changed" (revision + 1, status from the
// body).
//
// Stored per line: the line row (typed columns + canonical body) and only the child rows SQL
// reads: service_areas (supply) and project_demands (projects). Requirements, attributes,
// certifications and additional classifications are read from the body (migration 0007).
//
// Values are validated by the api layer (api/lists_decode.hpp) before they get here; the table
// CHECKs are the last line of defence and turn into kConflict.
// Errors: kConflict on a constraint violation, kBusy/kInternal from SQLite.
// Thread-safety: as the Connection's (one thread at a time).
#pragma once

#include "matcher/domain.hpp"
#include "schema/errc.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::schema {

class Connection;

// The spelling of a budget visibility in the lines table, the canonical body and on the wire
// ("public", "range", "hidden"), and back; an unknown name reads as public (the decoder refuses
// unknown names before anything is stored).
std::string_view VisibilityName(matcher::BudgetVisibility v);
matcher::BudgetVisibility ParseVisibility(std::string_view name);

struct ListRecord {
    std::int64_t id = 0;
    std::int64_t org_id = 0;
    std::string kind;  // demand | supply | project
    std::string series;
    std::int64_t version = 0;
    std::string title;
    std::string period;
    std::string status;  // current | superseded
    std::string digest;
    std::string source_format;  // json | csv
    std::string source_encoding;
    std::int64_t line_count = 0;
    std::int64_t added = 0;
    std::int64_t changed = 0;
    std::int64_t unchanged = 0;
    std::int64_t withdrawn = 0;
    std::int64_t published_at_ms = 0;
};

// What to publish. Exactly one of the line vectors matching `kind` is used; `bodies[i]` is the
// canonical JSON of line i (compared to decide changed/unchanged and returned by reads). When
// `bodies` is empty, `make_body(i)` is called once per line, just before line i is written, so
// a large list never holds all its bodies at once.
struct PublishRequest {
    std::int64_t org_id = 0;
    std::string kind;
    std::string series;
    std::string title;
    std::string period;
    std::string digest;  // 64 hex chars
    std::string source_format;
    std::string source_encoding;
    std::int64_t now_ms = 0;
    std::optional<std::int64_t> key_id;
    std::string request_id;
    const std::vector<matcher::DemandLine>* demands = nullptr;
    const std::vector<matcher::SupplyLine>* supply = nullptr;
    const std::vector<matcher::Project>* projects = nullptr;
    std::vector<std::string> bodies;
    std::function<std::string(std::size_t)> make_body;
};

struct PublishResult {
    ListRecord list;
    std::vector<std::string> added;
    std::vector<std::string> changed;
    std::vector<std::string> unchanged;
    std::vector<std::string> withdrawn;
};

// The current version of a series, if any.
[[nodiscard]] Result<std::optional<ListRecord>> FindCurrentList(Connection& connection,
                                                                std::int64_t org_id,
                                                                std::string_view kind,
                                                                std::string_view series);

[[nodiscard]] Result<std::optional<ListRecord>> FindList(Connection& connection, std::int64_t id);

// Publishes the next version of a series (see the header comment). Precondition: inside a write
// transaction; refs are unique within the request (the decoder guarantees it).
[[nodiscard]] Result<PublishResult> PublishList(Connection& connection,
                                                const PublishRequest& request);

struct IdempotencyRecord {
    std::string request_digest;
    int status_code = 0;
    std::string response_body;
};

[[nodiscard]] Result<std::optional<IdempotencyRecord>> FindIdempotencyKey(Connection& connection,
                                                                          std::int64_t org_id,
                                                                          std::string_view key);
[[nodiscard]] Result<void> SaveIdempotencyKey(Connection& connection,
                                              std::int64_t org_id,
                                              std::string_view key,
                                              const IdempotencyRecord& record,
                                              std::int64_t now_ms);

// ---- reads ------------------------------------------------------------------------------------

// One stored line of any kind, with the columns reads need.
struct LineRow {
    std::string entity;  // demand | supply | project
    std::int64_t id = 0;
    std::int64_t org_id = 0;
    std::string series;
    std::string ref;
    std::int64_t list_id = 0;
    std::string status;
    std::int64_t revision = 0;
    std::int64_t updated_at_ms = 0;
    std::string body;  // canonical JSON (confidential fields included: redact before sending)
    // demand lines only: the budget as stored, for the visibility rules.
    std::optional<double> budget_amount;
    std::string budget_currency;
    std::string budget_visibility;
};

// The line `id` of `entity` ("demand", "supply", "project"), or nullopt.
[[nodiscard]] Result<std::optional<LineRow>> FindLine(Connection& connection,
                                                      std::string_view entity,
                                                      std::int64_t id);

// Withdraws line `id` of `entity` (DELETE): status 'withdrawn', revision + 1, the replaced
// revision copied to history and a change-feed row. `expected_revision`, when given, must equal the
// stored revision (kPreconditionFailed otherwise). Withdrawing an already withdrawn line changes
// nothing. Returns the line after the change. kNotFound when there is no such line.
[[nodiscard]] Result<LineRow> WithdrawLine(Connection& connection,
                                           std::string_view entity,
                                           std::int64_t id,
                                           std::optional<std::int64_t> expected_revision,
                                           std::int64_t now_ms);

// A new revision of one line written by PATCH: the already validated line (exactly one of the
// pointers, matching `entity`) and its canonical body. The line keeps its id, ref, series and
// list; its columns and children are rewritten from the value.
struct LineReplacement {
    std::string entity;  // demand | supply | project
    std::int64_t id = 0;
    std::int64_t expected_revision = 0;  // the revision the client's If-Match named
    const matcher::DemandLine* demand = nullptr;
    const matcher::SupplyLine* supply = nullptr;
    const matcher::Project* project = nullptr;
    std::string body;
    std::int64_t now_ms = 0;
};

// Stores `replacement` as revision + 1 of its line, the replaced revision copied to history and
// a `changed` row in the change feed. Errors: kNotFound (no such line), kPreconditionFailed (the
// stored revision is not expected_revision), kConflict (the line is withdrawn, or the ref/sku
// differs from the stored one), kInvalidArgument (no line value of the entity's kind). Returns the
// line after the change. Precondition: inside a write transaction.
[[nodiscard]] Result<LineRow> ReplaceLine(Connection& connection,
                                          const LineReplacement& replacement);

// A page of lines for the listing routes (GET /v1/demands|supply|projects, /v1/lists/{id}/lines),
// in ascending id order after `after_id`. Empty strings / nullopt mean "no filter".
//   classification_prefix: classification_id prefix (demand, supply; ignored for projects)
//   region_prefix:         demand: delivery_region starts with it; project: region starts with
//                          it; supply: the line SERVES the region (see SupplyServesRegion below)
//   vendor_region_prefix:  supply only: vendor_region starts with it (the vendor's site)
//   text:                  substring (SQL LIKE, case-insensitive for ASCII only) of the title
//                          (project: name) or the body's description
struct LineQuery {
    std::string entity;  // demand | supply | project
    std::string status;
    std::string classification_prefix;
    std::string region_prefix;
    std::string vendor_region_prefix;
    std::optional<std::int64_t> org_id;
    std::string text;
    std::optional<std::int64_t> updated_since_ms;  // updated_at >= this
    std::optional<std::int64_t> list_id;
    std::int64_t after_id = 0;
    std::int64_t limit = 100;
};
//
// A supply line serves region R (significant-prefix form, e.g. "3205") when
//   * it lists no (non-excluded) service area — it serves the whole country — or one of its
//     service areas A contains R (A is a prefix of R) or lies inside R (R is a prefix of A: the
//     line serves part of R, which is what someone browsing R wants to see); and
//   * none of its excluded areas contains R (an excluded area inside R only removes part of R,
//     so the line still serves R).
[[nodiscard]] Result<std::vector<LineRow>> ListLines(Connection& connection, const LineQuery& q);

// The demand lines a project links to (project_demands refs resolved among the project owner's
// demand lines, any series, withdrawn ones included), in id order.
[[nodiscard]] Result<std::vector<LineRow>> ListProjectDemands(Connection& connection,
                                                              std::int64_t project_id);

// A page of list versions in ascending id order after `after_id`, optionally filtered.
struct ListQuery {
    std::string kind;
    std::string status;  // current | superseded
    std::optional<std::int64_t> org_id;
    std::string series;
    std::int64_t after_id = 0;
    std::int64_t limit = 100;
};
[[nodiscard]] Result<std::vector<ListRecord>> ListLists(Connection& connection, const ListQuery& q);

struct ChangeRow {
    std::int64_t seq = 0;
    std::int64_t at_ms = 0;
    std::int64_t org_id = 0;
    std::string entity;
    std::int64_t line_id = 0;
    std::string ref;
    std::string change;  // created | changed | withdrawn
    std::int64_t revision = 0;
    std::int64_t list_id = 0;
};

// Up to `limit` change-feed rows with seq > `after_seq`, in seq order.
[[nodiscard]] Result<std::vector<ChangeRow>> ListChanges(Connection& connection,
                                                         std::int64_t after_seq,
                                                         std::int64_t limit);

}  // namespace renewmatch::schema
