// api::Router and the query/percent decoding it relies on.
#include "api/router.hpp"

#include "tests/support/test_util.hpp"

#include <stdexcept>

namespace renewmatch::api {
namespace {

Reply Ok(RequestContext&) {
    return HttpResponse{http::status::ok, 11};
}

class RouterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        router_.Add(http::verb::get, "/v1/orgs", Ok, RouteOptions::Authenticated("orgs.list"));
        router_.Add(http::verb::post, "/v1/orgs", Ok, RouteOptions::Authenticated("orgs.create"));
        router_.Add(http::verb::get, "/v1/orgs/{id}", Ok, RouteOptions::Authenticated("orgs.get"));
        router_.Add(http::verb::delete_, "/v1/orgs/{id}/keys/{key}", Ok,
                    RouteOptions::Authenticated("keys.revoke"));
        router_.Add(http::verb::get, "/v1/lists/{id}", Ok,
                    RouteOptions::Authenticated("lists.get"));
        router_.Add(http::verb::get, "/v1/lists/feed", Ok,
                    RouteOptions::Authenticated("lists.feed"));
        router_.Add(http::verb::put, "/v1/lists/{id}", Ok,
                    RouteOptions::Authenticated("lists.put"));
    }
    Router router_;
};

TEST_F(RouterTest, MatchesLiteralPaths) {
    const auto m = router_.Match(http::verb::get, "/v1/orgs");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    EXPECT_EQ(m.route->options.name, "orgs.list");
    EXPECT_TRUE(m.params.empty());
    EXPECT_EQ(router_.Match(http::verb::post, "/v1/orgs").route->options.name, "orgs.create");
}

TEST_F(RouterTest, ExtractsPathParameters) {
    const auto m = router_.Match(http::verb::delete_, "/v1/orgs/17/keys/abc");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    EXPECT_EQ(m.route->options.name, "keys.revoke");
    ASSERT_EQ(m.params.size(), 2u);
    EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"id", "17"}));
    EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"key", "abc"}));
}

TEST_F(RouterTest, PercentDecodesParameterValues) {
    const auto m = router_.Match(http::verb::get, "/v1/orgs/a%20b%2Fc%E4%B8%AD");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    EXPECT_EQ(m.params.at(0).second, "a b/c中");
    // '+' is literal in a path.
    EXPECT_EQ(router_.Match(http::verb::get, "/v1/orgs/a+b").params.at(0).second, "a+b");
}

TEST_F(RouterTest, BadEscapesInParametersAreBadPath) {
    EXPECT_EQ(router_.Match(http::verb::get, "/v1/orgs/%zz").kind, Router::MatchKind::kBadPath);
    EXPECT_EQ(router_.Match(http::verb::get, "/v1/orgs/%4").kind, Router::MatchKind::kBadPath);
    EXPECT_EQ(router_.Match(http::verb::get, "/v1/orgs/%FF").kind, Router::MatchKind::kBadPath);
}

TEST_F(RouterTest, LiteralSegmentsBeatParameters) {
    const auto feed = router_.Match(http::verb::get, "/v1/lists/feed");
    ASSERT_EQ(feed.kind, Router::MatchKind::kFound);
    EXPECT_EQ(feed.route->options.name, "lists.feed");
    const auto other = router_.Match(http::verb::get, "/v1/lists/feed2");
    ASSERT_EQ(other.kind, Router::MatchKind::kFound);
    EXPECT_EQ(other.route->options.name, "lists.get");
    // A method only the parameter route has still matches it.
    const auto put = router_.Match(http::verb::put, "/v1/lists/feed");
    ASSERT_EQ(put.kind, Router::MatchKind::kFound);
    EXPECT_EQ(put.params.at(0).second, "feed");
}

TEST_F(RouterTest, UnknownPathsAreNotFound) {
    EXPECT_EQ(router_.Match(http::verb::get, "/v1/nothing").kind, Router::MatchKind::kNotFound);
    EXPECT_EQ(router_.Match(http::verb::get, "/v1/orgs/").kind, Router::MatchKind::kNotFound);
    EXPECT_EQ(router_.Match(http::verb::get, "/v1/orgs/1/extra").kind,
              Router::MatchKind::kNotFound);
    EXPECT_EQ(router_.Match(http::verb::get, "/V1/orgs").kind, Router::MatchKind::kNotFound);
    EXPECT_EQ(router_.Match(http::verb::get, "").kind, Router::MatchKind::kNotFound);
    EXPECT_EQ(router_.Match(http::verb::get, "v1/orgs").kind, Router::MatchKind::kNotFound);
}

TEST_F(RouterTest, WrongMethodIsMethodNotAllowedWithSortedAllow) {
    const auto m = router_.Match(http::verb::delete_, "/v1/orgs");
    EXPECT_EQ(m.kind, Router::MatchKind::kMethodNotAllowed);
    EXPECT_EQ(Router::AllowHeader(m.allowed), "GET, POST");
    const auto lists = router_.Match(http::verb::post, "/v1/lists/x");
    EXPECT_EQ(lists.kind, Router::MatchKind::kMethodNotAllowed);
    EXPECT_EQ(Router::AllowHeader(lists.allowed), "GET, PUT");
}

