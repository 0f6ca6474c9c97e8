// POST /v1/lists end to end through api::Service over a real SQLite file: publishing JSON and CSV
// (UTF-8, BOM, GB18030) lists, versions of a series (added / changed / unchanged / withdrawn,
// revisions, history, change feed), identical payloads, Idempotency-Key replay and misuse, roles
// and publisherId, and every kind of bad input rejected with the database byte-for-byte
// unchanged (row counts and a content checksum of every table).
#include "api/encoding.hpp"
#include "api/json.hpp"
#include "api/lists.hpp"
#include "api/service.hpp"
#include "schema/database.hpp"
#include "schema/org_store.hpp"
#include "schema/statement.hpp"
#include "tests/api/api_test_support.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

namespace renewmatch::api {
namespace {

using renewmatch::testing::TempDir;

using testing::KeyTable;

struct Snapshot {
    std::map<std::string, std::int64_t> counts;
    std::string checksum;  // every row of every table, in rowid order
    bool operator==(const Snapshot&) const = default;
};

class ListsRoutesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto db = schema::Database::Open((dir_ / "lists.db").string());
        ASSERT_OK(db);
        db_ = std::move(*db);
        ASSERT_OK(db_->Migrate());
        auto orgs = db_->Write([](schema::Connection& c) -> Result<std::vector<std::int64_t>> {
            std::vector<std::int64_t> ids;
            const char* rows[][3] = {{"苏州精机集团", "buyer", "913205001234567890"},
                                     {"沈阳机床供应商", "supplier", "912101001234567891"},
                                     {"省工信厅", "regulator", ""}};
            for (const auto& r : rows) {
                schema::OrgRecord org;
                org.name = r[0];
                org.kind = r[1];
                if (*r[2] != '\0') org.uscc = r[2];
                org.created_at_ms = org.updated_at_ms = 1;
                auto inserted = schema::InsertOrg(c, org);
                if (!inserted) return inserted.error();
                ids.push_back(inserted->id);
            }
            return ids;
        });
        ASSERT_OK(orgs);
        buyer_org_ = (*orgs)[0];
        supplier_org_ = (*orgs)[1];
        regulator_org_ = (*orgs)[2];
        app_.db = db_.get();
        app_.now_ms = [this] { return now_ms_; };
        app_.on_lines_changed = [this] { ++lines_changed_; };
        service_ = std::make_unique<Service>(app_);
        RegisterListRoutes(service_->router());
        auto auth = std::make_shared<KeyTable>();
        auth->Add("buyer", Principal{1, buyer_org_, Role::kBuyer});
        auth->Add("supplier", Principal{2, supplier_org_, Role::kSupplier});
        auth->Add("admin", Principal{3, regulator_org_, Role::kAdmin});
        auth->Add("job", Principal{4, regulator_org_, Role::kJob});
        service_->SetAuthenticator(auth);
    }

    HttpResponse Post(std::string body,
                      std::string token = "buyer",
                      std::string target = "/v1/lists",
                      std::string content_type = "application/json",
                      std::string idempotency_key = {}) {
        HttpRequest request{http::verb::post, target, 11};
        request.set(http::field::authorization, "Bearer " + token);
        request.set(http::field::content_type, content_type);
        if (!idempotency_key.empty()) request.set("Idempotency-Key", idempotency_key);
        request.body() = std::move(body);
        request.prepare_payload();
        now_ms_ += 1000;
        return service_->Handle(request, RequestInfo{"req-" + std::to_string(now_ms_), "test"});
    }

    HttpResponse Get(std::string target,
                     std::string token = "buyer",
                     std::string if_none_match = {}) {
        HttpRequest request{http::verb::get, target, 11};
        request.set(http::field::authorization, "Bearer " + token);
        if (!if_none_match.empty()) request.set(http::field::if_none_match, if_none_match);
        return service_->Handle(request, RequestInfo{"get", "test"});
    }

    HttpResponse Delete(std::string target, std::string token, std::string if_match = {}) {
        HttpRequest request{http::verb::delete_, target, 11};
        request.set(http::field::authorization, "Bearer " + token);
        if (!if_match.empty()) request.set(http::field::if_match, if_match);
        now_ms_ += 1000;
        return service_->Handle(request, RequestInfo{"del-" + std::to_string(now_ms_), "test"});
    }

    HttpResponse Patch(std::string target,
                       std::string body,
                       std::string token = "buyer",
                       std::string if_match = {},
                       std::string content_type = "application/merge-patch+json") {
        HttpRequest request{http::verb::patch, target, 11};
        request.set(http::field::authorization, "Bearer " + token);
        request.set(http::field::content_type, content_type);
        if (!if_match.empty()) request.set(http::field::if_match, if_match);
        request.body() = std::move(body);
        request.prepare_payload();
        now_ms_ += 1000;
        return service_->Handle(request, RequestInfo{"patch-" + std::to_string(now_ms_), "test"});
    }

    Snapshot Take() {
        auto snap = db_->Read([](schema::Connection& c) -> Result<Snapshot> {
            Snapshot s;
            auto tables = c.Prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name");
            if (!tables) return tables.error();
            std::vector<std::string> names;
            while (true) {
                auto row = tables->Step();
                if (!row) return row.error();
                if (!*row) break;
                names.push_back(tables->ColumnText(0));
            }
            for (const auto& name : names) {
                auto rows = c.Prepare("SELECT * FROM \"" + name + "\"");
                if (!rows) return rows.error();
                std::int64_t n = 0;
                while (true) {
                    auto row = rows->Step();
                    if (!row) return row.error();
                    if (!*row) break;
                    ++n;
                    for (int i = 0; i < rows->ColumnCount(); ++i) {
                        s.checksum +=
                            rows->ColumnIsNull(i) ? std::string("\\N") : rows->ColumnText(i);
                        s.checksum += '\x1f';
                    }
                    s.checksum += '\n';
                }
                s.counts[name] = n;
            }
            return s;
        });
        EXPECT_TRUE(snap.has_value());
        return snap.has_value() ? *snap : Snapshot{};
    }

    std::int64_t Count(const std::string& sql) {
        auto r = db_->Read([&](schema::Connection& c) -> Result<std::int64_t> {
            auto s = c.Prepare(sql);
            if (!s) return s.error();
            auto row = s->Step();
            if (!row) return row.error();
            return s->ColumnInt64(0);
        });
        EXPECT_TRUE(r.has_value()) << sql;
        return r.has_value() ? *r : -1;
    }

    template <class T>
    static T Or(const ApiResult<T>& r, T fallback) {
        return r.has_value() ? *r : fallback;
    }
    static std::vector<std::string> Refs(const JsonDocument& doc, const char* key) {
        std::vector<std::string> out;
        auto arr = ReadArray(doc, key, "");
        if (!arr) return out;
        for (const auto& v : (*arr)->GetArray()) out.emplace_back(v.GetString());
        return out;
    }
    static std::string ErrorCode(const HttpResponse& r) {
        auto doc = ParseDocument(r.body());
        if (!doc) return "?";
        auto e = ReadObject(*doc, "error", "");
        if (!e) return "?";
        return Or<std::string>(ReadString(**e, "code", "/error"), "?");
    }
    static bool HasDetail(const HttpResponse& r, std::string_view field, std::string_view code) {
        auto doc = ParseDocument(r.body());
        if (!doc) return false;
        auto e = ReadObject(*doc, "error", "");
        if (!e) return false;
        auto details = ReadArray(**e, "details", "/error");
        if (!details) return false;
        for (const auto& d : (*details)->GetArray()) {
            if (Or<std::string>(ReadString(d, "field", ""), "") == field &&
                Or<std::string>(ReadString(d, "code", ""), "") == code) {
                return true;
            }
        }
        return false;
    }

    TempDir dir_;
    std::unique_ptr<schema::Database> db_;
    AppContext app_;
    std::unique_ptr<Service> service_;
    std::int64_t now_ms_ = 1'780'000'000'000;
    std::int64_t buyer_org_ = 0;
    std::int64_t supplier_org_ = 0;
    std::int64_t regulator_org_ = 0;
    int lines_changed_ = 0;
};

