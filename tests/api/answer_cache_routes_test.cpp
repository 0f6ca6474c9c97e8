// The match routes with and without the answer cache (api/answer_cache.hpp): for many demand
// lines, supply lines and a project, every caller (own buyer/supplier, admin, job, other
// organisations), explain on and off, and several limits, the cached answer -- the first
// request (a miss) and the second (a hit) -- is byte for byte the uncached one, including the
// budgets a caller may or may not see. Then freshness: a publish, a PATCH, a withdrawal, an
// organisation renamed in SQLite (no change_seq move) and a new day each show at once through
// the cache. Rendered bodies are kept per viewer and explain setting, with organisation names
// filled in (escaped) per request.
#include "api/json.hpp"
#include "api/match.hpp"
#include "schema/org_store.hpp"
#include "tests/api/match_fixture.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace renewmatch::api::testing {
namespace {

// 2026-03-01T10:00:00Z: one fixed day for every request of a comparison.
constexpr std::int64_t kNoonMs = kStartMs + 10 * 3'600'000;

const char* kTitles[] = {"数控车床 CNC lathe", "立式加工中心 VMC machining centre",
                         "数控车床 heavy lathe", "卧式加工中心 horizontal machining centre"};
const char* kClasses[] = {"42621100-6", "42612000-9"};
const char* kVisibility[] = {"hidden", "range", "public"};

std::string SupplyList(const std::string& series, int lines, int price_base) {
    std::string doc = R"({"kind":"supply","series":")" + series + R"(","title":"供给","lines":[)";
    for (int i = 0; i < lines; ++i) {
        if (i > 0) doc += ",";
        doc += R"({"sku":")" + series + "-" + std::to_string(i) + R"(","title":")" +
               kTitles[i % 4] + " " + series + std::to_string(i) + R"(","classification":{"id":")" +
               kClasses[i % 2] + R"("},"attributes":[{"name":"主轴转速","value":)" +
               std::to_string(2000 + 250 * i) + R"(,"unit":"rpm"}],"price":{"amount":)" +
               std::to_string(price_base + 7919 * i) + R"(},"leadTimeDays":)" +
               std::to_string(10 + i % 50) + "}";
    }
    return doc + "]}";
}

std::string DemandList(int lines) {
    std::string doc = R"({"kind":"demand","series":"renewal","title":"需求","lines":[)";
    for (int i = 0; i < lines; ++i) {
        if (i > 0) doc += ",";
        doc += R"({"ref":"D)" + std::to_string(i) + R"(","title":")" + kTitles[(i + 1) % 4] +
               R"(","classification":{"id":")" + kClasses[i % 2] + R"("},"quantity":)" +
               std::to_string(1 + i % 3) + R"(,"deliveryAddress":{"region":"320505"})";
        if (i % 4 != 3) {
            doc += R"(,"budget":{"amount":)" + std::to_string(150000 + 37013 * i) +
                   R"(,"visibility":")" + kVisibility[i % 3] + R"("})";
        }
        if (i % 5 == 0) {
            doc += R"(,"requirements":[{"name":"主轴转速","min":)" +
                   std::to_string(2500 + 300 * i) + R"(,"unit":"r/min","mandatory":)" +
                   (i % 10 == 0 ? "true" : "false") + "}]";
        }
        doc += R"(,"deliveryDate":"2026-09-30"})";
    }
    return doc + "]}";
}

class AnswerCacheRoutesTest : public MatchFixture {
  protected:
    // Status and body of one request on the fixed day, with or without the cache.
    std::string Answer(const std::string& target, const std::string& key, bool cached) {
        app_.answer_cache = cached ? cache_.get() : nullptr;
        now_ms_ = kNoonMs;
        const auto r = Get(target, key);
        app_.answer_cache = cache_.get();
        return std::to_string(r.result_int()) + " " + r.body();
    }

    // Uncached, then cached twice (a miss, then a hit): all three identical. Returns the body.
    std::string ExpectSameCachedOrNot(const std::string& target, const std::string& key) {
        const std::string uncached = Answer(target, key, false);
        const std::string miss = Answer(target, key, true);
        const std::string hit = Answer(target, key, true);
        EXPECT_EQ(miss, uncached) << target << " as " << key;
        EXPECT_EQ(hit, uncached) << target << " as " << key;
        if (uncached.starts_with("200 ")) ++answered_;
        return uncached;
    }

    // PATCH with the line's current ETag as If-Match.
    HttpResponse Patch(const std::string& target, const std::string& token, std::string body) {
        const auto line = Get(target, token);
        HttpRequest request{http::verb::patch, target, 11};
        request.set(http::field::authorization, "Bearer " + token);
        request.set(http::field::if_match, std::string(line[http::field::etag]));
        request.set(http::field::content_type, "application/merge-patch+json");
        request.body() = std::move(body);
        request.prepare_payload();
        return service_->Handle(request, RequestInfo{"patch", "test"});
    }

