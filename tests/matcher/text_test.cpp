// Text analysis on real mixed Chinese/English equipment text.
#include "matcher/text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace renewmatch::matcher {
namespace {

bool Has(const std::vector<std::string>& terms, const std::string& term) {
    return std::find(terms.begin(), terms.end(), term) != terms.end();
}

TEST(TextTest, NormalizeFoldsFullWidthAndCase) {
    EXPECT_EQ(NormalizeText("ＶＭＣ－８５０ 立式加工中心"), "vmc-850 立式加工中心");
    EXPECT_EQ(NormalizeText("  FANUC\t0i-MF\n"), "fanuc 0i-mf");
    EXPECT_EQ(NormalizeText("Ⅱ型"), "ii型");
    // Ideographic space becomes one ASCII space.
    EXPECT_EQ(NormalizeText("数控\u3000车床"), "数控 车床");
}

TEST(TextTest, InvalidUtf8IsDroppedNotFatal) {
    const std::string text = std::string("abc") + '\xff' + "def";
    EXPECT_EQ(NormalizeText(text), "abcdef");
}

TEST(TextTest, ModelNumberSpellingsMeetOnOneCode) {
    const auto a = AnalyzeToStrings("VMC-850");
    const auto b = AnalyzeToStrings("VMC850");
    const auto c = AnalyzeToStrings("vmc 850");
    const auto d = AnalyzeToStrings("ＶＭＣ８５０");
    for (const auto* terms : {&a, &b, &c, &d}) {
        EXPECT_TRUE(Has(*terms, "#vmc850"));
        EXPECT_TRUE(Has(*terms, "vmc"));
        EXPECT_TRUE(Has(*terms, "850"));
    }
    EXPECT_TRUE(Has(a, "vmc-850"));  // kept whole as well
    EXPECT_EQ(NormalizeModelCode("VMC-850"), "vmc850");
    EXPECT_EQ(NormalizeModelCode("ｖｍｃ　８５０"), "vmc850");
    EXPECT_EQ(ModelCodeTerm("--"), "");
}

TEST(TextTest, MixedChineseEnglishEquipmentText) {
    const auto terms =
        AnalyzeToStrings("海天精工 VMC-850立式加工中心，FANUC 0i-MF系统，主轴转速12000rpm");
    // CJK bigrams of each run.
    EXPECT_TRUE(Has(terms, "海天"));
    EXPECT_TRUE(Has(terms, "天精"));
    EXPECT_TRUE(Has(terms, "加工"));
    EXPECT_TRUE(Has(terms, "工中"));
    EXPECT_TRUE(Has(terms, "中心"));
    EXPECT_TRUE(Has(terms, "主轴"));
    EXPECT_TRUE(Has(terms, "转速"));
    EXPECT_FALSE(Has(terms, "心，"));
    // Latin words and model codes.
    EXPECT_TRUE(Has(terms, "fanuc"));
    EXPECT_TRUE(Has(terms, "#0imf"));
    EXPECT_TRUE(Has(terms, "0i-mf"));
    EXPECT_TRUE(Has(terms, "#vmc850"));
    EXPECT_TRUE(Has(terms, "12000"));
    EXPECT_TRUE(Has(terms, "rpm"));
}

TEST(TextTest, SingleCjkCharacterIsAUnigram) {
    const auto terms = AnalyzeToStrings("大1.5匹 空调");
    EXPECT_TRUE(Has(terms, "大"));
    EXPECT_TRUE(Has(terms, "匹"));
    EXPECT_TRUE(Has(terms, "空调"));
    // A decimal value is not a part number.
    EXPECT_FALSE(Has(terms, "#15"));
}

TEST(TextTest, TermFrequencyIsKept) {
    const auto terms = AnalyzeToStrings("pump pump 水泵");
    EXPECT_EQ(std::count(terms.begin(), terms.end(), "pump"), 2);
}

TEST(TextTest, PartNumbersWithDashesAreCodes) {
    const auto terms = AnalyzeToStrings("Jabra Evolve 75 | 7599-838-199");
    EXPECT_TRUE(Has(terms, "#7599838199"));
    EXPECT_TRUE(Has(terms, "7599-838-199"));
    // "evolve 75": a letters-only word followed by a number also yields the pair's code.
    EXPECT_TRUE(Has(terms, "#evolve75"));
}

}  // namespace
}  // namespace renewmatch::matcher