std::string DemandLine(const std::string& ref, double quantity, const std::string& extra = {}) {
    return R"({"ref":")" + ref +
           R"(","title":"数控车床 CNC lathe","classification":{"id":"42621100-6"},"quantity":)" +
           std::to_string(quantity) +
           R"(,"budget":{"amount":500000,"visibility":"hidden"},"deliveryAddress":{"region":"320500"},"deliveryDate":"2026-06-30","requirements":[{"name":"主轴转速","min":8000,"unit":"r/min"}])" +
           extra + "}";
}

std::string DemandList(const std::vector<std::string>& lines,
                       const std::string& series = "js-2026") {
    std::string body = R"({"kind":"demand","series":")" + series +
                       R"(","title":"需求清单","period":"2026Q1","lines":[)";
    for (std::size_t i = 0; i < lines.size(); ++i) body += (i ? "," : "") + lines[i];
    return body + "]}";
}

TEST_F(ListsRoutesTest, PublishVersionsReportAddedChangedUnchangedWithdrawn) {
    auto r1 = Post(DemandList({DemandLine("A", 1), DemandLine("B", 2), DemandLine("C", 3)}));
    ASSERT_EQ(r1.result_int(), 201U) << r1.body();
    auto d1 = ParseDocument(r1.body());
    ASSERT_TRUE(d1.has_value());
    EXPECT_EQ(Refs(*d1, "added"), (std::vector<std::string>{"A", "B", "C"}));
    EXPECT_EQ(Count("SELECT count(*) FROM demand_lines"), 3);
    EXPECT_EQ(Count("SELECT count(*) FROM demand_lines, json_each(body, '$.requirements') r "
                    "WHERE json_extract(r.value, '$.unit') = 'rpm'"),
              3);
    EXPECT_EQ(Count("SELECT count(*) FROM changes WHERE change = 'created'"), 3);
    EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE action = 'list.publish'"), 1);
    const auto id_b = Count("SELECT id FROM demand_lines WHERE ref = 'B'");

    // v2: A unchanged, B changed (quantity), C withdrawn, D added.
    auto r2 = Post(DemandList({DemandLine("A", 1), DemandLine("B", 5), DemandLine("D", 1)}));
    ASSERT_EQ(r2.result_int(), 201U) << r2.body();
    auto d2 = ParseDocument(r2.body());
    ASSERT_TRUE(d2.has_value());
    EXPECT_EQ(Refs(*d2, "unchanged"), (std::vector<std::string>{"A"}));
    EXPECT_EQ(Refs(*d2, "changed"), (std::vector<std::string>{"B"}));
    EXPECT_EQ(Refs(*d2, "withdrawn"), (std::vector<std::string>{"C"}));
    EXPECT_EQ(Refs(*d2, "added"), (std::vector<std::string>{"D"}));
    auto list = ReadObject(*d2, "list", "");
    ASSERT_TRUE(list.has_value());
    EXPECT_EQ(Or<std::int64_t>(ReadInt64(**list, "version", "/list"), 0), 2);

    // Identity and revisions: B kept its id and went to revision 2; C is kept, withdrawn.
    EXPECT_EQ(Count("SELECT id FROM demand_lines WHERE ref = 'B'"), id_b);
    EXPECT_EQ(Count("SELECT revision FROM demand_lines WHERE ref = 'B'"), 2);
    EXPECT_EQ(Count("SELECT revision FROM demand_lines WHERE ref = 'A'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM demand_lines WHERE ref = 'C' AND status = 'withdrawn' "
                    "AND revision = 2"),
              1);
    // History holds the replaced revision only (the line row is the current one).
    EXPECT_EQ(Count("SELECT count(*) FROM line_history WHERE line_id = " + std::to_string(id_b)),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM line_history WHERE entity = 'demand' AND line_id = " +
                    std::to_string(id_b) +
                    " AND revision = 1 AND json_extract(body, "
                    "'$.quantity') = 2"),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM lists WHERE series = 'js-2026' AND status = 'current'"),
              1);
    EXPECT_EQ(
        Count("SELECT count(*) FROM lists WHERE series = 'js-2026' AND status = 'superseded'"), 1);
    // The change feed is ordered: 3 created, then B changed, D created, C withdrawn.
    EXPECT_EQ(Count("SELECT count(*) FROM changes"), 6);
    EXPECT_EQ(Count("SELECT count(*) FROM changes WHERE change = 'withdrawn' AND ref = 'C'"), 1);

    // An empty version withdraws everything that is left.
    auto r3 = Post(DemandList({}));
    ASSERT_EQ(r3.result_int(), 201U) << r3.body();
    EXPECT_EQ(Count("SELECT count(*) FROM demand_lines WHERE status = 'withdrawn'"), 4);
}

TEST_F(ListsRoutesTest, IdenticalPayloadIsRecognisedAndWritesNothing) {
    const std::string body = DemandList({DemandLine("A", 1)});
    ASSERT_EQ(Post(body).result_int(), 201U);
    const Snapshot before = Take();
    auto again = Post(body);
    ASSERT_EQ(again.result_int(), 200U) << again.body();
    auto doc = ParseDocument(again.body());
    ASSERT_TRUE(doc.has_value());
    EXPECT_TRUE(Or<bool>(ReadBool(*doc, "duplicate", ""), false));
    EXPECT_EQ(Take(), before);
}

TEST_F(ListsRoutesTest, IdempotencyKeyReplaysAndRejectsReuse) {
    const std::string body = DemandList({DemandLine("A", 1)});
    auto first = Post(body, "buyer", "/v1/lists", "application/json", "key-1");
    ASSERT_EQ(first.result_int(), 201U) << first.body();
    const Snapshot before = Take();
    auto retry = Post(body, "buyer", "/v1/lists", "application/json", "key-1");
    EXPECT_EQ(retry.result_int(), 201U);
    EXPECT_EQ(retry["Idempotent-Replayed"], "true");
    EXPECT_EQ(retry.body(), first.body());
    EXPECT_EQ(Take(), before);
    auto misuse =
        Post(DemandList({DemandLine("A", 2)}), "buyer", "/v1/lists", "application/json", "key-1");
    EXPECT_EQ(misuse.result_int(), 409U) << misuse.body();
    EXPECT_EQ(ErrorCode(misuse), "idempotency_key_reused");
    EXPECT_EQ(Take(), before);
}

TEST_F(ListsRoutesTest, CsvInGbkAndWithBomIsPublished) {
    const std::string csv =
        "需求编号,设备名称,分类编码,数量,单位,预算金额（万元）,交付地点,需求时间,"
        "req:主轴转速[r/min]\r\n"
        "D1,数控车床,42621100-6,2,台,120,320500,2026/6/30,>=8000\r\n"
        "D2,工业机器人,42997300-4,1,套,35,320583,2026-07-01,\r\n";
    auto gbk = Utf8ToGb18030(csv);
    ASSERT_TRUE(gbk.has_value());
    auto r = Post(*gbk, "buyer", "/v1/lists?kind=demand&series=excel&title=%E9%9C%80%E6%B1%82",
                  "text/csv; charset=gbk");
    ASSERT_EQ(r.result_int(), 201U) << r.body();
    EXPECT_NE(r.body().find("\"sourceEncoding\":\"gb18030\""), std::string::npos) << r.body();
    EXPECT_EQ(Count("SELECT count(*) FROM demand_lines WHERE series = 'excel'"), 2);
    EXPECT_EQ(Count("SELECT CAST(budget_amount AS INTEGER) FROM demand_lines WHERE ref = 'D1'"),
              1200000);
    auto bom =
        Post("\xEF\xBB\xBF" + csv, "buyer", "/v1/lists?kind=demand&series=bom&title=t", "text/csv");
    ASSERT_EQ(bom.result_int(), 201U) << bom.body();
    EXPECT_NE(bom.body().find("\"sourceEncoding\":\"utf-8-bom\""), std::string::npos);
}

