// Parsing of the positive integer ids that appear in request paths, query parameters, cursors
// and CLI flags ("/v1/orgs/{id}", "?cursor=", "--org 7"). One definition for every route, so
// "007", "+7", "7 ", "0", "-1" and values past int64 are refused the same way everywhere.
//
// Thread-safety: stateless.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace renewmatch::api {

// The value of `text` when it is exactly a decimal integer in [1, INT64_MAX] (leading zeros
// are accepted as from_chars accepts them); nullopt for anything else, including "".
inline std::optional<std::int64_t> ParsePositiveId(std::string_view text) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value <= 0) return std::nullopt;
    return value;
}

}  // namespace renewmatch::api
