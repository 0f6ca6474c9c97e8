#include "api/orgs_uscc.hpp"

#include <array>
#include <cstddef>

namespace renewmatch::api {
namespace {

// Weights 3^(i-1) mod 31 for positions i = 1..17, computed at compile time so that the table
// and the standard's formula cannot drift apart.
constexpr std::array<int, 17> MakeWeights() {
    std::array<int, 17> weights{};
    int w = 1;
    for (auto& weight : weights) {
        weight = w;
        w = (w * 3) % 31;
    }
    return weights;
}
constexpr std::array<int, 17> kWeights = MakeWeights();
static_assert(kWeights[0] == 1 && kWeights[1] == 3 && kWeights[2] == 9 && kWeights[3] == 27 &&
                  kWeights[4] == 19 && kWeights[16] == 28,
              "GB 32100-2015 weights are 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28");

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

UsccResult Fail(std::string code, std::string message) {
    UsccResult r;
    r.problem = UsccProblem{std::move(code), std::move(message)};
    return r;
}

}  // namespace

std::optional<int> UsccCharValue(char c) noexcept {
    const auto pos = kUsccAlphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    return static_cast<int>(pos);
}

char UsccCheckCharacter(std::string_view first17) noexcept {
    if (first17.size() != kUsccLength - 1) return '\0';
    int sum = 0;
    for (std::size_t i = 0; i < first17.size(); ++i) {
        const auto value = UsccCharValue(first17[i]);
        if (!value) return '\0';
        sum += *value * kWeights[i];
    }
    const int check = (31 - sum % 31) % 31;
    return kUsccAlphabet[static_cast<std::size_t>(check)];
}

UsccResult ValidateUscc(std::string_view input) {
    const std::string_view trimmed = Trim(input);
    if (trimmed.size() != kUsccLength) {
        return Fail("invalid_length", "a unified social credit code has 18 characters, got " +
                                          std::to_string(trimmed.size()));
    }
    std::string canonical(trimmed);
    for (std::size_t i = 0; i < canonical.size(); ++i) {
        char& c = canonical[i];
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (!UsccCharValue(c)) {
            return Fail("invalid_character",
                        "character " + std::to_string(i + 1) +
                            " is not in the GB 32100 set 0-9A-HJ-NPQRTUWXY (no I, O, S, V, Z)");
        }
        // Positions 3-8 carry the registering authority's GB/T 2260 division code: digits only.
        if (i >= 2 && i <= 7 && (c < '0' || c > '9')) {
            return Fail("invalid_division",
                        "characters 3-8 (the administrative division) must be "
                        "digits; character " +
                            std::to_string(i + 1) + " is not");
        }
    }
    const char expected = UsccCheckCharacter(std::string_view(canonical).substr(0, 17));
    if (canonical[17] != expected) {
        return Fail("invalid_check_character",
                    "check character (position 18) does not match the GB 32100-2015 checksum");
    }
    UsccResult r;
    r.canonical = std::move(canonical);
    return r;
}

}  // namespace renewmatch::api
