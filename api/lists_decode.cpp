#include "api/lists_decode.hpp"

#include "api/csv.hpp"
#include "api/encoding.hpp"
#include "api/json.hpp"
#include "matcher/dates.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>

namespace renewmatch::api {
namespace {

using Line = std::optional<std::int64_t>;

// ---- error collection ------------------------------------------------------------------------

class Errors {
  public:
    explicit Errors(std::size_t cap) : cap_(cap == 0 ? 1 : cap) {}

    // Adds a detail whose field is already final (a CSV column as written).
    void AddRaw(Line line, std::string field, std::string code, std::string message) {
        auto saved = std::move(translate_);
        translate_ = nullptr;
        Add(line, std::move(field), std::move(code), std::move(message));
        translate_ = std::move(saved);
    }
    void Add(Line line, std::string field, std::string code, std::string message) {
        if (full_) return;
        if (details_.size() + 1 >= cap_) {
            details_.push_back({line, "", "too_many_errors",
                                "more errors were found; only the first " +
                                    std::to_string(cap_ - 1) + " are listed"});
            full_ = true;
            return;
        }
        if (translate_) field = translate_(field);
        details_.push_back({line, std::move(field), std::move(code), std::move(message)});
    }
    void AddAll(const ApiError& error, Line line) {
        if (error.details.empty()) {
            Add(line, "", error.code.empty() ? "invalid_value" : error.code, error.message);
        }
        for (const auto& d : error.details) Add(line, d.field, d.code, d.message);
    }
    bool full() const { return full_; }
    bool empty() const { return details_.empty(); }
    std::vector<ErrorDetail> Take() { return std::move(details_); }
    void set_translate(std::function<std::string(const std::string&)> f) {
        translate_ = std::move(f);
    }

  private:
    std::size_t cap_;
    bool full_ = false;
    std::vector<ErrorDetail> details_;
    std::function<std::string(const std::string&)> translate_;
};

ApiError ListError(std::vector<ErrorDetail> details) {
    ApiError e =
        ApiError::Make(Errc::kInvalidArgument,
                       "the list was rejected: " + std::to_string(details.size()) +
                           (details.size() == 1 ? " error" : " errors") + " (nothing was stored)",
                       "invalid_list");
    e.details = std::move(details);
    return e;
}

// ---- typed reads that collect errors ---------------------------------------------------------

struct Reader {
    const DecodeContext& ctx;
    Errors& errors;
    Line line;

    std::string Ptr(std::string_view at, std::string_view key) const {
        return JsonPointerAppend(at, key);
    }
    void Fail(std::string field, std::string code, std::string message) {
        errors.Add(line, std::move(field), std::move(code), std::move(message));
    }

    template <class T>
    std::optional<T> Take(ApiResult<T>&& r) {
        if (!r) {
            errors.AddAll(r.error(), line);
            return std::nullopt;
        }
        return std::move(*r);
    }
    template <class T>
    std::optional<T> TakeOpt(ApiResult<std::optional<T>>&& r) {
        if (!r) {
            errors.AddAll(r.error(), line);
            return std::nullopt;
        }
        return std::move(*r);
    }

    // ---- member reads: the api/json.hpp readers, with the common case answered here --------
    // When `o` is an object and `key` is absent, null, or of the expected type (and size), the
    // value is taken here, without building the member's JSON pointer or an ApiResult; in every
    // other case the api/json.hpp reader runs and reports exactly the error it always did, at
    // the same point of the decode. (Each Fast* below must accept only what its reader accepts
    // and return the same value: tests/api/lists_decode_test.cpp, match_index_test.cpp.)

    // False when `o` is not an object (the reader reports that); otherwise `found` is the
    // member, or nullptr when it is absent or null.
    static bool Lookup(const JsonValue& o, std::string_view key, const JsonValue*& found) {
        if (!o.IsObject()) return false;
        const auto it =
            o.FindMember(JsonValue(key.data(), static_cast<rapidjson::SizeType>(key.size())));
        found = it == o.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
        return true;
    }
    static bool FastString(const JsonValue& v, std::size_t max_length) {
        return v.IsString() && v.GetStringLength() <= max_length;
    }
    static std::string StringOf(const JsonValue& v) {
        return std::string(v.GetString(), v.GetStringLength());
    }
    static bool FastDouble(const JsonValue& v, double& out) {
        if (!v.IsNumber()) return false;
        out = v.GetDouble();
        return std::isfinite(out);
    }
    // ReadString.
    std::optional<std::string> ReqStr(const JsonValue& o,
                                      std::string_view key,
                                      std::string_view at,
                                      std::size_t max_length) {
        const JsonValue* v = nullptr;
        if (Lookup(o, key, v) && v != nullptr && FastString(*v, max_length)) return StringOf(*v);
        return Take(ReadString(o, key, at, max_length));
    }
    // ReadOptionalString (nullopt: absent, null or refused).
    std::optional<std::string> OptStr(const JsonValue& o,
                                      std::string_view key,
                                      std::string_view at,
                                      std::size_t max_length) {
        const JsonValue* v = nullptr;
        if (Lookup(o, key, v)) {
            if (v == nullptr) return std::nullopt;
            if (FastString(*v, max_length)) return StringOf(*v);
        }
        return TakeOpt(ReadOptionalString(o, key, at, max_length));
    }
    // ReadDouble.
    std::optional<double> ReqDouble(const JsonValue& o, std::string_view key, std::string_view at) {
        const JsonValue* v = nullptr;
        double d = 0;
        if (Lookup(o, key, v) && v != nullptr && FastDouble(*v, d)) return d;
        return Take(ReadDouble(o, key, at));
    }
    // ReadOptionalDouble.
    std::optional<double> OptDouble(const JsonValue& o, std::string_view key, std::string_view at) {
        const JsonValue* v = nullptr;
        if (Lookup(o, key, v)) {
            if (v == nullptr) return std::nullopt;
            double d = 0;
            if (FastDouble(*v, d)) return d;
        }
        return TakeOpt(ReadOptionalDouble(o, key, at));
    }
    // ReadOptionalInt64.
    std::optional<std::int64_t> OptInt64(const JsonValue& o,
                                         std::string_view key,
                                         std::string_view at) {
        const JsonValue* v = nullptr;
        if (Lookup(o, key, v)) {
            if (v == nullptr) return std::nullopt;
            if (v->IsInt64()) return v->GetInt64();
        }
        return TakeOpt(ReadOptionalInt64(o, key, at));
    }
    // ReadOptionalBool.
    std::optional<bool> OptBoolean(const JsonValue& o, std::string_view key, std::string_view at) {
        const JsonValue* v = nullptr;
        if (Lookup(o, key, v)) {
            if (v == nullptr) return std::nullopt;
            if (v->IsBool()) return v->GetBool();
        }
        return TakeOpt(ReadOptionalBool(o, key, at));
    }
    // ReadOptionalArray / ReadOptionalObject: nullptr when absent, null or refused.
    const JsonValue* OptArray(const JsonValue& o, std::string_view key, std::string_view at) {
        const JsonValue* v = nullptr;
        if (Lookup(o, key, v) && (v == nullptr || v->IsArray())) return v;
        return Take(ReadOptionalArray(o, key, at)).value_or(nullptr);
    }
    const JsonValue* OptObject(const JsonValue& o, std::string_view key, std::string_view at) {
        const JsonValue* v = nullptr;
        if (Lookup(o, key, v) && (v == nullptr || v->IsObject())) return v;
        return Take(ReadOptionalObject(o, key, at)).value_or(nullptr);
    }
    // ReadObject: nullptr when refused.
    const JsonValue* ReqObject(const JsonValue& o, std::string_view key, std::string_view at) {
        const JsonValue* v = nullptr;
        if (Lookup(o, key, v) && v != nullptr && v->IsObject()) return v;
        return Take(ReadObject(o, key, at)).value_or(nullptr);
    }
    // AsString of an array element whose pointer `pointer()` gives.
    template <class Pointer>
    std::optional<std::string> ElementString(const JsonValue& v,
                                             Pointer&& pointer,
                                             std::size_t max_length) {
        if (FastString(v, max_length)) return StringOf(v);
        return Take(AsString(v, pointer(), max_length));
    }

