#include "matcher/line_record.hpp"

#include "matcher/engine.hpp"
#include "matcher/reference.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace renewmatch::matcher {
namespace {

static_assert(kFeatureCount == 10, "RecordQuery's feature arrays have 10 entries");

constexpr std::size_t kMaxDigits = 16;  // ClassCode::digits

std::uint64_t PrefixMask(std::uint8_t size) {
    return size == 0 ? 0 : ~std::uint64_t{0} << (64 - 8 * static_cast<unsigned>(size));
}

// First 6 bytes in the 6 most significant bytes, min(size, 6) in the low byte.
std::uint64_t PackRegion6(std::string_view text) {
    const std::size_t n = std::min<std::size_t>(text.size(), 6);
    std::uint64_t out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        out |= static_cast<std::uint64_t>(static_cast<unsigned char>(text[i])) << (56 - 8 * i);
    }
    return out | n;
}

// min(CommonPrefix(a, b), 6) for two PackRegion6 values.
std::size_t CommonPrefix6(std::uint64_t a, std::uint64_t b) {
    const std::uint64_t diff = (a ^ b) & ~std::uint64_t{0xffff};
    const std::size_t equal = diff == 0 ? 6 : static_cast<std::size_t>(std::countl_zero(diff)) / 8;
    return std::min(
        {equal, static_cast<std::size_t>(a & 0xff), static_cast<std::size_t>(b & 0xff)});
}

std::size_t CommonPrefix(std::string_view a, std::string_view b) {
    std::size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
}

double Clamp01(double v) {
    return v < 0 ? 0 : (v > 1 ? 1 : v);
}

// Digits before the first '-' (what both SignificantClassPrefix and the filter scan).
std::size_t DigitCount(std::string_view code) {
    std::size_t n = 0;
    for (char c : code) {
        if (c == '-') break;
        if (c >= '0' && c <= '9') ++n;
    }
    return n;
}

bool SameScheme(const ShortCode& a, const ShortCode& b) {
    return a.size == b.size && a.bytes == b.bytes;
}

constexpr std::size_t Idx(Feature f) {
    return static_cast<std::size_t>(f);
}

}  // namespace

bool PackShort(std::string_view text, ShortCode& out) {
    if (text.size() > 8) return false;
    out = {};
    for (std::size_t i = 0; i < text.size(); ++i) {
        out.bytes |= static_cast<std::uint64_t>(static_cast<unsigned char>(text[i]))
                     << (56 - 8 * i);
    }
    out.size = static_cast<std::uint8_t>(text.size());
    return true;
}

bool PackCurrency(std::string_view text, std::uint64_t& out) {
    if (text.size() > 7) return false;
    ShortCode code;
    PackShort(text, code);
    out = code.bytes | code.size;
    return true;
}