TEST_F(ListsRoutesTest, EveryBadInputIsRejectedAndTheDatabaseIsUnchanged) {
    ASSERT_EQ(Post(DemandList({DemandLine("A", 1)})).result_int(), 201U);
    const Snapshot before = Take();
    struct Case {
        const char* name;
        std::string body;
        std::string target = "/v1/lists";
        std::string content_type = "application/json";
        std::string token = "buyer";
        unsigned status;
        std::string field = {};
        std::string code = {};
    };
    std::string many = R"({"kind":"demand","series":"m","title":"t","lines":[)";
    for (int i = 0; i < 3; ++i)
        many += std::string(i ? "," : "") + DemandLine("L" + std::to_string(i), 1);
    many += "]}";
    const std::vector<Case> cases = {
        {"malformed json", R"({"kind":"demand",)", "/v1/lists", "application/json", "buyer", 400},
        {"wrong type", DemandList({DemandLine("X", 1, R"(,"secondHandAllowed":"no")")}),
         "/v1/lists", "application/json", "buyer", 422, "/lines/0/secondHandAllowed", "wrong_type"},
        {"missing field", R"({"kind":"demand","series":"s","title":"t","lines":[{"ref":"x"}]})",
         "/v1/lists", "application/json", "buyer", 422, "/lines/0/title", "required"},
        {"unknown field", DemandList({DemandLine("X", 1, R"(,"colour":"red")")}), "/v1/lists",
         "application/json", "buyer", 422, "/lines/0/colour", "unknown_field"},
        {"bad classification",
         R"({"kind":"demand","series":"s","title":"t","lines":[{"ref":"x","title":"t","classification":{"id":"42621100-9"},"quantity":1,"deliveryAddress":{"region":"320500"}}]})",
         "/v1/lists", "application/json", "buyer", 422, "/lines/0/classification/id",
         "bad_check_digit"},
        {"bad region",
         R"({"kind":"demand","series":"s","title":"t","lines":[{"ref":"x","title":"t","classification":{"id":"42621100-6"},"quantity":1,"deliveryAddress":{"region":"999999"}}]})",
         "/v1/lists", "application/json", "buyer", 422, "/lines/0/deliveryAddress/region",
         "unknown_region"},
        {"bad unit",
         DemandList(
             {R"({"ref":"x","title":"t","classification":{"id":"42621100-6"},"quantity":1,"deliveryAddress":{"region":"320500"},"requirements":[{"name":"p","min":1,"unit":"kilowat"}]})"}),
         "/v1/lists", "application/json", "buyer", 422, "/lines/0/requirements/0/unit",
         "unknown_unit"},
        {"zero quantity", DemandList({DemandLine("X", 0)}), "/v1/lists", "application/json",
         "buyer", 422, "/lines/0/quantity", "out_of_range"},
        {"negative quantity", DemandList({DemandLine("X", -2)}), "/v1/lists", "application/json",
         "buyer", 422, "/lines/0/quantity", "out_of_range"},
        {"malformed date", DemandList({DemandLine("X", 1, R"(,"responseDeadline":"2026-13-01")")}),
         "/v1/lists", "application/json", "buyer", 422, "/lines/0/responseDeadline",
         "malformed_date"},
        {"duplicate refs", DemandList({DemandLine("X", 1), DemandLine("X", 2)}), "/v1/lists",
         "application/json", "buyer", 422, "/lines/1/ref", "duplicate_ref"},
        {"ragged csv", "ref,title,quantity\nA,x,1\nB,y\n", "/v1/lists?kind=demand&series=c&title=t",
         "text/csv", "buyer", 400},
        {"invalid bytes", "ref,title\nA,\xFF\xFE\xFD\n", "/v1/lists?kind=demand&series=c&title=t",
         "text/csv", "buyer", 400},
        {"csv without kind", "ref,title\n", "/v1/lists?series=c&title=t", "text/csv", "buyer", 422,
         "kind", "required"},
        {"media type", "<xml/>", "/v1/lists", "application/xml", "buyer", 415},
        {"supplier publishing demand", DemandList({DemandLine("X", 1)}), "/v1/lists",
         "application/json", "supplier", 403},
        {"job key", DemandList({DemandLine("X", 1)}), "/v1/lists", "application/json", "job", 403},
        {"buyer publishing for another org",
         R"({"kind":"demand","series":"s","title":"t","publisherId":)" +
             std::to_string(supplier_org_) + R"(,"lines":[]})",
         "/v1/lists", "application/json", "buyer", 403},
        {"unknown publisher",
         R"({"kind":"demand","series":"s","title":"t","publisherId":999,"lines":[]})", "/v1/lists",
         "application/json", "admin", 422, "/publisherId", "unknown_org"},
    };
    for (const auto& c : cases) {
        auto r = Post(c.body, c.token, c.target, c.content_type);
        EXPECT_EQ(r.result_int(), c.status) << c.name << ": " << r.body();
        if (!c.field.empty()) {
            EXPECT_TRUE(HasDetail(r, c.field, c.code)) << c.name << ": " << r.body();
        }
        EXPECT_EQ(Take(), before) << c.name;
    }
}

TEST_F(ListsRoutesTest, TooManyLinesIs413AndUploadsHaveTheLargeBodyLimit) {
    Service small(app_);
    ListRouteOptions options;
    options.max_lines = 2;
    RegisterListRoutes(small.router(), options);
    auto auth = std::make_shared<KeyTable>();
    auth->Add("buyer", Principal{1, buyer_org_, Role::kBuyer});
    small.SetAuthenticator(auth);
    const Snapshot before = Take();
    HttpRequest request{http::verb::post, "/v1/lists", 11};
    request.set(http::field::authorization, "Bearer buyer");
    request.set(http::field::content_type, "application/json");
    request.body() = DemandList({DemandLine("A", 1), DemandLine("B", 1), DemandLine("C", 1)});
    request.prepare_payload();
    auto r = small.Handle(request, RequestInfo{"r", "t"});
    EXPECT_EQ(r.result_int(), 413U) << r.body();
    EXPECT_EQ(ErrorCode(r), "too_many_lines");
    EXPECT_EQ(Take(), before);
    EXPECT_EQ(service_->BodyLimitFor(http::verb::post, "/v1/lists"), 256ULL * 1024 * 1024);
}

