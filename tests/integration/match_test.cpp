// Issue 6 over the wire: the live match index behind the real renewmatchd (TLS, port 0, a real
// SQLite file). /readyz reports the index; candidates appear after a supply list is published,
// change after a PATCH, disappear after a withdrawal (DELETE) and after a new version drops the
// line; the index built at start-up from an existing database serves the same lines; every
// visibility rule holds; explanations and opportunities never carry a hidden budget; a repeated
// request is answered from the answer cache until a publish moves change_seq.
#include "api/json.hpp"
#include "api/keys.hpp"
#include "api/orgs_uscc.hpp"
#include "schema/database.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/tls_client.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace renewmatch::testing {
namespace {

using api::http::verb;

std::string Uscc(int n) {
    std::string first17 = "91320505MC3";
    std::string tail;
    for (int i = 0; i < 6; ++i) {
        tail.insert(tail.begin(), api::kUsccAlphabet[static_cast<std::size_t>(n % 31)]);
        n /= 31;
    }
    first17 += tail;
    return first17 + api::UsccCheckCharacter(first17);
}

const char* kSupply = R"({"kind":"supply","series":"catalog","title":"供给清单","lines":[
 {"sku":"CK6150","title":"数控车床 CK6150 CNC lathe","classification":{"id":"42621100-6"},
  "attributes":[{"name":"主轴转速","value":3500,"unit":"rpm"}],"price":{"amount":240000},"leadTimeDays":30},
 {"sku":"VMC850","title":"立式加工中心 VMC850","classification":{"id":"42612000-9"},"price":{"amount":300000}}
]})";

const char* kDemands = R"({"kind":"demand","series":"renewal","title":"需求清单","lines":[
 {"ref":"D1","title":"数控车床 CNC lathe","classification":{"id":"42621100-6"},"quantity":2,
  "budget":{"amount":777777,"visibility":"hidden"},"deliveryAddress":{"region":"320505"},
  "deliveryDate":"2027-06-30","requirements":[{"name":"主轴转速","min":3000,"unit":"r/min","mandatory":true}]},
 {"ref":"D2","title":"立式加工中心","classification":{"id":"42612000-9"},"quantity":1,
  "budget":{"amount":313131,"visibility":"range"},"deliveryAddress":{"region":"320505"}}
]})";

class MatchOverTls : public ::testing::Test {
  protected:
    void SetUp() override {
        admin_ = BootstrapAdminOffline(dir_ / "renewmatch.db");
        ASSERT_FALSE(admin_.empty());
        StartServer();
        buyer_org_ = CreateOrg("buyer");
        buyer2_org_ = CreateOrg("buyer");
        supplier_org_ = CreateOrg("supplier");
        supplier2_org_ = CreateOrg("supplier");
        job_org_ = CreateOrg("regulator");
        buyer_ = CreateKey(buyer_org_, "buyer");
        buyer2_ = CreateKey(buyer2_org_, "buyer");
        supplier_ = CreateKey(supplier_org_, "supplier");
        supplier2_ = CreateKey(supplier2_org_, "supplier");
        job_ = CreateKey(job_org_, "job");
    }

    void StartServer() {
        client_.reset();
        server_.reset();
        server_ = ServerProcess::Start(dir_.path());
        ASSERT_NE(server_, nullptr);
        client_ = std::make_unique<TlsClient>(server_->port());
        ASSERT_FALSE(client_->Connect());
    }

    api::HttpResponse Send(verb method,
                           const std::string& target,
                           const std::string& key,
                           const std::string& body = {},
                           const std::string& if_match = {}) {
        api::HttpRequest request = MakeRequest(method, target, body);
        if (!key.empty()) request.set(api::http::field::authorization, "Bearer " + key);
        if (!if_match.empty()) request.set(api::http::field::if_match, if_match);
        if (!body.empty()) {
            request.set(api::http::field::content_type, method == verb::patch
                                                            ? "application/merge-patch+json"
                                                            : "application/json");
        }
        request.prepare_payload();
        api::HttpResponse response;
        if (auto ec = client_->Send(request, &response); ec) {
            client_ = std::make_unique<TlsClient>(server_->port());
            EXPECT_FALSE(client_->Connect());
            response = {};
            EXPECT_FALSE(client_->Send(request, &response)) << target;
        }
        return response;
    }

