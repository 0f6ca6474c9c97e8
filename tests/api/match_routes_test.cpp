// The match routes through api::Service over a real SQLite file and a real MatchIndex: ranked
// candidates with explanations that sum to the score, suppliers' names, counts and config
// version; the reason when nothing matches (empty index, nothing relevant, everything filtered);
// who may see what (own lines, admin and job, 403 for other organisations' lines, 403 for the
// wrong role, 404 / line_withdrawn); hidden and range budgets never leaking into opportunities;
// project coverage; the POST /v1/match preview (validated like a published line, never stored);
// and 503 index_loading before the index is ready.
#include "api/json.hpp"
#include "tests/api/match_fixture.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace renewmatch::api::testing {
namespace {

const char* kSupplyA = R"({"kind":"supply","series":"cat-a","title":"供给清单 A","lines":[
 {"sku":"CK6150","title":"数控车床 CK6150 CNC lathe","description":"CNC lathe, spindle 3500 rpm, 11 kW",
  "brand":"沈阳机床","model":"CK6150","classification":{"id":"42621100-6"},
  "attributes":[{"name":"主轴转速","value":3500,"unit":"rpm"}],
  "price":{"amount":240000},"leadTimeDays":30,"capacityPerMonth":10,"vendorRegion":"320500"},
 {"sku":"VMC850","title":"立式加工中心 VMC850","classification":{"id":"42612000-9"},
  "price":{"amount":300000},"leadTimeDays":40}
]})";

const char* kSupplyB = R"({"kind":"supply","series":"cat-b","title":"供给清单 B","lines":[
 {"sku":"CAK6150","title":"数控车床 CAK6150 CNC lathe","classification":{"id":"42621100-6"},
  "attributes":[{"name":"主轴转速","value":2500,"unit":"rpm"}],
  "price":{"amount":180000},"leadTimeDays":20}
]})";

// D1: lathe (spindle >= 3000 rpm, mandatory) with a hidden budget; D2: lathe, range budget;
// D3: something nobody sells; D4: a lathe whose mandatory requirement nobody meets.
const char* kDemands = R"({"kind":"demand","series":"renewal","title":"需求清单","lines":[
 {"ref":"D1","title":"数控车床 CNC lathe","classification":{"id":"42621100-6"},"quantity":2,
  "budget":{"amount":777777,"visibility":"hidden"},"deliveryAddress":{"region":"320505"},
  "deliveryDate":"2026-06-30","requirements":[{"name":"主轴转速","min":3000,"unit":"r/min","mandatory":true}]},
 {"ref":"D2","title":"数控车床","classification":{"id":"42621100-6"},"quantity":1,
  "budget":{"amount":730000,"visibility":"range"},"deliveryAddress":{"region":"320505"},"deliveryDate":"2026-07-30"},
 {"ref":"D3","title":"医用核磁共振成像仪 MRI scanner","classification":{"id":"33113110-9"},"quantity":1,
  "deliveryAddress":{"region":"320505"}},
 {"ref":"D4","title":"数控车床 CNC lathe","classification":{"id":"42621100-6"},"quantity":1,
  "deliveryAddress":{"region":"320505"},
  "requirements":[{"name":"主轴转速","min":20000,"unit":"r/min","mandatory":true}]}
]})";

class MatchRoutesTest : public MatchFixture {
  protected:
    JsonDocument Json(const HttpResponse& r) {
        auto doc = ParseDocument(r.body());
        EXPECT_TRUE(doc && doc->IsObject()) << r.body();
        return doc ? std::move(*doc) : JsonDocument();
    }

    void PublishAll() {
        Publish(kSupplyA, "supplier");
        Publish(kSupplyB, "supplier2");
        Publish(kDemands, "buyer");
        d1_ = LineId("demand", "D1", buyer_org_);
        d2_ = LineId("demand", "D2", buyer_org_);
        d3_ = LineId("demand", "D3", buyer_org_);
        d4_ = LineId("demand", "D4", buyer_org_);
        ck_ = LineId("supply", "CK6150", supplier_org_);
        cak_ = LineId("supply", "CAK6150", supplier2_org_);
        ASSERT_GT(d4_, 0);
        ASSERT_GT(cak_, 0);
    }

    std::string Candidates(std::int64_t id, const std::string& query = "") {
        return "/v1/demands/" + std::to_string(id) + "/candidates" + query;
    }
    std::string Opportunities(std::int64_t id, const std::string& query = "") {
        return "/v1/supply/" + std::to_string(id) + "/opportunities" + query;
    }

