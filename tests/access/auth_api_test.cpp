// Issue 3 at the api::Service level, with a real SQLite file: the authorization matrix of
// docs/security.md, organisations, keys, revocation, the audit log and rate limiting.
#include "api/audit.hpp"
#include "api/auth.hpp"
#include "api/health.hpp"
#include "api/json.hpp"
#include "api/keys.hpp"
#include "api/keys_cli.hpp"
#include "api/keys_secret.hpp"
#include "api/lists.hpp"
#include "api/match_runs.hpp"
#include "api/service.hpp"
#include "schema/database.hpp"
#include "tests/access/auth_matrix.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace renewmatch::api {
namespace {

using renewmatch::testing::MakeApiRequest;
using renewmatch::testing::NextTestUscc;

constexpr std::int64_t kStartMs = 1'790'000'000'000;  // 2026-09-21

class AccessApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        schema::DatabaseOptions options;
        options.reader_count = 2;
        auto db = schema::Database::Open((dir_ / "renewmatch.db").string(), options);
        ASSERT_TRUE(db.has_value());
        db_ = std::move(*db);
        ASSERT_TRUE(db_->Migrate().has_value());
        Start(RateLimitOptions{.enabled = false});
        auto admin = BootstrapAdmin(*db_, kStartMs);
        ASSERT_TRUE(admin.has_value());
        ASSERT_TRUE(admin->has_value());
        admin_ = (*admin)->token;
        admin_key_id_ = (*admin)->key_id;
        admin_org_ = (*admin)->org_id;
    }

    void Start(RateLimitOptions limits) {
        app_ = std::make_unique<AppContext>();
        app_->db = db_.get();
        app_->now_ms = [this] { return clock_ms_.load(); };
        service_ = std::make_unique<Service>(*app_);
        RegisterHealthRoutes(service_->router());
        RegisterAccessRoutes(service_->router());
        RegisterListRoutes(service_->router());  // the list rows of the matrix
        RegisterMatchRunRoutes(service_->router());  // the match-run rows (issue 7)
        limiter_ = std::make_shared<TokenBucketLimiter>(limits);
        InstallAccessControl(*service_, *db_, limiter_);
    }

    HttpResponse Send(http::verb method,
                      const std::string& target,
                      const std::string& token,
                      const std::string& body = {},
                      const std::string& request_id = {}) {
        HttpRequest request = MakeApiRequest(method, target, token, body);
        if (!request_id.empty()) request.set("X-Request-Id", request_id);
        return service_->Handle(request, RequestInfo{});
    }

    static JsonDocument Json(const HttpResponse& response) {
        auto doc = ParseDocument(response.body());
        EXPECT_TRUE(doc.has_value()) << response.body();
        return doc ? std::move(*doc) : JsonDocument();
    }

    std::int64_t CreateOrg(const std::string& kind, const std::string& extra = {}) {
        std::string body =
            R"({"name":"Org )" + std::to_string(++org_counter_) + R"(","kind":")" + kind + R"(")";
        if (kind != "regulator") body += R"(,"uscc":")" + NextTestUscc() + R"(")";
        body += extra + "}";
        const auto r = Send(http::verb::post, "/v1/orgs", admin_, body);
        EXPECT_EQ(r.result_int(), 201u) << r.body();
        return Json(r)["id"].GetInt64();
    }

    std::pair<std::int64_t, std::string> CreateKey(std::int64_t org, const std::string& role) {
        const auto r = Send(http::verb::post, "/v1/orgs/" + std::to_string(org) + "/keys", admin_,
                            R"({"role":")" + role + R"("})");
        EXPECT_EQ(r.result_int(), 201u) << r.body();
        auto doc = Json(r);
        return {doc["id"].GetInt64(), doc["key"].GetString()};
    }

    std::vector<schema::AuditEntry> Audit(const schema::AuditQuery& query) {
        auto page = db_->Read([&](schema::Connection& c) { return schema::QueryAudit(c, query); });
        EXPECT_TRUE(page.has_value());
        return page ? page->items : std::vector<schema::AuditEntry>{};
    }

    renewmatch::testing::TempDir dir_;
    std::unique_ptr<schema::Database> db_;
    std::unique_ptr<AppContext> app_;
    std::unique_ptr<Service> service_;
    std::shared_ptr<TokenBucketLimiter> limiter_;
    std::atomic<std::int64_t> clock_ms_{kStartMs};
    std::string admin_;
    std::int64_t admin_key_id_ = 0;
    std::int64_t admin_org_ = 0;
    int org_counter_ = 0;
};

