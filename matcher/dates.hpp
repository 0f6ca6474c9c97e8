// Calendar arithmetic for `Day` (days since 1970-01-01, proleptic Gregorian).
//
// Pure functions; thread-safe. Used by the api module to read ISO-8601 dates into `Day` and by
// the matcher for need-by, expiry and freshness arithmetic. No clock is read here: "today" is
// always a parameter.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "matcher/domain.hpp"

namespace renewmatch::matcher {

struct CivilDate {
    int year = 1970;
    unsigned month = 1;  // 1..12
    unsigned day = 1;    // 1..31
};

// Days since 1970-01-01 for a valid civil date (H. Hinnant's days_from_civil algorithm).
Day DayFromCivil(const CivilDate& date) noexcept;
CivilDate CivilFromDay(Day day) noexcept;

// Parses "YYYY-MM-DD" strictly (a real calendar date, years 1900..9999). Also accepts a full
// RFC 3339 timestamp ("2026-03-01T08:00:00+08:00") and keeps its date part. Returns nullopt on
// anything else, including "2026-02-30".
std::optional<Day> ParseIsoDay(std::string_view text) noexcept;

// "YYYY-MM-DD".
std::string FormatIsoDay(Day day);

}  // namespace renewmatch::matcher