    std::string RequiredString(const JsonValue& o, std::string_view key, std::string_view at) {
        auto s = ReqStr(o, key, at, ctx.limits.max_string_length);
        if (s && s->empty()) {
            Fail(Ptr(at, key), "required", "'" + std::string(key) + "' must not be empty");
        }
        return s.value_or(std::string());
    }
    std::string OptString(const JsonValue& o, std::string_view key, std::string_view at) {
        return OptStr(o, key, at, ctx.limits.max_string_length).value_or(std::string());
    }
    std::optional<double> OptNumber(const JsonValue& o,
                                    std::string_view key,
                                    std::string_view at,
                                    double lo,
                                    double hi,
                                    bool lo_exclusive = false) {
        auto v = OptDouble(o, key, at);
        if (v && (*v < lo || *v > hi || (lo_exclusive && *v == lo))) {
            Fail(Ptr(at, key), "out_of_range",
                 "'" + std::string(key) + "' must be " + (lo_exclusive ? "> " : ">= ") + Num(lo) +
                     (hi < 1e300 ? " and <= " + Num(hi) : std::string()));
            return std::nullopt;
        }
        return v;
    }
    std::optional<int> OptInt(const JsonValue& o,
                              std::string_view key,
                              std::string_view at,
                              std::int64_t lo,
                              std::int64_t hi) {
        auto v = OptInt64(o, key, at);
        if (!v) return std::nullopt;
        if (*v < lo || *v > hi) {
            Fail(Ptr(at, key), "out_of_range",
                 "'" + std::string(key) + "' must be an integer from " + std::to_string(lo) +
                     " to " + std::to_string(hi));
            return std::nullopt;
        }
        return static_cast<int>(*v);
    }
    bool OptBool(const JsonValue& o, std::string_view key, std::string_view at, bool dflt) {
        return OptBoolean(o, key, at).value_or(dflt);
    }
    std::optional<matcher::Day> OptDate(const JsonValue& o,
                                        std::string_view key,
                                        std::string_view at) {
        auto s = OptStr(o, key, at, 64);
        if (!s) return std::nullopt;
        auto day = matcher::ParseIsoDay(*s);
        if (!day) {
            Fail(Ptr(at, key), "malformed_date",
                 "'" + *s + "' is not a date of the form YYYY-MM-DD");
        }
        return day;
    }
    std::string Enum(const JsonValue& o,
                     std::string_view key,
                     std::string_view at,
                     std::initializer_list<std::string_view> allowed,
                     std::string_view dflt) {
        auto s = OptStr(o, key, at, 64);
        if (!s) return std::string(dflt);
        if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
            std::string list;
            for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            Fail(Ptr(at, key), "invalid_value", "'" + *s + "' is not one of: " + list);
            return std::string(dflt);
        }
        return *s;
    }
    std::string Region(const JsonValue& o,
                       std::string_view key,
                       std::string_view at,
                       bool required) {
        auto s = required ? ReqStr(o, key, at, 64) : OptStr(o, key, at, 64);
        if (!s) return {};
        return CheckRegion(*s, [&] { return Ptr(at, key); });
    }
    // `pointer()` gives the value's JSON pointer (built only when the code is refused).
    template <class Pointer>
    std::string CheckRegion(const std::string& code, Pointer&& pointer) {
        std::optional<std::string> normal =
            ctx.normalize_region ? ctx.normalize_region(code) : NormalizeRegionForm(code);
        if (!normal) {
            Fail(pointer(), "unknown_region",
                 "'" + code + "' is not a GB/T 2260 region code (2, 4 or 6 digits, e.g. 320500)");
            return {};
        }
        return *normal;
    }
    std::vector<std::string> StringArray(const JsonValue& o,
                                         std::string_view key,
                                         std::string_view at,
                                         bool regions) {
        std::vector<std::string> out;
        const JsonValue* arr = OptArray(o, key, at);
        if (arr == nullptr) return out;
        out.reserve(arr->Size());
        std::size_t i = 0;
        for (const auto& item : arr->GetArray()) {
            const auto pointer = [&, index = i++] {
                return JsonPointerAppend(Ptr(at, key), index);
            };
            auto s = ElementString(item, pointer, ctx.limits.max_string_length);
            if (!s) continue;
            if (s->empty()) {
                Fail(pointer(), "required", "empty string");
                continue;
            }
            out.push_back(regions ? CheckRegion(*s, pointer) : std::move(*s));
        }
        return out;
    }
    std::optional<matcher::Classification> ClassificationAt(const JsonValue& v,
                                                            const std::string& p) {
        if (!v.IsObject()) {
            Fail(p, "wrong_type", "expected an object {scheme, id}");
            return std::nullopt;
        }
        if (auto r = RejectUnknownFields(v, p, {"scheme", "id", "description"}); !r) {
            errors.AddAll(r.error(), line);
        }
        auto scheme = OptStr(v, "scheme", p, 16).value_or("CPV");
        auto id = ReqStr(v, "id", p, 32);
        if (!id) return std::nullopt;
        auto canonical = ctx.reference->CanonicalClassification(scheme, *id);
        if (!canonical) {
            const bool scheme_bad = canonical.error().code == "unknown_scheme";
            Fail(scheme_bad ? Ptr(p, "scheme") : Ptr(p, "id"), canonical.error().code,
                 canonical.error().message);
            return std::nullopt;
        }
        matcher::Classification c;
        std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](char ch) {
            return static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        });
        c.scheme = scheme;
        c.id = std::move(*canonical);
        return c;
    }
    matcher::Classification RequiredClassification(const JsonValue& o, std::string_view at) {
        const JsonValue* obj = ReqObject(o, "classification", at);
        if (obj == nullptr) return {};
        return ClassificationAt(*obj, Ptr(at, "classification"))
            .value_or(matcher::Classification{});
    }
    std::vector<matcher::Classification> Additional(const JsonValue& o, std::string_view at) {
        std::vector<matcher::Classification> out;
        const JsonValue* arr = OptArray(o, "additionalClassifications", at);
        if (arr == nullptr) return out;
        const std::string base = Ptr(at, "additionalClassifications");
        std::size_t i = 0;
        for (const auto& item : arr->GetArray()) {
            if (auto c = ClassificationAt(item, JsonPointerAppend(base, i++))) out.push_back(*c);
        }
        return out;
    }
    // The canonical spelling of the unit at member `key` of the object at `at`.
    std::string Unit(const std::string& unit, std::string_view at, std::string_view key) {
        auto v = ctx.units->Validate(unit);
        if (!v) {
            Fail(JsonPointerAppend(at, key), "unknown_unit", v.error().message);
            return {};
        }
        return std::move(*v);
    }
    // The `amount` (>= 0) and `currency` (ISO 4217 form; kept as is when absent) members of a
    // money object at `p` (a demand budget, a supply price).
    void Money(const JsonValue& o,
               const std::string& p,
               std::optional<double>& amount,
               std::string& currency) {
        if (auto a = ReqDouble(o, "amount", p)) {
            if (*a < 0) {
                Fail(JsonPointerAppend(p, "amount"), "out_of_range", "'amount' must be >= 0");
            } else {
                amount = *a;
            }
        }
        const std::string cur = OptString(o, "currency", p);
        if (cur.empty()) return;
        if (cur.size() != 3 ||
            !std::all_of(cur.begin(), cur.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
            Fail(JsonPointerAppend(p, "currency"), "invalid_value",
                 "'" + cur + "' is not an ISO 4217 currency code such as CNY");
        } else {
            currency = cur;
        }
    }
    static std::string Num(double v) {
        char buf[32];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
        return ec == std::errc() ? std::string(buf, end) : std::string("?");
    }
};

constexpr double kHuge = 1e300;

// ---- demand lines ----------------------------------------------------------------------------

void DecodeRequirement(Reader& r,
                       const JsonValue& v,
                       const std::string& p,
                       std::vector<matcher::Requirement>& out) {
    if (!v.IsObject()) {
        r.Fail(p, "wrong_type", "expected an object");
        return;
    }
    if (auto u = RejectUnknownFields(
            v, p, {"name", "min", "max", "expected", "unit", "values", "equals", "mandatory"});
        !u) {
        r.errors.AddAll(u.error(), r.line);
    }
    matcher::Requirement q;
    q.name = r.RequiredString(v, "name", p);
    q.min = r.OptNumber(v, "min", p, -kHuge, kHuge);
    q.max = r.OptNumber(v, "max", p, -kHuge, kHuge);
    q.expected = r.OptNumber(v, "expected", p, -kHuge, kHuge);
    q.unit = r.Unit(r.OptString(v, "unit", p), p, "unit");
    q.allowed_values = r.StringArray(v, "values", p, false);
    q.text_equals = r.OptString(v, "equals", p);
    q.mandatory = r.OptBool(v, "mandatory", p, true);
    if (q.min && q.max && *q.min > *q.max) {
        r.Fail(JsonPointerAppend(p, "min"), "invalid_value", "'min' is greater than 'max'");
    }
    if (!q.min && !q.max && !q.expected && q.allowed_values.empty() && q.text_equals.empty()) {
        r.Fail(p, "required", "a requirement needs one of min, max, expected, values or equals");
    }
    out.push_back(std::move(q));
}

