// Always-on and debug-only invariant checks (Envoy's RELEASE_ASSERT / ASSERT pair).
//
// RENEWMATCH_CHECK(cond, reason) is always compiled in: when `cond` is false it prints the
// reason, the expression and the location to stderr and aborts. Use it for states the process
// cannot recover from (a broken invariant, a misused library such as RapidJSON's asserts).
// RENEWMATCH_ASSERT(cond, reason) is the same check in debug builds and nothing under NDEBUG.
// Never check anything derived from a request, a file or database contents: those are
// expected failures and travel as Result<T> / ApiError values.
//
// Thread-safety: stateless.
#pragma once

namespace renewmatch {

[[noreturn]] void CheckFailed(const char* expression,
                              const char* reason,
                              const char* file,
                              int line) noexcept;

}  // namespace renewmatch

#define RENEWMATCH_CHECK(cond, reason) \
    ((cond) ? static_cast<void>(0) : ::renewmatch::CheckFailed(#cond, reason, __FILE__, __LINE__))

#ifdef NDEBUG
#define RENEWMATCH_ASSERT(cond, reason) static_cast<void>(0)
#else
#define RENEWMATCH_ASSERT(cond, reason) RENEWMATCH_CHECK(cond, reason)
#endif
