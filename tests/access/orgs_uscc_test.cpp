#include "api/orgs_uscc.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace renewmatch::api {
namespace {

// Codes printed on public business licences and registration records. The first is the example
// used in explanations of GB 32100-2015; the rest are company registrations. Each one's check
// character agrees with the algorithm, which is what this test asserts independently of our
// implementation's internals (see ReferenceChecksum below).
const std::vector<std::string> kPublishedCodes = {
    "91350100M000100Y43", "914403001922038216", "9144030071526726XG",
    "91330100799655058B", "91110000802100433B", "91310000132200821H",
    "91110108551385082Q", "91440300708461136T", "91110000710935732K",
};

// A second, deliberately naive implementation written straight from the standard's text: weight
// of position i (1-based) is 3^(i-1) mod 31, check value 31 - sum mod 31, 31 meaning 0.
char ReferenceChecksum(const std::string& code) {
    const std::string alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    long sum = 0;
    long weight = 1;
    for (std::size_t i = 0; i < 17; ++i) {
        sum += static_cast<long>(alphabet.find(code[i])) * weight;
        weight = weight * 3 % 31;
    }
    long check = 31 - sum % 31;
    if (check == 31) check = 0;
    return alphabet[static_cast<std::size_t>(check)];
}

TEST(Uscc, AlphabetHas31CharactersWithoutIOSVZ) {
    EXPECT_EQ(kUsccAlphabet.size(), 31u);
    for (const char c : std::string("IOSVZ")) {
        EXPECT_EQ(kUsccAlphabet.find(c), std::string_view::npos) << c;
        EXPECT_FALSE(UsccCharValue(c).has_value());
    }
    EXPECT_EQ(UsccCharValue('0'), 0);
    EXPECT_EQ(UsccCharValue('A'), 10);
    EXPECT_EQ(UsccCharValue('Y'), 30);
}

TEST(Uscc, PublishedCodesAreValid) {
    for (const auto& code : kPublishedCodes) {
        ASSERT_EQ(ReferenceChecksum(code), code[17]) << code << " is not a valid test code";
        const auto result = ValidateUscc(code);
        EXPECT_TRUE(result.ok()) << code << ": " << result.problem->message;
        EXPECT_EQ(result.canonical, code);
        EXPECT_EQ(UsccCheckCharacter(std::string_view(code).substr(0, 17)), code[17]);
    }
}

// Every single-character substitution of a valid code must be rejected: the check character
// catches all of them because each weight is a unit modulo the prime 31.
TEST(Uscc, EverySingleCharacterCorruptionIsRejected) {
    int corruptions = 0;
    for (const auto& code : kPublishedCodes) {
        for (std::size_t pos = 0; pos < code.size(); ++pos) {
            for (const char c : kUsccAlphabet) {
                if (c == code[pos]) continue;
                std::string bad = code;
                bad[pos] = c;
                const auto result = ValidateUscc(bad);
                ASSERT_FALSE(result.ok()) << "accepted corruption " << bad << " of " << code;
                // Letters in the division part are refused for their shape, everything else
                // by the checksum.
                if (pos >= 2 && pos <= 7 && (c < '0' || c > '9')) {
                    EXPECT_EQ(result.problem->code, "invalid_division") << bad;
                } else {
                    EXPECT_EQ(result.problem->code, "invalid_check_character") << bad;
                }
                ++corruptions;
            }
        }
    }
    EXPECT_EQ(corruptions, static_cast<int>(kPublishedCodes.size()) * 18 * 30);
}

// Swapping distinct neighbours i, i+1 among the 17 weighted characters changes the sum by
// (a - b) * w_i * (1 - 3) mod 31, never 0 since 31 is prime. (A swap with the check character
// itself is not covered by that argument and is not asserted.)
TEST(Uscc, AdjacentTranspositionsOfDistinctCharactersAreRejected) {
    for (const auto& code : kPublishedCodes) {
        for (std::size_t pos = 0; pos + 1 < 17; ++pos) {
            if (code[pos] == code[pos + 1]) continue;
            std::string bad = code;
            std::swap(bad[pos], bad[pos + 1]);
            // A transposition that moves a letter into the division part is still refused.
            EXPECT_FALSE(ValidateUscc(bad).ok()) << bad;
        }
    }
}

TEST(Uscc, ShapeErrorsNameTheProblem) {
    EXPECT_EQ(ValidateUscc("").problem->code, "invalid_length");
    EXPECT_EQ(ValidateUscc("91350100M000100Y4").problem->code, "invalid_length");
    EXPECT_EQ(ValidateUscc("91350100M000100Y433").problem->code, "invalid_length");
    EXPECT_EQ(ValidateUscc("91350100M000100I43").problem->code, "invalid_character");
    EXPECT_EQ(ValidateUscc("91350100M00010-Y43").problem->code, "invalid_character");
    // A multi-byte UTF-8 character is not in the set either.
    EXPECT_EQ(ValidateUscc("91350100M00010\xE4\xB8\x80").problem->code, "invalid_length");
    const auto wrong_check = ValidateUscc("91350100M000100Y44");
    ASSERT_FALSE(wrong_check.ok());
    EXPECT_EQ(wrong_check.problem->code, "invalid_check_character");
    EXPECT_NE(wrong_check.problem->message.find("18"), std::string::npos);
}

TEST(Uscc, LowerCaseAndBlanksAreCanonicalised) {
    const auto result = ValidateUscc("  9144030071526726xg ");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.canonical, "9144030071526726XG");
}

TEST(Uscc, CheckCharacterOfConstructedCodesRoundTrips) {
    // Build codes over the whole alphabet in every position and check that the computed check
    // character is always accepted and every other one refused.
    for (std::size_t shift = 0; shift < kUsccAlphabet.size(); ++shift) {
        std::string first17 = "91";
        for (int i = 0; i < 6; ++i)
            first17 += static_cast<char>('0' + (shift + static_cast<std::size_t>(i)) % 10);
        for (std::size_t i = 0; i < 9; ++i) first17 += kUsccAlphabet[(shift * 7 + i) % 31];
        const char check = UsccCheckCharacter(first17);
        ASSERT_NE(check, '\0');
        EXPECT_EQ(check, ReferenceChecksum(first17 + "0"));
        EXPECT_TRUE(ValidateUscc(first17 + check).ok());
        for (const char other : kUsccAlphabet) {
            if (other != check) {
                EXPECT_FALSE(ValidateUscc(first17 + other).ok());
            }
        }
    }
}

}  // namespace
}  // namespace renewmatch::api