TEST_F(AccessApiTest, EveryCellOfTheDocumentedMatrixHolds) {
    const auto matrix = renewmatch::testing::LoadAuthMatrix();
    const auto outcome = renewmatch::testing::RunAuthMatrix(
        [this](const HttpRequest& request) { return service_->Handle(request, RequestInfo{}); },
        admin_, {"/metrics"});  // the server's route; covered by the TLS run
    for (const auto& failure : outcome.failures) ADD_FAILURE() << failure;
    // Every column of every row but /metrics, with "bad key" tried twice (unknown, malformed).
    const int per_row = static_cast<int>(matrix.columns.size()) + 1;
    EXPECT_EQ(outcome.cells_run, per_row * static_cast<int>(matrix.rows.size() - 1));
}

TEST_F(AccessApiTest, RevokedKeyIsRefusedOnTheNextRequest) {
    const auto org = CreateOrg("buyer");
    const auto [key_id, token] = CreateKey(org, "buyer");
    const std::string own = "/v1/orgs/" + std::to_string(org);
    EXPECT_EQ(Send(http::verb::get, own, token).result_int(), 200u);
    // The key revokes itself (allowed: own organisation); the response still succeeds...
    const auto revoke = Send(http::verb::delete_, own + "/keys/" + std::to_string(key_id), token);
    ASSERT_EQ(revoke.result_int(), 200u) << revoke.body();
    EXPECT_FALSE(Json(revoke)["active"].GetBool());
    // ...and the very next request with it is 401.
    const auto after = Send(http::verb::get, own, token);
    EXPECT_EQ(after.result_int(), 401u);
    EXPECT_EQ(after[http::field::www_authenticate].empty(), false);
    // Revoking again changes nothing and writes no second audit row.
    EXPECT_EQ(
        Send(http::verb::delete_, own + "/keys/" + std::to_string(key_id), admin_).result_int(),
        200u);
    schema::AuditQuery q;
    q.action = "key.revoke";
    q.entity_id = std::to_string(key_id);
    EXPECT_EQ(Audit(q).size(), 1u);
}

