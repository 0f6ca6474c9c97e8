// Issue 3 over the wire: the authorization matrix of docs/security.md, cell by cell, against the
// real renewmatchd (TLS, port 0, a real SQLite file), plus revocation and the 401 shape.
// Reuses the server engineer's integration harness (tests/integration: ServerProcess, TlsClient).
#include "api/json.hpp"
#include "api/keys.hpp"
#include "schema/database.hpp"
#include "tests/access/auth_matrix.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/tls_client.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace renewmatch::testing {
namespace {

class AccessOverTls : public ::testing::Test {
  protected:
    void SetUp() override {
        // The first administrator key is made offline, as an operator would, before the daemon
        // starts on the same database file.
        admin_ = BootstrapAdminOffline(dir_ / "renewmatch.db");
        ASSERT_FALSE(admin_.empty());
        server_ = ServerProcess::Start(dir_.path());
        ASSERT_NE(server_, nullptr);
        client_ = std::make_unique<TlsClient>(server_->port());
        ASSERT_FALSE(client_->Connect());
    }

    // One keep-alive connection; reconnects once if the server closed it.
    api::HttpResponse Send(const api::HttpRequest& request) {
        api::HttpResponse response;
        if (auto ec = client_->Send(request, &response); ec) {
            client_ = std::make_unique<TlsClient>(server_->port());
            EXPECT_FALSE(client_->Connect());
            response = {};
            EXPECT_FALSE(client_->Send(request, &response)) << request.target();
        }
        return response;
    }

    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
    std::unique_ptr<TlsClient> client_;
    std::string admin_;
};

TEST_F(AccessOverTls, EveryCellOfTheDocumentedMatrixHolds) {
    const auto matrix = LoadAuthMatrix();
    const auto outcome =
        RunAuthMatrix([this](const api::HttpRequest& request) { return Send(request); }, admin_);
    for (const auto& failure : outcome.failures) ADD_FAILURE() << failure;
    // Every cell, with "bad key" tried twice (unknown and malformed).
    EXPECT_EQ(outcome.cells_run,
              static_cast<int>((matrix.columns.size() + 1) * matrix.rows.size()));
}

TEST_F(AccessOverTls, RevokedKeyIsRefusedOnTheNextRequestAndBad401sLookAlike) {
    auto created = Send(MakeApiRequest(
        api::http::verb::post, "/v1/orgs", admin_,
        R"({"name":"TLS Supplier","kind":"supplier","uscc":")" + NextTestUscc() + R"("})"));
    ASSERT_EQ(created.result_int(), 201u) << created.body();
    auto org = api::ParseDocument(created.body());
    ASSERT_TRUE(org.has_value());
    const std::string org_path = "/v1/orgs/" + std::to_string((*org)["id"].GetInt64());
    auto key_response = Send(MakeApiRequest(api::http::verb::post, org_path + "/keys", admin_,
                                            R"({"role":"supplier"})"));
    ASSERT_EQ(key_response.result_int(), 201u);
    auto key = api::ParseDocument(key_response.body());
    ASSERT_TRUE(key.has_value());
    const std::string token = (*key)["key"].GetString();
    const std::string key_path = org_path + "/keys/" + std::to_string((*key)["id"].GetInt64());

    EXPECT_EQ(Send(MakeApiRequest(api::http::verb::get, org_path, token)).result_int(), 200u);
    EXPECT_EQ(Send(MakeApiRequest(api::http::verb::delete_, key_path, admin_)).result_int(), 200u);
    const auto refused = Send(MakeApiRequest(api::http::verb::get, org_path, token));
    EXPECT_EQ(refused.result_int(), 401u);

    // Revoked, unknown and malformed keys get the same body (request ids pinned).
    std::string first;
    for (const std::string& bad :
         {token, "rmk_424242_" + std::string(43, 'Q'), std::string("rmk_x")}) {
        auto request = MakeApiRequest(api::http::verb::get, org_path, bad);
        request.set("X-Request-Id", "tls-same");
        const auto response = Send(request);
        EXPECT_EQ(response.result_int(), 401u);
        if (first.empty()) first = response.body();
        EXPECT_EQ(response.body(), first);
    }
}

}  // namespace
}  // namespace renewmatch::testing