void SupplyRecords::Add(const SupplyLine& line) {
    SupplyRecord r;
    bool fits = true;
    auto flag = [&r](SupplyRecord::Flag f, bool on) {
        if (on) r.flags = static_cast<std::uint16_t>(r.flags | f);
    };
    flag(SupplyRecord::kActive, line.status == "active");
    flag(SupplyRecord::kSecondHand, line.second_hand);
    flag(SupplyRecord::kFirstOfKind, line.first_of_kind);
    if (line.price_valid_until) r.price_valid_until = *line.price_valid_until;
    if (line.lead_time_days) {
        flag(SupplyRecord::kHasLeadTime, true);
        r.lead_time_days = *line.lead_time_days;
    }
    r.min_order_qty = line.min_order_qty;
    if (line.energy_efficiency_grade) {
        flag(SupplyRecord::kHasGrade, true);
        r.energy_grade = *line.energy_efficiency_grade;
    }
    if (line.localization_rate) {
        flag(SupplyRecord::kHasLocalisation, true);
        r.localisation = *line.localization_rate;
    }
    if (line.price_amount) {
        flag(SupplyRecord::kHasPrice, true);
        r.price = *line.price_amount;
    }
    if (line.capacity_per_month) {
        flag(SupplyRecord::kHasCapacity, true);
        r.capacity = *line.capacity_per_month;
    }
    r.last_confirmed = line.last_confirmed_at;
    fits = PackCurrency(line.price_currency, r.currency) && fits;
    r.vendor_region = PackRegion6(line.vendor_region);
    // Areas: service then excluded.
    r.areas_begin = static_cast<std::uint32_t>(areas.size());
    fits = fits && line.service_areas.size() <= 255 && line.excluded_areas.size() <= 255;
    if (fits) {
        for (const auto* list : {&line.service_areas, &line.excluded_areas}) {
            for (const std::string& area : *list) {
                ShortCode code;
                if (!PackShort(area, code)) fits = false;
                areas.push_back(code);
            }
        }
        r.service_count = static_cast<std::uint8_t>(line.service_areas.size());
        r.excluded_count = static_cast<std::uint8_t>(line.excluded_areas.size());
    }
    // Classifications with a non-empty id, primary first (as the filter and feature visit them).
    r.classes_begin = static_cast<std::uint32_t>(classes.size());
    std::size_t class_count = 0;
    auto add_class = [&](const Classification& c) {
        if (c.id.empty()) return;
        ++class_count;
        ClassCode code;
        if (!PackShort(c.scheme, code.scheme) || DigitCount(c.id) > kMaxDigits) {
            fits = false;
            return;
        }
        const std::string significant = SignificantClassPrefix(c.id);
        code.size = static_cast<std::uint8_t>(significant.size());
        std::copy(significant.begin(), significant.end(), code.digits.begin());
        classes.push_back(code);
    };
    add_class(line.classification);
    for (const Classification& c : line.additional_classifications) add_class(c);
    fits = fits && class_count <= 255;
    r.class_count = static_cast<std::uint8_t>(std::min<std::size_t>(class_count, 255));
    if (!fits) {
        // Keep the side arrays consistent (nothing of this line is read) and mark the line.
        areas.resize(r.areas_begin);
        classes.resize(r.classes_begin);
        r.service_count = r.excluded_count = r.class_count = 0;
        flag(SupplyRecord::kExactOnLine, true);
    }
    HotRecord h;
    if (fits) {
        // Masks over the code tables; a code that is not in a full table leaves the line unmasked.
        bool masked = true;
        auto intern_area = [&](const ShortCode& code) -> std::uint64_t {
            for (std::size_t i = 0; i < area_codes.size(); ++i) {
                if (area_codes[i].bytes == code.bytes && area_codes[i].size == code.size) {
                    return std::uint64_t{1} << i;
                }
            }
            if (area_codes.size() == kMaxCodes) {
                masked = false;
                return 0;
            }
            area_codes.push_back(code);
            return std::uint64_t{1} << (area_codes.size() - 1);
        };
        auto intern_class = [&](const ClassCode& code) -> std::uint64_t {
            for (std::size_t i = 0; i < class_codes.size(); ++i) {
                const ClassCode& c = class_codes[i];
                if (SameScheme(c.scheme, code.scheme) && c.size == code.size &&
                    std::equal(c.digits.begin(), c.digits.begin() + c.size, code.digits.begin())) {
                    return std::uint64_t{1} << i;
                }
            }
            if (class_codes.size() == kMaxCodes) {
                masked = false;
                return 0;
            }
            class_codes.push_back(code);
            return std::uint64_t{1} << (class_codes.size() - 1);
        };
        for (std::size_t i = 0; i < r.service_count; ++i) {
            h.service_mask |= intern_area(areas[r.areas_begin + i]);
        }
        for (std::size_t i = 0; i < r.excluded_count; ++i) {
            h.excluded_mask |= intern_area(areas[r.areas_begin + r.service_count + i]);
        }
        for (std::size_t i = 0; i < r.class_count; ++i) {
            h.class_mask |= intern_class(classes[r.classes_begin + i]);
        }
        if (masked) {
            flag(SupplyRecord::kMasked, true);
        } else {
            h.service_mask = h.excluded_mask = h.class_mask = 0;
        }
    }
    h.price_valid_until = r.price_valid_until;
    h.flags = r.flags;
    lines.push_back(r);
    hot.push_back(h);
}

std::size_t SupplyRecords::MemoryBytes() const {
    return lines.capacity() * sizeof(SupplyRecord) + areas.capacity() * sizeof(ShortCode) +
           classes.capacity() * sizeof(ClassCode) + hot.capacity() * sizeof(HotRecord) +
           area_codes.capacity() * sizeof(ShortCode) + class_codes.capacity() * sizeof(ClassCode);
}

SupplyRecords BuildSupplyRecords(std::span<const SupplyLine> lines) {
    SupplyRecords out;
    out.lines.reserve(lines.size());
    out.hot.reserve(lines.size());
    for (const SupplyLine& line : lines) out.Add(line);
    out.lines.shrink_to_fit();
    out.hot.shrink_to_fit();
    out.areas.shrink_to_fit();
    out.classes.shrink_to_fit();
    return out;
}

