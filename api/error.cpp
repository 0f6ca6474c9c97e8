#include "api/error.hpp"

#include "api/result.hpp"

#include <stdexcept>

namespace renewmatch::api {

unsigned HttpStatusFor(Errc kind) noexcept {
    switch (kind) {
        case Errc::kOk:
            return 200;
        case Errc::kInvalidArgument:
            return 422;  // well-formed but semantically invalid
        case Errc::kMalformed:
            return 400;  // unreadable: bad JSON, CSV, encoding, escape
        case Errc::kNotFound:
            return 404;
        case Errc::kConflict:
            return 409;
        case Errc::kPreconditionFailed:
            return 412;
        case Errc::kUnauthenticated:
            return 401;
        case Errc::kForbidden:
            return 403;
        case Errc::kTooLarge:
            return 413;
        case Errc::kRateLimited:
            return 429;
        case Errc::kBusy:
            return 503;
        case Errc::kUnavailable:
            return 503;
        case Errc::kUnsupportedMediaType:
            return 415;
        case Errc::kInternal:
            return 500;
    }
    return 500;  // an out-of-range value is a bug; never expose it as success
}

void throw_exception_from_error(const ApiError& error, const boost::source_location& location) {
    throw std::runtime_error("unchecked ApiResult error " +
                             (error.code.empty() ? std::string(ErrcName(error.kind)) : error.code) +
                             ": " + error.message + " (at " + location.file_name() + ":" +
                             std::to_string(location.line()) + ")");
}

ApiError ToApiError(const boost::system::error_code& code, std::string message) {
    Errc kind = Errc::kInternal;
    if (code.category() == ErrorCategory()) kind = static_cast<Errc>(code.value());
    if (kind == Errc::kOk) kind = Errc::kInternal;  // an error that says "ok" is a bug
    if (kind == Errc::kInternal) message = "internal error";
    if (message.empty()) message = ErrcName(kind);
    return ApiError::Make(kind, std::move(message));
}

}  // namespace renewmatch::api