    std::int64_t d1_ = 0, d2_ = 0, d3_ = 0, d4_ = 0, ck_ = 0, cak_ = 0;
};

TEST_F(MatchRoutesTest, CandidatesAreRankedExplainedAndNameTheSupplier) {
    PublishAll();
    const auto r = Get(Candidates(d2_), "buyer");
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    const auto doc = Json(r);
    EXPECT_EQ(std::string(doc["configVersion"].GetString()), matcher::MatchConfig{}.version);
    EXPECT_EQ(doc["changeSeq"].GetInt64(), LatestSeq());
    EXPECT_EQ(doc["demand"]["id"].GetInt64(), d2_);
    const auto& candidates = doc["candidates"].GetArray();
    ASSERT_GE(candidates.Size(), 2u);
    EXPECT_EQ(doc["counts"]["returned"].GetUint64(), candidates.Size());
    EXPECT_GE(doc["counts"]["generated"].GetUint64(), candidates.Size());
    EXPECT_TRUE(doc["counts"]["rejected"].HasMember("requirements"));
    EXPECT_FALSE(doc.HasMember("reason"));
    double previous = 1e9;
    for (rapidjson::SizeType i = 0; i < candidates.Size(); ++i) {
        const auto& c = candidates[i];
        EXPECT_EQ(c["rank"].GetUint64(), i + 1);
        const double score = c["score"].GetDouble();
        EXPECT_LE(score, previous);
        previous = score;
        // The explanation: every feature, contributions summing to the score.
        const auto& features = c["explanation"]["features"].GetArray();
        ASSERT_EQ(features.Size(), matcher::kFeatureCount);
        double sum = 0;
        for (const auto& f : features) {
            EXPECT_DOUBLE_EQ(f["contribution"].GetDouble(),
                             f["weight"].GetDouble() * f["value"].GetDouble());
            sum += f["contribution"].GetDouble();
        }
        EXPECT_NEAR(sum, score, 1e-9);
        EXPECT_EQ(c["explanation"]["filtersPassed"].Size(), matcher::kFilterCount);
        // The supplier and the line.
        const std::int64_t vendor = c["supplier"]["id"].GetInt64();
        const std::string name = c["supplier"]["name"].GetString();
        EXPECT_EQ(name, vendor == supplier_org_ ? "沈阳机床供应商" : "大连数控");
        EXPECT_TRUE(c["line"].HasMember("sku"));
        EXPECT_TRUE(c["line"].HasMember("title"));
    }
    // The lathes rank above the machining centre (text and classification).
    const std::string top = candidates[0]["line"]["sku"].GetString();
    EXPECT_TRUE(top == "CK6150" || top == "CAK6150") << top;

    // explain=false drops explanations; limit caps the list.
    const auto terse = Json(Get(Candidates(d2_, "?explain=false&limit=1"), "buyer"));
    ASSERT_EQ(terse["candidates"].Size(), 1u);
    EXPECT_FALSE(terse["candidates"][0].HasMember("explanation"));
    EXPECT_EQ(std::string(terse["candidates"][0]["line"]["sku"].GetString()), top);
}

TEST_F(MatchRoutesTest, AMandatoryRequirementFiltersAndIsCounted) {
    PublishAll();
    // D1 needs >= 3000 rpm: CAK6150 (2500 rpm) is rejected under "requirements".
    const auto doc = Json(Get(Candidates(d1_), "buyer"));
    bool saw_cak = false;
    for (const auto& c : doc["candidates"].GetArray()) {
        saw_cak = saw_cak || std::string(c["line"]["sku"].GetString()) == "CAK6150";
    }
    EXPECT_FALSE(saw_cak);
    EXPECT_GE(doc["counts"]["rejected"]["requirements"].GetUint64(), 1u);
}