TEST_F(ListsRoutesTest, AdminPublishesForAnotherOrganisation) {
    const std::string body =
        R"({"kind":"supply","series":"cat","title":"目录","publisherId":)" +
        std::to_string(supplier_org_) +
        R"(,"lines":[{"sku":"S1","title":"立式加工中心","classification":{"id":"42612000-9"},"attributes":[{"name":"功率","value":15,"unit":"千瓦"}],"serviceAreas":["320000"]}]})";
    auto r = Post(body, "admin");
    ASSERT_EQ(r.result_int(), 201U) << r.body();
    EXPECT_EQ(Count("SELECT org_id FROM supply_lines WHERE sku = 'S1'"), supplier_org_);
    EXPECT_EQ(Count("SELECT count(*) FROM supply_lines, json_each(body, '$.attributes') a "
                    "WHERE json_extract(a.value, '$.unit') = 'kW'"),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM service_areas WHERE region = '32'"), 1);
}

// A line's GET is byte for byte what it was before ingest was streamed and the child tables
// were folded into the body (the Release build of fcc5282 answered the same `line` members, byte
// for byte, for these inputs over HTTPS; the envelope ids and times here are the fixture's): the
// canonical JSON carries every field, units normalised, in a fixed member order. Lines use
// most fields of each kind: ranges, text and value attributes, service and excluded areas,
// certifications, additional classifications, requirements with values and equals, replaces,
// a project with demand refs; plus whitespace and escapes the streaming scan must cut right.
TEST_F(ListsRoutesTest, GetReturnsTheCanonicalLineByteForByte) {
    const std::string supply =
        "{\"kind\":\"supply\",\"series\":\"golden\",\"title\":\"供给\",\"lines\":  [\n"
        R"( {"sku":"S0000001","title":"华电重工 带式输送机 HEL1969Pro belt conveyor","description":"华电重工带式输送机，型号HEL1969Pro，产地延平区。belt conveyor by 华电重工.","brand":"华电重工","model":"HEL1969Pro","classification":{"scheme":"CPV","id":"42417200-4"},"additionalClassifications":[{"scheme":"HS","id":"842839"}],"attributes":[{"name":"输送能力","min":832,"max":2233,"unit":"t/h"},{"name":"带宽","min":1065,"max":1455,"unit":"mm"},{"name":"驱动方式","text":"外置电机"}],"price":{"amount":521700.0,"currency":"CNY","validUntil":"2026-06-17"},"minOrderQty":1,"capacityPerMonth":100,"leadTimeDays":90,"serviceAreas":["230000","530000"],"certifications":[{"type":"ISO9001","number":"ISO9001-3057483067","expiresAt":"2027-03-10"},{"type":"MA","number":"MA-6434778128","expiresAt":"2026-07-13"}],"energyEfficiencyGrade":2,"localizationRate":0.36,"firstOfKind":false,"chainSegment":"equip.general","vendorRegion":"350702","lastConfirmedAt":"2025-11-15"})"
        " ,\r\n\t"
        R"({"sku":"S-\"2\"\\x","title":"ABB 高效电动机 \u0041 motor","classification":{"id":"31110000-0"},"attributes":[{"name":"额定功率","value":20.72,"unit":"千瓦"},{"name":"效率","value":93.3,"unit":"%"}],"serviceAreas":["32"],"excludedAreas":["320500"],"secondHand":true,"certifications":[{"type":"CE"}]}])"
        "\n}";
    auto published = Post(supply, "supplier");
    ASSERT_EQ(published.result_int(), 201U) << published.body();
    const std::string demand = DemandList(
        {DemandLine(
             "D\\\"1", 2,
             R"(,"description":"更新 CNC","additionalClassifications":[{"scheme":"HS","id":"845811"}],"unit":{"code":"SET"},"responseDeadline":"2026-03-31","certificationsRequired":["CCC","ISO9001"],"energyEfficiencyMin":2,"localizationRateMin":0.6,"replaces":[{"asset":"旧车床","yearsInService":12}],"chainSegment":"equip.machine_tools")"),
         R"({"ref":"D2","title":"锅炉 boiler","classification":{"id":"44621220-7"},"quantity":1.5,"deliveryAddress":{"region":"110105","lat":39.9,"lon":116.4},"requirements":[{"name":"燃料","values":["天然气","生物质"]},{"name":"型式","equals":"立式","mandatory":false},{"name":"蒸发量","expected":10,"unit":"t/h"}]})"});
    ASSERT_EQ(Post(demand).result_int(), 201U);
    const std::string project =
        R"({"kind":"project","series":"gp","title":"技改","lines":[{"ref":"P-1","name":"数控化改造","type":"technical_renovation","sector":"3421","region":"320505","stage":"approved","progressPct":10,"startDate":"2026-01-01","plannedCompletion":"2027-06-30","totalInvestment":12000000,"equipmentInvestment":8000000,"demandRefs":["D2","D\"1"]}]})";
    ASSERT_EQ(Post(project).result_int(), 201U);

    const std::vector<std::pair<std::string, std::string>> reads = {
        {"/v1/supply/" + std::to_string(Count("SELECT min(id) FROM supply_lines")), "supplier"},
        {"/v1/supply/" + std::to_string(Count("SELECT max(id) FROM supply_lines")), "supplier"},
        {"/v1/demands/" + std::to_string(Count("SELECT min(id) FROM demand_lines")), "buyer"},
        {"/v1/demands/" + std::to_string(Count("SELECT min(id) FROM demand_lines")), "supplier"},
        {"/v1/demands/" + std::to_string(Count("SELECT max(id) FROM demand_lines")), "buyer"},
        {"/v1/projects/" + std::to_string(Count("SELECT min(id) FROM projects")), "supplier"},
    };
    const std::vector<std::string>
        expected =
            {
                R"json({"id":1,"kind":"supply","publisherId":2,"series":"golden","listId":1,"status":"active","revision":1,"updatedAt":"2026-05-28T20:26:41.000Z","line":{"sku":"S0000001","title":"华电重工 带式输送机 HEL1969Pro belt conveyor","description":"华电重工带式输送机，型号HEL1969Pro，产地延平区。belt conveyor by 华电重工.","brand":"华电重工","model":"HEL1969Pro","classification":{"scheme":"CPV","id":"42417200-4"},"additionalClassifications":[{"scheme":"HS","id":"842839"}],"attributes":[{"name":"输送能力","min":832.0,"max":2233.0,"unit":"t/h"},{"name":"带宽","min":1065.0,"max":1455.0,"unit":"mm"},{"name":"驱动方式","text":"外置电机"}],"price":{"amount":521700.0,"currency":"CNY","validUntil":"2026-06-17"},"minOrderQty":1.0,"capacityPerMonth":100.0,"leadTimeDays":90,"serviceAreas":["23","53"],"certifications":[{"type":"ISO9001","number":"ISO9001-3057483067","expiresAt":"2027-03-10"},{"type":"MA","number":"MA-6434778128","expiresAt":"2026-07-13"}],"energyEfficiencyGrade":2,"localizationRate":0.36,"firstOfKind":false,"secondHand":false,"chainSegment":"equip.general","vendorRegion":"350702","status":"active","lastConfirmedAt":"2025-11-15"}})json",
                R"json({"id":2,"kind":"supply","publisherId":2,"series":"golden","listId":1,"status":"active","revision":1,"updatedAt":"2026-05-28T20:26:41.000Z","line":{"sku":"S-\"2\"\\x","title":"ABB 高效电动机 A motor","classification":{"scheme":"CPV","id":"31110000-0"},"attributes":[{"name":"额定功率","value":20.72,"unit":"kW"},{"name":"效率","value":93.3,"unit":"%"}],"minOrderQty":0.0,"serviceAreas":["32"],"excludedAreas":["3205"],"certifications":[{"type":"CE"}],"firstOfKind":false,"secondHand":true,"status":"active"}})json",
                R"json({"id":1,"kind":"demand","publisherId":1,"series":"js-2026","listId":2,"status":"open","revision":1,"updatedAt":"2026-05-28T20:26:42.000Z","line":{"ref":"D\"1","title":"数控车床 CNC lathe","description":"更新 CNC","classification":{"scheme":"CPV","id":"42621100-6"},"additionalClassifications":[{"scheme":"HS","id":"845811"}],"quantity":2.0,"unit":{"code":"SET"},"budget":{"amount":500000.0,"currency":"CNY","visibility":"hidden"},"deliveryAddress":{"region":"3205"},"deliveryDate":"2026-06-30","responseDeadline":"2026-03-31","requirements":[{"name":"主轴转速","min":8000.0,"unit":"rpm","mandatory":true}],"certificationsRequired":["CCC","ISO9001"],"energyEfficiencyMin":2,"localizationRateMin":0.6,"secondHandAllowed":false,"replaces":[{"asset":"旧车床","yearsInService":12}],"chainSegment":"equip.machine_tools","status":"open"}})json",
                R"json({"id":1,"kind":"demand","publisherId":1,"series":"js-2026","listId":2,"status":"open","revision":1,"updatedAt":"2026-05-28T20:26:42.000Z","line":{"ref":"D\"1","title":"数控车床 CNC lathe","description":"更新 CNC","classification":{"scheme":"CPV","id":"42621100-6"},"additionalClassifications":[{"scheme":"HS","id":"845811"}],"quantity":2.0,"unit":{"code":"SET"},"deliveryAddress":{"region":"3205"},"deliveryDate":"2026-06-30","responseDeadline":"2026-03-31","requirements":[{"name":"主轴转速","min":8000.0,"unit":"rpm","mandatory":true}],"certificationsRequired":["CCC","ISO9001"],"energyEfficiencyMin":2,"localizationRateMin":0.6,"secondHandAllowed":false,"replaces":[{"asset":"旧车床","yearsInService":12}],"chainSegment":"equip.machine_tools","status":"open"}})json",
                R"json({"id":2,"kind":"demand","publisherId":1,"series":"js-2026","listId":2,"status":"open","revision":1,"updatedAt":"2026-05-28T20:26:42.000Z","line":{"ref":"D2","title":"锅炉 boiler","classification":{"scheme":"CPV","id":"44621220-7"},"quantity":1.5,"unit":{"code":"C62"},"deliveryAddress":{"region":"110105","lat":39.9,"lon":116.4},"requirements":[{"name":"燃料","values":["天然气","生物质"],"mandatory":true},{"name":"型式","equals":"立式","mandatory":false},{"name":"蒸发量","expected":10.0,"unit":"t/h","mandatory":true}],"secondHandAllowed":false,"status":"open"}})json",
                R"json({"id":1,"kind":"project","publisherId":1,"series":"gp","listId":3,"status":"active","revision":1,"updatedAt":"2026-05-28T20:26:43.000Z","line":{"ref":"P-1","name":"数控化改造","type":"technical_renovation","sector":"3421","region":"320505","stage":"approved","progressPct":10.0,"startDate":"2026-01-01","plannedCompletion":"2027-06-30","totalInvestment":12000000.0,"equipmentInvestment":8000000.0,"demandRefs":["D2","D\"1"],"status":"active"},"demandLines":[{"id":1,"kind":"demand","publisherId":1,"series":"js-2026","listId":2,"status":"open","revision":1,"updatedAt":"2026-05-28T20:26:42.000Z","line":{"ref":"D\"1","title":"数控车床 CNC lathe","description":"更新 CNC","classification":{"scheme":"CPV","id":"42621100-6"},"additionalClassifications":[{"scheme":"HS","id":"845811"}],"quantity":2.0,"unit":{"code":"SET"},"deliveryAddress":{"region":"3205"},"deliveryDate":"2026-06-30","responseDeadline":"2026-03-31","requirements":[{"name":"主轴转速","min":8000.0,"unit":"rpm","mandatory":true}],"certificationsRequired":["CCC","ISO9001"],"energyEfficiencyMin":2,"localizationRateMin":0.6,"secondHandAllowed":false,"replaces":[{"asset":"旧车床","yearsInService":12}],"chainSegment":"equip.machine_tools","status":"open"}},{"id":2,"kind":"demand","publisherId":1,"series":"js-2026","listId":2,"status":"open","revision":1,"updatedAt":"2026-05-28T20:26:42.000Z","line":{"ref":"D2","title":"锅炉 boiler","classification":{"scheme":"CPV","id":"44621220-7"},"quantity":1.5,"unit":{"code":"C62"},"deliveryAddress":{"region":"110105","lat":39.9,"lon":116.4},"requirements":[{"name":"燃料","values":["天然气","生物质"],"mandatory":true},{"name":"型式","equals":"立式","mandatory":false},{"name":"蒸发量","expected":10.0,"unit":"t/h","mandatory":true}],"secondHandAllowed":false,"status":"open"}}]})json",
            };
    ASSERT_EQ(reads.size(), expected.size());
    for (std::size_t i = 0; i < reads.size(); ++i) {
        auto r = Get(reads[i].first, reads[i].second);
        ASSERT_EQ(r.result_int(), 200U) << reads[i].first;
        EXPECT_EQ(r.body(), expected[i]) << reads[i].first << " as " << reads[i].second;
    }
}

