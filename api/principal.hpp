// Principal: who is calling — the API key, its organisation and its role — as established by the
// Authenticator (api/service.hpp) before a handler runs.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace renewmatch::api {

enum class Role { kAdmin, kBuyer, kSupplier, kJob };

struct Principal {
    std::int64_t key_id = 0;
    std::int64_t org_id = 0;
    Role role = Role::kBuyer;
};

// "admin", "buyer", "supplier", "job".
std::string_view RoleName(Role role) noexcept;
// The inverse of RoleName (exact, lower case); nullopt for anything else.
std::optional<Role> ParseRole(std::string_view name) noexcept;

}  // namespace renewmatch::api
