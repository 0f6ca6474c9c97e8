#include "schema/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace renewmatch {

void CheckFailed(const char* expression, const char* reason, const char* file, int line) noexcept {
    std::fprintf(stderr, "renewmatch: check failed at %s:%d: %s (%s)\n", file, line, reason,
                 expression);
    std::fflush(stderr);
    std::abort();
}

}  // namespace renewmatch