TEST_F(AccessApiTest, BadCredentialsAllTakeTheSamePathAndGiveTheSame401) {
    const auto org = CreateOrg("supplier");
    const auto [key_id, token] = CreateKey(org, "supplier");
    const auto [revoked_id, revoked_token] = CreateKey(org, "supplier");
    ASSERT_EQ(
        Send(http::verb::delete_,
             "/v1/orgs/" + std::to_string(org) + "/keys/" + std::to_string(revoked_id), admin_)
            .result_int(),
        200u);
    std::string wrong_secret = token;
    wrong_secret.back() = wrong_secret.back() == 'A' ? 'B' : 'A';
    const std::vector<std::string> bad = {
        "Bearer rmk_999999_" + std::string(43, 'A'),  // unknown id
        "Bearer rmk_garbage",                         // malformed
        "Bearer " + std::string(200, 'x'),            // not our format at all
        "Basic dXNlcjpwYXNz",                         // wrong scheme
        "Bearer " + wrong_secret,                     // right id, wrong secret
        "Bearer " + revoked_token,                    // revoked
    };
    StoreAuthenticator authenticator(*db_);
    for (const auto& header : bad) {
        const auto before = authenticator.lookups();
        const auto result = authenticator.Authenticate(header, kStartMs);
        ASSERT_FALSE(result.has_value()) << header;
        EXPECT_EQ(result.error(), Errc::kUnauthenticated) << header;
        EXPECT_EQ(authenticator.lookups(), before + 1) << "skipped the lookup: " << header;
    }
    ASSERT_TRUE(authenticator.Authenticate("Bearer " + token, kStartMs).has_value());
    ASSERT_TRUE(authenticator.Authenticate("bearer  " + token + " ", kStartMs).has_value());

    // Over the service the bodies are byte-identical apart from the request id.
    std::string first_body;
    for (const auto& header : bad) {
        HttpRequest request = MakeApiRequest(http::verb::get, "/v1/orgs/1");
        request.set(http::field::authorization, header);
        request.set("X-Request-Id", "same-id");
        const auto response = service_->Handle(request, RequestInfo{});
        EXPECT_EQ(response.result_int(), 401u);
        if (first_body.empty()) first_body = response.body();
        EXPECT_EQ(response.body(), first_body) << header;
    }

    // Timing: unknown and malformed keys cost the same (same work). Interleave the two and
    // compare medians with a generous bound; a path that skipped the database lookup would be
    // an order of magnitude faster.
    std::vector<double> unknown_us;
    std::vector<double> malformed_us;
    for (int i = 0; i < 300; ++i) {
        for (int which = 0; which < 2; ++which) {
            const auto t0 = std::chrono::steady_clock::now();
            (void)authenticator.Authenticate(which == 0 ? bad[0] : bad[1], kStartMs);
            const auto us =
                std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                    .count();
            (which == 0 ? unknown_us : malformed_us).push_back(us);
        }
    }
    std::sort(unknown_us.begin(), unknown_us.end());
    std::sort(malformed_us.begin(), malformed_us.end());
    const double ratio = malformed_us[150] / unknown_us[150];
    EXPECT_GT(ratio, 0.33) << "malformed " << malformed_us[150] << " us, unknown "
                           << unknown_us[150] << " us";
    EXPECT_LT(ratio, 3.0) << "malformed " << malformed_us[150] << " us, unknown " << unknown_us[150]
                          << " us";
}

TEST_F(AccessApiTest, EveryWriteIsAuditedInTheSameTransaction) {
    const auto org_response =
        Send(http::verb::post, "/v1/orgs", admin_,
             R"({"name":"审计 Supplier","kind":"supplier","uscc":")" + NextTestUscc() + R"("})",
             "req-create-org");
    ASSERT_EQ(org_response.result_int(), 201u);
    const auto org = Json(org_response)["id"].GetInt64();
    ASSERT_EQ(Send(http::verb::patch, "/v1/orgs/" + std::to_string(org), admin_,
                   R"({"region":"320500"})", "req-update-org")
                  .result_int(),
              200u);
    const auto key_response = Send(http::verb::post, "/v1/orgs/" + std::to_string(org) + "/keys",
                                   admin_, R"({"role":"supplier"})", "req-create-key");
    ASSERT_EQ(key_response.result_int(), 201u);
    const auto key_id = Json(key_response)["id"].GetInt64();
    ASSERT_EQ(Send(http::verb::delete_,
                   "/v1/orgs/" + std::to_string(org) + "/keys/" + std::to_string(key_id), admin_,
                   {}, "req-revoke-key")
                  .result_int(),
              200u);
    // Refused writes leave no row.
    const std::size_t rows_before_refusal = Audit(schema::AuditQuery{}).size();
    ASSERT_EQ(Send(http::verb::post, "/v1/orgs", admin_, R"({"name":"x","kind":"supplier",
                   "uscc":"91350100M000100Y44"})",
                   "req-bad")
                  .result_int(),
              422u);

    struct Expected {
        const char* request_id;
        const char* action;
        const char* entity_kind;
        std::string entity_id;
    };
    const std::vector<Expected> expected = {
        {"req-create-org", "org.create", "org", std::to_string(org)},
        {"req-update-org", "org.update", "org", std::to_string(org)},
        {"req-create-key", "key.create", "api_key", std::to_string(key_id)},
        {"req-revoke-key", "key.revoke", "api_key", std::to_string(key_id)},
    };
    schema::AuditQuery query;
    query.org_id = org;
    auto rows = Audit(query);
    ASSERT_EQ(rows.size(), expected.size());
    std::reverse(rows.begin(), rows.end());  // oldest first
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(rows[i].request_id, expected[i].request_id);
        EXPECT_EQ(rows[i].action, expected[i].action);
        EXPECT_EQ(rows[i].entity_kind, expected[i].entity_kind);
        EXPECT_EQ(rows[i].entity_id, expected[i].entity_id);
        EXPECT_EQ(rows[i].key_id, admin_key_id_);
        EXPECT_EQ(rows[i].org_id, admin_org_);
        EXPECT_EQ(rows[i].subject_org_id, org);
        EXPECT_EQ(rows[i].at_ms, kStartMs);
    }
    EXPECT_EQ(Audit(schema::AuditQuery{}).size(), rows_before_refusal);
}

