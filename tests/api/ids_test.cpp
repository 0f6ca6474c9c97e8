// api/ids.hpp: the one parser of positive ids used by every route and CLI flag.
#include "api/ids.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace renewmatch::api {
namespace {

TEST(ParsePositiveId, AcceptsDecimalIntegersFromOneToInt64Max) {
    EXPECT_EQ(ParsePositiveId("1"), 1);
    EXPECT_EQ(ParsePositiveId("42"), 42);
    EXPECT_EQ(ParsePositiveId("007"), 7);
    const auto max = std::numeric_limits<std::int64_t>::max();
    EXPECT_EQ(ParsePositiveId(std::to_string(max)), max);
}

TEST(ParsePositiveId, RefusesEverythingElse) {
    for (const char* text : {"", "0", "-1", "+1", " 1", "1 ", "1a", "a1", "0x10", "1.0", "1e3",
                             "9223372036854775808", "99999999999999999999"}) {
        EXPECT_FALSE(ParsePositiveId(text).has_value()) << '"' << text << '"';
    }
}

TEST(ParsePositiveId, ReadsOnlyTheViewItIsGiven) {
    // A path parameter is a view into a longer target: "12/keys" must not read past "12".
    const std::string target = "12/keys";
    EXPECT_EQ(ParsePositiveId(std::string_view(target).substr(0, 2)), 12);
    EXPECT_FALSE(ParsePositiveId(std::string_view(target).substr(0, 3)).has_value());
}

}  // namespace
}  // namespace renewmatch::api