    api::JsonDocument Json(const api::HttpResponse& r) {
        auto doc = api::ParseDocument(r.body());
        EXPECT_TRUE(doc && doc->IsObject()) << r.body();
        return doc ? std::move(*doc) : api::JsonDocument();
    }

    std::int64_t CreateOrg(const std::string& kind) {
        std::string body = R"({"name":"Org )" + std::to_string(++orgs_) + R"(","kind":")" + kind +
                           R"(","region":"320505")";
        if (kind != "regulator") body += R"(,"uscc":")" + Uscc(orgs_) + R"(")";
        const auto r = Send(verb::post, "/v1/orgs", admin_, body + "}");
        EXPECT_EQ(r.result_int(), 201U) << r.body();
        auto doc = Json(r);
        return doc.IsObject() && doc.HasMember("id") ? doc["id"].GetInt64() : 0;
    }

    std::string CreateKey(std::int64_t org, const std::string& role) {
        const auto r = Send(verb::post, "/v1/orgs/" + std::to_string(org) + "/keys", admin_,
                            R"({"role":")" + role + R"("})");
        EXPECT_EQ(r.result_int(), 201U) << r.body();
        auto doc = Json(r);
        return doc.IsObject() && doc.HasMember("key") ? doc["key"].GetString() : "";
    }

    void Publish(const std::string& document, const std::string& key) {
        const auto r = Send(verb::post, "/v1/lists", key, document);
        EXPECT_TRUE(r.result_int() == 201U || r.result_int() == 200U) << r.body();
    }

    std::int64_t LineId(const std::string& listing,
                        const char* key,
                        const std::string& ref,
                        std::int64_t org) {
        auto doc = Json(Send(verb::get, listing + "?publisherId=" + std::to_string(org), admin_));
        for (const auto& item : doc["items"].GetArray()) {
            if (ref == item["line"][key].GetString()) return item["id"].GetInt64();
        }
        return 0;
    }

    // sku:title of the candidates of demand `id`, in rank order.
    std::vector<std::string> Candidates(std::int64_t id, const std::string& key) {
        const auto r = Send(verb::get, "/v1/demands/" + std::to_string(id) + "/candidates", key);
        EXPECT_EQ(r.result_int(), 200U) << r.body();
        std::vector<std::string> out;
        auto doc = Json(r);
        if (!doc.IsObject() || !doc.HasMember("candidates")) return out;
        for (const auto& c : doc["candidates"].GetArray()) {
            out.push_back(std::string(c["line"]["sku"].GetString()) + ":" +
                          c["line"]["title"].GetString());
        }
        return out;
    }

    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
    std::unique_ptr<TlsClient> client_;
    std::string admin_, buyer_, buyer2_, supplier_, supplier2_, job_;
    std::int64_t buyer_org_ = 0, buyer2_org_ = 0, supplier_org_ = 0, supplier2_org_ = 0,
                 job_org_ = 0;
    int orgs_ = 0;
};

TEST_F(MatchOverTls, ReadyzReportsTheIndexAndItsLoadIsLogged) {
    const auto ready = Send(verb::get, "/readyz", "");
    EXPECT_EQ(ready.result_int(), 200U) << ready.body();
    EXPECT_NE(ready.body().find("match_index"), std::string::npos) << ready.body();
    const auto line = server_->WaitForLine("match index ready", std::chrono::seconds(1));
    ASSERT_TRUE(line.has_value());
    EXPECT_NE(line->find("supplyLines"), std::string::npos) << *line;
    EXPECT_NE(line->find("totalMs"), std::string::npos) << *line;
}

