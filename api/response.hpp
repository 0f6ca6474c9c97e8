// Building responses: the helpers handlers use (JsonResponse, TextResponse) and the one error
// encoder (EncodeError / ErrorResponse) that writes
//   {"error":{"code":"…","message":"…","details":[{"line":…,"field":"…","code":"…","message":"…"}]},
//    "requestId":"…"}
// api::Service adds X-Request-Id, the HTTP version, keep-alive and Content-Length to every
// response, so handlers only set status, body and content headers.
//
// Thread-safety: stateless functions.
#pragma once

#include "api/error.hpp"
#include "api/http.hpp"

#include <string>
#include <string_view>

namespace renewmatch::api {

// A response with Content-Type: application/json and the given (already encoded) body.
HttpResponse JsonResponse(http::status status, std::string body);
HttpResponse JsonResponse(unsigned status, std::string body);
// A response with the given content type (default text/plain; charset=utf-8).
HttpResponse TextResponse(http::status status,
                          std::string body,
                          std::string_view content_type = "text/plain; charset=utf-8");
// 204 No Content.
HttpResponse NoContentResponse();

// The error body for `error` (code defaults to ErrcName(error.kind)).
std::string EncodeError(const ApiError& error, std::string_view request_id);
// A complete error response: status HttpStatusFor(error.kind), the error body, error.headers,
// and for 401 a `WWW-Authenticate: Bearer` header.
HttpResponse ErrorResponse(const ApiError& error, std::string_view request_id);

}  // namespace renewmatch::api
