#include "api/principal.hpp"

namespace renewmatch::api {

std::string_view RoleName(Role role) noexcept {
    switch (role) {
        case Role::kAdmin:
            return "admin";
        case Role::kBuyer:
            return "buyer";
        case Role::kSupplier:
            return "supplier";
        case Role::kJob:
            return "job";
    }
    return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) noexcept {
    for (Role role : {Role::kAdmin, Role::kBuyer, Role::kSupplier, Role::kJob}) {
        if (RoleName(role) == name) return role;
    }
    return std::nullopt;
}

}  // namespace renewmatch::api
