// Issue 7, "a run interrupted by a crash is marked failed on restart and never stays running;
// the previous latest results are still served": the real renewmatchd runs a full match run to
// success (run A), then a second run (B) is started and the server is SIGKILLed while B is
// running (its row says 'running' and it has written some result batches). After a restart on
// the same file, B is 'failed' with the restart reason, A is still the latest succeeded run, its
// results are served over HTTPS, and a new run of the same scope is accepted and succeeds.
#include "api/keys.hpp"
#include "api/orgs_uscc.hpp"
#include "schema/database.hpp"
#include "schema/run_store.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/tls_client.hpp"
#include "tests/support/test_util.hpp"

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

namespace renewmatch::testing {
namespace {

using namespace std::chrono_literals;
using api::HttpResponse;
using api::http::verb;

std::int64_t IdOf(const HttpResponse& r) {
    const auto at = r.body().find("\"id\":");
    return at == std::string::npos ? 0 : std::stoll(r.body().substr(at + 5));
}

std::string Supply(std::int64_t publisher, int lines) {
    const char* words[] = {"工业机器人", "数控车床", "加工中心", "激光切割机", "注塑机"};
    std::string body = R"({"kind":"supply","series":"cat","title":"目录","publisherId":)" +
                       std::to_string(publisher) + R"(,"lines":[)";
    for (int i = 0; i < lines; ++i) {
        body +=
            (i ? "," : "") + std::string(R"({"sku":"S)") + std::to_string(i) + R"(","title":")" +
            words[i % 5] + " " + words[(i / 5) % 5] + " " + std::to_string(i) +
            R"(","classification":{"id":"42997300-4"},"price":{"amount":)" +
            std::to_string(100000 + i) +
            R"(,"validUntil":"2031-12-31"},"serviceAreas":["32"],"leadTimeDays":30,"capacityPerMonth":5})";
    }
    return body + "]}";
}

std::string Demands(std::int64_t publisher, int lines) {
    const char* words[] = {"工业机器人", "数控车床", "加工中心", "激光切割机", "注塑机"};
    std::string body = R"({"kind":"demand","series":"need","title":"需求","publisherId":)" +
                       std::to_string(publisher) + R"(,"lines":[)";
    for (int i = 0; i < lines; ++i) {
        body +=
            (i ? "," : "") + std::string(R"({"ref":"D)") + std::to_string(i) + R"(","title":")" +
            words[(i * 7) % 5] + " " + words[(i / 3) % 5] +
            R"(","classification":{"id":"42997300-4"},"quantity":2,"budget":{"amount":250000},"deliveryAddress":{"region":"320500"},"deliveryDate":"2030-06-30"})";
    }
    return body + "]}";
}

std::optional<schema::RunRecord> ReadRun(const std::filesystem::path& db_path, std::int64_t id) {
    auto db = schema::Database::Open(db_path.string());
    if (!db) return std::nullopt;
    auto run = (*db)->Read([&](schema::Connection& c) { return schema::FindRun(c, id); });
    if (!run || !*run) return std::nullopt;
    return **run;
}

std::string WaitForStatus(std::uint16_t port,
                          const std::string& token,
                          std::int64_t id,
                          std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string status;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = CallOnce(port, verb::get, "/v1/match-runs/" + std::to_string(id), token);
        const auto at = r.body().find("\"status\":\"");
        if (at != std::string::npos) {
            status = r.body().substr(at + 10, r.body().find('"', at + 10) - at - 10);
            if (status != "queued" && status != "running") return status;
        }
        std::this_thread::sleep_for(200ms);
    }
    return status;
}