matcher::DemandLine DecodeDemand(Reader& r, const JsonValue& o, const std::string& at) {
    matcher::DemandLine d;
    if (auto u = RejectUnknownFields(
            o, at,
            {"ref", "title", "description", "classification", "additionalClassifications",
             "quantity", "unit", "budget", "deliveryAddress", "deliveryDate", "responseDeadline",
             "requirements", "certificationsRequired", "energyEfficiencyMin", "localizationRateMin",
             "secondHandAllowed", "replaces", "chainSegment", "status"});
        !u) {
        r.errors.AddAll(u.error(), r.line);
    }
    d.ref = r.RequiredString(o, "ref", at);
    d.title = r.RequiredString(o, "title", at);
    d.description = r.OptString(o, "description", at);
    d.classification = r.RequiredClassification(o, at);
    d.additional_classifications = r.Additional(o, at);
    if (auto q = r.ReqDouble(o, "quantity", at)) {
        if (*q <= 0) {
            r.Fail(r.Ptr(at, "quantity"), "out_of_range", "'quantity' must be > 0");
        } else {
            d.quantity = *q;
        }
    }
    if (const JsonValue* unit = r.OptObject(o, "unit", at)) {
        const std::string p = r.Ptr(at, "unit");
        if (auto u = RejectUnknownFields(*unit, p, {"code", "name"}); !u) {
            r.errors.AddAll(u.error(), r.line);
        }
        r.OptString(*unit, "name", p);
        if (auto code = r.ReqStr(*unit, "code", p, 8)) {
            if (r.ctx.reference->FindQuantityUnit(*code) == nullptr) {
                std::string hint;
                for (const auto& s : r.ctx.reference->SuggestQuantityUnits(*code)) {
                    hint += (hint.empty() ? "; did you mean " : ", ") + s;
                }
                r.Fail(JsonPointerAppend(p, "code"), "unknown_unit",
                       "'" + *code + "' is not a UN/CEFACT Rec 20 unit code" + hint);
            } else {
                d.quantity_unit = *code;
            }
        }
    }
    if (const JsonValue* budget = r.OptObject(o, "budget", at)) {
        const std::string p = r.Ptr(at, "budget");
        if (auto u = RejectUnknownFields(*budget, p, {"amount", "currency", "visibility"}); !u) {
            r.errors.AddAll(u.error(), r.line);
        }
        r.Money(*budget, p, d.budget_amount, d.budget_currency);
        const std::string vis =
            r.Enum(*budget, "visibility", p, {"public", "range", "hidden"}, "public");
        d.budget_visibility = vis == "hidden"  ? matcher::BudgetVisibility::kHidden
                              : vis == "range" ? matcher::BudgetVisibility::kRange
                                               : matcher::BudgetVisibility::kPublic;
    }
    if (const JsonValue* addr = r.ReqObject(o, "deliveryAddress", at)) {
        const std::string p = r.Ptr(at, "deliveryAddress");
        if (auto u = RejectUnknownFields(*addr, p, {"region", "lat", "lon", "streetAddress"}); !u) {
            r.errors.AddAll(u.error(), r.line);
        }
        d.delivery_region = r.Region(*addr, "region", p, true);
        d.delivery_lat = r.OptNumber(*addr, "lat", p, -90, 90);
        d.delivery_lon = r.OptNumber(*addr, "lon", p, -180, 180);
        r.OptString(*addr, "streetAddress", p);
        if (d.delivery_lat.has_value() != d.delivery_lon.has_value()) {
            r.Fail(p, "required", "'lat' and 'lon' go together");
        }
    }
    d.need_by = r.OptDate(o, "deliveryDate", at);
    d.response_deadline = r.OptDate(o, "responseDeadline", at);
    if (const JsonValue* reqs = r.OptArray(o, "requirements", at)) {
        const std::string base = r.Ptr(at, "requirements");
        std::size_t i = 0;
        for (const auto& item : reqs->GetArray()) {
            DecodeRequirement(r, item, JsonPointerAppend(base, i++), d.requirements);
        }
    }
    d.certifications_required = r.StringArray(o, "certificationsRequired", at, false);
    d.energy_efficiency_min = r.OptInt(o, "energyEfficiencyMin", at, 1, 5);
    d.localization_rate_min = r.OptNumber(o, "localizationRateMin", at, 0, 1);
    d.second_hand_allowed = r.OptBool(o, "secondHandAllowed", at, false);
    if (const JsonValue* rep = r.OptArray(o, "replaces", at)) {
        const std::string base = r.Ptr(at, "replaces");
        std::size_t i = 0;
        for (const auto& item : rep->GetArray()) {
            const std::string p = JsonPointerAppend(base, i++);
            if (!item.IsObject()) {
                r.Fail(p, "wrong_type", "expected an object {asset, yearsInService}");
                continue;
            }
            if (auto u = RejectUnknownFields(item, p, {"asset", "yearsInService"}); !u) {
                r.errors.AddAll(u.error(), r.line);
            }
            matcher::ReplacedAsset a;
            a.asset = r.RequiredString(item, "asset", p);
            a.years_in_service = r.OptInt(item, "yearsInService", p, 0, 200);
            d.replaces.push_back(std::move(a));
        }
    }
    d.chain_segment = r.OptString(o, "chainSegment", at);
    d.status = r.Enum(o, "status", at, {"open", "awarded", "closed"}, "open");
    return d;
}

// ---- supply lines ----------------------------------------------------------------------------

void DecodeAttribute(Reader& r,
                     const JsonValue& v,
                     const std::string& p,
                     std::vector<matcher::Attribute>& out) {
    if (!v.IsObject()) {
        r.Fail(p, "wrong_type", "expected an object");
        return;
    }
    if (auto u = RejectUnknownFields(v, p, {"name", "value", "min", "max", "unit", "text"}); !u) {
        r.errors.AddAll(u.error(), r.line);
    }
    matcher::Attribute a;
    a.name = r.RequiredString(v, "name", p);
    a.value = r.OptNumber(v, "value", p, -kHuge, kHuge);
    a.min = r.OptNumber(v, "min", p, -kHuge, kHuge);
    a.max = r.OptNumber(v, "max", p, -kHuge, kHuge);
    a.unit = r.Unit(r.OptString(v, "unit", p), p, "unit");
    a.text = r.OptString(v, "text", p);
    if (a.min && a.max && *a.min > *a.max) {
        r.Fail(JsonPointerAppend(p, "min"), "invalid_value", "'min' is greater than 'max'");
    }
    if (!a.value && !a.min && !a.max && a.text.empty()) {
        r.Fail(p, "required", "an attribute needs a value, min/max or text");
    }
    out.push_back(std::move(a));
}

matcher::SupplyLine DecodeSupply(Reader& r, const JsonValue& o, const std::string& at) {
    matcher::SupplyLine s;
    if (auto u = RejectUnknownFields(o, at,
                                     {"sku",
                                      "title",
                                      "description",
                                      "brand",
                                      "model",
                                      "classification",
                                      "additionalClassifications",
                                      "attributes",
                                      "price",
                                      "minOrderQty",
                                      "capacityPerMonth",
                                      "leadTimeDays",
                                      "serviceAreas",
                                      "excludedAreas",
                                      "certifications",
                                      "energyEfficiencyGrade",
                                      "localizationRate",
                                      "firstOfKind",
                                      "secondHand",
                                      "chainSegment",
                                      "vendorRegion",
                                      "status",
                                      "lastConfirmedAt"});
        !u) {
        r.errors.AddAll(u.error(), r.line);
    }
    s.sku = r.RequiredString(o, "sku", at);
    s.title = r.RequiredString(o, "title", at);
    s.description = r.OptString(o, "description", at);
    s.brand = r.OptString(o, "brand", at);
    s.model = r.OptString(o, "model", at);
    s.classification = r.RequiredClassification(o, at);
    s.additional_classifications = r.Additional(o, at);
    if (const JsonValue* attrs = r.OptArray(o, "attributes", at)) {
        const std::string base = r.Ptr(at, "attributes");
        std::size_t i = 0;
        for (const auto& item : attrs->GetArray()) {
            DecodeAttribute(r, item, JsonPointerAppend(base, i++), s.attributes);
        }
    }
    if (const JsonValue* price = r.OptObject(o, "price", at)) {
        const std::string p = r.Ptr(at, "price");
        if (auto u = RejectUnknownFields(*price, p, {"amount", "currency", "validUntil"}); !u) {
            r.errors.AddAll(u.error(), r.line);
        }
        r.Money(*price, p, s.price_amount, s.price_currency);
        s.price_valid_until = r.OptDate(*price, "validUntil", p);
    }
    s.min_order_qty = r.OptNumber(o, "minOrderQty", at, 0, kHuge).value_or(0);
    s.capacity_per_month = r.OptNumber(o, "capacityPerMonth", at, 0, kHuge);
    s.lead_time_days = r.OptInt(o, "leadTimeDays", at, 0, 3650);
    s.service_areas = r.StringArray(o, "serviceAreas", at, true);
    s.excluded_areas = r.StringArray(o, "excludedAreas", at, true);
    if (const JsonValue* certs = r.OptArray(o, "certifications", at)) {
        const std::string base = r.Ptr(at, "certifications");
        std::size_t i = 0;
        for (const auto& item : certs->GetArray()) {
            const std::string p = JsonPointerAppend(base, i++);
            if (!item.IsObject()) {
                r.Fail(p, "wrong_type", "expected an object {type, number, expiresAt}");
                continue;
            }
            if (auto u = RejectUnknownFields(item, p, {"type", "number", "expiresAt"}); !u) {
                r.errors.AddAll(u.error(), r.line);
            }
            matcher::Certification c;
            c.type = r.RequiredString(item, "type", p);
            c.number = r.OptString(item, "number", p);
            c.expires_at = r.OptDate(item, "expiresAt", p);
            s.certifications.push_back(std::move(c));
        }
    }
    s.energy_efficiency_grade = r.OptInt(o, "energyEfficiencyGrade", at, 1, 5);
    s.localization_rate = r.OptNumber(o, "localizationRate", at, 0, 1);
    s.first_of_kind = r.OptBool(o, "firstOfKind", at, false);
    s.second_hand = r.OptBool(o, "secondHand", at, false);
    s.chain_segment = r.OptString(o, "chainSegment", at);
    s.vendor_region = r.Region(o, "vendorRegion", at, false);
    s.status = r.Enum(o, "status", at, {"active", "suspended"}, "active");
    s.last_confirmed_at = r.OptDate(o, "lastConfirmedAt", at).value_or(0);
    return s;
}

// ---- projects --------------------------------------------------------------------------------

