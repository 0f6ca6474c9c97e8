// Concurrent publishing and querying through api::Service over a real SQLite file and the live
// MatchIndex (on_lines_changed -> CatchUp, as renewmatchd wires it). Two publisher threads each
// publish version after version of their own supply series -- every version retitles ALL of its
// lines with the version number -- while query threads ask for candidates and previews. Every
// answer must be 200, and every candidate set must be drawn from one version per series, with
// every line of that version present (never half a list), and versions and changeSeq never go
// backwards for a reader. Built and run under ThreadSanitizer by scripts/test (debug-tsan preset);
// also part of the ordinary ASan/UBSan suite.
//
// RENEWMATCH_CONCURRENCY_SECONDS overrides the run time (default 3 s).
#include "api/json.hpp"
#include "tests/api/match_fixture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace renewmatch::api::testing {
namespace {

constexpr int kLinesPerVersion = 6;

// Version `v` of `series`: kLinesPerVersion lathes, all titled with the version.
std::string SupplyVersion(const std::string& series, int v) {
    std::string doc = R"({"kind":"supply","series":")" + series + R"(","title":"v)" +
                      std::to_string(v) + R"(","lines":[)";
    for (int i = 0; i < kLinesPerVersion; ++i) {
        if (i > 0) doc += ",";
        doc += R"({"sku":")" + series + "-" + std::to_string(i) +
               R"(","title":"数控车床 CNC lathe )" + series + " v" + std::to_string(v) +
               R"(","classification":{"id":"42621100-6"},"price":{"amount":)" +
               std::to_string(200000 + 1000 * i) + "}}";
    }
    return doc + "]}";
}

double RunSeconds() {
    if (const char* s = std::getenv("RENEWMATCH_CONCURRENCY_SECONDS")) return std::atof(s);
    return 3.0;
}

class MatchConcurrencyTest : public MatchFixture {};

TEST_F(MatchConcurrencyTest, PublishingWhileQueryingNeverErrsOrShowsHalfAList) {
    Publish(SupplyVersion("A", 0), "supplier");
    Publish(SupplyVersion("B", 0), "supplier2");
    Publish(R"({"kind":"demand","series":"d","title":"需求","lines":[
        {"ref":"D1","title":"数控车床 CNC lathe","classification":{"id":"42621100-6"},
         "quantity":1,"deliveryAddress":{"region":"320505"}}]})",
            "buyer");
    const std::int64_t d1 = LineId("demand", "D1", buyer_org_);
    ASSERT_GT(d1, 0);

    std::atomic<bool> stop{false};
    std::atomic<int> publishes{0}, queries{0}, failures{0};
    std::vector<std::string> problems;  // guarded by problems_mutex
    std::mutex problems_mutex;
    auto fail = [&](std::string what) {
        ++failures;
        std::lock_guard lock(problems_mutex);
        if (problems.size() < 20) problems.push_back(std::move(what));
    };

    auto publisher = [&](std::string series, std::string key) {
        for (int v = 1; !stop.load(); ++v) {
            const auto r = Post("/v1/lists", SupplyVersion(series, v), key);
            if (r.result_int() != 201) fail("publish " + series + ": " + r.body().substr(0, 200));
            ++publishes;
        }
    };

    // Parses one answer; checks one version per series, every line of it, monotonicity.
    auto check = [&](const HttpResponse& r, std::map<std::string, int>& last_version,
                     std::int64_t& last_seq) {
        if (r.result_int() != 200) {
            fail("query " + std::to_string(r.result_int()) + ": " + r.body().substr(0, 200));
            return;
        }
        auto doc = ParseDocument(r.body());
        if (!doc || !doc->IsObject() || !doc->HasMember("candidates")) {
            fail("unreadable answer");
            return;
        }
        const std::int64_t seq = (*doc)["changeSeq"].GetInt64();
        if (seq < last_seq) fail("changeSeq went backwards");
        last_seq = seq;
        std::map<std::string, std::map<int, int>> versions;  // series -> version -> lines
        for (const auto& c : (*doc)["candidates"].GetArray()) {
            const std::string title = c["line"]["title"].GetString();
            const auto v = title.rfind(" v");
            const std::string series = title.substr(v - 1, 1);
            ++versions[series][std::stoi(title.substr(v + 2))];
        }
        for (const char* series : {"A", "B"}) {
            const auto& seen = versions[series];
            if (seen.size() != 1) {
                fail(std::string("series ") + series + " mixes " + std::to_string(seen.size()) +
                     " versions");
                continue;
            }
            const auto [version, lines] = *seen.begin();
            if (lines != kLinesPerVersion) {
                fail(std::string("series ") + series + " v" + std::to_string(version) + " has " +
                     std::to_string(lines) + " of " + std::to_string(kLinesPerVersion) + " lines");
            }
            if (version < last_version[series]) fail("a version went backwards");
            last_version[series] = version;
        }
        ++queries;
    };

    auto reader = [&](bool preview) {
        std::map<std::string, int> last_version;
        std::int64_t last_seq = 0;
        while (!stop.load()) {
            if (preview) {
                check(
                    Post(
                        "/v1/match?limit=50&explain=false",
                        R"({"ref":"p","title":"数控车床 CNC lathe","classification":{"id":"42621100-6"},
                               "quantity":1,"deliveryAddress":{"region":"320505"}})",
                        "buyer"),
                    last_version, last_seq);
            } else {
                check(Get("/v1/demands/" + std::to_string(d1) + "/candidates?limit=50", "buyer"),
                      last_version, last_seq);
            }
        }
    };

    std::vector<std::thread> threads;
    threads.emplace_back(publisher, "A", "supplier");
    threads.emplace_back(publisher, "B", "supplier2");
    threads.emplace_back(reader, false);
    threads.emplace_back(reader, false);
    threads.emplace_back(reader, true);
    std::this_thread::sleep_for(std::chrono::duration<double>(RunSeconds()));
    stop = true;
    for (auto& t : threads) t.join();

    for (const auto& p : problems) ADD_FAILURE() << p;
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GE(publishes.load(), 4) << "too few publishes to mean anything";
    EXPECT_GE(queries.load(), 10) << "too few queries to mean anything";
    // The index ends exactly where the feed is.
    EXPECT_EQ(index_->Current().change_seq, LatestSeq());
    std::cout << "[ concurrency ] " << publishes.load() << " publishes, " << queries.load()
              << " queries in " << RunSeconds() << " s\n";
}

}  // namespace
}  // namespace renewmatch::api::testing