TEST(MatchRunsCrashTest, SigkillDuringARunThenRestartFailsItAndKeepsTheLatestRun) {
    TempDir dir;
    const auto db_path = dir.path() / "renewmatch.db";
    const std::string admin = BootstrapAdminOffline(db_path);
    ASSERT_FALSE(admin.empty());
    auto server = ServerProcess::Start(dir.path());
    ASSERT_NE(server, nullptr);
    const std::string s17 = "91210100123456789", b17 = "91320500123456789";
    auto supplier = CallOnce(server->port(), verb::post, "/v1/orgs", admin,
                             R"({"name":"沈阳机床","kind":"supplier","uscc":")" + s17 +
                                 api::UsccCheckCharacter(s17) + R"("})");
    ASSERT_EQ(supplier.result_int(), 201U) << supplier.body();
    auto buyer = CallOnce(server->port(), verb::post, "/v1/orgs", admin,
                          R"({"name":"苏州精机","kind":"buyer","uscc":")" + b17 +
                              api::UsccCheckCharacter(b17) + R"("})");
    ASSERT_EQ(buyer.result_int(), 201U) << buyer.body();
    auto s = CallOnce(server->port(), verb::post, "/v1/lists", admin, Supply(IdOf(supplier), 150));
    ASSERT_EQ(s.result_int(), 201U) << s.body().substr(0, 400);
    // Enough demands that a run of the ASan server spans several 512-demand batches.
    auto d = CallOnce(server->port(), verb::post, "/v1/lists", admin, Demands(IdOf(buyer), 2500));
    ASSERT_EQ(d.result_int(), 201U) << d.body().substr(0, 400);

    auto a = CallOnce(server->port(), verb::post, "/v1/match-runs", admin, R"({"mode":"full"})");
    ASSERT_EQ(a.result_int(), 202U) << a.body();
    const auto run_a = IdOf(a);
    ASSERT_EQ(WaitForStatus(server->port(), admin, run_a, 300s), "succeeded");
    const auto a_row = ReadRun(db_path, run_a);
    ASSERT_TRUE(a_row && a_row->results_count > 0);

    auto b = CallOnce(server->port(), verb::post, "/v1/match-runs", admin, R"({"mode":"full"})");
    ASSERT_EQ(b.result_int(), 202U) << b.body();
    const auto run_b = IdOf(b);
    // Kill once B is running and has stored at least one batch (read from the file directly).
    bool mid_run = false;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto row = ReadRun(db_path, run_b);
        if (row && row->status == "running" && row->progress_done > 0 &&
            row->progress_done < row->progress_total) {
            mid_run = true;
            break;
        }
        if (row && row->terminal()) break;
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(mid_run) << "run B was never observed mid-run (finished too fast?)";
    server->Signal(SIGKILL);
    const auto status = server->WaitForExit(20s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 128 + SIGKILL);
    server.reset();
    const auto killed = ReadRun(db_path, run_b);
    ASSERT_TRUE(killed);
    EXPECT_EQ(killed->status, "running") << "the file still says running before the restart";

    auto restarted = ServerProcess::Start(dir.path());
    ASSERT_NE(restarted, nullptr);
    auto got =
        CallOnce(restarted->port(), verb::get, "/v1/match-runs/" + std::to_string(run_b), admin);
    ASSERT_EQ(got.result_int(), 200U);
    EXPECT_NE(got.body().find("\"status\":\"failed\""), std::string::npos) << got.body();
    EXPECT_NE(got.body().find("interrupted"), std::string::npos) << got.body();
    {
        auto db = schema::Database::Open(db_path.string());
        ASSERT_TRUE(db.has_value());
        auto latest = (*db)->Read([](schema::Connection& c) {
            return schema::LatestSucceededRun(c, schema::RunScope{}.Key());
        });
        ASSERT_TRUE(latest.has_value() && latest->has_value());
        EXPECT_EQ((*latest)->id, run_a) << "the previous latest run is still latest";
    }
    auto results = CallOnce(restarted->port(), verb::get,
                            "/v1/match-runs/" + std::to_string(run_a) + "/results?limit=5", admin);
    ASSERT_EQ(results.result_int(), 200U);
    EXPECT_NE(results.body().find("\"supplyId\""), std::string::npos) << results.body();
    auto succeeded =
        CallOnce(restarted->port(), verb::get, "/v1/match-runs?status=succeeded", admin);
    EXPECT_NE(succeeded.body().find("\"id\":" + std::to_string(run_a)), std::string::npos);
    EXPECT_EQ(succeeded.body().find("\"id\":" + std::to_string(run_b)), std::string::npos);

    // The scope is free again.
    auto c = CallOnce(restarted->port(), verb::post, "/v1/match-runs", admin,
                      R"({"mode":"incremental"})");
    ASSERT_EQ(c.result_int(), 202U) << c.body();
    EXPECT_EQ(WaitForStatus(restarted->port(), admin, IdOf(c), 300s), "succeeded");
}

}  // namespace
}  // namespace renewmatch::testing