matcher::Project DecodeProject(Reader& r, const JsonValue& o, const std::string& at) {
    matcher::Project p;
    if (auto u =
            RejectUnknownFields(o, at,
                                {"ref", "name", "type", "sector", "region", "filingCode", "stage",
                                 "progressPct", "startDate", "plannedCompletion", "totalInvestment",
                                 "equipmentInvestment", "demandRefs", "status"});
        !u) {
        r.errors.AddAll(u.error(), r.line);
    }
    p.ref = r.RequiredString(o, "ref", at);
    p.name = r.RequiredString(o, "name", at);
    p.type = r.OptString(o, "type", at);
    p.sector = r.OptString(o, "sector", at);
    if (!p.sector.empty() && r.ctx.sector_exists && !r.ctx.sector_exists(p.sector)) {
        r.Fail(r.Ptr(at, "sector"), "unknown_code",
               "'" + p.sector + "' is not a GB/T 4754-2017 industry code");
    }
    p.region = r.Region(o, "region", at, false);
    p.filing_code = r.OptString(o, "filingCode", at);
    p.stage =
        r.Enum(o, "stage", at,
               {"planning", "approved", "construction", "commissioning", "completed"}, "planning");
    p.progress_pct = r.OptNumber(o, "progressPct", at, 0, 100);
    p.start_date = r.OptDate(o, "startDate", at);
    p.planned_completion = r.OptDate(o, "plannedCompletion", at);
    if (p.start_date && p.planned_completion && *p.planned_completion < *p.start_date) {
        r.Fail(r.Ptr(at, "plannedCompletion"), "invalid_value",
               "'plannedCompletion' is before 'startDate'");
    }
    p.total_investment = r.OptNumber(o, "totalInvestment", at, 0, kHuge);
    p.equipment_investment = r.OptNumber(o, "equipmentInvestment", at, 0, kHuge);
    if (p.total_investment && p.equipment_investment &&
        *p.equipment_investment > *p.total_investment) {
        r.Fail(r.Ptr(at, "equipmentInvestment"), "invalid_value",
               "'equipmentInvestment' exceeds 'totalInvestment'");
    }
    p.demand_refs = r.StringArray(o, "demandRefs", at, false);
    p.status = r.Enum(o, "status", at, {"active", "suspended", "completed"}, "active");
    return p;
}

// Decodes one line object of `kind` into `out`; checks the ref is unique in the list (`refs`:
// the refs seen so far; null when the line is decoded alone and so cannot repeat one).
void DecodeLine(Reader& r,
                ListKind kind,
                const JsonValue& o,
                const std::string& at,
                DecodedList& out,
                std::unordered_map<std::string, Line>* refs) {
    if (!o.IsObject()) {
        r.Fail(at, "wrong_type", "a line must be an object");
        return;
    }
    std::string ref;
    std::string ref_field;
    switch (kind) {
        case ListKind::kDemand:
            out.demands.push_back(DecodeDemand(r, o, at));
            ref = out.demands.back().ref;
            ref_field = "ref";
            break;
        case ListKind::kSupply:
            out.supply.push_back(DecodeSupply(r, o, at));
            ref = out.supply.back().sku;
            ref_field = "sku";
            break;
        case ListKind::kProject:
            out.projects.push_back(DecodeProject(r, o, at));
            ref = out.projects.back().ref;
            ref_field = "ref";
            break;
    }
    if (ref.empty() || refs == nullptr) return;
    auto [it, inserted] = refs->emplace(ref, r.line);
    if (!inserted) {
        r.Fail(JsonPointerAppend(at, ref_field), "duplicate_ref",
               "'" + ref + "' is already used by the line at " +
                   (it->second ? std::to_string(*it->second) : std::string("?")));
    }
}

// ---- streaming the lines of a JSON list ------------------------------------------------------

// The flags ParseDocument (api/json.cpp) parses with; the scan and the per-line parses below use
// the same ones, so they accept and reject exactly what a whole-document parse does.
constexpr unsigned kJsonFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

using JsonInput = rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>;

// Where the first top-level "lines" array of a list document and each of its elements lie, found
// by one SAX pass that builds no DOM. Byte offsets into the body: `open` is the '[', `close` one
// past the ']', `ends[i]` one past element i (element i starts after ends[i-1], or after the '[',
// once whitespace and the comma are skipped).
struct LinesLayout {
    bool found = false;
    std::size_t open = 0;
    std::size_t close = 0;
    std::vector<std::size_t> ends;
};

// SAX handler of the scan. RapidJSON's iterative parser calls Start*/End* before it consumes the
// bracket, and scalar events after the value.
class LinesScanner : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, LinesScanner> {
  public:
    LinesScanner(const JsonInput& in, LinesLayout& layout) : in_(in), layout_(layout) {}

    bool Default() {  // every scalar value
        if (in_lines_ && depth_ == 2) layout_.ends.push_back(in_.Tell());
        if (depth_ == 1) lines_next_ = false;
        return true;
    }
    bool Key(const char* text, rapidjson::SizeType length, bool) {
        if (depth_ == 1 && !lines_seen_ && std::string_view(text, length) == "lines") {
            lines_seen_ = true;
            lines_next_ = true;
        }
        return true;
    }
    bool StartObject() {
        if (depth_ == 1) lines_next_ = false;
        ++depth_;
        return true;
    }
    bool EndObject(rapidjson::SizeType) {
        --depth_;
        if (in_lines_ && depth_ == 2) layout_.ends.push_back(in_.Tell() + 1);
        return true;
    }
    bool StartArray() {
        if (depth_ == 1 && lines_next_) {
            in_lines_ = true;
            layout_.open = in_.Tell();
        }
        if (depth_ == 1) lines_next_ = false;
        ++depth_;
        return true;
    }
    bool EndArray(rapidjson::SizeType) {
        --depth_;
        if (in_lines_ && depth_ == 1) {
            in_lines_ = false;
            layout_.found = true;
            layout_.close = in_.Tell() + 1;
        } else if (in_lines_ && depth_ == 2) {
            layout_.ends.push_back(in_.Tell() + 1);
        }
        return true;
    }

  private:
    const JsonInput& in_;
    LinesLayout& layout_;
    int depth_ = 0;
    bool lines_seen_ = false;  // only the first "lines" member counts, as FindMember does
    bool lines_next_ = false;  // the next value at depth 1 is that member's
    bool in_lines_ = false;
};

// Scans `body`: nullopt when it is not valid JSON (the caller reports the error exactly as
// ParseDocument does). A layout whose brackets are not where they should be is reported as not
// found, so the caller falls back to the whole-document DOM.
std::optional<LinesLayout> ScanLines(std::string_view body) {
    LinesLayout layout;
    rapidjson::MemoryStream bytes(body.data(), body.size());
    JsonInput in(bytes);
    LinesScanner scanner(in, layout);
    rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, JsonStackAllocator> reader;
    if (reader.Parse<kJsonFlags>(in, scanner).IsError()) return std::nullopt;
    if (layout.found && (layout.close <= layout.open || layout.close > body.size() ||
                         body[layout.open] != '[' || body[layout.close - 1] != ']' ||
                         (!layout.ends.empty() && layout.ends.back() >= layout.close))) {
        layout = LinesLayout{};
    }
    return layout;
}

// Element `index` of the scanned "lines" array, without the separator before it.
std::string_view LineText(std::string_view body, const LinesLayout& layout, std::size_t index) {
    std::size_t start = index == 0 ? layout.open + 1 : layout.ends[index - 1];
    const std::size_t end = layout.ends[index];
    while (start < end && (body[start] == ' ' || body[start] == '\t' || body[start] == '\n' ||
                           body[start] == '\r' || body[start] == ',')) {
        ++start;
    }
    return body.substr(start, end - start);
}

bool ValidHeader(ListHeader& h, Errors& errors, bool csv) {
    auto field = [&](std::string_view name) {
        return csv ? std::string(name) : "/" + std::string(name);
    };
    if (h.series.empty() || h.series.size() > 200) {
        errors.Add(std::nullopt, field("series"), "required", "'series' must be 1..200 characters");
    }
    if (h.title.empty() || h.title.size() > 500) {
        errors.Add(std::nullopt, field("title"), "required", "'title' must be 1..500 characters");
    }
    if (h.period.size() > 64) {
        errors.Add(std::nullopt, field("period"), "out_of_range", "'period' is longer than 64");
    }
    return errors.empty();
}

}  // namespace

std::string_view ListKindName(ListKind kind) noexcept {
    switch (kind) {
        case ListKind::kDemand:
            return "demand";
        case ListKind::kSupply:
            return "supply";
        case ListKind::kProject:
            return "project";
    }
    return "demand";
}

std::optional<ListKind> ParseListKind(std::string_view name) noexcept {
    if (name == "demand") return ListKind::kDemand;
    if (name == "supply") return ListKind::kSupply;
    if (name == "project") return ListKind::kProject;
    return std::nullopt;
}

std::optional<std::string> NormalizeRegionForm(std::string_view code) {
    if (code.size() != 2 && code.size() != 4 && code.size() != 6) return std::nullopt;
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    std::string s(code);
    while (s.size() > 2 && s.compare(s.size() - 2, 2, "00") == 0) s.resize(s.size() - 2);
    if (s == "00") return std::nullopt;
    return s;
}

