// Turning stored lines back into matcher values, and decoding one line outside a list.
//
// A stored line's `body` is the canonical JSON the list routes wrote from the decoded line at
// publish (api/lists.cpp). Decoding it again with the same list decoder and the same reference
// data reproduces that decoded line field for field (tests/api/match_index_test.cpp checks it);
// the storage identity that is not part of the body -- id, organisation, revision, status and
// the day of the last change -- is taken from the row.
//
// StoredLineDecoder is the fast form of the same decode for bulk loads (api/match_index.cpp): it
// parses the stored body straight into a DOM whose memory pool it reuses from line to line and
// hands that DOM to DecodeJsonLine (the very per-line rules DecodeJsonList applies to each
// element of `lines`), instead of wrapping the body in a one-line list document, scanning it,
// parsing its header and allocating a fresh 256 KiB pool per line. The decoded values are the
// same; only an error's field pointer differs ("/price/amount" instead of
// "/lines/0/price/amount"), and that only shows in LoadStats' first problem.
//
// DecodeSingleDemand decodes one demand line given as the JSON object a list's `lines` array
// holds (POST /v1/match: a preview that is never stored), with every error's field pointer
// relative to that object ("/quantity", not "/lines/0/quantity").
//
// Thread-safety: pure functions, except StoredLineDecoder, which one thread at a time uses (one
// per worker thread); the DecodeContext's references must outlive the call and be
// thread-safe for reading (ReferenceData, ReferenceCodes and UnitCatalog are).
#pragma once

#include "api/lists_decode.hpp"
#include "api/result.hpp"
#include "matcher/domain.hpp"

#include <cstdint>
#include <memory>
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

// What a stored line's row holds beside its body: the storage identity the body does not carry.
struct StoredLineIdentity {
    std::int64_t id = 0;
    std::int64_t org_id = 0;
    std::int64_t revision = 0;
    std::int64_t updated_at_ms = 0;  // demand lines: the day of the last change
    std::string_view status;
};

// The identity of a stored row: schema::LineRow or schema::IndexLineRow (the same field names).
template <class Row>
StoredLineIdentity IdentityOf(const Row& row) {
    StoredLineIdentity identity;
    identity.id = row.id;
    identity.org_id = row.org_id;
    identity.revision = row.revision;
    identity.updated_at_ms = row.updated_at_ms;
    identity.status = row.status;
    return identity;
}

// Decodes stored bodies with a reused DOM pool (see above). Borrows what `context` refers to
// (reference data, unit checker), which must outlive the decoder. A body that is valid UTF-8
// (checked whole, ASCII a word at a time) is parsed without RapidJSON's per-character check;
// any other is parsed with it, so it fails exactly as before.
class StoredLineDecoder {
  public:
    explicit StoredLineDecoder(const DecodeContext& context);
    ~StoredLineDecoder();
    StoredLineDecoder(const StoredLineDecoder&) = delete;
    StoredLineDecoder& operator=(const StoredLineDecoder&) = delete;

    ApiResult<matcher::SupplyLine> Supply(const StoredLineIdentity& row, std::string_view body);
    ApiResult<matcher::DemandLine> Demand(const StoredLineIdentity& row, std::string_view body);

  private:
    struct Pool;
    class UnitMemo;
    // A copy of the caller's context whose unit checker remembers its answers for this decoder
    // (a few units repeat from line to line; each answer is a function of the unit alone, so the
    // decoded lines are the same).
    DecodeContext context_;
    std::unique_ptr<UnitMemo> units_;
    std::unique_ptr<Pool> pool_;
};

// Decodes one demand line object (see above). kMalformed for unreadable JSON, kInvalidArgument
// with every bad field otherwise.
ApiResult<matcher::DemandLine> DecodeSingleDemand(std::string_view json,
                                                  const DecodeContext& context);

}  // namespace renewmatch::api
