#include "matcher/dates.hpp"

#include <gtest/gtest.h>

namespace renewmatch::matcher {
namespace {

TEST(Dates, KnownDays) {
    EXPECT_EQ(DayFromCivil({1970, 1, 1}), 0);
    EXPECT_EQ(DayFromCivil({2000, 3, 1}), 11017);
    EXPECT_EQ(DayFromCivil({1969, 12, 31}), -1);
    EXPECT_EQ(FormatIsoDay(20419), "2025-11-27");
}

TEST(Dates, RoundTripsEveryDayOverTwoCenturies) {
    for (Day d = DayFromCivil({1900, 1, 1}); d < DayFromCivil({2100, 1, 1}); ++d) {
        const auto parsed = ParseIsoDay(FormatIsoDay(d));
        ASSERT_TRUE(parsed.has_value()) << d;
        ASSERT_EQ(*parsed, d);
    }
}

TEST(Dates, RejectsImpossibleAndMalformedDates) {
    for (const char* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "26-01-01",
                            "2026/01/01", "2026-1-01", "", "2026-01-01x", "abcd-ef-gh"}) {
        EXPECT_FALSE(ParseIsoDay(bad).has_value()) << bad;
    }
    EXPECT_TRUE(ParseIsoDay("2024-02-29").has_value());
    EXPECT_EQ(ParseIsoDay("2026-03-01T08:00:00+08:00"), ParseIsoDay("2026-03-01"));
}

}  // namespace
}  // namespace renewmatch::matcher