ApiResult<DecodedList> DecodeJsonList(std::string_view body, const DecodeContext& context) {
    // Pass 1: a SAX scan validates the whole document and finds the lines. The header is then
    // read from a small DOM of the document with the lines array cut out ("lines":[]), and each
    // line from a DOM of its own text, freed before the next: a large list is never held as one
    // DOM (docs/data-model.md, "Memory").
    const auto layout = ScanLines(body);
    if (!layout) {
        auto doc = ParseDocument(body);
        if (!doc) return doc.error();
        return ApiError::Make(Errc::kInternal, "the JSON scan and parse disagree");
    }
    const bool streamed = layout->found;
    std::string header_text;
    if (streamed) {
        header_text.reserve(body.size() - (layout->close - layout->open) + 2);
        header_text.append(body.substr(0, layout->open)).append("[]");
        header_text.append(body.substr(layout->close));
    }
    auto doc = ParseDocument(streamed ? std::string_view(header_text) : body);
    if (!doc) return doc.error();
    const JsonValue& root = *doc;
    Errors errors(context.limits.max_errors);
    Reader top{context, errors, std::nullopt};
    if (!root.IsObject()) {
        return FieldError("", "wrong_type", "the list must be a JSON object");
    }
    if (auto u = RejectUnknownFields(root, "",
                                     {"kind", "series", "title", "period", "publisherId", "lines"});
        !u) {
        errors.AddAll(u.error(), std::nullopt);
    }
    DecodedList out;
    const std::string kind_name = top.RequiredString(root, "kind", "");
    const auto kind = ParseListKind(kind_name);
    if (!kind && !kind_name.empty()) {
        top.Fail("/kind", "invalid_value",
                 "'" + kind_name + "' is not one of: demand, supply, project");
    }
    out.header.series = top.RequiredString(root, "series", "");
    out.header.title = top.RequiredString(root, "title", "");
    out.header.period = top.OptString(root, "period", "");
    out.header.publisher_id = top.TakeOpt(ReadOptionalInt64(root, "publisherId", ""));
    auto lines = top.Take(ReadArray(root, "lines", ""));
    const std::size_t n = streamed ? layout->ends.size() : (lines ? (*lines)->Size() : 0);
    if (lines && n > context.limits.max_lines) {
        ApiError e = ApiError::Make(Errc::kTooLarge,
                                    "the list has " + std::to_string(n) + " lines; at most " +
                                        std::to_string(context.limits.max_lines) + " are accepted",
                                    "too_many_lines");
        e.details.push_back({std::nullopt, "/lines", "too_many_lines", e.message});
        return e;
    }
    if (!kind || !lines) return ListError(errors.Take());
    out.header.kind = *kind;
    ValidHeader(out.header, errors, false);

    std::unordered_map<std::string, Line> refs;
    switch (*kind) {
        case ListKind::kDemand:
            out.demands.reserve(n);
            break;
        case ListKind::kSupply:
            out.supply.reserve(n);
            break;
        case ListKind::kProject:
            out.projects.reserve(n);
            break;
    }
    if (streamed) {
        // One pool for every line's DOM, emptied after each line (no allocation per line
        // unless a line outgrows the buffer).
        std::vector<char> pool_buffer(256 * 1024);
        rapidjson::MemoryPoolAllocator<> pool(pool_buffer.data(), pool_buffer.size());
        for (std::size_t index = 0; index < n; ++index) {
            if (errors.full()) break;
            {
                const std::string_view text = LineText(body, *layout, index);
                JsonDocument line(&pool);
                line.Parse<kJsonFlags>(text.data(), text.size());
                if (line.HasParseError()) {
                    return ApiError::Make(Errc::kInternal,
                                          "line " + std::to_string(index) + " did not re-parse");
                }
                Reader r{context, errors, static_cast<std::int64_t>(index)};
                DecodeLine(r, *kind, line, JsonPointerAppend("/lines", index), out, &refs);
            }
            pool.Clear();
        }
    } else {
        std::size_t index = 0;
        for (const auto& item : (*lines)->GetArray()) {
            if (errors.full()) break;
            Reader r{context, errors, static_cast<std::int64_t>(index)};
            DecodeLine(r, *kind, item, JsonPointerAppend("/lines", index), out, &refs);
            ++index;
        }
    }
    if (!errors.empty()) return ListError(errors.Take());
    return out;
}

ApiResult<DecodedList> DecodeJsonLine(ListKind kind,
                                      const JsonValue& line,
                                      const DecodeContext& context) {
    Errors errors(context.limits.max_errors);
    Reader r{context, errors, std::nullopt};
    DecodedList out;
    out.header.kind = kind;
    DecodeLine(r, kind, line, "", out, nullptr);
    if (!errors.empty()) return ListError(errors.Take());
    return out;
}

// ---- CSV ---------------------------------------------------------------------------------------
namespace {

enum class Col {
    kString,
    kNumber,
    kInt,
    kBool,
    kDate,
    kList,
    kRegionList,
    kRate,
    kPercent,
    kCerts,
    kQtyUnit,
    kVisibility,
    kStage,
    kAppendDescription,
    kRequirements,
    kAttributes,
};

struct ColumnSpec {
    std::string_view name;     // canonical (English, the JSON name)
    std::string_view pointer;  // where the value goes in the line object
    Col type;
    std::vector<std::string_view> aliases;
};

const std::vector<ColumnSpec>& Columns(ListKind kind) {
    static const std::vector<ColumnSpec> kDemand = {
        {"ref", "/ref", Col::kString, {"需求编号", "序号", "编号", "行号"}},
        {"title", "/title", Col::kString, {"设备名称", "名称", "需求名称", "产品名称"}},
        {"description", "/description", Col::kString, {"描述", "需求描述", "说明"}},
        {"specification", "/description", Col::kAppendDescription, {"规格型号", "规格", "型号"}},
        {"classification", "/classification/id", Col::kString, {"分类编码", "品目编码", "cpv"}},
        {"classificationScheme", "/classification/scheme", Col::kString, {"分类体系"}},
        {"quantity", "/quantity", Col::kNumber, {"数量"}},
        {"unit", "/unit/code", Col::kQtyUnit, {"单位", "计量单位"}},
        {"budget",
         "/budget/amount",
         Col::kNumber,
         {"预算金额", "预算", "预算金额(元)", "预算(元)"}},
        {"budgetCurrency", "/budget/currency", Col::kString, {"币种"}},
        {"budgetVisibility", "/budget/visibility", Col::kVisibility, {"预算公开方式", "预算公开"}},
        {"deliveryRegion",
         "/deliveryAddress/region",
         Col::kString,
         {"交付地点", "交付地区", "交货地点", "区划代码"}},
        {"deliveryLat", "/deliveryAddress/lat", Col::kNumber, {"纬度"}},
        {"deliveryLon", "/deliveryAddress/lon", Col::kNumber, {"经度"}},
        {"deliveryDate",
         "/deliveryDate",
         Col::kDate,
         {"需求时间", "交付日期", "交货日期", "需求日期", "交付时间"}},
        {"responseDeadline", "/responseDeadline", Col::kDate, {"响应截止日期", "截止日期"}},
        {"requirements", "/requirements", Col::kRequirements, {"技术要求", "技术参数要求"}},
        {"certificationsRequired", "/certificationsRequired", Col::kList, {"资质要求", "认证要求"}},
        {"energyEfficiencyMin", "/energyEfficiencyMin", Col::kInt, {"能效等级", "能效要求"}},
        {"localizationRateMin", "/localizationRateMin", Col::kRate, {"国产化率", "国产化率要求"}},
        {"secondHandAllowed", "/secondHandAllowed", Col::kBool, {"接受二手", "允许二手"}},
        {"chainSegment", "/chainSegment", Col::kString, {"产业链环节"}},
        {"status", "/status", Col::kString, {"状态"}},
    };
    static const std::vector<ColumnSpec> kSupply = {
        {"sku", "/sku", Col::kString, {"产品编号", "物料编码", "编号", "序号"}},
        {"title", "/title", Col::kString, {"产品名称", "设备名称", "名称"}},
        {"description", "/description", Col::kString, {"描述", "产品描述", "说明"}},
        {"brand", "/brand", Col::kString, {"品牌"}},
        {"model", "/model", Col::kString, {"规格型号", "型号"}},
        {"classification", "/classification/id", Col::kString, {"分类编码", "品目编码", "cpv"}},
        {"classificationScheme", "/classification/scheme", Col::kString, {"分类体系"}},
        {"attributes", "/attributes", Col::kAttributes, {"技术参数", "参数"}},
        {"price", "/price/amount", Col::kNumber, {"单价", "价格", "单价(元)", "报价"}},
        {"priceCurrency", "/price/currency", Col::kString, {"币种"}},
        {"priceValidUntil", "/price/validUntil", Col::kDate, {"报价有效期", "价格有效期"}},
        {"minOrderQty", "/minOrderQty", Col::kNumber, {"起订量", "最小起订量"}},
        {"capacityPerMonth", "/capacityPerMonth", Col::kNumber, {"月产能", "产能(月)"}},
        {"leadTimeDays", "/leadTimeDays", Col::kInt, {"交货周期", "供货周期", "交货期"}},
        {"serviceAreas", "/serviceAreas", Col::kRegionList, {"服务区域", "供货区域"}},
        {"excludedAreas", "/excludedAreas", Col::kRegionList, {"不服务区域", "排除区域"}},
        {"certifications", "/certifications", Col::kCerts, {"认证", "资质证书", "认证证书"}},
        {"energyEfficiencyGrade", "/energyEfficiencyGrade", Col::kInt, {"能效等级"}},
        {"localizationRate", "/localizationRate", Col::kRate, {"国产化率"}},
        {"firstOfKind", "/firstOfKind", Col::kBool, {"首台套", "首台(套)"}},
        {"secondHand", "/secondHand", Col::kBool, {"二手"}},
        {"chainSegment", "/chainSegment", Col::kString, {"产业链环节"}},
        {"vendorRegion", "/vendorRegion", Col::kString, {"所在地区", "生产地"}},
        {"status", "/status", Col::kString, {"状态"}},
        {"lastConfirmedAt", "/lastConfirmedAt", Col::kDate, {"确认日期", "更新日期"}},
    };
    static const std::vector<ColumnSpec> kProject = {
        {"ref", "/ref", Col::kString, {"项目编号", "编号", "序号"}},
        {"name", "/name", Col::kString, {"项目名称", "名称"}},
        {"type", "/type", Col::kString, {"项目类型"}},
        {"sector", "/sector", Col::kString, {"所属行业", "行业代码", "行业"}},
        {"region", "/region", Col::kString, {"建设地点", "所在地区", "区划代码"}},
        {"filingCode", "/filingCode", Col::kString, {"备案代码", "备案号", "项目代码"}},
        {"stage", "/stage", Col::kStage, {"项目阶段", "阶段"}},
        {"progressPct", "/progressPct", Col::kPercent, {"进度", "完成进度", "形象进度"}},
        {"startDate", "/startDate", Col::kDate, {"开工时间", "开工日期"}},
        {"plannedCompletion",
         "/plannedCompletion",
         Col::kDate,
         {"计划完工时间", "计划完工日期", "计划竣工时间"}},
        {"totalInvestment", "/totalInvestment", Col::kNumber, {"总投资", "总投资(元)"}},
        {"equipmentInvestment",
         "/equipmentInvestment",
         Col::kNumber,
         {"设备投资", "设备投资(元)", "设备购置投资"}},
        {"demandRefs", "/demandRefs", Col::kList, {"需求编号", "关联需求"}},
        {"status", "/status", Col::kString, {"状态"}},
    };
    switch (kind) {
        case ListKind::kDemand:
            return kDemand;
        case ListKind::kSupply:
            return kSupply;
        case ListKind::kProject:
            return kProject;
    }
    return kDemand;
}

std::string TrimCopy(std::string_view s) {
    auto issp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && issp(s.front())) s.remove_prefix(1);
    while (!s.empty() && issp(s.back())) s.remove_suffix(1);
    // Full-width space (U+3000) at either end, as Excel users type it.
    while (s.substr(0, 3) == "\xE3\x80\x80") s.remove_prefix(3);
    while (s.size() >= 3 && s.substr(s.size() - 3) == "\xE3\x80\x80") s.remove_suffix(3);
    return std::string(s);
}

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
        s.replace(pos, from.size(), to);
    }
}

