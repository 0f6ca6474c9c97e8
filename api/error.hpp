// The error value every api handler and decoder reports, and the one Errc -> HTTP status map.
//
// Every error body on the wire has one shape (written by api::EncodeError):
//   {"error":{"code":"…","message":"…","details":[{line, field, code, message}…]},"requestId":"…"}
// `details` carries per-field or per-line findings: `field` is a JSON pointer ("/lines/3/quantity")
// or a CSV column name; `line` is the 1-based CSV line or the 0-based JSON array index.
//
// Thread-safety: plain values.
#pragma once

#include "schema/errc.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace renewmatch::api {

struct ErrorDetail {
    std::optional<std::int64_t> line;  // CSV line number (1-based) or list index (0-based)
    std::string field;                 // JSON pointer or CSV column; may be empty
    std::string code;                  // machine-readable, e.g. "unknown_unit", "required"
    std::string message;               // for a human
};

struct ApiError {
    Errc kind = Errc::kInternal;
    std::string code;     // machine-readable; defaults to ErrcName(kind) when empty
    std::string message;  // for a human
    std::vector<ErrorDetail> details;
    // Extra response headers (e.g. Retry-After for 429, Allow for 405).
    std::vector<std::pair<std::string, std::string>> headers;

    static ApiError Make(Errc kind, std::string message, std::string code = {}) {
        ApiError e;
        e.kind = kind;
        e.message = std::move(message);
        e.code = std::move(code);
        return e;
    }
};

// The one mapping from error kinds to HTTP status codes.
unsigned HttpStatusFor(Errc kind) noexcept;

}  // namespace renewmatch::api