TEST_F(MatchRoutesTest, NoCandidatesSaysWhyWithCountsPerFilter) {
    // Empty index side.
    Publish(kDemands, "buyer");
    const std::int64_t d1 = LineId("demand", "D1", buyer_org_);
    auto empty = Json(Get(Candidates(d1), "buyer"));
    EXPECT_EQ(empty["candidates"].Size(), 0u);
    EXPECT_EQ(std::string(empty["reason"]["code"].GetString()), "no_lines");

    Publish(kSupplyA, "supplier");
    Publish(kSupplyB, "supplier2");
    // Nothing relevant.
    auto none = Json(Get(Candidates(LineId("demand", "D3", buyer_org_)), "buyer"));
    EXPECT_EQ(none["candidates"].Size(), 0u);
    EXPECT_EQ(std::string(none["reason"]["code"].GetString()), "no_relevant_lines");
    EXPECT_EQ(none["counts"]["generated"].GetUint64(), 0u);

    // Everything filtered: D4 wants 20000 rpm.
    auto filtered = Json(Get(Candidates(LineId("demand", "D4", buyer_org_)), "buyer"));
    EXPECT_EQ(filtered["candidates"].Size(), 0u);
    ASSERT_TRUE(filtered.HasMember("reason"));
    EXPECT_EQ(std::string(filtered["reason"]["code"].GetString()), "all_filtered");
    const auto& eliminated = filtered["reason"]["eliminated"];
    std::uint64_t total = 0;
    for (const auto& m : eliminated.GetObject()) total += m.value.GetUint64();
    EXPECT_EQ(total, filtered["counts"]["generated"].GetUint64());
    EXPECT_GE(eliminated["requirements"].GetUint64(), 2u);
    EXPECT_NE(std::string(filtered["reason"]["message"].GetString()).find("requirements"),
              std::string::npos);
}

TEST_F(MatchRoutesTest, WhoMaySeeCandidates) {
    PublishAll();
    EXPECT_EQ(Get(Candidates(d1_), "buyer").result_int(), 200u);
    EXPECT_EQ(Get(Candidates(d1_), "admin").result_int(), 200u);
    EXPECT_EQ(Get(Candidates(d1_), "job").result_int(), 200u);
    const auto other = Get(Candidates(d1_), "buyer2");  // another buyer's demand
    EXPECT_EQ(other.result_int(), 403u);
    EXPECT_EQ(other.body().find("777777"), std::string::npos);
    EXPECT_EQ(Get(Candidates(d1_), "supplier").result_int(), 403u);  // role
    EXPECT_EQ(Get(Candidates(d1_), "").result_int(), 401u);
    EXPECT_EQ(Get(Candidates(999999), "buyer").result_int(), 404u);
    EXPECT_EQ(Get("/v1/demands/abc/candidates", "buyer").result_int(), 404u);
    // A supply line id is not a demand line.
    EXPECT_EQ(Get(Candidates(ck_ + 1000), "buyer").result_int(), 404u);
    // The owner's withdrawn line: 404 line_withdrawn; another buyer still gets 403.
    ASSERT_EQ(Delete("/v1/demands/" + std::to_string(d2_), "buyer").result_int(), 200u);
    const auto gone = Get(Candidates(d2_), "buyer");
    EXPECT_EQ(gone.result_int(), 404u);
    EXPECT_NE(gone.body().find("line_withdrawn"), std::string::npos);
    EXPECT_EQ(Get(Candidates(d2_), "buyer2").result_int(), 403u);

    for (const char* bad : {"?limit=0", "?limit=101", "?limit=x", "?explain=maybe"}) {
        const auto r = Get(Candidates(d1_, bad), "buyer");
        EXPECT_EQ(r.result_int(), 422u) << bad;  // as the list routes' bad_query
        EXPECT_NE(r.body().find("bad_query"), std::string::npos) << r.body();
    }
}

