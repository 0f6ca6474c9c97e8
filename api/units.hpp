// Validation of requirement and attribute units at ingest ("kW", "MPa", "r/min", "千瓦").
//
// Units are checked with the matcher's `matcher::UnitSystem` (UDUNITS-2 plus its alias table)
// so that every unit ingest accepts is one the matcher can compare, and so that the process has a
// single owner of the UDUNITS parser: UDUNITS keeps parser state in globals, so two independent
// ut_system users would race. The matcher's UnitSystem serialises every UDUNITS call behind its
// mutex and caches results; this class adds the ingest-facing pieces on top:
//   * canonicalisation: the accepted spelling is replaced by the UDUNITS spelling the matcher
//     resolves it to ("r/min" -> "rpm", "千瓦" -> "kW"), which is what gets stored;
//   * suggestions: an unknown unit is reported with the closest known units (optimal string
//     alignment distance, ASCII case-insensitive) from a candidate list of SI-prefixed engineering
//     units, common non-SI units and the Chinese aliases, each checked against UDUNITS at
//     construction.
//
// Ownership: holds a reference to the UnitSystem, which must outlive it.
// Thread-safety: immutable after construction; all methods are const and safe concurrently.
#pragma once

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::matcher {
class UnitSystem;
}  // namespace renewmatch::matcher

namespace renewmatch::api {

struct UnitProblem {
    std::string message;                   // names the unit and lists the suggestions
    std::vector<std::string> suggestions;  // closest known units, best first
};

// What the list decoders need from a unit table (UnitCatalog in production). Implementations are
// thread-safe.
class UnitChecker {
  public:
    virtual ~UnitChecker() = default;
    // The canonical spelling of `unit` (empty stays empty), or why it is refused.
    virtual boost::system::result<std::string, UnitProblem> Validate(
        std::string_view unit) const = 0;
};

class UnitCatalog final : public UnitChecker {
  public:
    explicit UnitCatalog(const matcher::UnitSystem& units);

    // The canonical UDUNITS spelling of `unit`; empty input stays empty (dimensionless/text).
    // Unknown units and logarithmic units (not convertible) are UnitProblems with suggestions.
    boost::system::result<std::string, UnitProblem> Validate(std::string_view unit) const override;

    // `value` in `from` expressed in `to`; nullopt when unknown or not convertible.
    std::optional<double> Convert(double value, std::string_view from, std::string_view to) const;

    // Up to `k` known units closest to `text`, best first (ties: closest length, then
    // alphabetical).
    std::vector<std::string> Suggest(std::string_view text, std::size_t k = 3) const;

    const std::vector<std::string>& candidates() const { return candidates_; }

  private:
    const matcher::UnitSystem& units_;
    std::vector<std::string> candidates_;  // known spellings offered as suggestions
};

}  // namespace renewmatch::api
