#include "api/keys_secret.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <charconv>
#include <new>

namespace renewmatch::api {
namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kHashTag{"renewmatch-api-key-v1\0", 22};

std::string Base64UrlNoPad(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve((size * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8) | data[i + 2];
        out += kBase64Url[(v >> 18) & 63U];
        out += kBase64Url[(v >> 12) & 63U];
        out += kBase64Url[(v >> 6) & 63U];
        out += kBase64Url[v & 63U];
    }
    if (size - i == 1) {
        const unsigned v = unsigned{data[i]} << 16;
        out += kBase64Url[(v >> 18) & 63U];
        out += kBase64Url[(v >> 12) & 63U];
    } else if (size - i == 2) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8);
        out += kBase64Url[(v >> 18) & 63U];
        out += kBase64Url[(v >> 12) & 63U];
        out += kBase64Url[(v >> 6) & 63U];
    }
    return out;
}

}  // namespace

Result<std::string> GenerateKeySecret() {
    std::array<unsigned char, kSecretBytes> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return Errc::kInternal;
    std::string secret = Base64UrlNoPad(bytes.data(), bytes.size());
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return secret;
}

KeyHash HashKeySecret(std::int64_t key_id, std::string_view secret) {
    const std::string id = std::to_string(key_id);
    KeyHash out{};
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, kHashTag.data(), kHashTag.size()) == 1 &&
                    EVP_DigestUpdate(ctx, id.data(), id.size()) == 1 &&
                    EVP_DigestUpdate(ctx, "\0", 1) == 1 &&
                    EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        // SHA-256 over memory cannot fail short of allocation failure; an all-zero hash would be
        // dangerous to return, so treat it like bad_alloc.
        throw std::bad_alloc();
    }
    return out;
}

std::string FormatKeyToken(std::int64_t key_id, std::string_view secret) {
    std::string token(kKeyPrefix);
    token += std::to_string(key_id);
    token += '_';
    token += secret;
    return token;
}

std::optional<ParsedKeyToken> ParseKeyToken(std::string_view token) {
    if (token.substr(0, kKeyPrefix.size()) != kKeyPrefix) return std::nullopt;
    token.remove_prefix(kKeyPrefix.size());
    const auto sep = token.find('_');
    if (sep == std::string_view::npos || sep == 0 || sep > 18) return std::nullopt;
    const std::string_view id_text = token.substr(0, sep);
    if (id_text[0] == '0') return std::nullopt;
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || end != id_text.data() + id_text.size() || id <= 0) {
        return std::nullopt;
    }
    const std::string_view secret = token.substr(sep + 1);
    if (secret.size() != kSecretChars) return std::nullopt;
    for (const char c : secret) {
        if (kBase64Url.find(c) == std::string_view::npos) return std::nullopt;
    }
    return ParsedKeyToken{id, secret};
}

bool KeyHashEquals(const KeyHash& a, const KeyHash& b) noexcept {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace renewmatch::api