TEST_F(MatchOverTls, CandidatesFollowPublishPatchAndWithdrawal) {
    Publish(kDemands, buyer_);
    const std::int64_t d1 = LineId("/v1/demands", "ref", "D1", buyer_org_);
    ASSERT_GT(d1, 0);
    EXPECT_TRUE(Candidates(d1, buyer_).empty());

    // Published: the very next request sees it.
    Publish(kSupply, supplier_);
    EXPECT_EQ(Candidates(d1, buyer_),
              (std::vector<std::string>{"CK6150:数控车床 CK6150 CNC lathe"}));

    // Patched: the retitled line is what the next request sees.
    const std::int64_t ck = LineId("/v1/supply", "sku", "CK6150", supplier_org_);
    const auto line = Send(verb::get, "/v1/supply/" + std::to_string(ck), supplier_);
    const std::string etag(line[api::http::field::etag]);
    ASSERT_FALSE(etag.empty());
    const auto patched = Send(verb::patch, "/v1/supply/" + std::to_string(ck), supplier_,
                              R"({"title":"数控车床 CK6150 升级版 CNC lathe"})", etag);
    ASSERT_EQ(patched.result_int(), 200U) << patched.body();
    EXPECT_EQ(Candidates(d1, buyer_),
              (std::vector<std::string>{"CK6150:数控车床 CK6150 升级版 CNC lathe"}));

    // A patch that breaks a mandatory requirement removes it from the candidates.
    const auto etag2 = std::string(
        Send(verb::get, "/v1/supply/" + std::to_string(ck), supplier_)[api::http::field::etag]);
    ASSERT_EQ(Send(verb::patch, "/v1/supply/" + std::to_string(ck), supplier_,
                   R"({"attributes":[{"name":"主轴转速","value":2000,"unit":"rpm"}]})", etag2)
                  .result_int(),
              200U);
    EXPECT_TRUE(Candidates(d1, buyer_).empty());
    const auto filtered =
        Json(Send(verb::get, "/v1/demands/" + std::to_string(d1) + "/candidates", buyer_));
    EXPECT_EQ(std::string(filtered["reason"]["code"].GetString()), "all_filtered");
    // Both lines fail D1's mandatory spindle speed (VMC850 states none).
    EXPECT_EQ(filtered["reason"]["eliminated"]["requirements"].GetUint64(), 2U);

    // Back in with a new version of the list (a new title: the same payload as the current
    // version would be a duplicate and write nothing), then withdrawn with DELETE.
    std::string v2 = kSupply;
    v2.replace(v2.find("供给清单"), std::string("供给清单").size(), "供给清单 v2");
    Publish(v2, supplier_);
    EXPECT_EQ(Candidates(d1, buyer_),
              (std::vector<std::string>{"CK6150:数控车床 CK6150 CNC lathe"}));
    ASSERT_EQ(Send(verb::delete_, "/v1/supply/" + std::to_string(ck), supplier_).result_int(),
              200U);
    EXPECT_TRUE(Candidates(d1, buyer_).empty());

    // A restart builds the index from the database: the same (empty) answer, then the line
    // again after it is republished.
    StartServer();
    EXPECT_TRUE(Candidates(d1, buyer_).empty());
    Publish(R"({"kind":"supply","series":"catalog","title":"供给清单 v3","lines":[
        {"sku":"CK6150","title":"数控车床 CK6150 CNC lathe","classification":{"id":"42621100-6"},
         "attributes":[{"name":"主轴转速","value":3500,"unit":"rpm"}]}]})",
            supplier_);
    EXPECT_EQ(Candidates(d1, buyer_),
              (std::vector<std::string>{"CK6150:数控车床 CK6150 CNC lathe"}));
}

