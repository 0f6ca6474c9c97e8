#include "api/keys_secret.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <vector>

namespace renewmatch::api {
namespace {

TEST(KeySecret, GeneratedSecretsAreLongUniqueAndUrlSafe) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto secret = GenerateKeySecret();
        ASSERT_TRUE(secret.has_value());
        ASSERT_EQ(secret->size(), kSecretChars);
        for (const char c : *secret) {
            EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
        }
        EXPECT_TRUE(seen.insert(*secret).second) << "repeated secret";
    }
    // 43 base64url characters carry 258 bits of which the generator fills 256.
    static_assert(kSecretBytes * 8 >= 128);
}

TEST(KeySecret, TokenRoundTrips) {
    auto secret = GenerateKeySecret();
    ASSERT_TRUE(secret.has_value());
    const std::string token = FormatKeyToken(42, *secret);
    EXPECT_EQ(token.substr(0, 7), "rmk_42_");
    const auto parsed = ParseKeyToken(token);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->key_id, 42);
    EXPECT_EQ(parsed->secret, *secret);
}

TEST(KeySecret, MalformedTokensAreRefused) {
    const std::string secret(kSecretChars, 'A');
    EXPECT_TRUE(ParseKeyToken("rmk_1_" + secret).has_value());
    for (const std::string& bad : std::vector<std::string>{
             std::string(), "rmk_", "rmk__" + secret, "rmk_0_" + secret, "rmk_01_" + secret,
             "rmk_-1_" + secret, "rmk_x_" + secret, "RMK_1_" + secret, "rmk_1_" + secret + "A",
             "rmk_1_" + secret.substr(1), "rmk_1_" + secret.substr(1) + "=",
             "rmk_1_" + secret.substr(1) + "+", "rmk_99999999999999999999_" + secret,
             "Bearer rmk_1_" + secret}) {
        EXPECT_FALSE(ParseKeyToken(bad).has_value()) << bad;
    }
}

TEST(KeySecret, HashBindsKeyIdAndSecret) {
    const std::string a(kSecretChars, 'a');
    std::string b = a;
    b[10] = 'b';
    const KeyHash h1 = HashKeySecret(1, a);
    EXPECT_TRUE(KeyHashEquals(h1, HashKeySecret(1, a)));
    EXPECT_FALSE(KeyHashEquals(h1, HashKeySecret(2, a)));
    EXPECT_FALSE(KeyHashEquals(h1, HashKeySecret(1, b)));
    // "1" + "1a..." must not collide with "11" + "a...": the separator prevents it.
    EXPECT_FALSE(KeyHashEquals(HashKeySecret(1, "1" + a), HashKeySecret(11, a)));
    KeyHash flipped = h1;
    flipped[31] ^= 1;
    EXPECT_FALSE(KeyHashEquals(h1, flipped));
    flipped = h1;
    flipped[0] ^= 0x80;
    EXPECT_FALSE(KeyHashEquals(h1, flipped));
}

TEST(KeySecret, HashIsSha256OfTheDocumentedInput) {
    // SHA-256("renewmatch-api-key-v1\0" "7" "\0" "s"), computed independently with
    // `printf 'renewmatch-api-key-v1\0007\000s' | sha256sum`.
    const KeyHash h = HashKeySecret(7, "s");
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (const auto byte : h) {
        hex += kHex[byte >> 4];
        hex += kHex[byte & 15];
    }
    EXPECT_EQ(hex, "0bf3ab03aa4e84c06ebe4448f216fcb1a95fe2f6ac81ecac47beb7fa77472a56");
}

}  // namespace
}  // namespace renewmatch::api