TEST_F(AccessApiTest, AuditLogRefusesUpdateAndDelete) {
    CreateOrg("buyer");
    const auto count = [&] { return Audit(schema::AuditQuery{}).size(); };
    const std::size_t before = count();
    ASSERT_GT(before, 0u);
    auto update = db_->Write(
        [](schema::Connection& c) { return c.Exec("UPDATE audit_log SET action = 'tampered'"); });
    ASSERT_FALSE(update.has_value());
    EXPECT_EQ(update.error(), Errc::kConflict);
    auto remove = db_->Write([](schema::Connection& c) { return c.Exec("DELETE FROM audit_log"); });
    ASSERT_FALSE(remove.has_value());
    EXPECT_EQ(remove.error(), Errc::kConflict);
    EXPECT_EQ(count(), before);
    for (const auto& row : Audit(schema::AuditQuery{})) EXPECT_NE(row.action, "tampered");
}

TEST_F(AccessApiTest, AuditEndpointFiltersAndPagesByCursor) {
    std::vector<std::int64_t> orgs;
    for (int i = 0; i < 5; ++i) {
        clock_ms_ = kStartMs + i * 1000;
        orgs.push_back(CreateOrg("buyer"));
    }
    // Page through org.create entries two at a time, newest first.
    std::vector<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
        std::string target = "/v1/audit?action=org.create&limit=2";
        if (!cursor.empty()) target += "&cursor=" + cursor;
        const auto r = Send(http::verb::get, target, admin_);
        ASSERT_EQ(r.result_int(), 200u) << r.body();
        auto doc = Json(r);
        for (const auto& item : doc["items"].GetArray()) {
            EXPECT_STREQ(item["action"].GetString(), "org.create");
            seen.push_back(item["entityId"].GetString());
        }
        if (doc["nextCursor"].IsNull()) break;
        cursor = doc["nextCursor"].GetString();
    }
    ASSERT_EQ(seen.size(), orgs.size() + 1);  // + the bootstrap administrator organisation
    for (std::size_t i = 0; i < orgs.size(); ++i) {
        EXPECT_EQ(seen[i], std::to_string(orgs[orgs.size() - 1 - i]));
    }
    // Time range: [start+1s, start+3s) holds the 2nd and 3rd org.
    const auto ranged = Send(http::verb::get,
                             "/v1/audit?from=" + FormatTimestampMs(kStartMs + 1000) +
                                 "&to=" + std::to_string(kStartMs + 3000),
                             admin_);
    ASSERT_EQ(ranged.result_int(), 200u);
    auto doc = Json(ranged);
    ASSERT_EQ(doc["items"].Size(), 2u);
    EXPECT_EQ(doc["items"][0]["entityId"].GetString(), std::to_string(orgs[2]));
    // Organisation filter and entity filter.
    const auto by_org =
        Json(Send(http::verb::get, "/v1/audit?org=" + std::to_string(orgs[4]), admin_));
    ASSERT_EQ(by_org["items"].Size(), 1u);
    const auto by_entity = Json(Send(
        http::verb::get, "/v1/audit?entityKind=org&entityId=" + std::to_string(orgs[1]), admin_));
    ASSERT_EQ(by_entity["items"].Size(), 1u);
    EXPECT_STREQ(by_entity["items"][0]["at"].GetString(), "2026-09-21T14:13:21.000Z");
    // Bad filters name the parameter.
    const auto bad = Send(http::verb::get, "/v1/audit?from=yesterday", admin_);
    EXPECT_EQ(bad.result_int(), 422u);
    EXPECT_STREQ(Json(bad)["error"]["details"][0]["field"].GetString(), "from");
}

