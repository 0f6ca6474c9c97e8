// Small reads the live match index (api/match_index.hpp) and the match routes need beyond what
// schema/list_store.hpp offers: the change feed's high-water mark, organisation names for a
// set of ids (one indexed lookup per id, without the chains that FindOrg also loads), and the
// lean line reads the index is built from: only the columns it needs (id, organisation,
// revision, status, last change, body), handed to a callback as views into SQLite's row
// buffer, with no LineRow (series, ref, list id, budget columns) built per line.
//
// Free functions over a borrowed Connection, composed inside one Database::Read so that the
// high-water mark and the lines read beside it come from the same snapshot.
// Errors: kBusy/kInternal from SQLite.
// Thread-safety: as the Connection's (one thread at a time).
#pragma once

#include "schema/errc.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace renewmatch::schema {

class Connection;

// The largest `changes.seq` committed so far (0 when the feed is empty).
[[nodiscard]] Result<std::int64_t> LatestChangeSeq(Connection& connection);

// id -> name for those of `ids` that exist (unknown ids are left out).
[[nodiscard]] Result<std::unordered_map<std::int64_t, std::string>> OrgNames(
    Connection& connection, std::span<const std::int64_t> ids);

// Supply and demand line ids changed after `after_seq` (each once, ascending), and the largest
// seq seen (after_seq when none): one pass over the change feed reading only seq, entity and
// line id. Project changes only advance the seq.
struct ChangedLines {
    std::int64_t last_seq = 0;
    std::vector<std::int64_t> supply;
    std::vector<std::int64_t> demand;
};
[[nodiscard]] Result<ChangedLines> ChangedLinesAfter(Connection& connection,
                                                     std::int64_t after_seq);

// One stored supply or demand line as the match index reads it. The views are valid only during
// the callback that receives the row.
struct IndexLineRow {
    std::int64_t id = 0;
    std::int64_t org_id = 0;
    std::int64_t revision = 0;
    std::int64_t updated_at_ms = 0;
    std::string_view status;
    std::string_view body;
};

// Calls `row` for every line of `entity` ("supply" or "demand"; anything else is
// kInvalidArgument) whose status is not 'withdrawn', in ascending id order, in one statement.
// A callback returning false stops the scan early (success).
[[nodiscard]] Result<void> ForEachLiveLine(Connection& connection,
                                           std::string_view entity,
                                           const std::function<bool(const IndexLineRow&)>& row);

// How many rows `entity` ("supply" or "demand") has, withdrawn ones included: an upper bound of
// what ForEachLiveLine hands over, counted on the table's smallest index (no body is read), so
// a load can size its line vector once.
[[nodiscard]] Result<std::int64_t> CountLines(Connection& connection, std::string_view entity);

// For each of `ids` in the given order, calls `row` with the line's current row, or with
// nullptr when `entity` has no such line or it is withdrawn.
[[nodiscard]] Result<void> ForEachLineById(
    Connection& connection,
    std::string_view entity,
    std::span<const std::int64_t> ids,
    const std::function<void(std::int64_t id, const IndexLineRow* row)>& row);

}  // namespace renewmatch::schema
