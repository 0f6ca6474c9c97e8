// API key storage (table `api_keys`, migration 0002_access).
//
// The store never sees a secret: it keeps the 32-byte hash computed by api/keys_secret.hpp.
// Creating a key is two steps in one transaction (InsertApiKey, then SetApiKeyHash) because
// the hash covers the key's id; the table's triggers allow the hash to be set exactly once,
// forbid un-revoking and forbid deleting keys.
//
// Errors: kConflict on a constraint/trigger violation, kNotFound where stated, kBusy/kInternal
// from SQLite. Thread-safety: as the Connection's (one thread at a time).
#pragma once

#include "schema/errc.hpp"
#include "schema/statement.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::schema {

struct ApiKeyRecord {
    std::int64_t id = 0;
    std::int64_t org_id = 0;
    std::string role;  // admin | buyer | supplier | job
    std::string name;  // a label chosen by whoever created it
    std::array<std::uint8_t, 32> secret_hash{};
    std::int64_t created_at_ms = 0;
    std::optional<std::int64_t> created_by;  // creating key id; nullopt when created offline
    std::optional<std::int64_t> revoked_at_ms;
};

// Inserts a key row with a zero hash and returns its id. The caller must call SetApiKeyHash in
// the same transaction. kConflict when the organisation does not exist (foreign key).
[[nodiscard]] Result<std::int64_t> InsertApiKey(Connection& connection,
                                                std::int64_t org_id,
                                                std::string_view role,
                                                std::string_view name,
                                                std::int64_t created_at_ms,
                                                std::optional<std::int64_t> created_by);

// Sets the hash of a freshly inserted key (once; kConflict if it was already set).
[[nodiscard]] Result<void> SetApiKeyHash(Connection& connection,
                                         std::int64_t key_id,
                                         std::span<const std::uint8_t, 32> hash);

// The key with `id`, revoked or not, or nullopt.
[[nodiscard]] Result<std::optional<ApiKeyRecord>> FindApiKey(Connection& connection,
                                                             std::int64_t id);

// Every key of an organisation, in id order (hashes included; callers must not expose them).
[[nodiscard]] Result<std::vector<ApiKeyRecord>> ListApiKeys(Connection& connection,
                                                            std::int64_t org_id);

// Marks the key revoked at `at_ms`. Returns false when it was already revoked (unchanged);
// kNotFound when there is no such key.
[[nodiscard]] Result<bool> RevokeApiKey(Connection& connection,
                                        std::int64_t key_id,
                                        std::int64_t at_ms);

// Whether any unrevoked key has the admin role.
[[nodiscard]] Result<bool> HasActiveAdminKey(Connection& connection);

}  // namespace renewmatch::schema