TEST_F(AccessApiTest, RateLimitAnswers429WithRetryAfterAndSparesOtherKeys) {
    Start(RateLimitOptions{.enabled = true, .rate_per_second = 1.0, .burst = 2.0});
    const auto buyer_org = CreateOrg("buyer");        // 1st admin request
    const auto supplier_org = CreateOrg("supplier");  // 2nd: the admin bucket is now empty
    clock_ms_ += 2000;                                // refill the admin bucket
    const auto [buyer_id, buyer] = CreateKey(buyer_org, "buyer");
    const auto [supplier_id, supplier] = CreateKey(supplier_org, "supplier");
    const std::string buyer_target = "/v1/orgs/" + std::to_string(buyer_org);
    const std::string supplier_target = "/v1/orgs/" + std::to_string(supplier_org);
    EXPECT_EQ(Send(http::verb::get, buyer_target, buyer).result_int(), 200u);
    EXPECT_EQ(Send(http::verb::get, buyer_target, buyer).result_int(), 200u);
    const auto throttled = Send(http::verb::get, buyer_target, buyer);
    ASSERT_EQ(throttled.result_int(), 429u);
    EXPECT_EQ(throttled[http::field::retry_after], "1");
    EXPECT_STREQ(Json(throttled)["error"]["code"].GetString(), "rate_limited");
    // Another key at the same instant is unaffected.
    EXPECT_EQ(Send(http::verb::get, supplier_target, supplier).result_int(), 200u);
    EXPECT_EQ(Send(http::verb::get, supplier_target, supplier).result_int(), 200u);
    // One second later the buyer has a token again.
    clock_ms_ += 1000;
    EXPECT_EQ(Send(http::verb::get, buyer_target, buyer).result_int(), 200u);
    (void)buyer_id;
    (void)supplier_id;
}

