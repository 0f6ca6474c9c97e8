// Text analysis on real mixed Chinese/English equipment text.
#include "matcher/text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
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

// The CJK fast path of NormalizeText gives exactly what utf8proc gives, on random text drawn from
// the fast set (ASCII incl. control characters, ideographs, CJK/general punctuation, full-width
// forms, ideographic space) mixed with code points outside it that force the utf8proc path
// (accents, combining marks, half-width katakana with voiced marks, Hangul jamo, compatibility
// ideographs, emoji) and invalid bytes.
TEST(TextTest, FastNormalisationEqualsUtf8proc) {
    const std::vector<std::string> fast = {
        "a",  "Z",  "0",  " ",  "\t", "\n", "\r",     "\x0b", "\x0c", "\x01",   "\x7f",
        "-",  "/",  ".",  "数", "控", "车", "床",     "鿿",  "一",   "\u3000", "、",
        "。", "《", "》", "「", "〇", "〜", "\u2010", "—",    "‘",    "’",      "“",
        "”",  "…",  "·",  "，", "．", "！", "Ａ",     "ｚ",   "０",   "～",     "＃"};
    const std::vector<std::string> other = {"é",      "E\u0301", "\u0301", "ｶ",  "ﾞ",  "ｶﾞ",
                                            "ᄀ",     "ᅡ",      "Ⅱ",      "㎏", "豈", "😀",
                                            "\u00ad", "\u200b",  "ß",      "Σ"};
    std::mt19937 rng(11);
    auto pick = [&](const std::vector<std::string>& v) {
        return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
    };
    for (int i = 0; i < 20000; ++i) {
        std::string text;
        const int n = std::uniform_int_distribution<int>(0, 24)(rng);
        const bool mixed = i % 4 == 0;
        for (int k = 0; k < n; ++k) {
            const int roll = std::uniform_int_distribution<int>(0, 99)(rng);
            if (mixed && roll < 6) {
                text += pick(other);
            } else if (roll == 99) {
                text += '\xe6';  // a truncated sequence
            } else {
                text += pick(fast);
            }
        }
        ASSERT_EQ(NormalizeText(text), NormalizeTextReference(text)) << "case " << i;
    }
    // Every ideograph and full-width form on its own, and next to ASCII letters.
    for (char32_t cp = 0x4E00; cp <= 0x9FFF; cp += 7) {
        std::string text = "Ab";
        text += static_cast<char>(0xE0 | (cp >> 12));
        text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        text += static_cast<char>(0x80 | (cp & 0x3F));
        text += "Cd ";
        ASSERT_EQ(NormalizeText(text), NormalizeTextReference(text)) << static_cast<int>(cp);
    }
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

// AnalyzeNormalized wants NormalizeText's output, but raw text with invalid UTF-8 bytes inside
// a Latin run must still end (it once looped forever on "a\xEF\xBC-", pushing empty terms), with
// no empty term, and both decoders agree. Analyze itself normalises first (invalid bytes dropped).
TEST(TextTest, InvalidBytesInsideALatinRunEndAndYieldNoEmptyTerm) {
    for (const std::string& raw : {std::string("a\xEF\xBC-"),
                                   std::string("ab\xFF"
                                               "cd-12"),
                                   std::string("x\x80\x80y.z"), std::string("\xC3-7\xE4")}) {
        const std::vector<Term> fast = AnalyzeNormalized(raw);
        const std::vector<Term> reference = AnalyzeNormalizedReference(raw);
        ASSERT_EQ(fast.size(), reference.size()) << raw;
        for (std::size_t i = 0; i < fast.size(); ++i) {
            EXPECT_FALSE(fast[i].text.empty()) << raw;
            EXPECT_EQ(fast[i].text, reference[i].text) << raw;
        }
        for (const std::string& term : AnalyzeToStrings(raw)) EXPECT_FALSE(term.empty()) << raw;
    }
}

}  // namespace
}  // namespace renewmatch::matcher