// Header cells are matched after trimming, ASCII lower-casing, removing spaces and turning
// full-width parentheses into ASCII ones.
std::string HeaderKey(std::string_view cell) {
    std::string s = TrimCopy(cell);
    ReplaceAll(s, "（", "(");
    ReplaceAll(s, "）", ")");
    std::string out;
    for (char c : s) {
        if (c == ' ') continue;
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

struct BoundColumn {
    const ColumnSpec* spec = nullptr;  // null for req:/pref:/attr: columns
    std::string header;                // as written
    double scale = 1;                  // 1e4 for "(万元)" headers
    // req:/pref:/attr: columns
    std::string spec_name;
    std::string spec_unit;
    bool spec_mandatory = true;
    bool is_attribute = false;
};

std::optional<double> ParseNumberCell(std::string_view text) {
    std::string s;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ',' || c == ' ') continue;
        if (text.substr(i, 2) == "\xC2\xA5") {  // ¥
            ++i;
            continue;
        }
        if (text.substr(i, 3) == "\xEF\xBF\xA5") {  // ￥
            i += 2;
            continue;
        }
        s.push_back(c);
    }
    if (s.empty()) return std::nullopt;
    double v = 0;
    const char* first = s.data();
    if (*first == '+') ++first;
    auto [end, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

// "2026/3/1", "2026.3.1", "2026年3月1日" -> "2026-03-01"; anything else is passed through for
// ParseIsoDay to judge.
std::string NormalizeDateCell(std::string s) {
    ReplaceAll(s, "年", "-");
    ReplaceAll(s, "月", "-");
    ReplaceAll(s, "日", "");
    for (char& c : s) {
        if (c == '/' || c == '.') c = '-';
    }
    const auto first = s.find('-');
    const auto second = first == std::string::npos ? first : s.find('-', first + 1);
    if (first == 4 && second != std::string::npos &&
        s.find_first_of("T ", second) == std::string::npos) {
        std::string m = s.substr(first + 1, second - first - 1);
        std::string d = s.substr(second + 1);
        if (m.size() == 1) m = "0" + m;
        if (d.size() == 1) d = "0" + d;
        return s.substr(0, 4) + "-" + m + "-" + d;
    }
    return s;
}

std::optional<bool> ParseBoolCell(std::string_view s) {
    for (auto t : {"是", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "1", "有"}) {
        if (s == t) return true;
    }
    for (auto f : {"否", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "0", "无"}) {
        if (s == f) return false;
    }
    return std::nullopt;
}

// Splits a list cell on ';', '；', '、' and '|'.
std::vector<std::string> SplitList(std::string_view s) {
    std::string t(s);
    ReplaceAll(t, "；", ";");
    ReplaceAll(t, "、", ";");
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= t.size()) {
        const std::size_t end = t.find(';', start);
        std::string item = TrimCopy(std::string_view(t).substr(
            start, end == std::string::npos ? std::string::npos : end - start));
        if (!item.empty()) out.push_back(std::move(item));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

std::optional<std::string> QuantityUnitCode(std::string_view s) {
    static const std::map<std::string_view, std::string_view> kWords = {
        {"台", "C62"},   {"辆", "C62"}, {"个", "H87"},     {"件", "H87"},     {"只", "H87"},
        {"根", "H87"},   {"块", "H87"}, {"张", "H87"},     {"把", "H87"},     {"套", "SET"},
        {"组", "SET"},   {"批", "LO"},  {"项", "E51"},     {"吨", "TNE"},     {"千克", "KGM"},
        {"公斤", "KGM"}, {"米", "MTR"}, {"平方米", "MTK"}, {"立方米", "MTQ"}, {"升", "LTR"},
    };
    if (auto it = kWords.find(s); it != kWords.end()) return std::string(it->second);
    return std::nullopt;
}

class RowBuilder {
  public:
    RowBuilder(JsonDocument& doc) : doc_(doc), alloc_(doc.GetAllocator()) { doc_.SetObject(); }

    JsonValue& Slot(std::string_view pointer) {
        JsonValue* cur = &doc_;
        std::size_t pos = 1;
        while (true) {
            const std::size_t next = pointer.find('/', pos);
            const std::string_view key = pointer.substr(
                pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
            auto it = cur->FindMember(JsonValue(rapidjson::StringRef(key.data(), Size(key))));
            if (it == cur->MemberEnd()) {
                cur->AddMember(Str(key),
                               JsonValue(next == std::string_view::npos ? rapidjson::kNullType
                                                                        : rapidjson::kObjectType),
                               alloc_);
                it = cur->MemberEnd() - 1;
            }
            cur = &it->value;
            if (next == std::string_view::npos) return *cur;
            if (!cur->IsObject()) cur->SetObject();
            pos = next + 1;
        }
    }
    JsonValue Str(std::string_view s) { return JsonValue(s.data(), Size(s), alloc_); }
    JsonValue& Array(std::string_view pointer) {
        JsonValue& v = Slot(pointer);
        if (!v.IsArray()) v.SetArray();
        return v;
    }
    rapidjson::MemoryPoolAllocator<>& alloc() { return alloc_; }

  private:
    static rapidjson::SizeType Size(std::string_view s) {
        return static_cast<rapidjson::SizeType>(s.size());
    }
    JsonDocument& doc_;
    rapidjson::MemoryPoolAllocator<>& alloc_;
};

void AddSpec(RowBuilder& row,
             std::string_view array_pointer,
             const ParsedSpec& spec,
             bool attribute) {
    JsonValue obj(rapidjson::kObjectType);
    auto& a = row.alloc();
    obj.AddMember("name", row.Str(spec.name), a);
    if (attribute) {
        if (spec.expected) obj.AddMember("value", *spec.expected, a);
        if (spec.min) obj.AddMember("min", *spec.min, a);
        if (spec.max) obj.AddMember("max", *spec.max, a);
        std::string text = spec.text;
        for (const auto& v : spec.allowed_values) text += (text.empty() ? "" : "|") + v;
        if (!text.empty()) obj.AddMember("text", row.Str(text), a);
    } else {
        if (spec.min) obj.AddMember("min", *spec.min, a);
        if (spec.max) obj.AddMember("max", *spec.max, a);
        if (spec.expected) obj.AddMember("expected", *spec.expected, a);
        if (!spec.text.empty()) obj.AddMember("equals", row.Str(spec.text), a);
        if (!spec.allowed_values.empty()) {
            JsonValue values(rapidjson::kArrayType);
            for (const auto& v : spec.allowed_values) values.PushBack(row.Str(v), a);
            obj.AddMember("values", values, a);
        }
        obj.AddMember("mandatory", spec.mandatory, a);
    }
    if (!spec.unit.empty()) obj.AddMember("unit", row.Str(spec.unit), a);
    row.Array(array_pointer).PushBack(obj, a);
}

std::string_view SkipSpaces(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}

// Reads a leading number; returns it and the rest.
std::optional<std::pair<double, std::string_view>> LeadingNumber(std::string_view s) {
    s = SkipSpaces(s);
    std::size_t n = 0;
    if (n < s.size() && (s[n] == '-' || s[n] == '+')) ++n;
    const std::size_t digits_start = n;
    while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == ',')) ++n;
    if (n < s.size() && s[n] == '.' && !(n + 1 < s.size() && s[n + 1] == '.')) {
        ++n;
        while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    }
    if (n == digits_start) return std::nullopt;
    auto v = ParseNumberCell(s.substr(0, n));
    if (!v) return std::nullopt;
    return std::make_pair(*v, s.substr(n));
}

}  // namespace

namespace {
boost::system::result<ParsedSpec, std::string> SpecError(std::string message) {
    return {boost::system::in_place_error, std::move(message)};
}
}  // namespace

boost::system::result<ParsedSpec, std::string> ParseSpecValue(std::string_view value) {
    ParsedSpec spec;
    std::string text = TrimCopy(value);
    ReplaceAll(text, "≥", ">=");
    ReplaceAll(text, "≤", "<=");
    ReplaceAll(text, "≈", "~");
    ReplaceAll(text, "～", "~");
    std::string_view v = text;
    if (!v.empty() && v.front() == '?') {
        spec.mandatory = false;
        v = SkipSpaces(v.substr(1));
    }
    if (v.empty()) return SpecError(std::string("empty value"));
    auto unit_of = [](std::string_view rest) { return TrimCopy(rest); };
    auto op = [&](std::string_view prefix) {
        if (v.substr(0, prefix.size()) == prefix) {
            v = SkipSpaces(v.substr(prefix.size()));
            return true;
        }
        return false;
    };
    if (op(">=") || op(">")) {
        auto n = LeadingNumber(v);
        if (!n) return SpecError("expected a number after '>='");
        spec.min = n->first;
        spec.unit = unit_of(n->second);
        return {boost::system::in_place_value, std::move(spec)};
    }
    if (op("<=") || op("<")) {
        auto n = LeadingNumber(v);
        if (!n) return SpecError("expected a number after '<='");
        spec.max = n->first;
        spec.unit = unit_of(n->second);
        return {boost::system::in_place_value, std::move(spec)};
    }
    if (op("~")) {
        auto n = LeadingNumber(v);
        if (!n) return SpecError("expected a number after '~'");
        spec.expected = n->first;
        spec.unit = unit_of(n->second);
        return {boost::system::in_place_value, std::move(spec)};
    }
    const bool equals = op("=");
    // "A|B" is a list of allowed values (checked first: "4轴|6轴" is not the number 4).
    std::string t(v);
    if (t.find('|') != std::string::npos) {
        std::size_t start = 0;
        while (start <= t.size()) {
            const std::size_t end = t.find('|', start);
            std::string item = TrimCopy(std::string_view(t).substr(
                start, end == std::string::npos ? std::string::npos : end - start));
            if (!item.empty()) spec.allowed_values.push_back(std::move(item));
            if (end == std::string::npos) break;
            start = end + 1;
        }
        if (spec.allowed_values.empty()) return SpecError(std::string("empty list of values"));
        return {boost::system::in_place_value, std::move(spec)};
    }
    if (auto n = LeadingNumber(v)) {
        std::string_view rest = SkipSpaces(n->second);
        if (rest.substr(0, 2) == ".." || (!rest.empty() && rest.front() == '~')) {
            rest = rest.substr(rest.front() == '~' ? 1 : 2);
            auto hi = LeadingNumber(rest);
            if (!hi) return SpecError("expected a number after '..' in a range");
            spec.min = n->first;
            spec.max = hi->first;
            spec.unit = unit_of(hi->second);
            if (*spec.min > *spec.max)
                return SpecError("range lower bound is greater than the upper");
            return {boost::system::in_place_value, std::move(spec)};
        }
        if (equals) {
            spec.min = n->first;
            spec.max = n->first;
        } else {
            spec.expected = n->first;
        }
        spec.unit = unit_of(rest);
        return {boost::system::in_place_value, std::move(spec)};
    }
    // Anything else is an exact text value.
    spec.text = TrimCopy(t);
    return {boost::system::in_place_value, std::move(spec)};
}

boost::system::result<ParsedSpec, std::string> ParseSpecItem(std::string_view item) {
    std::string text = TrimCopy(item);
    ReplaceAll(text, "：", ":");
    std::string_view s = text;
    bool optional = false;
    if (!s.empty() && s.front() == '?') {
        optional = true;
        s = SkipSpaces(s.substr(1));
    }
    std::string name;
    std::string_view rest;
    if (const auto colon = s.find(':'); colon != std::string_view::npos) {
        name = TrimCopy(s.substr(0, colon));
        rest = s.substr(colon + 1);
    } else {
        // The name runs up to the first operator or number.
        std::size_t cut = std::string_view::npos;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const char c = s[i];
            const bool at_word = i == 0 || s[i - 1] == ' ';
            if (c == '>' || c == '<' || c == '=' || c == '~' || s.substr(i, 3) == "≥" ||
                s.substr(i, 3) == "≤" || s.substr(i, 3) == "≈" ||
                (at_word && ((c >= '0' && c <= '9') || (c == '-' && i + 1 < s.size() &&
                                                        s[i + 1] >= '0' && s[i + 1] <= '9')))) {
                cut = i;
                break;
            }
        }
        if (cut == std::string_view::npos) {
            const auto space = s.find(' ');
            if (space == std::string_view::npos)
                return SpecError("expected 'name value' or 'name: value'");
            cut = space;
        }
        name = TrimCopy(s.substr(0, cut));
        rest = s.substr(cut);
    }
    if (name.empty()) return SpecError(std::string("missing name"));
    auto spec = ParseSpecValue(rest);
    if (!spec) return SpecError(spec.error());
    spec->name = std::move(name);
    if (optional) spec->mandatory = false;
    return spec;
}