TEST_F(AccessApiTest, OrganisationValidation) {
    // An invalid check character: 422 naming /uscc.
    auto r = Send(http::verb::post, "/v1/orgs", admin_,
                  R"({"name":"A","kind":"supplier","uscc":"91350100M000100Y44"})");
    ASSERT_EQ(r.result_int(), 422u);
    auto doc = Json(r);
    EXPECT_STREQ(doc["error"]["details"][0]["field"].GetString(), "/uscc");
    EXPECT_STREQ(doc["error"]["details"][0]["code"].GetString(), "invalid_check_character");

    // Valid (lower case accepted), region in 6-digit published form, sector at class level.
    r = Send(http::verb::post, "/v1/orgs", admin_,
             R"({"name":"苏州精工机床有限公司","kind":"supplier","uscc":"91350100m000100y43",)"
             R"("region":"320500","sector":"3421","chains":["nev","advanced-materials"]})");
    ASSERT_EQ(r.result_int(), 201u) << r.body();
    doc = Json(r);
    const auto id = doc["id"].GetInt64();
    EXPECT_STREQ(doc["uscc"].GetString(), "91350100M000100Y43");
    EXPECT_STREQ(doc["region"].GetString(), "3205");
    EXPECT_STREQ(doc["regionName"].GetString(), "苏州市");
    EXPECT_STREQ(doc["sector"].GetString(), "3421");
    EXPECT_EQ(doc["chains"].Size(), 2u);
    EXPECT_EQ(r[http::field::location], "/v1/orgs/" + std::to_string(id));

    // The same code again: 409 carrying the existing id.
    r = Send(http::verb::post, "/v1/orgs", admin_,
             R"({"name":"Dup","kind":"both","uscc":"91350100M000100Y43"})");
    ASSERT_EQ(r.result_int(), 409u);
    EXPECT_EQ(r[http::field::location], "/v1/orgs/" + std::to_string(id));
    doc = Json(r);
    EXPECT_STREQ(doc["error"]["code"].GetString(), "duplicate_uscc");
    EXPECT_NE(std::string(doc["error"]["message"].GetString()).find(std::to_string(id)),
              std::string::npos);

    // Every problem at once, each with its field.
    r = Send(http::verb::post, "/v1/orgs", admin_,
             R"({"name":" ","kind":"shop","uscc":"123","region":"999999","sector":"Z9",)"
             R"("chains":["Bad Id"],"colour":"red"})");
    ASSERT_EQ(r.result_int(), 422u);
    doc = Json(r);
    std::set<std::string> fields;
    for (const auto& d : doc["error"]["details"].GetArray()) fields.insert(d["field"].GetString());
    for (const char* f :
         {"/name", "/kind", "/uscc", "/region", "/sector", "/chains/0", "/colour"}) {
        EXPECT_TRUE(fields.contains(f)) << f << " in " << r.body();
    }
    // Suppliers need a USCC; regulators do not.
    r = Send(http::verb::post, "/v1/orgs", admin_, R"({"name":"NoCode","kind":"supplier"})");
    ASSERT_EQ(r.result_int(), 422u);
    EXPECT_STREQ(Json(r)["error"]["details"][0]["field"].GetString(), "/uscc");
    EXPECT_EQ(
        Send(http::verb::post, "/v1/orgs", admin_, R"({"name":"省工信厅","kind":"regulator"})")
            .result_int(),
        201u);
    // Malformed JSON is 400.
    EXPECT_EQ(Send(http::verb::post, "/v1/orgs", admin_, "{").result_int(), 400u);

    // Update: changing to a taken code is 409; the record is unchanged.
    const auto other = CreateOrg("buyer");
    r = Send(http::verb::patch, "/v1/orgs/" + std::to_string(other), admin_,
             R"({"uscc":"91350100M000100Y43","name":"Renamed"})");
    EXPECT_EQ(r.result_int(), 409u);
    r = Send(http::verb::get, "/v1/orgs/" + std::to_string(other), admin_);
    EXPECT_NE(std::string(Json(r)["name"].GetString()), "Renamed");
    EXPECT_EQ(Json(r)["revision"].GetInt64(), 1);
    EXPECT_EQ(Send(http::verb::patch, "/v1/orgs/999999", admin_, R"({"name":"x"})").result_int(),
              404u);
}

TEST_F(AccessApiTest, OrganisationListPagesByCursor) {
    std::vector<std::int64_t> created;
    for (int i = 0; i < 5; ++i) created.push_back(CreateOrg(i % 2 == 0 ? "buyer" : "supplier"));
    std::vector<std::int64_t> seen;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
        std::string target = "/v1/orgs?limit=2";
        if (!cursor.empty()) target += "&cursor=" + cursor;
        auto doc = Json(Send(http::verb::get, target, admin_));
        EXPECT_LE(doc["items"].Size(), 2u);
        for (const auto& item : doc["items"].GetArray()) seen.push_back(item["id"].GetInt64());
        if (doc["nextCursor"].IsNull()) break;
        cursor = doc["nextCursor"].GetString();
    }
    ASSERT_EQ(seen.size(), 6u);  // the administrator organisation + 5
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    auto buyers = Json(Send(http::verb::get, "/v1/orgs?kind=buyer", admin_));
    EXPECT_EQ(buyers["items"].Size(), 3u);
    EXPECT_EQ(Send(http::verb::get, "/v1/orgs?limit=0", admin_).result_int(), 422u);
}

