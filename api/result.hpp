// ApiResult<T>: a value or an ApiError (boost::system::result<T, ApiError>), the return type of
// handlers (Reply) and of the JSON readers; plus the bridge from error_code results (schema/)
// to ApiError.
//
// Thread-safety: plain values.
#pragma once

#include "api/error.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>

namespace renewmatch::api {

template <class T>
using ApiResult = boost::system::result<T, ApiError>;

// Called by ApiResult<T>::value() on an error (found by ADL): throws std::runtime_error with the
// error's code and message. Handlers check results instead of relying on this.
[[noreturn]] void throw_exception_from_error(const ApiError& error,  // NOLINT: Boost's hook name
                                             const boost::source_location& location);

// Converts an error_code from a lower layer into an ApiError. Codes of renewmatch's
// ErrorCategory keep their kind; any other category becomes kInternal. `message` is what the
// client reads; for kInternal it is always replaced by a generic text (no internals leak).
ApiError ToApiError(const boost::system::error_code& code, std::string message = {});

}  // namespace renewmatch::api