TEST_F(MatchOverTls, EveryVisibilityRuleHoldsAndHiddenBudgetsNeverLeave) {
    Publish(kDemands, buyer_);
    Publish(kSupply, supplier_);
    const std::int64_t d1 = LineId("/v1/demands", "ref", "D1", buyer_org_);
    const std::int64_t ck = LineId("/v1/supply", "sku", "CK6150", supplier_org_);
    const std::string candidates = "/v1/demands/" + std::to_string(d1) + "/candidates";
    const std::string opportunities = "/v1/supply/" + std::to_string(ck) + "/opportunities";

    EXPECT_EQ(Send(verb::get, candidates, buyer_).result_int(), 200U);
    EXPECT_EQ(Send(verb::get, candidates, admin_).result_int(), 200U);
    EXPECT_EQ(Send(verb::get, candidates, job_).result_int(), 200U);
    EXPECT_EQ(Send(verb::get, candidates, buyer2_).result_int(), 403U);
    EXPECT_EQ(Send(verb::get, candidates, supplier_).result_int(), 403U);
    EXPECT_EQ(Send(verb::get, candidates, "").result_int(), 401U);
    EXPECT_EQ(Send(verb::get, candidates, "rmk_999999_" + std::string(43, 'A')).result_int(), 401U);

    EXPECT_EQ(Send(verb::get, opportunities, supplier2_).result_int(), 403U);
    EXPECT_EQ(Send(verb::get, opportunities, buyer_).result_int(), 403U);
    EXPECT_EQ(Send(verb::get, opportunities, job_).result_int(), 200U);
    EXPECT_EQ(Send(verb::get, opportunities, admin_).result_int(), 200U);

    const auto own = Send(verb::get, opportunities, supplier_);
    ASSERT_EQ(own.result_int(), 200U) << own.body();
    const auto doc = Json(own);
    bool saw_d1 = false;
    for (const auto& o : doc["opportunities"].GetArray()) {
        if (o["line"]["id"].GetInt64() != d1) continue;
        saw_d1 = true;
        EXPECT_FALSE(o["line"].HasMember("budget"));
        for (const auto& f : o["explanation"]["features"].GetArray()) {
            EXPECT_EQ(f.MemberCount(), 4U);  // name, value, weight, contribution: no amount
        }
    }
    EXPECT_TRUE(saw_d1) << own.body();
    EXPECT_EQ(own.body().find("777777"), std::string::npos);
    EXPECT_EQ(own.body().find("313131"), std::string::npos);
    EXPECT_EQ(Send(verb::get, opportunities, job_).body().find("777777"), std::string::npos);
    // The owner's own candidates answer shows its own budget back to it.
    EXPECT_NE(Send(verb::get, candidates, buyer_).body().find("777777"), std::string::npos);

    // Project coverage and the preview: owner and role rules.
    Publish(R"({"kind":"project","series":"p","title":"技改","lines":[
        {"ref":"P1","name":"数控化改造","demandRefs":["D1","D2"]}]})",
            buyer_);
    const std::int64_t p1 = LineId("/v1/projects", "ref", "P1", buyer_org_);
    const std::string project = "/v1/projects/" + std::to_string(p1) + "/candidates";
    const auto coverage = Send(verb::get, project, buyer_);
    EXPECT_EQ(coverage.result_int(), 200U) << coverage.body();
    EXPECT_NE(coverage.body().find("\"linesCovered\":2"), std::string::npos) << coverage.body();
    EXPECT_EQ(Send(verb::get, project, buyer2_).result_int(), 403U);
    EXPECT_EQ(Send(verb::get, project, supplier_).result_int(), 403U);
    const std::string preview =
        R"({"ref":"x","title":"数控车床","classification":{"id":"42621100-6"},"quantity":1,)"
        R"("deliveryAddress":{"region":"320505"}})";
    EXPECT_EQ(Send(verb::post, "/v1/match", buyer2_, preview).result_int(), 200U);
    EXPECT_EQ(Send(verb::post, "/v1/match", supplier_, preview).result_int(), 403U);
}

