// The one Errc -> HTTP status map, the error body encoder, and ToApiError.
#include "api/error.hpp"

#include "api/json.hpp"
#include "api/response.hpp"
#include "api/result.hpp"
#include "tests/support/test_util.hpp"

#include <map>
#include <set>

namespace renewmatch::api {
namespace {

// Every Errc value, with the status it must map to. kInternal is the last enumerator; the test
// below checks that this table covers every value up to it.
const std::map<Errc, unsigned> kExpectedStatus = {
    {Errc::kOk, 200},
    {Errc::kInvalidArgument, 422},
    {Errc::kMalformed, 400},
    {Errc::kNotFound, 404},
    {Errc::kConflict, 409},
    {Errc::kPreconditionFailed, 412},
    {Errc::kUnauthenticated, 401},
    {Errc::kForbidden, 403},
    {Errc::kTooLarge, 413},
    {Errc::kRateLimited, 429},
    {Errc::kBusy, 503},
    {Errc::kUnavailable, 503},
    {Errc::kUnsupportedMediaType, 415},
    {Errc::kInternal, 500},
};

TEST(HttpStatusForTest, CoversEveryErrc) {
    const int last = static_cast<int>(Errc::kInternal);
    ASSERT_EQ(kExpectedStatus.size(), static_cast<std::size_t>(last + 1));
    std::set<std::string> names;
    for (int value = 0; value <= last; ++value) {
        const auto kind = static_cast<Errc>(value);
        ASSERT_TRUE(kExpectedStatus.count(kind)) << "no expectation for Errc " << value;
        EXPECT_EQ(HttpStatusFor(kind), kExpectedStatus.at(kind)) << ErrcName(kind);
        EXPECT_STRNE(ErrcName(kind), "unknown");
        names.insert(ErrcName(kind));
    }
    EXPECT_EQ(names.size(), kExpectedStatus.size()) << "machine codes must be distinct";
    EXPECT_EQ(HttpStatusFor(static_cast<Errc>(last + 100)), 500u);
}

TEST(EncodeErrorTest, WritesTheOneErrorShape) {
    ApiError error = ApiError::Make(Errc::kInvalidArgument, "2 lines are invalid", "invalid_list");
    error.details.push_back({3, "/lines/3/quantity", "out_of_range", "must be positive"});
    error.details.push_back({std::nullopt, "", "required", "title is required"});
    const std::string body = EncodeError(error, "req-1");
    auto doc = ParseDocument(body);
    ASSERT_TRUE(doc.has_value()) << body;
    const JsonValue& root = *doc;
    ASSERT_TRUE(root.IsObject());
    EXPECT_EQ(root.MemberCount(), 2u);
    EXPECT_STREQ(root["requestId"].GetString(), "req-1");
    const JsonValue& e = root["error"];
    EXPECT_STREQ(e["code"].GetString(), "invalid_list");
    EXPECT_STREQ(e["message"].GetString(), "2 lines are invalid");
    ASSERT_TRUE(e["details"].IsArray());
    ASSERT_EQ(e["details"].Size(), 2u);
    const JsonValue& d0 = e["details"][0];
    EXPECT_EQ(d0["line"].GetInt64(), 3);
    EXPECT_STREQ(d0["field"].GetString(), "/lines/3/quantity");
    EXPECT_STREQ(d0["code"].GetString(), "out_of_range");
    EXPECT_STREQ(d0["message"].GetString(), "must be positive");
    const JsonValue& d1 = e["details"][1];
    EXPECT_FALSE(d1.HasMember("line"));
    EXPECT_FALSE(d1.HasMember("field"));
}

TEST(EncodeErrorTest, DefaultsCodeAndMessageToTheKindName) {
    ApiError error;
    error.kind = Errc::kConflict;
    auto doc = ParseDocument(EncodeError(error, "r"));
    ASSERT_TRUE(doc.has_value());
    EXPECT_STREQ((*doc)["error"]["code"].GetString(), "conflict");
    EXPECT_STREQ((*doc)["error"]["message"].GetString(), "conflict");
    EXPECT_EQ((*doc)["error"]["details"].Size(), 0u);
}

TEST(EncodeErrorTest, EscapesUntrustedText) {
    ApiError error = ApiError::Make(Errc::kNotFound, "no \"x\"\n</script>\x01");
    const std::string body = EncodeError(error, "id\"");
    auto doc = ParseDocument(body);
    ASSERT_TRUE(doc.has_value()) << body;
    EXPECT_STREQ((*doc)["error"]["message"].GetString(), "no \"x\"\n</script>\x01");
    EXPECT_STREQ((*doc)["requestId"].GetString(), "id\"");
}

TEST(ErrorResponseTest, SetsStatusHeadersAndContentType) {
    ApiError limited = ApiError::Make(Errc::kRateLimited, "slow down");
    limited.headers.emplace_back("Retry-After", "7");
    HttpResponse r = ErrorResponse(limited, "x");
    EXPECT_EQ(r.result_int(), 429u);
    EXPECT_EQ(r[http::field::retry_after], "7");
    EXPECT_EQ(r[http::field::content_type], "application/json");

    HttpResponse busy = ErrorResponse(ApiError::Make(Errc::kBusy, "busy"), "x");
    EXPECT_EQ(busy.result_int(), 503u);
    EXPECT_EQ(busy[http::field::retry_after], "1");

    HttpResponse unauth = ErrorResponse(ApiError::Make(Errc::kUnauthenticated, "who?"), "x");
    EXPECT_EQ(unauth.result_int(), 401u);
    EXPECT_EQ(unauth[http::field::www_authenticate], "Bearer realm=\"renewmatch\"");
}

TEST(ToApiErrorTest, KeepsOurKindsAndHidesInternals) {
    ApiError conflict = ToApiError(make_error_code(Errc::kConflict), "name taken");
    EXPECT_EQ(conflict.kind, Errc::kConflict);
    EXPECT_EQ(conflict.message, "name taken");

    ApiError defaulted = ToApiError(make_error_code(Errc::kBusy));
    EXPECT_EQ(defaulted.kind, Errc::kBusy);
    EXPECT_EQ(defaulted.message, "busy");

    ApiError internal = ToApiError(make_error_code(Errc::kInternal), "sqlite said: table x");
    EXPECT_EQ(internal.kind, Errc::kInternal);
    EXPECT_EQ(internal.message, "internal error");

    ApiError foreign = ToApiError(
        boost::system::error_code(ENOENT, boost::system::generic_category()), "secret path");
    EXPECT_EQ(foreign.kind, Errc::kInternal);
    EXPECT_EQ(foreign.message, "internal error");
}

TEST(ApiResultTest, ValueOnAnErrorThrowsWithTheCode) {
    ApiResult<int> r = ApiError::Make(Errc::kNotFound, "gone");
    EXPECT_THROW((void)r.value(), std::runtime_error);
}

}  // namespace
}  // namespace renewmatch::api