TEST_F(RouterTest, RejectsMalformedAndDuplicateRoutes) {
    EXPECT_THROW(router_.Add(http::verb::get, "v1/x", Ok), std::invalid_argument);
    EXPECT_THROW(router_.Add(http::verb::get, "/v1/{", Ok), std::invalid_argument);
    EXPECT_THROW(router_.Add(http::verb::get, "/v1/{}", Ok), std::invalid_argument);
    EXPECT_THROW(router_.Add(http::verb::get, "/v1/a{id}", Ok), std::invalid_argument);
    EXPECT_THROW(router_.Add(http::verb::get, "/v1/x", Handler()), std::invalid_argument);
    // Same shape, different parameter name: still a duplicate.
    EXPECT_THROW(router_.Add(http::verb::get, "/v1/orgs/{org}", Ok), std::invalid_argument);
    EXPECT_NO_THROW(router_.Add(http::verb::patch, "/v1/orgs/{org}", Ok));
}

TEST_F(RouterTest, DefaultsTheRouteNameToThePattern) {
    router_.Add(http::verb::get, "/v1/unnamed/{x}", Ok);
    const auto m = router_.Match(http::verb::get, "/v1/unnamed/1");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    EXPECT_EQ(m.route->options.name, "/v1/unnamed/{x}");
    EXPECT_EQ(m.route->options.body_limit, kDefaultBodyLimit);
}

TEST_F(RouterTest, SpecificityIsDecidedByTheEarliestLiteralAtAnyDepth) {
    // Deep patterns: the literal in the earlier segment wins whatever follows.
    router_.Add(http::verb::get, "/a/{x}/c/d/e/f/g/h", Ok, RouteOptions::Public("late-literals"));
    router_.Add(http::verb::get, "/a/b/{y}/{z}/{u}/{v}/{w}/{q}", Ok,
                RouteOptions::Public("early-literal"));
    const auto m = router_.Match(http::verb::get, "/a/b/c/d/e/f/g/h");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    EXPECT_EQ(m.route->options.name, "early-literal");
    EXPECT_EQ(router_.Match(http::verb::get, "/a/z/c/d/e/f/g/h").route->options.name,
              "late-literals");
}

TEST_F(RouterTest, PathsLongerThanAnyRouteAreNotFoundAndPatternsAreBounded) {
    std::string deep;
    for (int i = 0; i < 65; ++i) deep += "/s";
    EXPECT_EQ(router_.Match(http::verb::get, deep).kind, Router::MatchKind::kNotFound);
    EXPECT_THROW(router_.Add(http::verb::get, deep, Ok), std::invalid_argument);
    std::string sixty_four;
    for (int i = 0; i < 64; ++i) sixty_four += "/s";
    ASSERT_NO_THROW(router_.Add(http::verb::get, sixty_four, Ok, RouteOptions::Public("deep")));
    const auto m = router_.Match(http::verb::get, sixty_four);
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    EXPECT_EQ(m.route->options.name, "deep");
}

TEST(HealthRoutesTest, OnlyHealthzRunsInline) {
    Router router;
    RegisterHealthRoutes(router);
    for (const Route& route : router.routes()) {
        EXPECT_EQ(route.options.run_inline, route.pattern == "/healthz") << route.pattern;
    }
}

TEST(SplitTargetTest, SeparatesPathQueryAndFragment) {
    EXPECT_EQ(SplitTarget("/a/b?x=1&y=2"),
              (std::pair<std::string_view, std::string_view>{"/a/b", "x=1&y=2"}));
    EXPECT_EQ(SplitTarget("/a"), (std::pair<std::string_view, std::string_view>{"/a", ""}));
    EXPECT_EQ(SplitTarget("/a?q#frag"), (std::pair<std::string_view, std::string_view>{"/a", "q"}));
}

TEST(ParseQueryTest, DecodesPercentPlusAndRepeats) {
    auto q = ParseQuery("a=1&b=x%20y&c=a+b&a=2&flag&&d=%E4%B8%AD%E6%96%87&e=");
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->Get("a"), "1");
    EXPECT_EQ(q->GetAll("a"), (std::vector<std::string_view>{"1", "2"}));
    EXPECT_EQ(q->Get("b"), "x y");
    EXPECT_EQ(q->Get("c"), "a b");
    EXPECT_EQ(q->Get("flag"), "");
    EXPECT_TRUE(q->Has("flag"));
    EXPECT_EQ(q->Get("d"), "中文");
    EXPECT_EQ(q->Get("e"), "");
    EXPECT_EQ(q->Get("missing"), std::nullopt);
    EXPECT_EQ(q->items().size(), 7u);
}

TEST(ParseQueryTest, DecodesNamesToo) {
    auto q = ParseQuery("sort%5Bby%5D=name");
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->Get("sort[by]"), "name");
}

TEST(ParseQueryTest, RejectsBadEscapesNamingTheParameter) {
    for (const char* bad : {"limit=%zz", "limit=%4", "limit=%", "limit=%C3%28"}) {
        auto q = ParseQuery(bad);
        ASSERT_FALSE(q.has_value()) << bad;
        EXPECT_EQ(q.error().kind, Errc::kMalformed) << bad;
        ASSERT_EQ(q.error().details.size(), 1u);
        EXPECT_EQ(q.error().details[0].field, "limit") << bad;
    }
}

TEST(PercentDecodeTest, HandlesEdgeCases) {
    EXPECT_EQ(PercentDecode("", true), "");
    EXPECT_EQ(PercentDecode("%41%62", false), "Ab");
    EXPECT_EQ(PercentDecode("a+b", false), "a+b");
    EXPECT_EQ(PercentDecode("a+b", true), "a b");
    EXPECT_EQ(PercentDecode("%00", false), std::string(1, '\0'));
    EXPECT_EQ(PercentDecode("%G0", false), std::nullopt);
    EXPECT_EQ(PercentDecode("abc%", false), std::nullopt);
}

}  // namespace
}  // namespace renewmatch::api
