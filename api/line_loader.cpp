#include "api/line_loader.hpp"

#include "api/json.hpp"
#include "api/orgs_reference.hpp"
#include "api/reference.hpp"
#include "schema/list_store.hpp"

#include <string>
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

ApiError StoredLineError(const schema::LineRow& row, const ApiError& error) {
    std::string why = error.message;
    if (!error.details.empty()) {
        why = error.details.front().field + ": " + error.details.front().message;
    }
    return ApiError::Make(Errc::kInternal,
                          "stored " + row.entity + " line " + std::to_string(row.id) +
                              " no longer decodes (" + why + ")",
                          "stored_line_invalid");
}

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

ApiResult<matcher::SupplyLine> DecodeStoredSupply(const schema::LineRow& row,
                                                  const DecodeContext& context) {
    auto decoded = DecodeJsonList(Wrap("supply", row.body), context);
    if (!decoded) return StoredLineError(row, decoded.error());
    if (decoded->supply.size() != 1) {
        return ApiError::Make(Errc::kInternal, "stored supply line is not one line");
    }
    matcher::SupplyLine line = std::move(decoded->supply.front());
    line.id = row.id;
    line.vendor_id = row.org_id;
    line.revision = static_cast<int>(row.revision);
    line.status = row.status;
    return line;
}

ApiResult<matcher::DemandLine> DecodeStoredDemand(const schema::LineRow& row,
                                                  const DecodeContext& context) {
    auto decoded = DecodeJsonList(Wrap("demand", row.body), context);
    if (!decoded) return StoredLineError(row, decoded.error());
    if (decoded->demands.size() != 1) {
        return ApiError::Make(Errc::kInternal, "stored demand line is not one line");
    }
    matcher::DemandLine line = std::move(decoded->demands.front());
    line.id = row.id;
    line.buyer_id = row.org_id;
    line.revision = static_cast<int>(row.revision);
    line.status = row.status;
    line.date_modified = DayOfMs(row.updated_at_ms);
    return line;
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