// The answer cache over the wire: a repeated /candidates request is a hit (the /metrics
// counter moves, the body is the same), and a publish makes the next request compute afresh
// (change_seq moved: the new line is there, the old entries dropped). With
// --match-cache-size 0 the cache is off and the counters are not exported.
TEST_F(MatchOverTls, RepeatedCandidatesComeFromTheCacheUntilAPublish) {
    Publish(kDemands, buyer_);
    Publish(kSupply, supplier_);
    const std::int64_t d2 = LineId("/v1/demands", "ref", "D2", buyer_org_);
    ASSERT_GT(d2, 0);
    const std::string target = "/v1/demands/" + std::to_string(d2) + "/candidates";
    auto metric = [this](const std::string& name) -> long long {
        const auto r = Send(verb::get, "/metrics", "");
        EXPECT_EQ(r.result_int(), 200U);
        const std::string body = r.body();
        const auto at = body.find("\n" + name + " ");
        if (at == std::string::npos) return -1;
        return std::stoll(body.substr(at + name.size() + 2));
    };

    const auto first = Send(verb::get, target, buyer_);
    ASSERT_EQ(first.result_int(), 200U) << first.body();
    const long long hits = metric("renewmatch_answer_cache_hits_total");
    const long long misses = metric("renewmatch_answer_cache_misses_total");
    ASSERT_GE(hits, 0);
    ASSERT_GE(misses, 1);
    const auto second = Send(verb::get, target, buyer_);
    EXPECT_EQ(second.body(), first.body());
    EXPECT_EQ(metric("renewmatch_answer_cache_hits_total"), hits + 1);
    EXPECT_EQ(metric("renewmatch_answer_cache_misses_total"), misses);
    EXPECT_GE(metric("renewmatch_answer_cache_entries"), 1);
    EXPECT_GT(metric("renewmatch_answer_cache_bytes"), 0);

    // A new supply list with one more machining centre: the next request is computed afresh.
    Publish(R"({"kind":"supply","series":"more","title":"供给清单 2","lines":[
        {"sku":"VMC1000","title":"立式加工中心 VMC1000","classification":{"id":"42612000-9"},
         "price":{"amount":320000}}]})",
            supplier2_);
    const auto third = Send(verb::get, target, buyer_);
    ASSERT_EQ(third.result_int(), 200U) << third.body();
    EXPECT_NE(third.body(), first.body());
    EXPECT_NE(third.body().find("VMC1000"), std::string::npos) << third.body();
    EXPECT_EQ(first.body().find("VMC1000"), std::string::npos);
    // Two lookups missed: the rendered body's, then the matcher result's (docs/match-api.md,
    // Counters).
    EXPECT_EQ(metric("renewmatch_answer_cache_misses_total"), misses + 2);
    EXPECT_GE(metric("renewmatch_answer_cache_dropped_total"), 1);
    EXPECT_EQ(Json(third)["changeSeq"].GetInt64(), metric("renewmatch_answer_cache_change_seq"));

    // Cache off: same answer, no cache counters.
    client_.reset();
    server_.reset();
    server_ = ServerProcess::Start(dir_.path(), {"--match-cache-size", "0"});
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<TlsClient>(server_->port());
    ASSERT_FALSE(client_->Connect());
    ASSERT_TRUE(server_->WaitForLine("match index ready", std::chrono::seconds(20)).has_value());
    const auto uncached = Send(verb::get, target, buyer_);
    ASSERT_EQ(uncached.result_int(), 200U) << uncached.body();
    EXPECT_EQ(uncached.body(), third.body());
    EXPECT_EQ(metric("renewmatch_answer_cache_hits_total"), -1);
}

// --match-cache-warmup: after each change a background pass computes the default /candidates
// answer of every open demand, so the first request for one is already a hit.
TEST_F(MatchOverTls, WarmUpAnswersOpenDemandsBeforeTheyAreAskedFor) {
    client_.reset();
    server_.reset();
    server_ = ServerProcess::Start(dir_.path(), {"--match-cache-warmup", "true"});
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<TlsClient>(server_->port());
    ASSERT_FALSE(client_->Connect());
    ASSERT_TRUE(server_->WaitForLine("match index ready", std::chrono::seconds(20)).has_value());
    Publish(kSupply, supplier_);
    Publish(kDemands, buyer_);
    const auto pass =
        server_->WaitForLine(R"("demands":"2","computed":"2")", std::chrono::seconds(30));
    ASSERT_TRUE(pass.has_value()) << "no warm-up pass over both demands";
    EXPECT_NE(pass->find(R"("cancelled":"false")"), std::string::npos) << *pass;

    const std::int64_t d1 = LineId("/v1/demands", "ref", "D1", buyer_org_);
    const auto r = Send(verb::get, "/v1/demands/" + std::to_string(d1) + "/candidates", buyer_);
    ASSERT_EQ(r.result_int(), 200U) << r.body();
    const std::string metrics = Send(verb::get, "/metrics", "").body();
    EXPECT_NE(metrics.find("\nrenewmatch_answer_cache_hits_total 1\n"), std::string::npos)
        << metrics;
    // The warm-up's two computations, then the request's rendered body (not warmed); its
    // matcher result was the hit.
    EXPECT_NE(metrics.find("\nrenewmatch_answer_cache_misses_total 3\n"), std::string::npos)
        << metrics;
}

}  // namespace
}  // namespace renewmatch::testing