RecordQuery::RecordQuery(const DemandLine& demand,
                         const MatchConfig& config,
                         const MatchContext& context)
    : config_(config),
      today_(context.today),
      demand_open_(demand.status == "open"),
      response_closed_(demand.response_deadline && *demand.response_deadline < context.today),
      second_hand_allowed_(demand.second_hand_allowed),
      has_region_(!demand.delivery_region.empty()),
      delivery_region6_(PackRegion6(demand.delivery_region)),
      has_need_by_(demand.need_by.has_value()),
      need_by_(demand.need_by.value_or(0)),
      quantity_(demand.quantity),
      has_energy_min_(demand.energy_efficiency_min.has_value()),
      energy_min_(demand.energy_efficiency_min.value_or(0)),
      has_localisation_min_(demand.localization_rate_min.has_value()),
      localisation_min_(demand.localization_rate_min.value_or(0)),
      has_budget_(demand.budget_amount.has_value()),
      budget_(demand.budget_amount.value_or(0)),
      currency_packable_(false),
      currency_(0),
      half_life_(config.freshness_half_life_days),
      use_taxonomy_(context.taxonomy != nullptr),
      min_prefix_(config.min_class_prefix) {
    const std::string_view region = demand.delivery_region;
    PackShort(region.substr(0, 8), delivery_);
    currency_packable_ = PackCurrency(demand.budget_currency, currency_);
    auto add = [&](const Classification& c) {
        if (c.id.empty()) return;
        DemandClass d;
        d.scheme_packable = PackShort(c.scheme, d.scheme);
        d.significant = SignificantClassPrefix(c.id);
        classes_.push_back(std::move(d));
    };
    add(demand.classification);
    for (const Classification& c : demand.additional_classifications) add(c);
    // Ceilings as MatchDemand's for the features the record does not give.
    ceilings_.fill(1.0);
    if (demand.requirements.empty()) ceilings_[Idx(Feature::kRequirementFit)] = kNeutral;
    if (context.chains == nullptr) ceilings_[Idx(Feature::kChainAffinity)] = kNeutral;
    if (classes_.empty()) ceilings_[Idx(Feature::kClassification)] = kNeutral;
    freshness_memo_.fill(std::nan(""));
}

Filter RecordQuery::FirstFailing(const SupplyRecords& records, std::uint32_t doc) const {
    const SupplyRecord& r = records.lines[doc];
    if (!r.Has(SupplyRecord::kActive) || !demand_open_) return Filter::kLineActive;
    if (r.price_valid_until < today_) return Filter::kPriceValid;
    if (response_closed_) return Filter::kResponseOpen;
    if (!classes_.empty()) {
        bool compatible = false;
        const ClassCode* codes = records.classes.data() + r.classes_begin;
        for (std::size_t i = 0; i < r.class_count && !compatible; ++i) {
            const ClassCode& s = codes[i];
            const std::string_view ss(s.digits.data(), s.size);
            for (const DemandClass& d : classes_) {
                if (!d.scheme_packable || !SameScheme(s.scheme, d.scheme)) continue;
                const std::size_t needed = std::min({min_prefix_, d.significant.size(), ss.size()});
                if (needed > 0 && CommonPrefix(d.significant, ss) >= needed) {
                    compatible = true;
                    break;
                }
            }
        }
        if (!compatible) return Filter::kClassification;
    }
    if (r.Has(SupplyRecord::kSecondHand) && !second_hand_allowed_) return Filter::kSecondHand;
    if (has_region_) {
        const ShortCode* areas = records.areas.data() + r.areas_begin;
        auto inside = [&](const ShortCode& area) {
            return area.size <= delivery_.size &&
                   (delivery_.bytes & PrefixMask(area.size)) == area.bytes;
        };
        bool served = true;
        for (std::size_t i = 0; i < r.excluded_count; ++i) {
            const ShortCode& area = areas[r.service_count + i];
            if (area.size != 0 && inside(area)) {
                served = false;
                break;
            }
        }
        if (served && r.service_count > 0) {
            served = false;
            for (std::size_t i = 0; i < r.service_count && !served; ++i) served = inside(areas[i]);
        }
        if (!served) return Filter::kRegion;
    }
    return LaterFilters(records, doc);
}

