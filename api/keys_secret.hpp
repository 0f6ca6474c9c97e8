// API key material: generation, the wire format, hashing and constant-time comparison.
//
// A key as the client sees it is `rmk_<key id>_<secret>`:
//   * `rmk_` makes leaked keys recognisable to secret scanners and people;
//   * `<key id>` is the decimal row id of the key, so the server finds the one candidate row
//     without searching by hash;
//   * `<secret>` is 32 bytes (256 bits) from OpenSSL's CSPRNG (RAND_bytes), base64url without
//     padding (43 characters).
// Only SHA-256 over a domain-separation tag, the key id and the secret is stored
// (docs/security.md explains why a fast hash is right for a 256-bit random secret). Hashes are
// compared with CRYPTO_memcmp, whose running time does not depend on where the inputs differ.
//
// Thread-safety: pure functions apart from RAND_bytes, which OpenSSL 3 makes thread-safe.
#pragma once

#include "schema/errc.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace renewmatch::api {

inline constexpr std::string_view kKeyPrefix = "rmk_";
inline constexpr std::size_t kSecretBytes = 32;
inline constexpr std::size_t kSecretChars = 43;  // base64url(32 bytes), unpadded

using KeyHash = std::array<std::uint8_t, 32>;

// A freshly generated secret (the part after the key id). Returns kInternal if the CSPRNG
// cannot supply entropy; a key is never issued from weak randomness.
[[nodiscard]] Result<std::string> GenerateKeySecret();

// The stored hash of a key: SHA-256("renewmatch-api-key-v1\0" || key_id || "\0" || secret).
// Binding the key id means a hash copied to another row does not authenticate that row.
KeyHash HashKeySecret(std::int64_t key_id, std::string_view secret);

// `rmk_<key_id>_<secret>`.
std::string FormatKeyToken(std::int64_t key_id, std::string_view secret);

struct ParsedKeyToken {
    std::int64_t key_id = 0;
    std::string_view secret;  // points into the parsed input
};

// Splits a token; nullopt when it is not in the `rmk_<positive id>_<43 base64url chars>` form.
std::optional<ParsedKeyToken> ParseKeyToken(std::string_view token);

// Constant-time equality of two hashes.
bool KeyHashEquals(const KeyHash& a, const KeyHash& b) noexcept;

}  // namespace renewmatch::api