ApiResult<DecodedList> DecodeCsvList(std::string_view bytes,
                                     const ListHeader& header,
                                     const DecodeContext& context) {
    auto decoded = DecodeToUtf8(bytes);
    if (!decoded) {
        ApiError e = ApiError::Make(
            Errc::kMalformed,
            "line " + std::to_string(decoded.error().line) + ": " + decoded.error().message,
            "invalid_encoding");
        e.details.push_back(
            {decoded.error().line, "", "invalid_encoding", decoded.error().message});
        return e;
    }
    DecodedList out;
    out.header = header;
    out.source_encoding = std::string(TextEncodingName(decoded->source));
    Errors errors(context.limits.max_errors);
    ValidHeader(out.header, errors, true);

    auto csv_error = [](const CsvError& err) {
        ApiError e =
            ApiError::Make(Errc::kMalformed,
                           "line " + std::to_string(err.line) + ": " + err.message, "invalid_csv");
        e.details.push_back({err.line, "", err.code, err.message});
        return e;
    };

    CsvReader reader(decoded->utf8);
    CsvRecord record;
    if (!reader.Next(record)) {
        if (reader.error()) return csv_error(*reader.error());
        errors.Add(1, "", "required", "the CSV has no header row");
        return ListError(errors.Take());
    }
    // ---- bind the header row ----
    const auto& specs = Columns(header.kind);
    std::vector<BoundColumn> columns;
    std::map<std::string, std::string> canonical_to_header;  // pointer -> header text
    for (const auto& cell : record.fields) {
        BoundColumn col;
        col.header = TrimCopy(cell);
        std::string key = HeaderKey(cell);
        const bool req = key.rfind("req:", 0) == 0;
        const bool pref = key.rfind("pref:", 0) == 0;
        const bool attr = key.rfind("attr:", 0) == 0;
        if (req || pref || attr) {
            const std::string trimmed = TrimCopy(cell);
            std::string rest = trimmed.substr(trimmed.find(':') + 1);
            ReplaceAll(rest, "［", "[");
            ReplaceAll(rest, "］", "]");
            if (const auto open = rest.find('['); open != std::string::npos) {
                const auto close = rest.find(']', open);
                if (close == std::string::npos || close + 1 != rest.size()) {
                    errors.Add(record.line, col.header, "invalid_value",
                               "column '" + col.header + "': expected NAME[unit]");
                    columns.push_back(col);
                    continue;
                }
                col.spec_unit = TrimCopy(std::string_view(rest).substr(open + 1, close - open - 1));
                rest = rest.substr(0, open);
            }
            col.spec_name = TrimCopy(rest);
            col.spec_mandatory = !pref;
            col.is_attribute = attr;
            const bool allowed =
                attr ? header.kind == ListKind::kSupply : header.kind == ListKind::kDemand;
            if (col.spec_name.empty() || !allowed) {
                errors.Add(record.line, col.header, "unknown_column",
                           "column '" + col.header + "' is not valid in a " +
                               std::string(ListKindName(header.kind)) + " list");
            }
            columns.push_back(col);
            continue;
        }
        if (key.size() > 8 && key.compare(key.size() - 8, 8, "(万元)") == 0) {
            key.resize(key.size() - 8);
            col.scale = 1e4;
        }
        for (const auto& spec : specs) {
            std::string lower_name(spec.name);
            for (char& c : lower_name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            bool match = key == lower_name;
            for (auto alias : spec.aliases) match = match || key == alias;
            if (match) {
                col.spec = &spec;
                break;
            }
        }
        if (col.spec == nullptr) {
            errors.Add(record.line, col.header, "unknown_column",
                       "unknown column '" + col.header + "' in a " +
                           std::string(ListKindName(header.kind)) + " list");
        } else if (col.spec->type != Col::kAppendDescription &&
                   canonical_to_header.count(std::string(col.spec->pointer)) != 0) {
            errors.Add(record.line, col.header, "duplicate_column",
                       "column '" + col.header + "' repeats '" +
                           canonical_to_header[std::string(col.spec->pointer)] + "'");
        } else if (col.spec->type != Col::kAppendDescription) {
            canonical_to_header[std::string(col.spec->pointer)] = col.header;
        }
        columns.push_back(col);
    }
    if (!errors.empty()) return ListError(errors.Take());

    // ---- rows ----
    std::unordered_map<std::string, Line> refs;
    std::map<std::string, std::string> field_to_column;
    errors.set_translate([&](const std::string& field) {
        // Longest pointer prefix bound to a column, else the canonical name of the field.
        std::string best;
        std::size_t best_len = 0;
        for (const auto& [pointer, column] : field_to_column) {
            if (field.rfind(pointer, 0) == 0 && pointer.size() > best_len &&
                (field.size() == pointer.size() || field[pointer.size()] == '/')) {
                best = column;
                best_len = pointer.size();
            }
        }
        if (best_len > 0) return best;
        return field.empty() ? field : field.substr(1);
    });
    std::size_t line_count = 0;
    while (reader.Next(record)) {
        if (errors.full()) break;
        if (++line_count > context.limits.max_lines) {
            ApiError e = ApiError::Make(
                Errc::kTooLarge,
                "the list has more than " + std::to_string(context.limits.max_lines) + " lines",
                "too_many_lines");
            e.details.push_back({record.line, "", "too_many_lines", e.message});
            return e;
        }
        JsonDocument doc;
        RowBuilder row(doc);
        auto& a = row.alloc();
        field_to_column.clear();
        Reader r{context, errors, record.line};
        std::string appended_spec;
        for (std::size_t i = 0; i < columns.size() && i < record.fields.size(); ++i) {
            const BoundColumn& col = columns[i];
            const std::string cell = TrimCopy(record.fields[i]);
            if (cell.empty()) continue;
            auto fail = [&](std::string code, const std::string& message) {
                errors.AddRaw(record.line, col.header, std::move(code), message);
            };
            if (col.spec == nullptr) {  // req:/pref:/attr:
                auto spec = ParseSpecValue(cell);
                if (!spec) {
                    fail("invalid_value", "'" + cell + "': " + spec.error());
                    continue;
                }
                spec->name = col.spec_name;
                if (spec->unit.empty()) spec->unit = col.spec_unit;
                if (!col.spec_mandatory) spec->mandatory = false;
                const std::string arr = col.is_attribute ? "/attributes" : "/requirements";
                const std::size_t index = row.Array(arr).Size();
                field_to_column[JsonPointerAppend(arr, index)] = col.header;
                AddSpec(row, arr, *spec, col.is_attribute);
                continue;
            }
            const std::string pointer(col.spec->pointer);
            switch (col.spec->type) {
                case Col::kString:
                    row.Slot(pointer) = row.Str(cell);
                    break;
                case Col::kNumber:
                case Col::kInt:
                case Col::kPercent: {
                    std::string c = cell;
                    if (col.spec->type == Col::kPercent && !c.empty() && c.back() == '%')
                        c.pop_back();
                    auto v = ParseNumberCell(c);
                    if (!v) {
                        fail("wrong_type", "'" + cell + "' is not a number");
                        continue;
                    }
                    if (col.spec->type == Col::kInt) {
                        if (*v != std::floor(*v) || std::fabs(*v) > 1e15) {
                            fail("wrong_type", "'" + cell + "' is not an integer");
                            continue;
                        }
                        row.Slot(pointer) = JsonValue(static_cast<std::int64_t>(*v));
                    } else {
                        row.Slot(pointer) = JsonValue(*v * col.scale);
                    }
                    break;
                }
                case Col::kRate: {
                    std::string c = cell;
                    bool percent = false;
                    if (!c.empty() && c.back() == '%') {
                        c.pop_back();
                        percent = true;
                    }
                    auto v = ParseNumberCell(c);
                    if (!v) {
                        fail("wrong_type", "'" + cell + "' is not a rate (0.6 or 60%)");
                        continue;
                    }
                    // A CSV rate above 1 is read as a percentage ("60" = 60%).
                    row.Slot(pointer) = JsonValue(percent || *v > 1 ? *v / 100 : *v);
                    break;
                }
                case Col::kBool: {
                    auto v = ParseBoolCell(cell);
                    if (!v) {
                        fail("wrong_type", "'" + cell + "' is not yes/no (是/否)");
                        continue;
                    }
                    row.Slot(pointer) = JsonValue(*v);
                    break;
                }
                case Col::kDate:
                    row.Slot(pointer) = row.Str(NormalizeDateCell(cell));
                    break;
                case Col::kList:
                case Col::kRegionList: {
                    JsonValue& arr = row.Array(pointer);
                    for (const auto& item : SplitList(cell)) arr.PushBack(row.Str(item), a);
                    break;
                }
                case Col::kCerts: {
                    JsonValue& arr = row.Array(pointer);
                    for (const auto& item : SplitList(cell)) {
                        std::string t = item;
                        ReplaceAll(t, "：", ":");
                        JsonValue obj(rapidjson::kObjectType);
                        const auto c1 = t.find(':');
                        obj.AddMember("type", row.Str(TrimCopy(std::string_view(t).substr(0, c1))),
                                      a);
                        if (c1 != std::string::npos) {
                            const auto c2 = t.find(':', c1 + 1);
                            const std::string number = TrimCopy(std::string_view(t).substr(
                                c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1));
                            if (!number.empty()) obj.AddMember("number", row.Str(number), a);
                            if (c2 != std::string::npos) {
                                obj.AddMember("expiresAt",
                                              row.Str(NormalizeDateCell(
                                                  TrimCopy(std::string_view(t).substr(c2 + 1)))),
                                              a);
                            }
                        }
                        arr.PushBack(obj, a);
                    }
                    break;
                }
                case Col::kQtyUnit: {
                    auto code = QuantityUnitCode(cell);
                    std::string upper = cell;
                    for (char& ch : upper)
                        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                    row.Slot(pointer) = row.Str(code ? *code : upper);
                    break;
                }
                case Col::kVisibility: {
                    std::string v = cell;
                    if (cell == "公开") v = "public";
                    if (cell == "区间" || cell == "范围") v = "range";
                    if (cell == "不公开" || cell == "隐藏") v = "hidden";
                    row.Slot(pointer) = row.Str(v);
                    break;
                }
                case Col::kStage: {
                    static const std::map<std::string_view, std::string_view> kStages = {
                        {"规划", "planning"},       {"前期", "planning"},
                        {"已审批", "approved"},     {"已备案", "approved"},
                        {"建设中", "construction"}, {"在建", "construction"},
                        {"调试", "commissioning"},  {"试运行", "commissioning"},
                        {"已完成", "completed"},    {"已竣工", "completed"}};
                    auto it = kStages.find(cell);
                    row.Slot(pointer) =
                        row.Str(it == kStages.end() ? cell : std::string(it->second));
                    break;
                }
                case Col::kAppendDescription:
                    appended_spec = col.header + ": " + cell;
                    continue;  // merged after the loop
                case Col::kRequirements:
                case Col::kAttributes: {
                    const bool attribute = col.spec->type == Col::kAttributes;
                    for (const auto& item : SplitList(cell)) {
                        auto spec = ParseSpecItem(item);
                        if (!spec) {
                            fail("invalid_value", "'" + item + "': " + spec.error());
                            continue;
                        }
                        const std::size_t index = row.Array(pointer).Size();
                        field_to_column[JsonPointerAppend(pointer, index)] = col.header;
                        AddSpec(row, pointer, *spec, attribute);
                    }
                    continue;
                }
            }
            field_to_column[pointer] = col.header;
        }
        if (!appended_spec.empty()) {
            JsonValue& desc = row.Slot("/description");
            std::string text = desc.IsString()
                                   ? std::string(desc.GetString(), desc.GetStringLength())
                                   : std::string();
            text += (text.empty() ? "" : "\n") + appended_spec;
            desc = row.Str(text);
        }
        // Fields absent from the row are reported under their canonical column names.
        for (const auto& [pointer, column] : canonical_to_header) {
            field_to_column.emplace(pointer, column);
        }
        DecodeLine(r, header.kind, doc, "", out, &refs);
    }
    if (reader.error()) return csv_error(*reader.error());
    if (!errors.empty()) return ListError(errors.Take());
    return out;
}

}  // namespace renewmatch::api