TEST_F(MatchRoutesTest, OpportunitiesNeverLeakHiddenBudgets) {
    PublishAll();
    const auto r = Get(Opportunities(ck_), "supplier");
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    const auto doc = Json(r);
    EXPECT_EQ(doc["supply"]["id"].GetInt64(), ck_);
    bool saw_hidden = false, saw_range = false;
    for (const auto& o : doc["opportunities"].GetArray()) {
        const std::int64_t id = o["line"]["id"].GetInt64();
        EXPECT_EQ(o["buyer"]["id"].GetInt64(), buyer_org_);
        EXPECT_EQ(std::string(o["buyer"]["name"].GetString()), "苏州精机集团");
        if (id == d1_) {
            saw_hidden = true;
            EXPECT_FALSE(o["line"].HasMember("budget"));  // hidden: absent, not null
        }
        if (id == d2_) {
            saw_range = true;
            ASSERT_TRUE(o["line"].HasMember("budget"));
            EXPECT_FALSE(o["line"]["budget"].HasMember("amount"));
            EXPECT_EQ(o["line"]["budget"]["min"].GetDouble(), 500000);
            EXPECT_EQ(o["line"]["budget"]["max"].GetDouble(), 1000000);
        }
        // The price feature shows its value and contribution, and nothing else.
        bool price = false;
        for (const auto& f : o["explanation"]["features"].GetArray()) {
            if (std::string(f["name"].GetString()) != "price") continue;
            price = true;
            EXPECT_EQ(f.MemberCount(), 4u);
            EXPECT_TRUE(f.HasMember("value"));
            EXPECT_TRUE(f.HasMember("contribution"));
        }
        EXPECT_TRUE(price);
    }
    EXPECT_TRUE(saw_hidden);
    EXPECT_TRUE(saw_range);
    // Neither budget amount appears anywhere in the body.
    EXPECT_EQ(r.body().find("777777"), std::string::npos);
    EXPECT_EQ(r.body().find("730000"), std::string::npos);

    // The owner (and an administrator) see the amounts on their own lines.
    const auto admin = Get(Opportunities(ck_), "admin");
    EXPECT_NE(admin.body().find("777777"), std::string::npos);
    // A job key sees every line but is no insider: no hidden amounts.
    const auto job = Get(Opportunities(ck_), "job");
    ASSERT_EQ(job.result_int(), 200u);
    EXPECT_EQ(job.body().find("777777"), std::string::npos);
}

TEST_F(MatchRoutesTest, WhoMaySeeOpportunities) {
    PublishAll();
    EXPECT_EQ(Get(Opportunities(ck_), "supplier").result_int(), 200u);
    EXPECT_EQ(Get(Opportunities(ck_), "supplier2").result_int(), 403u);
    EXPECT_EQ(Get(Opportunities(ck_), "buyer").result_int(), 403u);
    EXPECT_EQ(Get(Opportunities(ck_), "admin").result_int(), 200u);
    EXPECT_EQ(Get(Opportunities(ck_), "job").result_int(), 200u);
    EXPECT_EQ(Get(Opportunities(987654), "supplier").result_int(), 404u);
}

TEST_F(MatchRoutesTest, ProjectCandidatesRankSuppliersByCoverage) {
    PublishAll();
    Publish(R"({"kind":"project","series":"p","title":"技改项目","lines":[
        {"ref":"P1","name":"数控化改造","demandRefs":["D1","D2","D3"]}]})",
            "buyer");
    const std::int64_t p1 = LineId("project", "P1", buyer_org_);
    ASSERT_GT(p1, 0);
    const auto r = Get("/v1/projects/" + std::to_string(p1) + "/candidates", "buyer");
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    const auto doc = Json(r);
    EXPECT_EQ(doc["demandLines"].GetUint64(), 3u);
    const auto& suppliers = doc["suppliers"].GetArray();
    ASSERT_EQ(suppliers.Size(), 2u);
    // supplier A covers D1 and D2; supplier B only D2 (its lathe fails D1's 3000 rpm).
    EXPECT_EQ(suppliers[0]["supplier"]["id"].GetInt64(), supplier_org_);
    EXPECT_EQ(std::string(suppliers[0]["supplier"]["name"].GetString()), "沈阳机床供应商");
    EXPECT_EQ(suppliers[0]["linesCovered"].GetUint64(), 2u);
    EXPECT_EQ(suppliers[1]["linesCovered"].GetUint64(), 1u);
    EXPECT_EQ(suppliers[0]["rank"].GetUint64(), 1u);
    ASSERT_EQ(doc["uncovered"].Size(), 1u);
    EXPECT_EQ(std::string(doc["uncovered"][0]["ref"].GetString()), "D3");
    EXPECT_EQ(r.body().find("777777"), std::string::npos);

    EXPECT_EQ(Get("/v1/projects/" + std::to_string(p1) + "/candidates", "buyer2").result_int(),
              403u);
    EXPECT_EQ(Get("/v1/projects/" + std::to_string(p1) + "/candidates", "job").result_int(), 200u);
    EXPECT_EQ(Get("/v1/projects/" + std::to_string(p1) + "/candidates", "supplier").result_int(),
              403u);
    EXPECT_EQ(Get("/v1/projects/424242/candidates", "buyer").result_int(), 404u);
}

