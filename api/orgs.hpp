// /v1/orgs: organisations (create, read, list, update). Administrators manage every
// organisation; any other key may read its own organisation and gets 404 for any other (never
// revealing whether it exists). See docs/security.md for the full matrix.
//
// Validation (422, one detail per bad field, field = JSON pointer):
//   name    1..200 bytes, not blank
//   kind    buyer | supplier | both | regulator
//   uscc    18-character unified social credit code with a valid GB 32100-2015 check
//           character; required unless kind is regulator; stored upper-case
//   region  GB/T 2260 code known to data/regions (significant-prefix or 6-digit form; stored
//           as significant prefix)
//   sector  GB/T 4754-2017 code known to data/gbt4754 (section letter or 2-4 digits)
//   chains  up to 32 ids of [a-z0-9][a-z0-9._-]{0,63}
// A second organisation with a USCC already registered gets 409 "duplicate_uscc" with
// `Location: /v1/orgs/<existing id>` and the id in the detail message. Every write appends an
// audit row in the same transaction.
//
// Thread-safety: handlers are stateless; the reference tables are immutable.
#pragma once

#include "api/json.hpp"
#include "api/router.hpp"
#include "schema/org_store.hpp"

namespace renewmatch::api {

void RegisterOrgRoutes(Router& router);

// Writes the JSON object for an organisation (used by /v1/orgs and the CLI).
void WriteOrgJson(JsonWriter& writer, const schema::OrgRecord& org);

}  // namespace renewmatch::api
