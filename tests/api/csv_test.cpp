#include "api/csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace renewmatch::api {
namespace {

std::vector<std::vector<std::string>> Fields(const CsvTable& t) {
    std::vector<std::vector<std::string>> out;
    for (const auto& r : t.records) out.push_back(r.fields);
    return out;
}

TEST(Csv, PlainRecordsWithLfAndCrlf) {
    const auto t = ReadAllCsv("a,b,c\r\n1,2,3\n4,5,6");
    ASSERT_FALSE(t.error) << t.error->message;
    EXPECT_EQ(Fields(t), (std::vector<std::vector<std::string>>{
                             {"a", "b", "c"}, {"1", "2", "3"}, {"4", "5", "6"}}));
    EXPECT_EQ(t.records[1].line, 2);
    EXPECT_EQ(t.records[2].line, 3);
}

TEST(Csv, QuotedFieldsWithSeparatorsQuotesAndNewlines) {
    const auto t =
        ReadAllCsv("name,spec\r\n\"CNC, 5-axis\",\"say \"\"hi\"\"\r\nline2\"\r\nx,\"\"\r\n");
    ASSERT_FALSE(t.error) << t.error->message;
    ASSERT_EQ(t.records.size(), 3U);
    EXPECT_EQ(t.records[1].fields[0], "CNC, 5-axis");
    EXPECT_EQ(t.records[1].fields[1], "say \"hi\"\r\nline2");
    EXPECT_EQ(t.records[1].line, 2);
    // The embedded newline advances the physical line count.
    EXPECT_EQ(t.records[2].line, 4);
    EXPECT_EQ(t.records[2].fields[1], "");
}

TEST(Csv, SkipsBomAndBlankLinesAndKeepsEmptyFields) {
    const auto t = ReadAllCsv(
        "\xEF\xBB\xBF"
        "a,b\n\n,\n\r\n1,\n");
    ASSERT_FALSE(t.error) << t.error->message;
    EXPECT_EQ(Fields(t), (std::vector<std::vector<std::string>>{{"a", "b"}, {"", ""}, {"1", ""}}));
    EXPECT_EQ(t.records[1].line, 3);
    EXPECT_EQ(t.records[2].line, 5);
}

TEST(Csv, RaggedRowIsAnErrorWithItsLine) {
    const auto t = ReadAllCsv("a,b,c\n1,2,3\n\"x\ny\",2\n");
    ASSERT_TRUE(t.error);
    EXPECT_EQ(t.error->code, "ragged_row");
    EXPECT_EQ(t.error->line, 3);
    EXPECT_NE(t.error->message.find("2 fields"), std::string::npos) << t.error->message;
}

TEST(Csv, RaggedRowsAllowedWhenNotRectangular) {
    CsvOptions options;
    options.rectangular = false;
    const auto t = ReadAllCsv("a,b,c\n1\n", options);
    ASSERT_FALSE(t.error);
    EXPECT_EQ(t.records.size(), 2U);
}

TEST(Csv, UnterminatedQuoteReportsTheOpeningLine) {
    const auto t = ReadAllCsv("a,b\n1,2\n3,\"open\n\nstill open");
    ASSERT_TRUE(t.error);
    EXPECT_EQ(t.error->code, "unterminated_quote");
    EXPECT_EQ(t.error->line, 3);
}

TEST(Csv, StrayQuotes) {
    auto t = ReadAllCsv("a,b\n1,ab\"c\n");
    ASSERT_TRUE(t.error);
    EXPECT_EQ(t.error->code, "stray_quote");
    EXPECT_EQ(t.error->line, 2);
    t = ReadAllCsv("a,b\n\"1\"x,2\n");
    ASSERT_TRUE(t.error);
    EXPECT_EQ(t.error->code, "stray_quote");
    EXPECT_EQ(t.error->line, 2);
}

TEST(Csv, FieldAndRecordLimits) {
    CsvOptions options;
    options.max_field_bytes = 4;
    auto t = ReadAllCsv("a,b\n12345,1\n", options);
    ASSERT_TRUE(t.error);
    EXPECT_EQ(t.error->code, "too_large");
    t = ReadAllCsv("a,b\n\"12345\",1\n", options);
    ASSERT_TRUE(t.error);
    EXPECT_EQ(t.error->code, "too_large");
    options = CsvOptions{};
    options.max_fields = 2;
    t = ReadAllCsv("a,b,c\n", options);
    ASSERT_TRUE(t.error);
    EXPECT_EQ(t.error->code, "too_large");
}

TEST(Csv, ReaderStopsAfterAnError) {
    CsvReader reader("a\n\"x\n");
    CsvRecord r;
    EXPECT_TRUE(reader.Next(r));
    EXPECT_FALSE(reader.Next(r));
    ASSERT_TRUE(reader.error());
    EXPECT_FALSE(reader.Next(r));
}

TEST(Csv, EmptyInputHasNoRecords) {
    const auto t = ReadAllCsv("");
    EXPECT_FALSE(t.error);
    EXPECT_TRUE(t.records.empty());
}

}  // namespace
}  // namespace renewmatch::api