TEST_F(AccessApiTest, KeySecretIsShownOnceAndListsCarryMetadataOnly) {
    const auto org = CreateOrg("both");
    const auto r = Send(http::verb::post, "/v1/orgs/" + std::to_string(org) + "/keys", admin_,
                        R"({"role":"supplier","name":"catalog uploader"})");
    ASSERT_EQ(r.result_int(), 201u);
    EXPECT_EQ(r[http::field::cache_control], "no-store");
    const std::string token = Json(r)["key"].GetString();
    EXPECT_EQ(token.rfind("rmk_", 0), 0u);
    const auto list = Send(http::verb::get, "/v1/orgs/" + std::to_string(org) + "/keys", token);
    ASSERT_EQ(list.result_int(), 200u);
    EXPECT_EQ(list.body().find(std::string(ParseKeyToken(token)->secret)), std::string::npos);
    auto doc = Json(list);
    ASSERT_EQ(doc["items"].Size(), 1u);
    EXPECT_FALSE(doc["items"][0].HasMember("key"));
    EXPECT_STREQ(doc["items"][0]["name"].GetString(), "catalog uploader");
    EXPECT_EQ(doc["items"][0]["createdBy"].GetInt64(), admin_key_id_);
    // The database holds a hash, not the secret.
    auto stored = db_->Read([&](schema::Connection& c) {
        return schema::FindApiKey(c, doc["items"][0]["id"].GetInt64());
    });
    ASSERT_TRUE(stored.has_value() && stored->has_value());
    const std::string secret = std::string(ParseKeyToken(token)->secret);
    EXPECT_TRUE(KeyHashEquals((*stored)->secret_hash, HashKeySecret((*stored)->id, secret)));
    // Roles must fit the organisation's kind.
    const auto buyer_org = CreateOrg("buyer");
    const auto bad = Send(http::verb::post, "/v1/orgs/" + std::to_string(buyer_org) + "/keys",
                          admin_, R"({"role":"admin"})");
    EXPECT_EQ(bad.result_int(), 422u);
    EXPECT_STREQ(Json(bad)["error"]["details"][0]["field"].GetString(), "/role");
    EXPECT_EQ(
        Send(http::verb::post, "/v1/orgs/999999/keys", admin_, R"({"role":"job"})").result_int(),
        404u);
}

TEST_F(AccessApiTest, BootstrapRunsOnceAndTheCliManagesKeysOffline) {
    auto again = BootstrapAdmin(*db_, kStartMs);
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->has_value());

    const auto org = CreateOrg("buyer");
    const std::map<std::string, std::string> base = {{"db", (dir_ / "renewmatch.db").string()}};
    std::ostringstream out, err;
    auto flags = base;
    flags["org"] = std::to_string(org);
    flags["role"] = "buyer";
    flags["name"] = "offline";
    ASSERT_EQ(RunAccessCommand("keys create", flags, out, err), 0) << err.str();
    const std::string printed = out.str();
    const auto at = printed.find("rmk_");
    ASSERT_NE(at, std::string::npos) << printed;
    const std::string token = printed.substr(at, printed.find('\n', at) - at);
    EXPECT_EQ(Send(http::verb::get, "/v1/orgs/" + std::to_string(org), token).result_int(), 200u);

    out.str("");
    flags = base;
    flags["org"] = std::to_string(org);
    ASSERT_EQ(RunAccessCommand("keys list", flags, out, err), 0);
    EXPECT_NE(out.str().find("name=offline"), std::string::npos);
    EXPECT_EQ(out.str().find(token), std::string::npos) << "list must not print secrets";

    const auto key_id = token.substr(4, token.find('_', 4) - 4);
    flags = base;
    flags["id"] = key_id;
    ASSERT_EQ(RunAccessCommand("keys revoke", flags, out, err), 0) << err.str();
    EXPECT_EQ(Send(http::verb::get, "/v1/orgs/" + std::to_string(org), token).result_int(), 401u);

    out.str("");
    ASSERT_EQ(RunAccessCommand("admin bootstrap", base, out, err), 0);
    EXPECT_NE(out.str().find("already exists"), std::string::npos);
    flags = base;
    flags["org"] = std::to_string(org);
    flags["role"] = "wizard";
    EXPECT_EQ(RunAccessCommand("keys create", flags, out, err), 2);
    flags["role"] = "admin";
    EXPECT_EQ(RunAccessCommand("keys create", flags, out, err), 1);  // admin needs a regulator

    schema::AuditQuery q;
    q.entity_kind = "api_key";
    q.entity_id = key_id;
    const auto rows = Audit(q);
    ASSERT_EQ(rows.size(), 2u);  // create + revoke, both offline
    for (const auto& row : rows) {
        EXPECT_EQ(row.request_id, "cli");
        EXPECT_FALSE(row.key_id.has_value());
    }
}

}  // namespace
}  // namespace renewmatch::api
