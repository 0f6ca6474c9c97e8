#include "api/audit.hpp"

#include <gtest/gtest.h>

namespace renewmatch::api {
namespace {

TEST(AuditTime, FormatsRfc3339Utc) {
    EXPECT_EQ(FormatTimestampMs(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(FormatTimestampMs(1'790'000'001'234), "2026-09-21T14:13:21.234Z");
    EXPECT_EQ(FormatTimestampMs(-1), "1969-12-31T23:59:59.999Z");
}

TEST(AuditTime, ParsesTheAcceptedForms) {
    EXPECT_EQ(ParseTimestampMs("1790000001234"), 1'790'000'001'234);
    EXPECT_EQ(ParseTimestampMs("2026-09-21T14:13:21.234Z"), 1'790'000'001'234);
    EXPECT_EQ(ParseTimestampMs("2026-09-21T14:13:21Z"), 1'790'000'001'000);
    EXPECT_EQ(ParseTimestampMs("2026-09-21T22:13:21+08:00"), 1'790'000'001'000);
    EXPECT_EQ(ParseTimestampMs("2026-09-21"), 1'789'948'800'000);
    for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-09-21T25:00:00Z",
                            "2026-09-21T14:13:21", "2026-09-21T14:13:21.Z", "2026-09-21X"}) {
        EXPECT_FALSE(ParseTimestampMs(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace renewmatch::api