TEST_F(ListsRoutesTest, ReadsRedactHiddenBudgetsAndCarryETags) {
    ASSERT_EQ(Post(DemandList({DemandLine("A", 1), DemandLine("B", 2)})).result_int(), 201U);
    const auto id_a = Count("SELECT id FROM demand_lines WHERE ref = 'A'");
    const std::string path = "/v1/demands/" + std::to_string(id_a);

    auto own = Get(path, "buyer");
    ASSERT_EQ(own.result_int(), 200U) << own.body();
    EXPECT_NE(own.body().find("\"budget\":{\"amount\":500000"), std::string::npos) << own.body();
    const std::string etag(own[http::field::etag]);
    EXPECT_EQ(etag, "\"demand-" + std::to_string(id_a) + "-r1\"");
    // Another organisation never sees a hidden budget (not even the key).
    auto other = Get(path, "supplier");
    ASSERT_EQ(other.result_int(), 200U);
    EXPECT_EQ(other.body().find("budget"), std::string::npos) << other.body();
    EXPECT_NE(other.body().find("\"unit\":\"rpm\""), std::string::npos) << other.body();
    // Conditional GET.
    EXPECT_EQ(Get(path, "buyer", etag).result_int(), 304U);

    // After A is withdrawn: new revision, new ETag, status withdrawn.
    ASSERT_EQ(Post(DemandList({DemandLine("B", 2)})).result_int(), 201U);
    auto withdrawn = Get(path, "buyer", etag);
    ASSERT_EQ(withdrawn.result_int(), 200U);
    EXPECT_NE(withdrawn.body().find("\"status\":\"withdrawn\""), std::string::npos);
    EXPECT_EQ(std::string(withdrawn[http::field::etag]),
              "\"demand-" + std::to_string(id_a) + "-r2\"");

    EXPECT_EQ(Get("/v1/demands/999999").result_int(), 404U);
    EXPECT_EQ(Get("/v1/demands/abc").result_int(), 404U);
    EXPECT_EQ(Get("/v1/supply/" + std::to_string(id_a)).result_int(), 404U);
    const auto list_id = Count("SELECT max(id) FROM lists");
    auto list = Get("/v1/lists/" + std::to_string(list_id), "supplier");
    ASSERT_EQ(list.result_int(), 200U);
    EXPECT_NE(list.body().find("\"version\":2"), std::string::npos) << list.body();
    EXPECT_EQ(Get("/v1/lists/0").result_int(), 404U);
}

TEST_F(ListsRoutesTest, DeleteWithdrawsWithIfMatchAndOwnership) {
    ASSERT_EQ(Post(DemandList({DemandLine("A", 1)})).result_int(), 201U);
    const auto id = Count("SELECT id FROM demand_lines WHERE ref = 'A'");
    const std::string path = "/v1/demands/" + std::to_string(id);
    const std::string etag(Get(path)[http::field::etag]);
    const Snapshot before = Take();
    // Another organisation may not; a stale ETag is 412; neither changes anything.
    EXPECT_EQ(Delete(path, "supplier").result_int(), 403U);
    EXPECT_EQ(Delete(path, "buyer", "\"demand-" + std::to_string(id) + "-r7\"").result_int(), 412U);
    EXPECT_EQ(Take(), before);
    auto ok = Delete(path, "buyer", etag);
    ASSERT_EQ(ok.result_int(), 200U) << ok.body();
    EXPECT_EQ(Count("SELECT revision FROM demand_lines WHERE id = " + std::to_string(id)), 2);
    EXPECT_EQ(Count("SELECT count(*) FROM demand_lines WHERE status = 'withdrawn'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM changes WHERE change = 'withdrawn'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE action = 'line.withdraw'"), 1);
    // The old ETag is now stale; deleting again without one changes nothing more.
    EXPECT_EQ(Delete(path, "buyer", etag).result_int(), 412U);
    EXPECT_EQ(Delete(path, "buyer").result_int(), 200U);
    EXPECT_EQ(Count("SELECT revision FROM demand_lines WHERE id = " + std::to_string(id)), 2);
    EXPECT_EQ(Delete("/v1/demands/424242", "buyer").result_int(), 404U);
}

TEST_F(ListsRoutesTest, ChangeFeedIsOrderedAndPaged) {
    ASSERT_EQ(Post(DemandList({DemandLine("A", 1), DemandLine("B", 2)})).result_int(), 201U);
    ASSERT_EQ(Post(DemandList({DemandLine("A", 3)})).result_int(), 201U);
    auto page = Get("/v1/changes?limit=3", "job");
    ASSERT_EQ(page.result_int(), 200U) << page.body();
    auto doc = ParseDocument(page.body());
    ASSERT_TRUE(doc.has_value());
    auto changes = ReadArray(*doc, "changes", "");
    ASSERT_TRUE(changes.has_value());
    ASSERT_EQ((*changes)->Size(), 3U);
    EXPECT_TRUE(Or<bool>(ReadBool(*doc, "hasMore", ""), false));
    std::vector<std::string> seen;
    for (const auto& c : (*changes)->GetArray()) {
        seen.push_back(Or<std::string>(ReadString(c, "ref", ""), "") + ":" +
                       Or<std::string>(ReadString(c, "change", ""), ""));
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"A:created", "B:created", "A:changed"}));
    const std::string next = Or<std::string>(ReadString(*doc, "next", ""), "");
    auto rest = Get("/v1/changes?since=" + next, "job");
    ASSERT_EQ(rest.result_int(), 200U);
    EXPECT_NE(rest.body().find("\"ref\":\"B\",\"change\":\"withdrawn\""), std::string::npos)
        << rest.body();
    EXPECT_EQ(Get("/v1/changes?since=-4").result_int(), 422U);
}

