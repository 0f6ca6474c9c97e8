// The live match index's load pipeline (api/match_index.cpp: a reading thread and two decode
// workers) and CatchUp under concurrency, wired as renewmatchd wires them (server/app.hpp:
// WireMatchIndex, StartMatchIndexLoad on a thread of its own, the answer cache warm-up thread
// poked after every catch-up): MatchIndex::Load of a real SQLite file holding over a thousand
// stored lines (512-row batches for both workers) runs while a publisher posts new list versions
// through api::Service (each one catching the index up, a no-op until the load is done and a
// real CatchUp after) and query threads ask for candidates and /readyz; then a list of 1,100
// changed lines makes a CatchUp decode on the workers while the queries and the warm-up go on.
// The final index must equal a fresh load of the same file line for line (id, revision, title)
// and reflect the last change. Built and run under ThreadSanitizer by scripts/test; also part of
// the ASan/UBSan suite.
#include "api/json.hpp"
#include "server/app.hpp"
#include "tests/api/match_fixture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace renewmatch::api::testing {
namespace {

// A supply list of `lines` lathes in `series`, every title carrying the version `v`.
std::string SupplyList(const std::string& series, int lines, int v) {
    std::string doc = R"({"kind":"supply","series":")" + series + R"(","title":"v)" +
                      std::to_string(v) + R"(","lines":[)";
    for (int i = 0; i < lines; ++i) {
        if (i > 0) doc += ",";
        doc += R"({"sku":")" + series + "-" + std::to_string(i) +
               R"(","title":"数控车床 CNC lathe )" + series + " " + std::to_string(i) + " v" +
               std::to_string(v) + R"(","classification":{"id":"42621100-6"},"price":{"amount":)" +
               std::to_string(200000 + 10 * i) + "}}";
    }
    return doc + "]}";
}

// (id, revision, title) of every live line of a snapshot, by id.
template <class Snapshot>
std::map<std::int64_t, std::tuple<int, std::string>> LinesOf(const Snapshot& snapshot) {
    std::map<std::int64_t, std::tuple<int, std::string>> out;
    snapshot.ForEachLive([&out](const auto& line) {
        out.emplace(static_cast<std::int64_t>(line.id), std::make_tuple(line.revision, line.title));
    });
    return out;
}

class IndexTsanTest : public MatchFixture {
  protected:
    void SetUp() override { SetUpFixture(/*load=*/false); }
};

TEST_F(IndexTsanTest, PipelinedLoadWithLiveCatchUpWhileQuerying) {
    Publish(R"({"kind":"demand","series":"d","title":"需求","lines":[
        {"ref":"D1","title":"数控车床 CNC lathe","classification":{"id":"42621100-6"},
         "quantity":1,"deliveryAddress":{"region":"320505"}}]})",
            "buyer");
    const std::int64_t d1 = LineId("demand", "D1", buyer_org_);
    ASSERT_GT(d1, 0);
    // Two batches of 512 rows and a partial one: both decode workers take part.
    Publish(SupplyList("big", 1100, 0), "supplier");
    const std::string candidates = "/v1/demands/" + std::to_string(d1) + "/candidates?limit=5";

    std::mutex problems_mu;
    std::vector<std::string> problems;
    auto fail = [&](std::string what) {
        std::lock_guard lock(problems_mu);
        if (problems.size() < 20) problems.push_back(std::move(what));
    };
    std::atomic<bool> loaded{false}, done{false};
    std::atomic<int> answered{0};

    // As renewmatchd: readiness "match_index", catch-up on every line change, the warm-up poked
    // after each, and the load on a thread of its own.
    RegisterHealthRoutes(service_->router());
    server::WireMatchIndex(app_, *index_, *db_);
    server::AnswerCacheWarmer warmer(app_, *index_, *cache_, 2);  // a pass on 2 threads
    app_.on_lines_changed = [catch_up = app_.on_lines_changed, &warmer] {
        catch_up();
        warmer.Poke();
    };
    std::thread load_thread = server::StartMatchIndexLoad(app_, *index_, *db_);
    std::thread loader([&] {
        load_thread.join();
        loaded.store(true);
    });
    // Small versions while the load runs and after: CatchUp is a no-op until the load is done.
    std::thread publisher([&] {
        for (int v = 1; v <= 8; ++v) {
            const auto r = Post("/v1/lists", SupplyList("A", 4, v), "supplier2");
            if (r.result_int() != 201) fail("publish A: " + r.body().substr(0, 200));
        }
    });
    auto query = [&] {
        std::int64_t last_seq = 0;
        while (!done.load()) {
            const bool was_loaded = loaded.load();
            const bool was_ready = Get("/readyz", "").result_int() == 200;
            if (was_ready && !index_->ready())
                fail("/readyz answered 200 before the index was ready");
            const auto r = Get(candidates, "buyer");
            if (r.result_int() == 200) {
                ++answered;
            } else if (r.result_int() != 503 || was_loaded || was_ready) {
                fail("candidates: " + std::to_string(r.result_int()) + " " +
                     r.body().substr(0, 200));
            }
            const MatchIndex::View view = index_->Current();
            if (view.change_seq < last_seq) fail("change_seq went backwards");
            last_seq = view.change_seq;
            if (view.supply == nullptr || view.demands == nullptr) fail("null snapshot");
        }
    };
    std::vector<std::thread> queries;
    for (int q = 0; q < 2; ++q) queries.emplace_back(query);

    loader.join();
    publisher.join();
    ASSERT_TRUE(index_->ready());
    // 1,100 changed lines (over 2 x 512) in one catch-up: decoded on the workers while queries
    // run.
    Publish(SupplyList("big", 1100, 1), "supplier");
    done.store(true);
    for (auto& t : queries) t.join();
    warmer.Stop();
    EXPECT_EQ(Get("/readyz", "").result_int(), 200);
    for (const auto& p : problems) ADD_FAILURE() << p;
    EXPECT_GT(answered.load(), 0);

    // Equal to a fresh load of the same file, and current.
    const MatchIndex::View live = index_->Current();
    EXPECT_EQ(live.change_seq, LatestSeq());
    std::string error;
    auto fresh = MatchIndex::Create({}, &error);
    ASSERT_TRUE(fresh.has_value()) << error;
    ASSERT_OK((*fresh)->Load(*db_));
    const MatchIndex::View expected = (*fresh)->Current();
    EXPECT_EQ(live.change_seq, expected.change_seq);
    const auto live_supply = LinesOf(*live.supply);
    EXPECT_EQ(live_supply.size(), 1100u + 4u);
    EXPECT_EQ(live_supply, LinesOf(*expected.supply));
    EXPECT_EQ(LinesOf(*live.demands), LinesOf(*expected.demands));
    EXPECT_EQ(index_->last_problem(), "");
}

}  // namespace
}  // namespace renewmatch::api::testing
