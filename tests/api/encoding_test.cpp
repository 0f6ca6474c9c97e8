#include "api/encoding.hpp"

#include <gtest/gtest.h>

#include <string>

namespace renewmatch::api {
namespace {

const std::string kUtf8Csv = "设备名称,数量,单位\n数控车床,2,台\n工业机器人,5,套\n";

TEST(Encoding, PlainUtf8IsKept) {
    auto r = DecodeToUtf8(kUtf8Csv);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->source, TextEncoding::kUtf8);
    EXPECT_EQ(r->utf8, kUtf8Csv);
}

TEST(Encoding, Utf8BomIsStripped) {
    auto r = DecodeToUtf8("\xEF\xBB\xBF" + kUtf8Csv);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->source, TextEncoding::kUtf8Bom);
    EXPECT_EQ(r->utf8, kUtf8Csv);
    EXPECT_EQ(TextEncodingName(r->source), "utf-8-bom");
}

TEST(Encoding, GbkBytesAreDetectedAndConverted) {
    // GBK bytes made with iconv, as Chinese Excel writes them.
    auto gbk = Utf8ToGb18030(kUtf8Csv);
    ASSERT_TRUE(gbk.has_value());
    ASSERT_NE(*gbk, kUtf8Csv);
    // "设" is C9 E8 in GB2312/GBK.
    EXPECT_EQ(gbk->substr(0, 2), "\xC9\xE8");
    auto r = DecodeToUtf8(*gbk);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->source, TextEncoding::kGb18030);
    EXPECT_EQ(r->utf8, kUtf8Csv);
}

TEST(Encoding, FourByteGb18030RoundTrips) {
    const std::string text = "name\n€ 𠀀 ✓\n";  // outside GBK: 4-byte GB18030 sequences
    auto gb = Utf8ToGb18030(text);
    ASSERT_TRUE(gb.has_value());
    auto r = DecodeToUtf8(*gb);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->utf8, text);
}

TEST(Encoding, BrokenUtf8ReportsTheLine) {
    std::string bad = kUtf8Csv + "坏行,\xE4\xB8,x\n";  // truncated 3-byte sequence on line 4
    auto r = DecodeToUtf8(bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().line, 4);
    EXPECT_NE(r.error().message.find("UTF-8"), std::string::npos);
}

TEST(Encoding, BrokenUtf8AfterBomIsNotReinterpreted) {
    auto r = DecodeToUtf8(
        "\xEF\xBB\xBF"
        "a\nb\xFF\n");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().line, 2);
    EXPECT_EQ(r.error().byte_offset, 6U);
}

TEST(Encoding, InvalidGbkReportsTheLine) {
    auto gbk = Utf8ToGb18030("a,b\n数控,1\n");
    ASSERT_TRUE(gbk.has_value());
    // 0x80 is not a valid GB18030 lead byte; 0xFF never appears in GB18030.
    const std::string bad = *gbk + "ok,2\n\xFF\xFF,3\n";
    auto r = DecodeToUtf8(bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().line, 4);
    EXPECT_NE(r.error().message.find("GB18030"), std::string::npos);
}

TEST(Encoding, Utf16AndNulAreRejected) {
    EXPECT_FALSE(DecodeToUtf8(std::string("\xFF\xFE"
                                          "a\0b\0",
                                          6))
                     .has_value());
    auto r = DecodeToUtf8(std::string("a\nb\0c", 5));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().line, 2);
}

TEST(Encoding, StrictUtf8Validation) {
    EXPECT_EQ(FirstInvalidUtf8("plain ascii"), std::string_view::npos);
    EXPECT_EQ(FirstInvalidUtf8("\xC0\xAF"), 0U);          // overlong '/'
    EXPECT_EQ(FirstInvalidUtf8("ab\xED\xA0\x80"), 2U);    // UTF-16 surrogate
    EXPECT_EQ(FirstInvalidUtf8("\xF4\x90\x80\x80"), 0U);  // above U+10FFFF
    EXPECT_EQ(FirstInvalidUtf8("\xF0\x9F\x98\x80 ok"), std::string_view::npos);
    bool multibyte = false;
    EXPECT_EQ(FirstInvalidUtf8("数\xFF", &multibyte), 3U);
    EXPECT_TRUE(multibyte);
}

}  // namespace
}  // namespace renewmatch::api
