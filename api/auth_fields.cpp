#include "api/auth_fields.hpp"

#include <cmath>

namespace renewmatch::api {

Viewer Viewer::From(const Principal* principal) {
    Viewer viewer;
    if (principal != nullptr) {
        viewer.org_id = principal->org_id;
        viewer.admin = principal->role == Role::kAdmin;
    }
    return viewer;
}

bool MaySee(const Viewer& viewer, std::int64_t owner_org_id, FieldVisibility visibility) {
    switch (visibility) {
        case FieldVisibility::kPublic:
            return true;
        case FieldVisibility::kOwnerOnly:
            return viewer.admin || (viewer.org_id.has_value() && *viewer.org_id == owner_org_id);
    }
    return false;  // an unknown visibility shows nothing
}

BudgetBand BudgetBandFor(double amount) {
    if (!(amount > 0) || !std::isfinite(amount)) return {0, 0};
    const double decade = std::pow(10.0, std::floor(std::log10(amount)));
    // Guard against log10 rounding (e.g. 1000 -> 2.9999...): renormalise the mantissa.
    double base = decade;
    if (amount / base >= 10.0) base *= 10.0;
    if (amount / base < 1.0) base /= 10.0;
    const double mantissa = amount / base;
    if (mantissa < 2.0) return {base, 2.0 * base};
    if (mantissa < 5.0) return {2.0 * base, 5.0 * base};
    return {5.0 * base, 10.0 * base};
}

void WriteBudget(RecordWriter& record,
                 const std::optional<double>& amount,
                 std::string_view currency,
                 matcher::BudgetVisibility visibility) {
    if (!amount.has_value()) return;
    const char* visibility_name = visibility == matcher::BudgetVisibility::kPublic  ? "public"
                                  : visibility == matcher::BudgetVisibility::kRange ? "range"
                                                                                    : "hidden";
    JsonWriter& w = record.raw();
    if (visibility == matcher::BudgetVisibility::kPublic || record.insider()) {
        w.Key("budget").StartObject();
        w.Field("amount", *amount).Field("currency", currency).Field("visibility", visibility_name);
        w.EndObject();
        return;
    }
    if (visibility == matcher::BudgetVisibility::kRange) {
        const BudgetBand band = BudgetBandFor(*amount);
        w.Key("budget").StartObject();
        w.Field("min", band.min).Field("max", band.max).Field("currency", currency);
        w.Field("visibility", visibility_name);
        w.EndObject();
    }
    // kHidden for an outsider: no "budget" member at all.
}

}  // namespace renewmatch::api