RecordQuery::SegmentMasks RecordQuery::Masks(const SupplyRecords& records) const {
    SegmentMasks out;
    for (std::size_t i = 0; i < records.class_codes.size(); ++i) {
        const ClassCode& s = records.class_codes[i];
        const std::string_view ss(s.digits.data(), s.size);
        for (const DemandClass& d : classes_) {
            if (!d.scheme_packable || !SameScheme(s.scheme, d.scheme)) continue;
            const std::size_t needed = std::min({min_prefix_, d.significant.size(), ss.size()});
            if (needed > 0 && CommonPrefix(d.significant, ss) >= needed) {
                out.class_compatible |= std::uint64_t{1} << i;
                break;
            }
        }
    }
    for (std::size_t i = 0; i < records.area_codes.size(); ++i) {
        const ShortCode& area = records.area_codes[i];
        const bool inside =
            area.size <= delivery_.size && (delivery_.bytes & PrefixMask(area.size)) == area.bytes;
        if (inside) out.inside |= std::uint64_t{1} << i;
        if (inside && area.size != 0) out.inside_nonempty |= std::uint64_t{1} << i;
    }
    return out;
}

Filter RecordQuery::HotFilters(const SupplyRecords& records,
                               const SegmentMasks& masks,
                               std::uint32_t doc) const {
    const HotRecord& h = records.hot[doc];
    if ((h.flags & SupplyRecord::kActive) == 0 || !demand_open_) return Filter::kLineActive;
    if (h.price_valid_until < today_) return Filter::kPriceValid;
    if (response_closed_) return Filter::kResponseOpen;
    if (!classes_.empty() && (h.class_mask & masks.class_compatible) == 0) {
        return Filter::kClassification;
    }
    if ((h.flags & SupplyRecord::kSecondHand) != 0 && !second_hand_allowed_) {
        return Filter::kSecondHand;
    }
    if (has_region_) {
        // FirstFailing's loops over the areas, as mask tests: excluded by a non-empty area that
        // contains the region; else served when there is no service area or one contains it.
        const bool served = (h.excluded_mask & masks.inside_nonempty) == 0 &&
                            (h.service_mask == 0 || (h.service_mask & masks.inside) != 0);
        if (!served) return Filter::kRegion;
    }
    return Filter::kCount;
}

Filter RecordQuery::LaterFilters(const SupplyRecords& records, std::uint32_t doc) const {
    const SupplyRecord& r = records.lines[doc];
    if (has_need_by_ && r.Has(SupplyRecord::kHasLeadTime) && today_ + r.lead_time_days > need_by_) {
        return Filter::kLeadTime;
    }
    if (r.min_order_qty > quantity_) return Filter::kMinOrderQty;
    if (has_energy_min_ && (!r.Has(SupplyRecord::kHasGrade) || r.energy_grade > energy_min_)) {
        return Filter::kEnergyFloor;
    }
    if (has_localisation_min_ &&
        (!r.Has(SupplyRecord::kHasLocalisation) || r.localisation < localisation_min_)) {
        return Filter::kLocalisationFloor;
    }
    return Filter::kCount;
}

std::array<double, 10> RecordQuery::FeatureValues(const SupplyRecords& records,
                                                  std::uint32_t doc) const {
    return Values(records, doc, true);
}