TEST_F(MatchRoutesTest, PreviewMatchesWithoutStoring) {
    PublishAll();
    const std::int64_t seq = LatestSeq();
    const auto r = Post("/v1/match?limit=3", R"({"ref":"preview","title":"数控车床 CNC lathe",
        "classification":{"id":"42621100-6"},"quantity":1,"deliveryAddress":{"region":"320505"},
        "budget":{"amount":250000,"visibility":"hidden"}})",
                        "buyer");
    ASSERT_EQ(r.result_int(), 200u) << r.body();
    const auto doc = Json(r);
    EXPECT_FALSE(doc["demand"].HasMember("id"));
    EXPECT_GE(doc["candidates"].Size(), 2u);
    EXPECT_LE(doc["candidates"].Size(), 3u);
    // The caller's own hidden budget is shown back to it.
    EXPECT_EQ(doc["demand"]["budget"]["amount"].GetDouble(), 250000);
    EXPECT_EQ(LatestSeq(), seq);  // nothing stored, nothing in the change feed

    // Validated like a published line, with pointers relative to the line.
    const auto bad =
        Post("/v1/match", R"({"ref":"x","title":"t","classification":{"id":"42621100-7"},
        "quantity":-1,"deliveryAddress":{"region":"320505"}})",
             "buyer");
    EXPECT_EQ(bad.result_int(), 422u) << bad.body();
    EXPECT_NE(bad.body().find("\"/quantity\""), std::string::npos) << bad.body();
    EXPECT_NE(bad.body().find("\"/classification/id\""), std::string::npos) << bad.body();
    EXPECT_EQ(bad.body().find("/lines/0"), std::string::npos) << bad.body();
    EXPECT_EQ(Post("/v1/match", "[1,2]", "buyer").result_int(), 422u);
    EXPECT_EQ(Post("/v1/match", "{\"ref\":", "buyer").result_int(), 400u);
    // Nothing can be smuggled past the line (the body is re-encoded before decoding).
    EXPECT_EQ(Post("/v1/match", R"({"ref":"a"}],"publisherId":1,"lines":[{"ref":"b"})", "buyer")
                  .result_int(),
              400u);
    EXPECT_EQ(Post("/v1/match", "{}", "supplier").result_int(), 403u);
}

TEST_F(MatchRoutesTest, CandidatesFollowPublishChangeAndWithdrawal) {
    Publish(kDemands, "buyer");
    const std::int64_t d2 = LineId("demand", "D2", buyer_org_);
    auto skus = [&] {
        std::vector<std::string> out;
        const auto doc = Json(Get(Candidates(d2), "buyer"));
        for (const auto& c : doc["candidates"].GetArray()) {
            out.push_back(std::string(c["line"]["sku"].GetString()) + ":" +
                          c["line"]["title"].GetString());
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    EXPECT_TRUE(skus().empty());
    Publish(kSupplyB, "supplier2");
    EXPECT_EQ(skus(), (std::vector<std::string>{"CAK6150:数控车床 CAK6150 CNC lathe"}));
    std::string v2 = kSupplyB;
    v2.replace(v2.find("数控车床 CAK6150 CNC lathe"),
               std::string("数控车床 CAK6150 CNC lathe").size(), "数控车床 CAK6150 plus");
    Publish(v2, "supplier2");
    EXPECT_EQ(skus(), (std::vector<std::string>{"CAK6150:数控车床 CAK6150 plus"}));
    ASSERT_EQ(Delete("/v1/supply/" + std::to_string(LineId("supply", "CAK6150", supplier2_org_)),
                     "supplier2")
                  .result_int(),
              200u);
    EXPECT_TRUE(skus().empty());
}

class MatchRoutesLoadingTest : public MatchFixture {
  protected:
    void SetUp() override { SetUpFixture(false); }
};

TEST_F(MatchRoutesLoadingTest, EveryRouteIs503UntilTheIndexIsLoaded) {
    for (const auto& [method, target, token] :
         {std::tuple{http::verb::get, "/v1/demands/1/candidates", "buyer"},
          std::tuple{http::verb::get, "/v1/supply/1/opportunities", "supplier"},
          std::tuple{http::verb::get, "/v1/projects/1/candidates", "buyer"},
          std::tuple{http::verb::post, "/v1/match", "buyer"}}) {
        const auto r = Send(method, target, token, method == http::verb::post ? "{}" : "");
        EXPECT_EQ(r.result_int(), 503u) << target;
        EXPECT_NE(r.body().find("index_loading"), std::string::npos) << r.body();
        EXPECT_EQ(std::string(r["Retry-After"]), "1");
    }
    ASSERT_OK(index_->Load(*db_));
    EXPECT_EQ(Get("/v1/demands/1/candidates", "buyer").result_int(), 404u);
}

}  // namespace
}  // namespace renewmatch::api::testing