TEST_F(ListsRoutesTest, ListingsFilterPageWithCursorsAndRedactBudgets) {
    std::vector<std::string> lines;
    for (int i = 0; i < 5; ++i) {
        lines.push_back(DemandLine("L" + std::to_string(i), i + 1,
                                   i == 4 ? R"(,"description":"needle 特殊")" : ""));
    }
    ASSERT_EQ(Post(DemandList(lines)).result_int(), 201U);
    const auto list_id = Count("SELECT max(id) FROM lists");

    // Pages of 2 over 5 lines: 2 + 2 + 1, the cursor chains them, nothing repeats.
    std::vector<std::int64_t> seen;
    std::string cursor;
    int pages = 0;
    while (true) {
        auto page =
            Get("/v1/demands?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), "supplier");
        ASSERT_EQ(page.result_int(), 200U) << page.body();
        EXPECT_EQ(page.body().find("budget"), std::string::npos) << page.body();
        auto doc = ParseDocument(page.body());
        ASSERT_TRUE(doc.has_value());
        for (const auto& item : (*doc)["items"].GetArray()) seen.push_back(item["id"].GetInt64());
        ++pages;
        if (!(*doc)["hasMore"].GetBool()) break;
        cursor = (*doc)["nextCursor"].GetString();
        ASSERT_LT(pages, 5);
    }
    EXPECT_EQ(pages, 3);
    ASSERT_EQ(seen.size(), 5U);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());

    // The owner sees its hidden budget in the listing.
    auto own = Get("/v1/demands?limit=1", "buyer");
    EXPECT_NE(own.body().find("\"budget\":{\"amount\":500000"), std::string::npos) << own.body();

    // A tampered cursor, or a cursor replayed with other filters, is 400.
    auto first = ParseDocument(Get("/v1/demands?limit=2").body());
    ASSERT_TRUE(first.has_value());
    std::string good = (*first)["nextCursor"].GetString();
    std::string bad = good;
    bad[1] = bad[1] == '1' ? '2' : '1';
    auto tampered = Get("/v1/demands?limit=2&cursor=" + bad);
    EXPECT_EQ(tampered.result_int(), 400U) << tampered.body();
    EXPECT_TRUE(HasDetail(tampered, "cursor", "invalid_value"));
    EXPECT_EQ(Get("/v1/demands?cursor=zz").result_int(), 400U);
    EXPECT_EQ(Get("/v1/demands?region=32&cursor=" + good).result_int(), 400U);
    EXPECT_EQ(Get("/v1/supply?cursor=" + good).result_int(), 400U);
    EXPECT_EQ(Get("/v1/demands?limit=2&cursor=" + good).result_int(), 200U);

    auto count = [&](const std::string& target) -> std::size_t {
        auto r = Get(target);
        EXPECT_EQ(r.result_int(), 200U) << target << r.body();
        auto doc = ParseDocument(r.body());
        return doc.has_value() ? (*doc)["items"].GetArray().Size() : 999U;
    };
    EXPECT_EQ(count("/v1/demands?region=32"), 5U);
    EXPECT_EQ(count("/v1/demands?region=3205"), 5U);
    EXPECT_EQ(count("/v1/demands?region=11"), 0U);
    EXPECT_EQ(count("/v1/demands?classification=4262"), 5U);
    EXPECT_EQ(count("/v1/demands?classification=4263"), 0U);
    EXPECT_EQ(count("/v1/demands?q=needle"), 1U);
    EXPECT_EQ(count("/v1/demands?q=%25"), 0U);  // LIKE wildcards match literally
    EXPECT_EQ(count("/v1/demands?q=lathe"), 5U);
    EXPECT_EQ(count("/v1/demands?publisherId=" + std::to_string(buyer_org_)), 5U);
    EXPECT_EQ(count("/v1/demands?publisherId=" + std::to_string(supplier_org_)), 0U);
    EXPECT_EQ(count("/v1/demands?status=open"), 5U);
    EXPECT_EQ(count("/v1/supply"), 0U);
    EXPECT_EQ(count("/v1/projects"), 0U);

    // Withdraw L0 by publishing v2 without it: status filter and updatedSince see the change.
    lines.erase(lines.begin());
    ASSERT_EQ(Post(DemandList(lines)).result_int(), 201U);
    EXPECT_EQ(count("/v1/demands?status=withdrawn"), 1U);
    EXPECT_EQ(count("/v1/demands?status=open"), 4U);
    // 1,780,000,000,000 ms = 2026-05-28T20:26:40Z; later days see nothing.
    EXPECT_EQ(count("/v1/demands?updatedSince=2026-05-28"), 5U);
    EXPECT_EQ(count("/v1/demands?updatedSince=2030-01-01T00:00:00Z"), 0U);
    EXPECT_EQ(Get("/v1/demands?updatedSince=yesterday").result_int(), 422U);
    EXPECT_EQ(Get("/v1/demands?limit=0").result_int(), 422U);
    EXPECT_EQ(Get("/v1/demands?publisherId=x").result_int(), 422U);
    EXPECT_EQ(Get("/v1/projects?classification=42").result_int(), 422U);

    // Lists and a list's lines.
    auto lists = Get("/v1/lists?kind=demand");
    ASSERT_EQ(lists.result_int(), 200U);
    auto ldoc = ParseDocument(lists.body());
    ASSERT_TRUE(ldoc.has_value());
    EXPECT_EQ((*ldoc)["items"].GetArray().Size(), 2U);
    EXPECT_EQ(count("/v1/lists?status=current"), 1U);
    EXPECT_EQ(count("/v1/lists?kind=supply"), 0U);
    EXPECT_EQ(Get("/v1/lists?kind=nope").result_int(), 422U);
    // A line belongs to the latest version holding it (withdrawn ones included).
    EXPECT_EQ(count("/v1/lists/" + std::to_string(list_id) + "/lines"), 0U);
    EXPECT_EQ(count("/v1/lists/" + std::to_string(list_id + 1) + "/lines"), 5U);
    EXPECT_EQ(count("/v1/lists/" + std::to_string(list_id + 1) + "/lines?status=withdrawn"), 1U);
    EXPECT_EQ(Get("/v1/lists/999/lines").result_int(), 404U);
    EXPECT_EQ(Get("/v1/demands").result_int(), 200U);
    HttpRequest anonymous{http::verb::get, "/v1/demands", 11};
    EXPECT_EQ(service_->Handle(anonymous, RequestInfo{"anon", "test"}).result_int(), 401U);
}

TEST_F(ListsRoutesTest, ProjectIncludesItsDemandLinesWithBudgetsRedacted) {
    ASSERT_EQ(Post(DemandList({DemandLine("D-1", 1), DemandLine("D-2", 2)})).result_int(), 201U);
    const std::string project =
        R"({"kind":"project","series":"p","title":"技改项目","lines":[)"
        R"({"ref":"P-1","name":"数控化改造","demandRefs":["D-2","D-missing"]}]})";
    auto published = Post(project);
    ASSERT_EQ(published.result_int(), 201U) << published.body();
    const auto project_id = Count("SELECT id FROM projects WHERE ref = 'P-1'");
    const auto d2 = Count("SELECT id FROM demand_lines WHERE ref = 'D-2'");

    auto own = Get("/v1/projects/" + std::to_string(project_id), "buyer");
    ASSERT_EQ(own.result_int(), 200U) << own.body();
    auto doc = ParseDocument(own.body());
    ASSERT_TRUE(doc.has_value());
    const auto& demands = (*doc)["demandLines"];
    ASSERT_TRUE(demands.IsArray());
    ASSERT_EQ(demands.Size(), 1U) << own.body();  // D-missing resolves to nothing
    EXPECT_EQ(demands[0]["id"].GetInt64(), d2);
    EXPECT_TRUE(demands[0]["line"].HasMember("budget"));

    auto other = Get("/v1/projects/" + std::to_string(project_id), "supplier");
    ASSERT_EQ(other.result_int(), 200U);
    EXPECT_EQ(other.body().find("budget"), std::string::npos) << other.body();
    EXPECT_NE(other.body().find("\"ref\":\"D-2\""), std::string::npos) << other.body();
}

