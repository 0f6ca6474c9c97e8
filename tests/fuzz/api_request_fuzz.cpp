// libFuzzer target for the request -> response path of api::Service (router, query decoding,
// request ids, authentication, the JSON readers and the error encoder): any input must produce a
// well-formed response — a known status, an X-Request-Id, and for errors the one error body —
// and never crash, leak or trip a sanitizer. Seeds live in tests/fuzz/corpus/api_request/.
//
// Input layout: lines "METHOD TARGET", then "Header: value" lines, an empty line, then the body.
#include "api/json.hpp"
#include "api/response.hpp"
#include "api/service.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace {

using namespace renewmatch;
using namespace renewmatch::api;

// Accepts exactly "Bearer good" as a buyer of org 1.
class FixedAuthenticator final : public Authenticator {
  public:
    Result<Principal> Authenticate(std::string_view value, std::int64_t) override {
        if (value == "Bearer good") return Principal{1, 1, Role::kBuyer};
        return Errc::kUnauthenticated;
    }
};

// Reads a small JSON body with the typed readers, as a real create handler would.
Reply Echo(RequestContext& ctx) {
    auto doc = ParseDocument(ctx.request.body());
    if (!doc) return doc.error();
    if (auto unknown = RejectUnknownFields(*doc, "", {"name", "count", "ratio", "on", "items"});
        !unknown) {
        return unknown.error();
    }
    auto name = ReadString(*doc, "name", "", 64);
    if (!name) return name.error();
    auto count = ReadOptionalInt64(*doc, "count", "");
    if (!count) return count.error();
    auto ratio = ReadOptionalDouble(*doc, "ratio", "");
    if (!ratio) return ratio.error();
    auto on = ReadOptionalBool(*doc, "on", "");
    if (!on) return on.error();
    auto items = ReadOptionalArray(*doc, "items", "");
    if (!items) return items.error();
    JsonWriter w;
    w.StartObject().Field("id", ctx.Param("id")).Field("name", *name).Field("count", *count);
    w.Field("ratio", *ratio).Field("on", *on).Key("items").StartArray();
    if (*items != nullptr) {
        std::size_t index = 0;
        for (const JsonValue& item : (*items)->GetArray()) {
            auto text = AsString(item, JsonPointerAppend("/items", index++));
            if (!text) return text.error();
            w.String(*text);
        }
    }
    w.EndArray().EndObject();
    return JsonResponse(http::status::ok, w.Take());
}

Service& TheService() {
    static AppContext* app = [] {
        auto* a = new AppContext;
        a->now_ms = [] { return std::int64_t{1700000000000}; };
        return a;
    }();
    static Service* service = [] {
        auto* s = new Service(*app);
        RegisterHealthRoutes(s->router());
        s->router().Add(http::verb::post, "/v1/things/{id}", Echo,
                        RouteOptions::Authenticated("things.echo", {Role::kBuyer}, 4096));
        s->router().Add(
            http::verb::get, "/v1/things/{id}/parts/{part}",
            [](RequestContext& ctx) -> Reply {
                JsonWriter w;
                w.StartObject().Field("part", ctx.Param("part"));
                w.Field("q", ctx.query.Get("q").value_or("")).EndObject();
                return JsonResponse(http::status::ok, w.Take());
            },
            RouteOptions::Public("things.part"));
        s->SetAuthenticator(std::make_shared<FixedAuthenticator>());
        return s;
    }();
    return *service;
}

void Require(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t line_end = input.find('\n');
    const std::string_view request_line = input.substr(0, line_end);
    input = line_end == std::string_view::npos ? std::string_view() : input.substr(line_end + 1);
    const std::size_t space = request_line.find(' ');
    if (space == std::string_view::npos) return 0;
    const http::verb method = http::string_to_verb(request_line.substr(0, space));
    if (method == http::verb::unknown) return 0;

    HttpRequest request{method, request_line.substr(space + 1), 11};
    while (!input.empty()) {
        const std::size_t end = input.find('\n');
        const std::string_view line = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
        if (line.empty()) break;
        const std::size_t colon = line.find(": ");
        if (colon == std::string_view::npos || colon == 0) continue;
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = line.substr(colon + 2);
        // Beast rejects nothing here; keep to what a real parser would have accepted.
        if (name.find_first_of(" \r\t") != std::string_view::npos ||
            value.find('\r') != std::string_view::npos ||
            value.find('\0') != std::string_view::npos) {
            continue;
        }
        request.set(name, value);
    }
    request.body() = std::string(input);
    request.prepare_payload();

    HandleOutcome outcome;
    const HttpResponse response = TheService().Handle(request, RequestInfo{}, &outcome);
    const unsigned status = response.result_int();
    Require(status >= 200 && status < 600);
    Require(!response["X-Request-Id"].empty());
    Require(response["X-Request-Id"] == outcome.request_id);
    if (status >= 400) {
        auto doc = ParseDocument(response.body());
        Require(doc.has_value());
        auto error = ReadObject(*doc, "error", "");
        Require(error.has_value());
        Require(ReadString(**error, "code", "/error").has_value());
        Require(ReadArray(**error, "details", "/error").has_value());
        Require(ReadString(*doc, "requestId", "").has_value());
    }
    return 0;
}
