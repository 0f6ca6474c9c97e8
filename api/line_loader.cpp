#include "api/line_loader.hpp"

#include "api/json.hpp"
#include "api/orgs_reference.hpp"
#include "api/reference.hpp"
#include "schema/list_store.hpp"

#include <rapidjson/error/en.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace renewmatch::api {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

// A one-line list document around `line_json` (an object).
std::string Wrap(std::string_view kind, std::string_view line_json) {
    std::string doc;
    doc.reserve(line_json.size() + 64);
    doc += R"({"kind":")";
    doc += kind;
    doc += R"(","series":"s","title":"t","lines":[)";
    doc += line_json;
    doc += "]}";
    return doc;
}

// The one-line decode's error with pointers made relative to the line.
ApiError RelativeToLine(ApiError error) {
    static constexpr std::string_view kPrefix = "/lines/0";
    for (auto& detail : error.details) {
        if (detail.field.rfind(kPrefix, 0) == 0) detail.field.erase(0, kPrefix.size());
        detail.line.reset();
    }
    return error;
}

ApiError StoredLineError(std::string_view entity, std::int64_t id, const ApiError& error) {
    std::string why = error.message;
    if (!error.details.empty()) {
        why = error.details.front().field + ": " + error.details.front().message;
    }
    return ApiError::Make(Errc::kInternal,
                          "stored " + std::string(entity) + " line " + std::to_string(id) +
                              " no longer decodes (" + why + ")",
                          "stored_line_invalid");
}

// The flags ParseDocument (api/json.cpp) and the list decoder parse with.
constexpr unsigned kJsonFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
// The same without the per-character UTF-8 check, for a body already checked whole by
// IsValidUtf8Fast: RapidJSON then copies string runs in bulk. For valid UTF-8 both flag sets
// build the same DOM (the check only ever rejects); a body that is not valid UTF-8 is parsed
// with kJsonFlags, so it fails with the very error it always did.
constexpr unsigned kJsonFlagsPrevalidated = rapidjson::kParseIterativeFlag;

// A decoder's unit memo holds at most this many distinct spellings (stored lines repeat a few
// units; past the cap a unit is simply validated again).
constexpr std::size_t kMemoCap = 4096;

// A stored line's DOM needs a few KiB; the pool's first chunk is this buffer, reused per line.
constexpr std::size_t kPoolBytes = 64 * 1024;

matcher::Day DayOfMs(std::int64_t ms) {
    const std::int64_t days = ms >= 0 ? ms / kMsPerDay : -((-ms + kMsPerDay - 1) / kMsPerDay);
    return static_cast<matcher::Day>(days);
}

}  // namespace

DecodeContext PublishDecodeContext(const ReferenceData* reference, const UnitChecker* units) {
    DecodeContext context;
    context.reference = reference != nullptr ? reference : ReferenceData::Embedded().get();
    context.units = units;
    // The embedded tables live for the whole process (Embedded() keeps its own reference).
    const ReferenceCodes* regions = ReferenceCodes::Embedded().get();
    context.normalize_region = [regions](std::string_view code) {
        return regions->NormalizeRegion(code);
    };
    context.sector_exists = [regions](std::string_view code) {
        return regions->FindSector(code) != nullptr;
    };
    return context;
}

namespace {

// api::IsValidUtf8, with runs of ASCII skipped a word at a time.
bool IsValidUtf8Fast(std::string_view text) noexcept {
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p != end) {
        // ASCII eight bytes at a time (the keys, numbers and Latin text of a stored body).
        while (end - p >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p, sizeof word);
            if ((word & 0x8080808080808080ULL) != 0) break;
            p += 8;
        }
        if (p == end) break;
        const auto lead = static_cast<unsigned char>(*p);
        if (lead < 0x80) {
            ++p;
            continue;
        }
        // One multi-byte sequence: the same rules as api::IsValidUtf8 (no overlong forms, no
        // surrogates, nothing above U+10FFFF), decided by IsValidUtf8 itself on the sequence.
        std::size_t length = 0;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
        } else {
            return false;
        }
        if (static_cast<std::size_t>(end - p) < length ||
            !IsValidUtf8(std::string_view(p, length))) {
            return false;
        }
        p += length;
    }
    return true;
}

// Hash of std::string keys that also takes string_views (lookups without a copy).
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
        return std::hash<std::string_view>{}(text);
    }
};
template <class Value>
using StringMemo = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

}  // namespace

// A UnitChecker that remembers the answers of another for the values it saw. Used by one
// StoredLineDecoder (one thread), so it needs no lock despite UnitChecker's thread-safety note.
class StoredLineDecoder::UnitMemo final : public UnitChecker {
  public:
    explicit UnitMemo(const UnitChecker& inner) : inner_(inner) {}
    boost::system::result<std::string, UnitProblem> Validate(std::string_view unit) const override {
        if (const auto it = memo_.find(unit); it != memo_.end()) return it->second;
        auto result = inner_.Validate(unit);
        if (memo_.size() < kMemoCap) memo_.emplace(std::string(unit), result);
        return result;
    }

