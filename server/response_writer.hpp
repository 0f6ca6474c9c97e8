// The wire form of an HTTP/1.1 response, written by the server in one buffer.
//
// Beast's serializer hands the TLS stream the status line, the fields and the body as separate
// buffers; a TLS stream encrypts what one write call gives it into its own record(s), so a
// response could leave as several records and syscalls. HttpServer instead serializes the status
// line and fields (and a body up to kCoalesceBodyLimit) into one per-connection buffer that is
// reused from request to request, and writes it with one call: one TLS record per 16 KiB and one
// sendmsg. The bytes are exactly those Beast's serializer produces for the same message (unit
// test), so headers, their order and the body are unchanged.
//
// Thread-safety: plain functions on caller-owned values.
#pragma once

#include "api/http.hpp"

#include <cstddef>
#include <string>

namespace renewmatch::server {

// Bodies up to this size are copied behind the header into the one buffer; larger bodies are
// written from the response itself as a second buffer of the same write call.
inline constexpr std::size_t kCoalesceBodyLimit = 64 * 1024;

// Replaces `out` with the status line and header fields of `response` (ending in the blank line),
// followed by its body when the body is at most kCoalesceBodyLimit bytes. Returns true when the
// body was included. The response must be prepared (prepare_payload) by the caller; chunked
// transfer coding is not produced (the server never sends it: every body is a complete string).
bool SerializeResponse(const api::HttpResponse& response, std::string& out);

}  // namespace renewmatch::server
