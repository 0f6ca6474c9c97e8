// Turning stored lines back into matcher values, and decoding one line outside a list.
//
// A stored line's `body` is the canonical JSON the list routes wrote from the decoded line at
// publish (api/lists.cpp). Decoding it again with the same list decoder and the same reference
// data reproduces that decoded line field for field (tests/api/match_index_test.cpp checks it);
// the storage identity that is not part of the body -- id, organisation, revision, status and
// the day of the last change -- is taken from the row.
//
// DecodeSingleDemand decodes one demand line given as the JSON object a list's `lines` array
// holds (POST /v1/match: a preview that is never stored), with every error's field pointer
// relative to that object ("/quantity", not "/lines/0/quantity").
//
// Thread-safety: pure functions; the DecodeContext's references must outlive the call and be
// thread-safe for reading (ReferenceData, ReferenceCodes and UnitCatalog are).
#pragma once

#include "api/lists_decode.hpp"
#include "api/result.hpp"
#include "matcher/domain.hpp"

#include <string_view>

namespace renewmatch::schema {
struct LineRow;
}  // namespace renewmatch::schema

namespace renewmatch::api {

// The decoder context POST /v1/lists validates uploads with: `reference` (null = the embedded
// tables), `units` (required), GB/T 2260 regions and GB/T 4754 sectors from the embedded codes.
DecodeContext PublishDecodeContext(const ReferenceData* reference, const UnitChecker* units);

// Decodes a stored supply / demand line (row.entity must match).
ApiResult<matcher::SupplyLine> DecodeStoredSupply(const schema::LineRow& row,
                                                  const DecodeContext& context);
ApiResult<matcher::DemandLine> DecodeStoredDemand(const schema::LineRow& row,
                                                  const DecodeContext& context);

// Decodes one demand line object (see above). kMalformed for unreadable JSON, kInvalidArgument
// with every bad field otherwise.
ApiResult<matcher::DemandLine> DecodeSingleDemand(std::string_view json,
                                                  const DecodeContext& context);

}  // namespace renewmatch::api