// ---- PATCH ------------------------------------------------------------------------------------

TEST_F(ListsRoutesTest, PatchAppliesAMergePatchWithIfMatch) {
    ASSERT_EQ(Post(DemandList({DemandLine("A", 1), DemandLine("B", 2)})).result_int(), 201U);
    const auto id = Count("SELECT id FROM demand_lines WHERE ref = 'A'");
    const std::string path = "/v1/demands/" + std::to_string(id);
    const std::string etag(Get(path)[http::field::etag]);
    ASSERT_EQ(etag, "\"demand-" + std::to_string(id) + "-r1\"");
    const int notified = lines_changed_;
    const Snapshot before = Take();

    // No If-Match: 428; a stale one: 412; neither writes anything nor notifies.
    auto missing = Patch(path, R"({"quantity":4})");
    EXPECT_EQ(missing.result_int(), 428U) << missing.body();
    EXPECT_EQ(ErrorCode(missing), "precondition_required");
    auto stale =
        Patch(path, R"({"quantity":4})", "buyer", "\"demand-" + std::to_string(id) + "-r9\"");
    EXPECT_EQ(stale.result_int(), 412U);
    EXPECT_EQ(ErrorCode(stale), "precondition_failed");
    EXPECT_EQ(Take(), before);
    EXPECT_EQ(lines_changed_, notified);

    // Merge: a scalar replaced, a nested member replaced, a member removed with null, an array
    // replaced as a whole; the rest of the line is kept.
    auto ok = Patch(path,
                    R"({"quantity":4,"deliveryAddress":{"region":"320505"},"deliveryDate":null,)"
                    R"("requirements":[{"name":"功率","min":12,"unit":"kW"}]})",
                    "buyer", etag);
    ASSERT_EQ(ok.result_int(), 200U) << ok.body();
    const std::string etag2(ok[http::field::etag]);
    EXPECT_EQ(etag2, "\"demand-" + std::to_string(id) + "-r2\"");
    auto doc = ParseDocument(ok.body());
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ((*doc)["revision"].GetInt64(), 2);
    const auto& line = (*doc)["line"];
    EXPECT_EQ(line["quantity"].GetDouble(), 4.0);
    EXPECT_STREQ(line["deliveryAddress"]["region"].GetString(), "320505");
    EXPECT_FALSE(line.HasMember("deliveryDate"));
    ASSERT_EQ(line["requirements"].Size(), 1U);
    EXPECT_STREQ(line["requirements"][0]["unit"].GetString(), "kW");
    EXPECT_STREQ(line["title"].GetString(), "数控车床 CNC lathe");
    EXPECT_EQ(line["budget"]["amount"].GetDouble(), 500000.0);  // the owner sees it
    EXPECT_EQ(lines_changed_, notified + 1);

    // Stored: columns, children, history, change feed, audit — and the GET agrees.
    const std::string where = " WHERE id = " + std::to_string(id);
    EXPECT_EQ(Count("SELECT revision FROM demand_lines" + where), 2);
    EXPECT_EQ(Count("SELECT quantity FROM demand_lines" + where), 4);
    EXPECT_EQ(Count("SELECT delivery_region = '320505' FROM demand_lines" + where), 1);
    EXPECT_EQ(Count("SELECT need_by IS NULL FROM demand_lines" + where), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM demand_lines, json_each(body, '$.requirements') r "
                    "WHERE json_extract(r.value, '$.unit') = 'kW' AND demand_lines.id = " +
                    std::to_string(id)),
              1);
    EXPECT_EQ(Count("SELECT json_array_length(body, '$.requirements') FROM demand_lines" + where),
              1);
    // The replaced revision 1 is in history, as it was (quantity 1, status open).
    EXPECT_EQ(Count("SELECT count(*) FROM line_history WHERE entity = 'demand' AND line_id = " +
                    std::to_string(id)),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM line_history WHERE entity = 'demand' AND revision = 1 "
                    "AND status = 'open' AND json_extract(body, '$.quantity') = 1 AND line_id = " +
                    std::to_string(id)),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM changes WHERE change = 'changed' AND revision = 2 AND "
                    "line_id = " +
                    std::to_string(id)),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE action = 'line.patch'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM demand_lines WHERE revision <> 1 AND ref = 'B'"), 0);
    auto read = Get(path);
    EXPECT_EQ(std::string(read[http::field::etag]), etag2);
    EXPECT_NE(read.body().find("\"quantity\":4"), std::string::npos) << read.body();
    // Another organisation reading the patched line still gets no hidden budget.
    EXPECT_EQ(Get(path, "supplier").body().find("budget"), std::string::npos);

    // The old ETag is stale now; the new one works again; application/json is accepted too.
    EXPECT_EQ(Patch(path, R"({"quantity":5})", "buyer", etag).result_int(), 412U);
    auto again = Patch(path, R"({"quantity":5})", "buyer", etag2, "application/json");
    ASSERT_EQ(again.result_int(), 200U) << again.body();
    EXPECT_EQ(Count("SELECT revision FROM demand_lines" + where), 3);

    // A patch that changes nothing writes nothing and keeps the revision.
    const Snapshot same = Take();
    auto noop = Patch(path, R"({"quantity":5})", "buyer", std::string(again[http::field::etag]));
    ASSERT_EQ(noop.result_int(), 200U) << noop.body();
    EXPECT_EQ(std::string(noop[http::field::etag]), std::string(again[http::field::etag]));
    EXPECT_EQ(Take(), same);

    // An administrator may patch any organisation's line.
    auto admin = Patch(path, R"({"title":"改名"})", "admin", std::string(again[http::field::etag]));
    ASSERT_EQ(admin.result_int(), 200U) << admin.body();
}

TEST_F(ListsRoutesTest, BadPatchesAreRejectedAndTheDatabaseIsUnchanged) {
    ASSERT_EQ(Post(DemandList({DemandLine("A", 1), DemandLine("W", 1)})).result_int(), 201U);
    const auto id = Count("SELECT id FROM demand_lines WHERE ref = 'A'");
    const std::string path = "/v1/demands/" + std::to_string(id);
    const std::string etag(Get(path)[http::field::etag]);
    const auto withdrawn = Count("SELECT id FROM demand_lines WHERE ref = 'W'");
    const std::string wpath = "/v1/demands/" + std::to_string(withdrawn);
    ASSERT_EQ(Delete(wpath, "buyer").result_int(), 200U);
    const std::string wetag(Get(wpath)[http::field::etag]);
    const int notified = lines_changed_;

    struct Case {
        const char* name;
        std::string path;
        std::string body;
        std::string token;
        std::string if_match;
        std::string content_type;
        unsigned status;
        std::string code;
        std::string field;  // a detail with this field and detail_code, when not empty
        std::string detail_code;
    };
    const std::string mp = "application/merge-patch+json";
    const std::vector<Case> cases = {
        {"malformed JSON", path, R"({"quantity":)", "buyer", etag, mp, 400, "invalid_json", "", ""},
        {"not an object", path, "[1]", "buyer", etag, mp, 422, "invalid_line", "", "wrong_type"},
        {"wrong media type", path, R"({"quantity":2})", "buyer", etag, "text/csv", 415,
         "unsupported_media_type", "", ""},
        {"unknown field", path, R"({"colour":"red"})", "buyer", etag, mp, 422, "invalid_line",
         "/colour", "unknown_field"},
        {"zero quantity", path, R"({"quantity":0})", "buyer", etag, mp, 422, "invalid_line",
         "/quantity", "out_of_range"},
        {"wrong type", path, R"({"secondHandAllowed":"no"})", "buyer", etag, mp, 422,
         "invalid_line", "/secondHandAllowed", "wrong_type"},
        {"required removed", path, R"({"title":null})", "buyer", etag, mp, 422, "invalid_line",
         "/title", "required"},
        {"bad region", path, R"({"deliveryAddress":{"region":"999999"}})", "buyer", etag, mp, 422,
         "invalid_line", "/deliveryAddress/region", "unknown_region"},
        {"bad unit", path, R"({"requirements":[{"name":"功率","min":1,"unit":"kilowat"}]})",
         "buyer", etag, mp, 422, "invalid_line", "/requirements/0/unit", "unknown_unit"},
        {"bad date", path, R"({"deliveryDate":"2026-02-30"})", "buyer", etag, mp, 422,
         "invalid_line", "/deliveryDate", "malformed_date"},
        {"bad classification", path, R"({"classification":{"id":"42621100-5"}})", "buyer", etag, mp,
         422, "invalid_line", "/classification/id", "bad_check_digit"},
        {"ref change", path, R"({"ref":"Z"})", "buyer", etag, mp, 422, "invalid_line", "/ref",
         "immutable"},
        {"other organisation", path, R"({"quantity":2})", "supplier", etag, mp, 403, "forbidden",
         "", ""},
        {"job key", path, R"({"quantity":2})", "job", etag, mp, 403, "forbidden_role", "", ""},
        {"no If-Match", path, R"({"quantity":2})", "buyer", "", mp, 428, "precondition_required",
         "", ""},
        {"If-Match *", path, R"({"quantity":2})", "buyer", "*", mp, 412, "precondition_failed", "",
         ""},
        {"withdrawn line", wpath, R"({"quantity":2})", "buyer", wetag, mp, 409, "line_withdrawn",
         "", ""},
        {"no such line", "/v1/demands/424242", R"({"quantity":2})", "buyer", etag, mp, 404,
         "not_found", "", ""},
    };
    const Snapshot before = Take();
    for (const auto& c : cases) {
        auto r = Patch(c.path, c.body, c.token, c.if_match, c.content_type);
        EXPECT_EQ(r.result_int(), c.status) << c.name << ": " << r.body();
        EXPECT_EQ(ErrorCode(r), c.code) << c.name << ": " << r.body();
        if (!c.detail_code.empty()) {
            EXPECT_TRUE(HasDetail(r, c.field, c.detail_code)) << c.name << ": " << r.body();
        }
        EXPECT_EQ(Take(), before) << c.name;
    }
    EXPECT_EQ(lines_changed_, notified);
}

