// The project-wide error kinds for expected failures (bad input, not found, conflict, busy).
//
// Expected failures travel as values: `Result<T>` (boost::system::result<T>) carrying an
// `error_code` in `ErrorCategory()`. Exceptions are for the truly exceptional and are caught at
// the session boundary. `api::HttpStatusFor(Errc)` is the one place these map to HTTP statuses.
//
// Lives in schema/ because it is the lowest module that reports errors; matcher is pure and
// reports its own outcomes as values. Thread-safety: the category is a stateless singleton.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <system_error>
#include <type_traits>

namespace renewmatch {

enum class Errc {
    kOk = 0,
    kInvalidArgument,     // malformed or semantically invalid input (422 / 400)
    kMalformed,           // syntactically unreadable input: bad JSON, bad CSV, bad encoding (400)
    kNotFound,            // no such entity, or not visible to the caller (404)
    kConflict,            // uniqueness or state conflict (409)
    kPreconditionFailed,  // stale If-Match (412)
    kUnauthenticated,     // no or unknown credentials (401)
    kForbidden,           // authenticated but the role may not do this (403)
    kTooLarge,            // payload over a limit (413)
    kRateLimited,         // token bucket empty (429)
    kBusy,                // queue full or database busy (503)
    kUnavailable,         // not ready yet (503)
    kUnsupportedMediaType,  // (415)
    kInternal,            // a bug or an infrastructure failure (500)
};

const boost::system::error_category& ErrorCategory() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {  // NOLINT: ADL hook name
    return {static_cast<int>(e), ErrorCategory()};
}

// The machine-readable code used in error bodies, e.g. "not_found".
const char* ErrcName(Errc e) noexcept;

template <class T>
using Result = boost::system::result<T>;

}  // namespace renewmatch

namespace boost::system {
template <>
struct is_error_code_enum<renewmatch::Errc> : std::true_type {};
}  // namespace boost::system