    void PublishCatalogue() {
        Publish(SupplyList("A", 24, 150000), "supplier");
        Publish(SupplyList("B", 16, 210000), "supplier2");
        Publish(DemandList(24), "buyer");
        for (int i = 0; i < 24; ++i) {
            demands_.push_back(LineId("demand", "D" + std::to_string(i), buyer_org_));
            ASSERT_GT(demands_.back(), 0);
        }
        for (int i = 0; i < 24; i += 3) {
            supply_.push_back(LineId("supply", "A-" + std::to_string(i), supplier_org_));
            ASSERT_GT(supply_.back(), 0);
        }
    }

    std::vector<std::int64_t> demands_, supply_;
    int answered_ = 0;
};

TEST_F(AnswerCacheRoutesTest, CachedAnswersAreByteForByteTheUncachedOnes) {
    PublishCatalogue();
    const auto before = cache_->stats();
    std::size_t with_budget_amount = 0, with_candidates = 0;
    for (const auto id : demands_) {
        for (const char* key : {"buyer", "admin", "job", "buyer2"}) {
            for (const char* query :
                 {"", "?explain=false", "?limit=3", "?limit=100&explain=true"}) {
                const std::string body = ExpectSameCachedOrNot(
                    "/v1/demands/" + std::to_string(id) + "/candidates" + query, key);
                if (body.find("\"amount\":") != std::string::npos) ++with_budget_amount;
                if (body.find("\"rank\":1") != std::string::npos) ++with_candidates;
            }
        }
    }
    for (const auto id : supply_) {
        for (const char* key : {"supplier", "admin", "job", "supplier2"}) {
            for (const char* query : {"", "?explain=false", "?limit=5"}) {
                ExpectSameCachedOrNot("/v1/supply/" + std::to_string(id) + "/opportunities" + query,
                                      key);
            }
        }
    }
    Publish(R"({"kind":"project","series":"p","title":"技改","lines":[
        {"ref":"P1","name":"改造一","demandRefs":["D0","D1","D2","D5"]},
        {"ref":"P2","name":"改造二","demandRefs":["D3","D4","D7","D8","D9"]}]})",
            "buyer");
    for (const char* ref : {"P1", "P2"}) {
        const auto project = LineId("project", ref, buyer_org_);
        ASSERT_GT(project, 0);
        for (const char* key : {"buyer", "admin", "job", "buyer2"}) {
            for (const char* query : {"", "?limit=1"}) {
                ExpectSameCachedOrNot(
                    "/v1/projects/" + std::to_string(project) + "/candidates" + query, key);
            }
        }
    }
    // The comparison meant something: answers with candidates, budgets shown to some callers
    // (and, by the equality above, hidden from the same callers as without the cache).
    EXPECT_GT(with_candidates, demands_.size());
    EXPECT_GT(with_budget_amount, 0u);
    const auto after = cache_->stats();
    // Every 200 answer was asked twice through the cache: at least one hit each (the same
    // result serves every caller and explain setting, so most first requests hit too).
    EXPECT_GE(after.hits - before.hits, static_cast<std::uint64_t>(answered_));
    EXPECT_GT(after.entries, 0u);
    EXPECT_EQ(after.stale, before.stale);
}

