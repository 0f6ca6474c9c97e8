// Unit conversion for requirement checks and numbers found in free text, on top of UDUNITS-2.
//
// `UnitSystem` loads the UDUNITS-2 XML database once (ut_read_xml(nullptr): the system
// database) and answers "is X convertible to Y, and what is v X in Y" for UDUNITS strings plus a
// small alias table of Chinese and industry spellings that UDUNITS does not know (匹 horsepower,
// 转/分 and r/min revolutions per minute, 吨 tonne, 千瓦 kW, 兆帕 MPa, ...).
//
// Ownership: the caller creates one UnitSystem (typically at start-up) and passes it by const
// reference to everything that needs it; it must outlive them.
//
// Thread-safety: UDUNITS-2 parsing (ut_parse) is not thread-safe and keeps hidden state, so every
// call into UDUNITS happens under `mutex_`. What callers use on the hot path is the cache of
// precomputed affine converters (slope, intercept), which is read under a shared lock; each
// distinct (from, to) pair is parsed exactly once. All public const methods are therefore safe to
// call concurrently. Logarithmic units (dB, pH) are not supported: UDUNITS converters for them are
// not affine and such pairs are reported as not convertible.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct ut_system;  // from <udunits2.h>; kept out of this header so users need not include it

namespace renewmatch::matcher {

// A number with a unit found in free text, e.g. "12000rpm" -> {12000, "rpm"}; "大1.5匹" ->
// {1.5, "hp"}. `unit` is the canonical UDUNITS spelling (after alias resolution).
struct TextQuantity {
    double value = 0;
    std::string unit;
    std::string surface;  // the unit as written (normalised text), e.g. "匹", "rpm"
};

class UnitSystem {
  public:
    // Loads the system UDUNITS-2 database. Returns nullptr and sets *error when the database
    // cannot be read (e.g. udunits2-bin's XML files are missing).
    static std::unique_ptr<UnitSystem> Load(std::string* error);
    ~UnitSystem();
    UnitSystem(const UnitSystem&) = delete;
    UnitSystem& operator=(const UnitSystem&) = delete;

    // Maps an alias or UDUNITS spelling to the string handed to UDUNITS ("匹" -> "hp",
    // "r/min" -> "rpm", "kW" -> "kW"). Spelling is NFKC/case-folded by the caller where needed;
    // aliases are matched exactly first, then case-insensitively for ASCII.
    std::string Canonical(std::string_view unit) const;

    // True when `unit` (after alias resolution) is a unit UDUNITS understands.
    bool Known(std::string_view unit) const;

    // value in `from` expressed in `to`. nullopt when either unit is unknown or the two are not
    // convertible (different dimensions, logarithmic units). Empty `from` and `to` both mean
    // "dimensionless" and convert 1:1; one empty and one not is not convertible unless the other
    // is dimensionless (e.g. "%" is 0.01 of dimensionless 1).
    std::optional<double> Convert(double value, std::string_view from, std::string_view to) const;

    // Finds numbers followed by a known unit in already-normalised text (see NormalizeText):
    // "12000rpm", "1.5 mpa", "大1.5匹", "5.5kw". A number is [0-9]+(.[0-9]+)?; the unit is the
    // longest alias or a run of ASCII letters, '/', '^' and digits after optional spaces that
    // UDUNITS accepts. Bare numbers without a unit are ignored.
    std::vector<TextQuantity> ExtractQuantities(std::string_view normalised_text) const;

  private:
    struct Affine {
        double slope = 1;
        double intercept = 0;
        bool ok = false;
    };
    explicit UnitSystem(ut_system* system);
    Affine Converter(const std::string& from, const std::string& to) const;

    ut_system* system_;                // owned; freed in the destructor
    mutable std::shared_mutex mutex_;  // guards UDUNITS calls (exclusive) and the caches
    mutable std::map<std::pair<std::string, std::string>, Affine> converters_;
    mutable std::map<std::string, bool, std::less<>> known_;
};

}  // namespace renewmatch::matcher
