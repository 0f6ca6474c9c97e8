// Validation of the unified social credit code (统一社会信用代码), GB 32100-2015.
//
// A code is 18 characters from the 31-character set "0123456789ABCDEFGHJKLMNPQRTUWXY" (the
// digits and the upper-case Latin letters without I, O, S, V and Z):
//   position 1      registration authority (登记管理部门代码)
//   position 2      organisation category (机构类别代码)
//   positions 3-8   administrative division of the registering authority (GB/T 2260, digits)
//   positions 9-17  organisation identifier (主体标识码, GB 11714)
//   position 18     check character
// The check character is computed over the first 17 characters: each character's value (its
// index in the set) is multiplied by the weight 3^(i-1) mod 31 of its 1-based position i, the
// products are summed, and the check value is 31 - (sum mod 31), where 31 stands for 0.
//
// The validator accepts lower-case letters and surrounding blanks and returns the canonical
// (upper-case, trimmed) code, because that canonical form is what uniqueness is enforced on.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace renewmatch::api {

inline constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
inline constexpr std::size_t kUsccLength = 18;

// Why a code was refused; `code` is machine-readable ("invalid_length", "invalid_character",
// "invalid_division", "invalid_check_character") and `message` names the position at fault.
struct UsccProblem {
    std::string code;
    std::string message;
};

// The value of `c` in the USCC alphabet, or nullopt when `c` is not in it (lower case is not).
std::optional<int> UsccCharValue(char c) noexcept;

// The check character for the first 17 characters of a code. Precondition: `first17` has
// exactly 17 characters, all in the alphabet (returns '\0' otherwise).
char UsccCheckCharacter(std::string_view first17) noexcept;

// Validates `input` and returns its canonical form, or the problem found. Never throws.
struct UsccResult {
    std::string canonical;               // set when valid
    std::optional<UsccProblem> problem;  // set when invalid
    bool ok() const { return !problem.has_value(); }
};
UsccResult ValidateUscc(std::string_view input);

}  // namespace renewmatch::api