TEST_F(AnswerCacheRoutesTest, ChangesShowThroughTheCacheAtOnce) {
    PublishCatalogue();
    // Every candidate, so that both suppliers' lines are in the answer.
    const std::string target =
        "/v1/demands/" + std::to_string(demands_[0]) + "/candidates?limit=100";
    const std::string first = ExpectSameCachedOrNot(target, "buyer");
    ASSERT_NE(first.find("\"rank\":1"), std::string::npos) << first;
    const auto hits = cache_->stats().hits;
    EXPECT_EQ(Answer(target, "buyer", true), first);
    EXPECT_EQ(cache_->stats().hits, hits + 1);

    // A new supply list: change_seq moves, the cached answer is not served.
    Publish(SupplyList("C", 8, 90000), "supplier2");
    const std::string published = ExpectSameCachedOrNot(target, "buyer");
    EXPECT_NE(published, first);
    EXPECT_NE(published.find("\"changeSeq\":" + std::to_string(LatestSeq())), std::string::npos);
    EXPECT_GT(cache_->stats().dropped, 0u);

    // PATCH the top candidate's title: the answer changes at once.
    auto doc = ParseDocument(published.substr(4));
    ASSERT_TRUE(doc.has_value());
    const std::int64_t top = (*doc)["candidates"][0]["line"]["id"].GetInt64();
    const std::int64_t top_org = (*doc)["candidates"][0]["supplier"]["id"].GetInt64();
    const std::string owner = top_org == supplier_org_ ? "supplier" : "supplier2";
    const auto patched = Patch("/v1/supply/" + std::to_string(top), owner,
                               R"({"title":"数控车床 CNC lathe renamed"})");
    ASSERT_EQ(patched.result_int(), 200u) << patched.body();
    const std::string after_patch = ExpectSameCachedOrNot(target, "buyer");
    EXPECT_NE(after_patch.find("CNC lathe renamed"), std::string::npos);

    // Withdraw it: gone from the cached answer.
    ASSERT_EQ(Delete("/v1/supply/" + std::to_string(top), owner).result_int(), 200u);
    const std::string withdrawn = ExpectSameCachedOrNot(target, "buyer");
    EXPECT_NE(after_patch.find("\"line\":{\"id\":" + std::to_string(top) + ","), std::string::npos);
    EXPECT_EQ(withdrawn.find("\"line\":{\"id\":" + std::to_string(top) + ","), std::string::npos);

    // An organisation renamed in SQLite moves no change_seq; names are rendered per request.
    const std::string cached = Answer(target, "buyer", true);
    ASSERT_NE(cached.find("大连数控"), std::string::npos) << cached;
    auto renamed = db_->Write([&](schema::Connection& c) -> Result<void> {
        auto org = schema::FindOrg(c, supplier2_org_);
        if (!org) return org.error();
        (*org)->name = "大连数控机床有限公司";
        auto updated = schema::UpdateOrg(c, **org);
        if (!updated) return updated.error();
        return {};
    });
    ASSERT_OK(renamed);
    const auto hits_before_rename = cache_->stats().hits;
    const std::string after_rename = Answer(target, "buyer", true);
    EXPECT_EQ(cache_->stats().hits, hits_before_rename + 1);  // served from the cache ...
    EXPECT_NE(after_rename.find("大连数控机床有限公司"), std::string::npos);  // ... current names
    EXPECT_EQ(after_rename, Answer(target, "buyer", false));

    // The next day: yesterday's entries are not served.
    const auto dropped = cache_->stats().dropped;
    app_.answer_cache = cache_.get();
    now_ms_ = kNoonMs + 86'400'000;
    const auto tomorrow = Get(target, "buyer");
    ASSERT_EQ(tomorrow.result_int(), 200u);
    EXPECT_NE(tomorrow.body().find("\"today\":\"2026-03-02\""), std::string::npos);
    EXPECT_GT(cache_->stats().dropped, dropped);
}

// Rendered bodies are kept per viewer: a hidden budget the buyer saw in its cached body never
// reaches a job key (another organisation) asking for the same answer, and the second viewer's
// body is rendered from the cached matcher result (no second match).
TEST_F(AnswerCacheRoutesTest, RenderedBodiesAreKeptPerViewerAndExplain) {
    PublishCatalogue();
    // D0: a hidden budget (visibility index 0), with candidates.
    const std::string target =
        "/v1/demands/" + std::to_string(demands_[0]) + "/candidates?limit=100";
    const std::string buyer = Answer(target, "buyer", true);
    ASSERT_TRUE(buyer.starts_with("200 ")) << buyer;
    ASSERT_NE(buyer.find("\"rank\":1"), std::string::npos) << buyer;
    ASSERT_NE(buyer.find("\"visibility\":\"hidden\""), std::string::npos) << buyer;
    ASSERT_NE(buyer.find("\"budget\":{\"amount\":150000"), std::string::npos) << buyer;
    EXPECT_EQ(Answer(target, "buyer", true), buyer);  // a hit

    const auto before = cache_->stats();
    const std::string job = Answer(target, "job", true);
    ASSERT_TRUE(job.starts_with("200 ")) << job;
    EXPECT_EQ(job.find("\"budget\""), std::string::npos) << job;
    EXPECT_EQ(job, Answer(target, "job", false));
    const auto after_job = cache_->stats();
    // One body miss for the job's viewer, served by the buyer's cached result: no new match.
    EXPECT_EQ(after_job.misses, before.misses + 1);
    EXPECT_EQ(after_job.hits, before.hits + 1);
    EXPECT_EQ(after_job.entries, before.entries + 1);

    // The admin sees the amount; explain=false is a body of its own, without explanations.
    const std::string admin = Answer(target, "admin", true);
    EXPECT_NE(admin.find("\"budget\":{\"amount\":150000"), std::string::npos) << admin;
    const std::string terse = Answer(target + "&explain=false", "buyer", true);
    EXPECT_EQ(terse.find("\"explanation\""), std::string::npos) << terse;
    EXPECT_NE(buyer.find("\"explanation\""), std::string::npos);
    EXPECT_EQ(terse, Answer(target + "&explain=false", "buyer", false));
    EXPECT_EQ(Answer(target, "job", true), job);
    EXPECT_EQ(Answer(target, "buyer", true), buyer);
}