TEST_F(ListsRoutesTest, PatchSupplyAndProjectLines) {
    const std::string supply =
        R"({"kind":"supply","series":"cat","title":"供给清单","lines":[)"
        R"({"sku":"S-1","title":"工业机器人 industrial robot","classification":{"id":"42997300-4"},)"
        R"("price":{"amount":180000},"serviceAreas":["32"],"attributes":[{"name":"负载","value":20,"unit":"kg"}]}]})";
    auto published = Post(supply, "supplier");
    ASSERT_EQ(published.result_int(), 201U) << published.body();
    const auto sid = Count("SELECT id FROM supply_lines WHERE sku = 'S-1'");
    const std::string spath = "/v1/supply/" + std::to_string(sid);
    const std::string setag(Get(spath, "supplier")[http::field::etag]);
    EXPECT_EQ(Patch(spath, R"({"sku":"S-2"})", "supplier", setag).result_int(), 422U);
    EXPECT_EQ(Patch(spath, R"({"price":{"amount":1}})", "buyer", setag).result_int(), 403U);
    auto ok = Patch(spath, R"({"price":{"amount":175000},"serviceAreas":["32","31"]})", "supplier",
                    setag);
    ASSERT_EQ(ok.result_int(), 200U) << ok.body();
    EXPECT_EQ(Count("SELECT price_amount FROM supply_lines WHERE id = " + std::to_string(sid)),
              175000);
    EXPECT_EQ(Count("SELECT count(*) FROM service_areas WHERE line_id = " + std::to_string(sid)),
              2);
    EXPECT_EQ(Count("SELECT json_array_length(body, '$.attributes') FROM supply_lines WHERE id = " +
                    std::to_string(sid)),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM changes WHERE entity = 'supply' AND change = 'changed'"),
              1);

    const std::string project = R"({"kind":"project","series":"p","title":"技改项目","lines":[)"
                                R"({"ref":"P-1","name":"数控化改造","stage":"approved"}]})";
    ASSERT_EQ(Post(project).result_int(), 201U);
    const auto pid = Count("SELECT id FROM projects WHERE ref = 'P-1'");
    const std::string ppath = "/v1/projects/" + std::to_string(pid);
    const std::string petag(Get(ppath)[http::field::etag]);
    EXPECT_EQ(Patch(ppath, R"({"stage":"dreaming"})", "buyer", petag).result_int(), 422U);
    auto p = Patch(ppath, R"({"stage":"construction","progressPct":40,"demandRefs":["D-1"]})",
                   "buyer", petag);
    ASSERT_EQ(p.result_int(), 200U) << p.body();
    EXPECT_EQ(std::string(p[http::field::etag]), "\"project-" + std::to_string(pid) + "-r2\"");
    EXPECT_EQ(
        Count("SELECT stage = 'construction' FROM projects WHERE id = " + std::to_string(pid)), 1);
    EXPECT_EQ(
        Count("SELECT count(*) FROM project_demands WHERE project_id = " + std::to_string(pid)), 1);
}

// ---- supply region filter ----------------------------------------------------------------------

TEST_F(ListsRoutesTest, SupplyRegionFilterFollowsServiceAreasAndVendorRegionTheSite) {
    auto line = [](const std::string& sku, const std::string& extra) {
        return R"({"sku":")" + sku +
               R"(","title":"工业机器人","classification":{"id":"42997300-4"})" + extra + "}";
    };
    const std::string list =
        R"({"kind":"supply","series":"areas","title":"供给清单","lines":[)" +
        line("NAT", R"(,"vendorRegion":"110105")") + "," +
        line("JS", R"(,"serviceAreas":["32"],"vendorRegion":"320505")") + "," +
        line("SZ", R"(,"serviceAreas":["320500"])") + "," +
        line("JS-NOT-SZ", R"(,"serviceAreas":["32"],"excludedAreas":["3205"])") + "," +
        line("SZ-NOT-GUSU", R"(,"serviceAreas":["3205"],"excludedAreas":["320508"])") + "]}";
    auto published = Post(list, "supplier");
    ASSERT_EQ(published.result_int(), 201U) << published.body();
    auto skus = [&](const std::string& query) {
        auto r = Get("/v1/supply?" + query);
        EXPECT_EQ(r.result_int(), 200U) << query << ": " << r.body();
        std::vector<std::string> out;
        auto doc = ParseDocument(r.body());
        if (!doc || !doc->IsObject() || !(*doc)["items"].IsArray()) return out;
        for (const auto& item : (*doc)["items"].GetArray()) {
            out.emplace_back(item["line"]["sku"].GetString());
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    using V = std::vector<std::string>;
    // Nationwide lines serve everywhere; an area serves its own sub-regions; an area inside the
    // asked region serves part of it; an excluded area containing the region removes the line.
    EXPECT_EQ(skus("region=11"), (V{"NAT"}));
    EXPECT_EQ(skus("region=32"), (V{"JS", "JS-NOT-SZ", "NAT", "SZ", "SZ-NOT-GUSU"}));
    EXPECT_EQ(skus("region=320500"), (V{"JS", "NAT", "SZ", "SZ-NOT-GUSU"}));
    EXPECT_EQ(skus("region=320505"), (V{"JS", "NAT", "SZ", "SZ-NOT-GUSU"}));
    EXPECT_EQ(skus("region=320508"), (V{"JS", "NAT", "SZ"}));
    EXPECT_EQ(skus("region=3201"), (V{"JS", "JS-NOT-SZ", "NAT"}));
    // vendorRegion is the vendor's site only.
    EXPECT_EQ(skus("vendorRegion=32"), (V{"JS"}));
    EXPECT_EQ(skus("vendorRegion=110000"), (V{"NAT"}));
    EXPECT_EQ(skus("region=32&vendorRegion=11"), (V{"NAT"}));
    // Bad codes, and vendorRegion on other kinds, are 422 naming the parameter.
    auto bad = Get("/v1/supply?region=3x");
    EXPECT_EQ(bad.result_int(), 422U);
    EXPECT_TRUE(HasDetail(bad, "region", "invalid_value")) << bad.body();
    EXPECT_EQ(Get("/v1/supply?vendorRegion=123").result_int(), 422U);
    EXPECT_EQ(Get("/v1/demands?vendorRegion=32").result_int(), 422U);
}

}  // namespace
}  // namespace renewmatch::api
