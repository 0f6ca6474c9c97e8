// Small reads the live match index (api/match_index.hpp) and the match routes need beyond what
// schema/list_store.hpp offers: the change feed's high-water mark, and organisation names for a
// set of ids (one indexed lookup per id, without the chains that FindOrg also loads).
//
// Free functions over a borrowed Connection, composed inside one Database::Read so that the
// high-water mark and the lines read beside it come from the same snapshot.
// Errors: kBusy/kInternal from SQLite.
// Thread-safety: as the Connection's (one thread at a time).
#pragma once

#include "schema/errc.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>

namespace renewmatch::schema {

class Connection;

// The largest `changes.seq` committed so far (0 when the feed is empty).
[[nodiscard]] Result<std::int64_t> LatestChangeSeq(Connection& connection);

// id -> name for those of `ids` that exist (unknown ids are left out).
[[nodiscard]] Result<std::unordered_map<std::int64_t, std::string>> OrgNames(
    Connection& connection, std::span<const std::int64_t> ids);

}  // namespace renewmatch::schema