// Organisation names are filled into the cached body per request with JSON escaping: a name with
// quotes, a backslash, a control character and non-ASCII text reads back as stored, and the
// cached body equals the uncached one.
TEST_F(AnswerCacheRoutesTest, OrganisationNamesAreEscapedWhenFilledIn) {
    PublishCatalogue();
    const std::string target =
        "/v1/demands/" + std::to_string(demands_[0]) + "/candidates?limit=100";
    const std::string first = Answer(target, "buyer", true);
    ASSERT_TRUE(first.starts_with("200 ")) << first;
    const std::string name = "Dalian \"CNC\" \\ works\t大连";
    auto renamed = db_->Write([&](schema::Connection& c) -> Result<void> {
        auto org = schema::FindOrg(c, supplier2_org_);
        if (!org) return org.error();
        (*org)->name = name;
        auto updated = schema::UpdateOrg(c, **org);
        if (!updated) return updated.error();
        return {};
    });
    ASSERT_OK(renamed);
    const auto hits = cache_->stats().hits;
    const std::string cached = Answer(target, "buyer", true);
    EXPECT_EQ(cache_->stats().hits, hits + 1);
    EXPECT_EQ(cached, Answer(target, "buyer", false));
    auto doc = ParseDocument(cached.substr(4));
    ASSERT_TRUE(doc.has_value());
    int seen = 0;
    for (const auto& c : (*doc)["candidates"].GetArray()) {
        const auto& supplier = c["supplier"];
        ASSERT_TRUE(supplier.HasMember("name"));
        if (supplier["id"].GetInt64() == supplier2_org_) {
            EXPECT_EQ(std::string(supplier["name"].GetString()), name);
            ++seen;
        } else {
            EXPECT_NE(std::string(supplier["name"].GetString()), name);
        }
    }
    EXPECT_GT(seen, 0) << cached;
}

// A warm-up pass shared by several threads (server::AnswerCacheWarmer with
// match_cache_warmup_threads > 1): the parts together compute every open demand's default answer
// exactly once, a later pass finds them all present, and a request is then answered from the
// warmed result, byte for byte the uncached answer.
TEST_F(AnswerCacheRoutesTest, WarmUpPartsTogetherAnswerEveryOpenDemandOnce) {
    PublishCatalogue();
    now_ms_ = kNoonMs;
    const auto today = static_cast<matcher::Day>(kNoonMs / 86'400'000);
    const auto never = [] { return false; };
    constexpr std::size_t kParts = 5;  // 24 demands: parts of 5 and 4, none empty
    std::vector<WarmUpResult> parts(kParts);
    std::vector<std::thread> threads;
    for (std::size_t p = 0; p < kParts; ++p) {
        threads.emplace_back(
            [&, p] { parts[p] = WarmDemandCandidates(*index_, *cache_, today, never, p, kParts); });
    }
    for (std::thread& t : threads) t.join();
    std::size_t computed = 0;
    for (std::size_t p = 0; p < kParts; ++p) {
        EXPECT_FALSE(parts[p].cancelled) << p;
        EXPECT_EQ(parts[p].demands, demands_.size()) << p;
        EXPECT_EQ(parts[p].present, 0U) << p;
        EXPECT_EQ(parts[p].computed, p < demands_.size() % kParts ? 5U : 4U) << p;
        computed += parts[p].computed;
    }
    EXPECT_EQ(computed, demands_.size());

    const WarmUpResult again = WarmDemandCandidates(*index_, *cache_, today, never);
    EXPECT_EQ(again.computed, 0U);
    EXPECT_EQ(again.present, demands_.size());

    const auto before = cache_->stats();
    for (const auto id : demands_) {
        const std::string target = "/v1/demands/" + std::to_string(id) + "/candidates";
        const std::string cached = Answer(target, "buyer", true);
        EXPECT_EQ(cached, Answer(target, "buyer", false)) << target;
    }
    const auto after = cache_->stats();
    // Per demand: the rendered body missed (bodies are not warmed), its matcher result was hit.
    EXPECT_EQ(after.hits - before.hits, demands_.size());
    EXPECT_EQ(after.misses - before.misses, demands_.size());
}

}  // namespace
}  // namespace renewmatch::api::testing
