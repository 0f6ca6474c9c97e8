// The HTTP message types api/ works with: Beast's message types (header-only, no sockets).
//
// api/ turns an HttpRequest into an HttpResponse synchronously; server/ owns the sockets.
// Thread-safety: plain values.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

namespace renewmatch::api {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

}  // namespace renewmatch::api
