#include "api/response.hpp"

#include "api/json.hpp"

#include <utility>

namespace renewmatch::api {

HttpResponse JsonResponse(http::status status, std::string body) {
    HttpResponse response{status, 11};
    response.set(http::field::content_type, "application/json");
    response.body() = std::move(body);
    return response;
}

HttpResponse JsonResponse(unsigned status, std::string body) {
    return JsonResponse(static_cast<http::status>(status), std::move(body));
}

HttpResponse TextResponse(http::status status, std::string body, std::string_view content_type) {
    HttpResponse response{status, 11};
    response.set(http::field::content_type, content_type);
    response.body() = std::move(body);
    return response;
}

HttpResponse NoContentResponse() {
    return HttpResponse{http::status::no_content, 11};
}

std::string EncodeError(const ApiError& error, std::string_view request_id) {
    JsonWriter w;
    w.StartObject().Key("error").StartObject();
    w.Field("code", error.code.empty() ? std::string_view(ErrcName(error.kind))
                                       : std::string_view(error.code));
    w.Field("message", error.message.empty() ? std::string_view(ErrcName(error.kind))
                                             : std::string_view(error.message));
    w.Key("details").StartArray();
    for (const ErrorDetail& detail : error.details) {
        w.StartObject();
        if (detail.line.has_value()) w.Field("line", *detail.line);
        if (!detail.field.empty()) w.Field("field", detail.field);
        w.Field("code", detail.code);
        w.Field("message", detail.message);
        w.EndObject();
    }
    w.EndArray().EndObject();
    w.Field("requestId", request_id);
    w.EndObject();
    return w.Take();
}

HttpResponse ErrorResponse(const ApiError& error, std::string_view request_id) {
    HttpResponse response = JsonResponse(static_cast<http::status>(HttpStatusFor(error.kind)),
                                         EncodeError(error, request_id));
    for (const auto& [name, value] : error.headers) response.set(name, value);
    if (error.kind == Errc::kUnauthenticated &&
        response.find(http::field::www_authenticate) == response.end()) {
        response.set(http::field::www_authenticate, "Bearer realm=\"renewmatch\"");
    }
    if ((error.kind == Errc::kBusy || error.kind == Errc::kRateLimited) &&
        response.find(http::field::retry_after) == response.end()) {
        response.set(http::field::retry_after, "1");
    }
    return response;
}

}  // namespace renewmatch::api