std::array<double, 10> RecordQuery::Values(const SupplyRecords& records,
                                           std::uint32_t doc,
                                           bool costly) const {
    const SupplyRecord& r = records.lines[doc];
    std::array<double, 10> v{};
    v.fill(std::nan(""));
    // Classification (without a taxonomy): best shared-prefix share over same-scheme pairs.
    if (!use_taxonomy_) {
        if (classes_.empty() || r.class_count == 0) {
            v[Idx(Feature::kClassification)] = kNeutral;
        } else {
            double best = 0;
            const ClassCode* codes = records.classes.data() + r.classes_begin;
            for (const DemandClass& d : classes_) {
                for (std::size_t i = 0; i < r.class_count; ++i) {
                    const ClassCode& s = codes[i];
                    if (!d.scheme_packable || !SameScheme(s.scheme, d.scheme)) continue;
                    const std::string& ds = d.significant;
                    const std::string_view ss(s.digits.data(), s.size);
                    const std::size_t common = std::min(CommonPrefix(ds, ss), ds.size());
                    if (!ds.empty()) {
                        best = std::max(
                            best, static_cast<double>(common) / static_cast<double>(ds.size()));
                    }
                }
            }
            v[Idx(Feature::kClassification)] = best;
        }
    }
    // Price.
    if (!r.Has(SupplyRecord::kHasPrice) || !has_budget_ || r.price <= 0 || budget_ <= 0 ||
        !currency_packable_ || r.currency != currency_) {
        v[Idx(Feature::kPrice)] = kNeutral;
    } else if (costly) {
        const double ratio = r.price * quantity_ / budget_;
        const double distance = std::fabs(std::log(ratio));
        v[Idx(Feature::kPrice)] = ratio <= 1 ? std::exp(-distance) : std::exp(-2 * distance);
    }
    // Capacity.
    v[Idx(Feature::kCapacity)] = !r.Has(SupplyRecord::kHasCapacity) || quantity_ <= 0
                                     ? kNeutral
                                     : Clamp01(r.capacity / quantity_);
    // Lead-time slack.
    if (!has_need_by_ || !r.Has(SupplyRecord::kHasLeadTime)) {
        v[Idx(Feature::kLeadTimeSlack)] = kNeutral;
    } else {
        const double slack = static_cast<double>(need_by_ - today_ - r.lead_time_days);
        v[Idx(Feature::kLeadTimeSlack)] = Clamp01(slack / 30.0);
    }
    // Region proximity.
    if (!has_region_ || (r.vendor_region & 0xff) == 0) {
        v[Idx(Feature::kRegion)] = kNeutral;
    } else {
        const std::size_t common = CommonPrefix6(delivery_region6_, r.vendor_region);
        v[Idx(Feature::kRegion)] = common >= 6 ? 1.0 : common >= 4 ? 0.75 : common >= 2 ? 0.5 : 0.0;
    }
    // Energy + localisation.
    {
        double sum = 0;
        int parts = 0;
        if (r.Has(SupplyRecord::kHasGrade)) {
            sum += Clamp01((5.0 - r.energy_grade) / 4.0);
            ++parts;
        }
        if (r.Has(SupplyRecord::kHasLocalisation)) {
            sum += Clamp01(r.localisation);
            ++parts;
        }
        double value = parts == 0 ? kNeutral : sum / parts;
        if (r.Has(SupplyRecord::kFirstOfKind)) value = std::min(1.0, value + 0.1);
        v[Idx(Feature::kEnergyLocal)] = value;
    }
    // Freshness.
    if (r.last_confirmed == 0) {
        v[Idx(Feature::kFreshness)] = kNeutral;
    } else if (costly) {
        const double age = std::max(0.0, static_cast<double>(today_ - r.last_confirmed));
        v[Idx(Feature::kFreshness)] = std::pow(0.5, age / std::max(half_life_, 1e-9));
    }
    return v;
}

double RecordQuery::Rest(const std::array<double, 10>& values) const {
    double rest = 0;
    for (std::size_t f = 1; f < kFeatureCount; ++f) {
        const double w = config_.weights[f];
        rest += std::isnan(values[f]) ? std::max(0.0, w) * ceilings_[f] : w * values[f];
    }
    return rest;
}

double RecordQuery::RestBound(const SupplyRecords& records, std::uint32_t doc) const {
    return Rest(Values(records, doc, true));
}

bool RecordQuery::BoundBelow(const SupplyRecords& records,
                             std::uint32_t doc,
                             double text_part,
                             double threshold) const {
    // First with ceilings (1) for price and freshness (log/exp/pow): most lines stop here.
    if (text_part + Rest(Values(records, doc, false)) + kSlack < threshold) return true;
    return text_part + RestBound(records, doc) + kSlack < threshold;
}

double RecordQuery::RestUpper(const SupplyRecords& records, std::uint32_t doc) const {
    std::array<double, 10> v = Values(records, doc, false);
    const SupplyRecord& r = records.lines[doc];
    if (std::isnan(v[Idx(Feature::kPrice)])) {
        // Values left it out, so price, budget and currency are all there: the value is
        // exp(-|ln ratio|) = ratio below 1 and exp(-2 |ln ratio|) = 1 / ratio^2 above.
        const double ratio = r.price * quantity_ / budget_;
        // A ratio of 0 (quantity 0) scores exp(-inf) = 0; a negative or NaN one (odd
        // quantities) gets the ceiling.
        double upper = ratio == 0 ? 0.0 : 1.0;
        if (ratio > 0) {
            upper = std::min(1.0, (ratio <= 1 ? ratio : 1 / (ratio * ratio)) * (1 + 1e-12));
        }
        v[Idx(Feature::kPrice)] = upper;
    }
    if (std::isnan(v[Idx(Feature::kFreshness)])) {
        // Same expression as Values' (so the same value), memoised by whole days of age.
        const double age = std::max(0.0, static_cast<double>(today_ - r.last_confirmed));
        const auto day = static_cast<std::size_t>(age);
        if (day < kFreshnessMemo) {
            double& memo = freshness_memo_[day];
            if (std::isnan(memo)) memo = std::pow(0.5, age / std::max(half_life_, 1e-9));
            v[Idx(Feature::kFreshness)] = memo;
        } else {
            v[Idx(Feature::kFreshness)] = std::pow(0.5, age / std::max(half_life_, 1e-9));
        }
    }
    return Rest(v);
}

}  // namespace renewmatch::matcher
