// The list routes (issue 4): publishing demand, supply and project lists.
//
//   POST /v1/lists   JSON {kind, series, title, period, publisherId?, lines:[…]} or text/csv with
//                    ?kind=&series=&title=&period=&publisherId= (docs/data-model.md).
//
// Who may publish: a buyer publishes demand and project lists, a supplier supply lists, for its
// own organisation; an administrator (or a key of a 'regulator' organisation) any kind, and for
// another organisation via publisherId. The whole list is validated before anything is written
// (422 listing every error, 400 for unreadable input, 413 over the line limit); then one writer
// transaction stores the new version of the series, supersedes the previous one, withdraws the
// lines that disappeared, copies replaced revisions to history, appends change-feed rows and the
// audit row. Responses:
//   201 {list:{…}, added:[refs], changed:[…], unchanged:[…], withdrawn:[…], duplicate:false}
//   200 the same shape with duplicate:true when the payload is identical (by SHA-256 digest) to
//       the series' current version: nothing is written.
// An Idempotency-Key header (1–200 chars) replays the first response of (organisation, key)
// with `Idempotent-Replayed: true`; the same key with a different request is 409.
//
//   GET /v1/lists/{id}                          one list version (metadata and counts)
//   GET /v1/demands|supply|projects/{id}        one line, `ETag: "<kind>-<id>-r<revision>"`,
//                                               304 on a matching If-None-Match; budgets follow
//                                               api/auth_fields.hpp (hidden: owner and admin only)
//   GET /v1/changes?since=CURSOR&limit=N        the ordered feed of created/changed/withdrawn lines
// Any authenticated role may read.
//
// Thread-safety: handlers are stateless; the database serialises writers.
#pragma once

#include <cstdint>

namespace renewmatch::api {

class Router;

struct ListRouteOptions {
    std::uint64_t body_limit = 256ULL * 1024 * 1024;  // bytes of a list upload
    std::uint64_t max_lines = 200'000;                // lines per list
};

void RegisterListRoutes(Router& router, const ListRouteOptions& options = {});

}  // namespace renewmatch::api