  private:
    const UnitChecker& inner_;
    mutable StringMemo<boost::system::result<std::string, UnitProblem>> memo_;
};

struct StoredLineDecoder::Pool {
    std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(kPoolBytes);
    rapidjson::MemoryPoolAllocator<> allocator{buffer.get(), kPoolBytes};
};

StoredLineDecoder::StoredLineDecoder(const DecodeContext& context)
    : context_(context), pool_(std::make_unique<Pool>()) {
    if (context_.units != nullptr) {
        units_ = std::make_unique<UnitMemo>(*context_.units);
        context_.units = units_.get();
    }
}

StoredLineDecoder::~StoredLineDecoder() = default;

namespace {

// The body parsed into `pool` and decoded by the per-line rules of a JSON list; the pool is
// emptied (back to its buffer) before returning.
ApiResult<DecodedList> DecodeBody(ListKind kind,
                                  std::string_view body,
                                  const DecodeContext& context,
                                  rapidjson::MemoryPoolAllocator<>& pool) {
    ApiResult<DecodedList> decoded = [&]() -> ApiResult<DecodedList> {
        JsonDocument doc(&pool);
        if (IsValidUtf8Fast(body)) {
            doc.Parse<kJsonFlagsPrevalidated>(body.data(), body.size());
        } else {
            doc.Parse<kJsonFlags>(body.data(), body.size());
        }
        if (doc.HasParseError()) {
            return ApiError::Make(Errc::kMalformed,
                                  "invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) +
                                      ": " + rapidjson::GetParseError_En(doc.GetParseError()),
                                  "invalid_json");
        }
        return DecodeJsonLine(kind, doc, context);
    }();
    pool.Clear();
    return decoded;
}

}  // namespace

ApiResult<matcher::SupplyLine> StoredLineDecoder::Supply(const StoredLineIdentity& row,
                                                         std::string_view body) {
    auto decoded = DecodeBody(ListKind::kSupply, body, context_, pool_->allocator);
    if (!decoded) return StoredLineError("supply", row.id, decoded.error());
    if (decoded->supply.size() != 1) {
        return ApiError::Make(Errc::kInternal, "stored supply line is not one line");
    }
    matcher::SupplyLine line = std::move(decoded->supply.front());
    line.id = row.id;
    line.vendor_id = row.org_id;
    line.revision = static_cast<int>(row.revision);
    line.status = std::string(row.status);
    return line;
}

ApiResult<matcher::DemandLine> StoredLineDecoder::Demand(const StoredLineIdentity& row,
                                                         std::string_view body) {
    auto decoded = DecodeBody(ListKind::kDemand, body, context_, pool_->allocator);
    if (!decoded) return StoredLineError("demand", row.id, decoded.error());
    if (decoded->demands.size() != 1) {
        return ApiError::Make(Errc::kInternal, "stored demand line is not one line");
    }
    matcher::DemandLine line = std::move(decoded->demands.front());
    line.id = row.id;
    line.buyer_id = row.org_id;
    line.revision = static_cast<int>(row.revision);
    line.status = std::string(row.status);
    line.date_modified = DayOfMs(row.updated_at_ms);
    return line;
}

ApiResult<matcher::SupplyLine> DecodeStoredSupply(const schema::LineRow& row,
                                                  const DecodeContext& context) {
    if (row.entity != "supply") {
        return ApiError::Make(Errc::kInternal, "stored " + row.entity + " line is not supply");
    }
    return StoredLineDecoder(context).Supply(IdentityOf(row), row.body);
}

ApiResult<matcher::DemandLine> DecodeStoredDemand(const schema::LineRow& row,
                                                  const DecodeContext& context) {
    if (row.entity != "demand") {
        return ApiError::Make(Errc::kInternal, "stored " + row.entity + " line is not demand");
    }
    return StoredLineDecoder(context).Demand(IdentityOf(row), row.body);
}

ApiResult<matcher::DemandLine> DecodeSingleDemand(std::string_view json,
                                                  const DecodeContext& context) {
    auto doc = ParseDocument(json);
    if (!doc) return doc.error();
    if (!doc->IsObject()) {
        return FieldError("", "wrong_type", "the body must be one demand line (a JSON object)");
    }
    // Re-encoded from the parsed value, so nothing in the body can reach outside the line.
    JsonWriter line;
    line.Value(*doc);
    auto decoded = DecodeJsonList(Wrap("demand", line.view()), context);
    if (!decoded) return RelativeToLine(std::move(decoded).error());
    if (decoded->demands.size() != 1) {
        return ApiError::Make(Errc::kInternal, "decoder returned no line");
    }
    return std::move(decoded->demands.front());
}

}  // namespace renewmatch::api
