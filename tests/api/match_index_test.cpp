// api::MatchIndex over a real SQLite file: lines loaded from storage equal, field for field, what
// the list decoder produced at publish (JSON and GB18030 CSV uploads); the change-feed high-water
// mark is taken with the lines; withdrawn lines are left out; CatchUp applies publish / change /
// withdraw through Snapshot::Apply and the caught-up index ranks exactly like a fresh Load; an
// old View stays whole while new ones are published; the pipelined load (SQLite read on one
// thread, decode and analysis on workers) builds exactly the index the one-line-list decode plus
// a sequential Snapshot::Build built, for any thread count; a stored line that no longer decodes
// is left out (Load) or removed (CatchUp) with its reason; the load's shortcuts (inline UTF-8
// decoding in the text analyser, the stored-body decoder's whole-body UTF-8 check and unit memo)
// give what their slow forms give on random input.
#include "api/encoding.hpp"
#include "api/line_loader.hpp"
#include "api/lists_decode.hpp"
#include "matcher/engine.hpp"
#include "matcher/text.hpp"
#include "schema/list_store.hpp"
#include "schema/match_feed.hpp"
#include "tests/api/match_fixture.hpp"
#include "tests/support/index_compare.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <type_traits>

namespace renewmatch::api::testing {
namespace {

// ---- field-for-field comparison -------------------------------------------------------------

void ExpectSame(const matcher::Classification& a,
                const matcher::Classification& b,
                const std::string& what) {
    EXPECT_EQ(a.scheme, b.scheme) << what;
    EXPECT_EQ(a.id, b.id) << what;
}

void ExpectSameClasses(const std::vector<matcher::Classification>& a,
                       const std::vector<matcher::Classification>& b,
                       const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i) ExpectSame(a[i], b[i], what);
}

// Every field the decoder sets. Storage identity (id, organisation, revision, status, date
// modified) is compared with the row separately.
void ExpectSameDemand(const matcher::DemandLine& a, const matcher::DemandLine& b) {
    const std::string w = "demand " + a.ref;
    EXPECT_EQ(a.ref, b.ref) << w;
    EXPECT_EQ(a.title, b.title) << w;
    EXPECT_EQ(a.description, b.description) << w;
    ExpectSame(a.classification, b.classification, w);
    ExpectSameClasses(a.additional_classifications, b.additional_classifications, w);
    EXPECT_EQ(a.quantity, b.quantity) << w;
    EXPECT_EQ(a.quantity_unit, b.quantity_unit) << w;
    EXPECT_EQ(a.budget_amount, b.budget_amount) << w;
    EXPECT_EQ(a.budget_currency, b.budget_currency) << w;
    EXPECT_EQ(a.budget_visibility, b.budget_visibility) << w;
    EXPECT_EQ(a.delivery_region, b.delivery_region) << w;
    EXPECT_EQ(a.delivery_lat, b.delivery_lat) << w;
    EXPECT_EQ(a.delivery_lon, b.delivery_lon) << w;
    EXPECT_EQ(a.need_by, b.need_by) << w;
    EXPECT_EQ(a.response_deadline, b.response_deadline) << w;
    ASSERT_EQ(a.requirements.size(), b.requirements.size()) << w;
    for (std::size_t i = 0; i < a.requirements.size(); ++i) {
        const auto& x = a.requirements[i];
        const auto& y = b.requirements[i];
        EXPECT_EQ(x.name, y.name) << w;
        EXPECT_EQ(x.min, y.min) << w;
        EXPECT_EQ(x.max, y.max) << w;
        EXPECT_EQ(x.expected, y.expected) << w;
        EXPECT_EQ(x.unit, y.unit) << w;
        EXPECT_EQ(x.allowed_values, y.allowed_values) << w;
        EXPECT_EQ(x.text_equals, y.text_equals) << w;
        EXPECT_EQ(x.mandatory, y.mandatory) << w;
    }
    EXPECT_EQ(a.certifications_required, b.certifications_required) << w;
    EXPECT_EQ(a.energy_efficiency_min, b.energy_efficiency_min) << w;
    EXPECT_EQ(a.localization_rate_min, b.localization_rate_min) << w;
    EXPECT_EQ(a.second_hand_allowed, b.second_hand_allowed) << w;
    ASSERT_EQ(a.replaces.size(), b.replaces.size()) << w;
    for (std::size_t i = 0; i < a.replaces.size(); ++i) {
        EXPECT_EQ(a.replaces[i].asset, b.replaces[i].asset) << w;
        EXPECT_EQ(a.replaces[i].years_in_service, b.replaces[i].years_in_service) << w;
    }
    EXPECT_EQ(a.chain_segment, b.chain_segment) << w;
    EXPECT_EQ(a.related_project, b.related_project) << w;
}

void ExpectSameSupply(const matcher::SupplyLine& a, const matcher::SupplyLine& b) {
    const std::string w = "supply " + a.sku;
    EXPECT_EQ(a.sku, b.sku) << w;
    EXPECT_EQ(a.title, b.title) << w;
    EXPECT_EQ(a.description, b.description) << w;
    EXPECT_EQ(a.brand, b.brand) << w;
    EXPECT_EQ(a.model, b.model) << w;
    ExpectSame(a.classification, b.classification, w);
    ExpectSameClasses(a.additional_classifications, b.additional_classifications, w);
    ASSERT_EQ(a.attributes.size(), b.attributes.size()) << w;
    for (std::size_t i = 0; i < a.attributes.size(); ++i) {
        const auto& x = a.attributes[i];
        const auto& y = b.attributes[i];
        EXPECT_EQ(x.name, y.name) << w;
        EXPECT_EQ(x.value, y.value) << w;
        EXPECT_EQ(x.min, y.min) << w;
        EXPECT_EQ(x.max, y.max) << w;
        EXPECT_EQ(x.unit, y.unit) << w;
        EXPECT_EQ(x.text, y.text) << w;
    }
    EXPECT_EQ(a.price_amount, b.price_amount) << w;
    EXPECT_EQ(a.price_currency, b.price_currency) << w;
    EXPECT_EQ(a.price_valid_until, b.price_valid_until) << w;
    EXPECT_EQ(a.min_order_qty, b.min_order_qty) << w;
    EXPECT_EQ(a.capacity_per_month, b.capacity_per_month) << w;
    EXPECT_EQ(a.lead_time_days, b.lead_time_days) << w;
    EXPECT_EQ(a.service_areas, b.service_areas) << w;
    EXPECT_EQ(a.excluded_areas, b.excluded_areas) << w;
    ASSERT_EQ(a.certifications.size(), b.certifications.size()) << w;
    for (std::size_t i = 0; i < a.certifications.size(); ++i) {
        EXPECT_EQ(a.certifications[i].type, b.certifications[i].type) << w;
        EXPECT_EQ(a.certifications[i].number, b.certifications[i].number) << w;
        EXPECT_EQ(a.certifications[i].expires_at, b.certifications[i].expires_at) << w;
    }
    EXPECT_EQ(a.energy_efficiency_grade, b.energy_efficiency_grade) << w;
    EXPECT_EQ(a.localization_rate, b.localization_rate) << w;
    EXPECT_EQ(a.first_of_kind, b.first_of_kind) << w;
    EXPECT_EQ(a.second_hand, b.second_hand) << w;
    EXPECT_EQ(a.chain_segment, b.chain_segment) << w;
    EXPECT_EQ(a.vendor_region, b.vendor_region) << w;
    EXPECT_EQ(a.last_confirmed_at, b.last_confirmed_at) << w;
}

// Lines exercising every field, awkward doubles included (0.1, 1/3-ish, 1e-7, large amounts).
const char* kDemandList =
    R"({"kind":"demand","series":"renewal-2026","title":"设备更新需求清单","period":"2026Q1","lines":[
 {"ref":"D1","title":"数控车床 CNC lathe","description":"替换 1998 年旧车床, 主轴 3000 rpm 以上",
  "classification":{"scheme":"CPV","id":"42621100-6"},
  "additionalClassifications":[{"scheme":"CPV","id":"42612000-9"},{"scheme":"HS","id":"845811"}],
  "quantity":2.5,"unit":{"code":"C62"},
  "budget":{"amount":730000.1,"currency":"CNY","visibility":"range"},
  "deliveryAddress":{"region":"320505","lat":31.2989,"lon":120.5853},
  "deliveryDate":"2026-06-30","responseDeadline":"2026-05-15",
  "requirements":[{"name":"主轴转速","min":3000,"max":4500.5,"expected":3500,"unit":"r/min","mandatory":true},
                  {"name":"数控系统","values":["FANUC","Siemens"],"mandatory":false},
                  {"name":"颜色","equals":"灰色","mandatory":false},
                  {"name":"功率","min":0.1,"unit":"千瓦","mandatory":false}],
  "certificationsRequired":["CCC","ISO9001"],"energyEfficiencyMin":2,"localizationRateMin":0.333333,
  "secondHandAllowed":true,"replaces":[{"asset":"C6140 车床","yearsInService":27},{"asset":"旧铣床"}],
  "chainSegment":"equip.machine_tools","status":"open"},
 {"ref":"D2","title":"工业机器人 六轴","classification":{"id":"42997300-4"},"quantity":1,
  "unit":{"code":"SET"},"budget":{"amount":1e-7,"visibility":"hidden"},
  "deliveryAddress":{"region":"32"},"status":"awarded"},
 {"ref":"D3","title":"立式加工中心","classification":{"id":"42612000-9"},"quantity":3,
  "unit":{"code":"C62"},"budget":{"amount":123456789.125},"deliveryAddress":{"region":"320500"}}
]})";

const char* kSupplyList = R"({"kind":"supply","series":"catalog","title":"产品供给清单","lines":[
 {"sku":"VMC-850","title":"立式加工中心 VMC850E","description":"三轴立式加工中心, FANUC 0i-MF, 12000rpm",
  "brand":"沈阳机床","model":"VMC850E","classification":{"scheme":"CPV","id":"42612000-9"},
  "additionalClassifications":[{"scheme":"HS","id":"845710"}],
  "attributes":[{"name":"主轴转速","min":8000,"max":12000,"unit":"r/min"},{"name":"数控系统","text":"FANUC"},
                {"name":"功率","value":11.1,"unit":"kW"}],
  "price":{"amount":268000.55,"currency":"CNY","validUntil":"2026-12-31"},
  "minOrderQty":0.5,"capacityPerMonth":12.75,"leadTimeDays":45,"serviceAreas":["320000","31"],
  "excludedAreas":["320583"],
  "certifications":[{"type":"CCC","number":"2020010401234567","expiresAt":"2027-05-01"},{"type":"ISO9001"}],
  "energyEfficiencyGrade":1,"localizationRate":0.85,"firstOfKind":true,"secondHand":false,
  "chainSegment":"equip.machine_tools","vendorRegion":"210100","status":"active","lastConfirmedAt":"2026-02-01"},
 {"sku":"CK6150","title":"数控车床 CK6150","description":"CNC lathe, 500 mm swing, spindle 3500 rpm, 11 kW",
  "brand":"大连机床","model":"CK6150","classification":{"id":"42621100-6"},
  "attributes":[{"name":"主轴转速","value":3500,"unit":"rpm"}],
  "price":{"amount":520000},"leadTimeDays":30,"secondHand":true,"status":"suspended"},
 {"sku":"R-6","title":"六轴工业机器人","classification":{"id":"42997300-4"}}
]})";

class MatchIndexTest : public MatchFixture {
  protected:
    DecodedList DecodeAsPublish(std::string_view document) {
        const DecodeContext context = PublishDecodeContext(nullptr, &index_->unit_checker());
        auto decoded = DecodeJsonList(document, context);
        EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : decoded.error().message);
        return decoded ? std::move(*decoded) : DecodedList{};
    }

    schema::LineRow Row(const std::string& entity, std::int64_t id) {
        auto row =
            db_->Read([&](schema::Connection& c) { return schema::FindLine(c, entity, id); });
        EXPECT_TRUE(row.has_value() && row->has_value());
        return row && *row ? **row : schema::LineRow{};
    }

    static std::vector<std::string> Skus(const matcher::SupplySnapshot& s) {
        std::vector<std::string> out;
        s.ForEachLive([&](const matcher::SupplyLine& l) { out.push_back(l.sku + "@" + l.title); });
        std::sort(out.begin(), out.end());
        return out;
    }
};

TEST_F(MatchIndexTest, LoadedLinesEqualWhatTheDecoderProducedAtPublish) {
    const DecodedList demands = DecodeAsPublish(kDemandList);
    const DecodedList supply = DecodeAsPublish(kSupplyList);
    ASSERT_EQ(demands.demands.size(), 3u);
    ASSERT_EQ(supply.supply.size(), 3u);
    Publish(kDemandList, "buyer");
    Publish(kSupplyList, "supplier");

    // A fresh index on the same file, as at start-up.
    std::string error;
    auto fresh = MatchIndex::Create({}, &error);
    ASSERT_TRUE(fresh.has_value()) << error;
    ASSERT_FALSE((*fresh)->ready());
    ASSERT_OK((*fresh)->Load(*db_));
    ASSERT_TRUE((*fresh)->ready());
    const auto view = (*fresh)->Current();
    ASSERT_EQ(view.demands->live_count(), 3u);
    ASSERT_EQ(view.supply->live_count(), 3u);
    EXPECT_EQ(view.change_seq, LatestSeq());
    EXPECT_EQ((*fresh)->last_load().skipped, 0u) << (*fresh)->last_problem();

    for (const auto& published : demands.demands) {
        const std::int64_t id = LineId("demand", published.ref, buyer_org_);
        ASSERT_GT(id, 0);
        const matcher::DemandLine* loaded = view.demands->Find(id);
        ASSERT_NE(loaded, nullptr) << published.ref;
        ExpectSameDemand(published, *loaded);
        const auto row = Row("demand", id);
        EXPECT_EQ(loaded->id, id);
        EXPECT_EQ(loaded->buyer_id, buyer_org_);
        EXPECT_EQ(loaded->revision, row.revision);
        EXPECT_EQ(loaded->status, row.status);
        EXPECT_EQ(loaded->status, published.status);
        EXPECT_EQ(loaded->date_modified, static_cast<matcher::Day>(row.updated_at_ms / 86'400'000));
    }
    for (const auto& published : supply.supply) {
        const std::int64_t id = LineId("supply", published.sku, supplier_org_);
        ASSERT_GT(id, 0);
        const matcher::SupplyLine* loaded = view.supply->Find(id);
        ASSERT_NE(loaded, nullptr) << published.sku;
        ExpectSameSupply(published, *loaded);
        EXPECT_EQ(loaded->vendor_id, supplier_org_);
        EXPECT_EQ(loaded->status, published.status);
        EXPECT_EQ(loaded->revision, 1);
    }
}

TEST_F(MatchIndexTest, CsvUploadInGb18030LoadsAsDecoded) {
    const std::string csv = renewmatch::testing::ReadFile(renewmatch::testing::SourceDir() /
                                                          "docs/examples/demand-gbk.csv");
    ListHeader header;
    header.kind = ListKind::kDemand;
    header.series = "gbk";
    header.title = "需求";
    const DecodeContext context = PublishDecodeContext(nullptr, &index_->unit_checker());
    auto decoded = DecodeCsvList(csv, header, context);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    ASSERT_FALSE(decoded->demands.empty());

    HttpRequest request{http::verb::post,
                        "/v1/lists?kind=demand&series=gbk&title=%E9%9C%80%E6%B1%82", 11};
    request.set(http::field::authorization, "Bearer buyer");
    request.set(http::field::content_type, "text/csv");
    request.body() = csv;
    request.prepare_payload();
    const auto response = service_->Handle(request, RequestInfo{"csv", "test"});
    ASSERT_EQ(response.result_int(), 201u) << response.body();

    // The publish called on_lines_changed: the index caught up without a reload.
    const auto view = index_->Current();
    ASSERT_EQ(view.demands->live_count(), decoded->demands.size());
    for (const auto& published : decoded->demands) {
        const std::int64_t id = LineId("demand", published.ref, buyer_org_);
        const matcher::DemandLine* loaded = view.demands->Find(id);
        ASSERT_NE(loaded, nullptr) << published.ref;
        ExpectSameDemand(published, *loaded);
    }
}

TEST_F(MatchIndexTest, WithdrawnLinesAreLeftOutAndTheHighWaterMarkIsTheFeeds) {
    Publish(kSupplyList, "supplier");
    const std::int64_t gone = LineId("supply", "R-6", supplier_org_);
    ASSERT_EQ(Delete("/v1/supply/" + std::to_string(gone), "supplier").result_int(), 200u);
    ASSERT_OK(index_->Load(*db_));
    const auto view = index_->Current();
    EXPECT_EQ(view.supply->live_count(), 2u);
    EXPECT_EQ(view.supply->Find(gone), nullptr);
    EXPECT_EQ(view.change_seq, LatestSeq());
    EXPECT_EQ(index_->last_load().supply_lines, 2u);
    EXPECT_GE(index_->last_load().total_ms, 0.0);
}

TEST_F(MatchIndexTest, CatchUpAppliesPublishChangeAndWithdrawal) {
    Publish(kSupplyList, "supplier");
    const auto v1 = index_->Current();
    ASSERT_EQ(v1.supply->live_count(), 3u);
    EXPECT_EQ(v1.change_seq, LatestSeq());

    // Version 2 of the series: VMC-850 retitled, CK6150 unchanged, R-6 dropped, NEW added.
    std::string v2 = kSupplyList;
    v2.replace(v2.find("立式加工中心 VMC850E"), std::string("立式加工中心 VMC850E").size(),
               "立式加工中心 VMC850E Plus");
    v2.replace(
        v2.find(R"( {"sku":"R-6","title":"六轴工业机器人","classification":{"id":"42997300-4"}})"),
        std::string(
            R"( {"sku":"R-6","title":"六轴工业机器人","classification":{"id":"42997300-4"}})")
            .size(),
        R"( {"sku":"NEW","title":"数控铣床","classification":{"id":"42623000-9"}})");
    Publish(v2, "supplier");
    const auto v2_view = index_->Current();
    EXPECT_EQ(v2_view.change_seq, LatestSeq());
    EXPECT_GT(v2_view.change_seq, v1.change_seq);
    EXPECT_EQ(Skus(*v2_view.supply),
              (std::vector<std::string>{"CK6150@数控车床 CK6150", "NEW@数控铣床",
                                        "VMC-850@立式加工中心 VMC850E Plus"}));
    const std::int64_t vmc = LineId("supply", "VMC-850", supplier_org_);
    EXPECT_EQ(v2_view.supply->Find(vmc)->revision, 2);
    // The view taken before is untouched: a query holding it still sees version 1 whole.
    EXPECT_EQ(Skus(*v1.supply),
              (std::vector<std::string>{"CK6150@数控车床 CK6150", "R-6@六轴工业机器人",
                                        "VMC-850@立式加工中心 VMC850E"}));

    // Withdrawal through DELETE.
    ASSERT_EQ(Delete("/v1/supply/" + std::to_string(vmc), "supplier").result_int(), 200u);
    const auto v3 = index_->Current();
    EXPECT_EQ(v3.supply->Find(vmc), nullptr);
    EXPECT_EQ(v3.supply->live_count(), 2u);
    EXPECT_EQ(v3.change_seq, LatestSeq());

    // A CatchUp with nothing new publishes nothing new.
    ASSERT_OK(index_->CatchUp(*db_));
    EXPECT_EQ(index_->Current().supply, v3.supply);
}

TEST_F(MatchIndexTest, CaughtUpIndexRanksExactlyLikeAFreshLoad) {
    Publish(kSupplyList, "supplier");
    Publish(kDemandList, "buyer");
    std::string v2 = kSupplyList;
    v2.replace(v2.find("\"leadTimeDays\":30"), std::string("\"leadTimeDays\":30").size(),
               "\"leadTimeDays\":20");
    Publish(v2, "supplier");
    ASSERT_EQ(Delete("/v1/demands/" + std::to_string(LineId("demand", "D3", buyer_org_)), "buyer")
                  .result_int(),
              200u);

    std::string error;
    auto fresh = MatchIndex::Create({}, &error);
    ASSERT_TRUE(fresh.has_value()) << error;
    ASSERT_OK((*fresh)->Load(*db_));
    const auto live = index_->Current();
    const auto reloaded = (*fresh)->Current();
    EXPECT_EQ(live.change_seq, reloaded.change_seq);
    EXPECT_EQ(live.supply->live_count(), reloaded.supply->live_count());
    EXPECT_EQ(live.demands->live_count(), 2u);
    EXPECT_EQ(reloaded.demands->live_count(), 2u);

    const matcher::MatchConfig config;
    const auto context = index_->Context(matcher::Day{20'500});
    reloaded.demands->ForEachLive([&](const matcher::DemandLine& demand) {
        const auto a = matcher::MatchDemand(*live.supply, demand, 10, config, context);
        const auto b = matcher::MatchDemand(*reloaded.supply, demand, 10, config, context);
        ASSERT_EQ(a.candidates.size(), b.candidates.size()) << demand.ref;
        for (std::size_t i = 0; i < a.candidates.size(); ++i) {
            EXPECT_EQ(a.candidates[i].id, b.candidates[i].id);
            EXPECT_EQ(a.candidates[i].score, b.candidates[i].score);
        }
        EXPECT_EQ(a.rejected, b.rejected);
    });
}

// ---- the pipelined load equals the pre-pipeline path ------------------------------------------

const std::vector<std::string> kRandomWords = {
    "数控",    "车床",  "立式",   "加工中心", "空压机", "螺杆",     "变频",   "水泵",
    "离心",    "叉车",  "pump",   "motor",    "servo",  "laser",    "ROBOT",  "VMC-850",
    "CK6150",  "FANUC", "西门子", "ＡＢＢ",   "1.5匹",  "12000rpm", "电池包", "注塑机",
    "HTF-530", "Ⅱ型",   "机",     "cnc",      "lathe",  "IRB 1600"};
const std::vector<std::string> kRandomClasses = {"42621100-6", "42997300-4", "42612000-9",
                                                 "42623000-9", "42417200-4", "44621220-7"};
const std::vector<std::string> kRandomRegions = {"32", "3205", "320505", "31", "210100", "44"};

class RandomLists {
  public:
    explicit RandomLists(unsigned seed) : rng_(seed) {}
    int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool Coin() { return Int(0, 1) == 1; }
    const std::string& Pick(const std::vector<std::string>& v) {
        return v[static_cast<std::size_t>(Int(0, static_cast<int>(v.size()) - 1))];
    }
    std::string Text(int lo, int hi) {
        std::string out;
        const int n = Int(lo, hi);
        for (int i = 0; i < n; ++i) out += (i > 0 ? " " : "") + Pick(kRandomWords);
        return out;
    }
    std::string Supply(const std::string& series, int n) {
        std::string doc = R"({"kind":"supply","series":")" + series + R"(","title":"t","lines":[)";
        for (int i = 0; i < n; ++i) {
            doc += i > 0 ? "," : "";
            doc += R"({"sku":")" + series + "-" + std::to_string(i) + R"(","title":")" +
                   Text(1, 5) + "\"";
            if (Coin()) doc += R"(,"description":")" + Text(0, 10) + "\"";
            if (Coin()) doc += R"(,"brand":")" + Text(1, 1) + "\"";
            if (Coin()) doc += R"(,"model":")" + Text(1, 1) + "\"";
            doc += R"(,"classification":{"id":")" + Pick(kRandomClasses) + "\"}";
            if (Coin()) {
                doc += R"(,"attributes":[{"name":"功率","value":)" + std::to_string(Int(1, 90)) +
                       R"(,"unit":"kW"}])";
            }
            if (Coin()) doc += R"(,"price":{"amount":)" + std::to_string(Int(1, 900) * 1000) + "}";
            if (Coin()) doc += R"(,"leadTimeDays":)" + std::to_string(Int(5, 90));
            if (Coin()) doc += R"(,"capacityPerMonth":)" + std::to_string(Int(1, 20));
            if (Coin()) doc += R"(,"serviceAreas":[")" + Pick(kRandomRegions) + "\"]";
            if (Int(0, 3) == 0) doc += R"(,"certifications":[{"type":"CCC"}])";
            doc += "}";
        }
        return doc + "]}";
    }
    std::string Demands(const std::string& series, int n) {
        std::string doc = R"({"kind":"demand","series":")" + series + R"(","title":"t","lines":[)";
        for (int i = 0; i < n; ++i) {
            doc += i > 0 ? "," : "";
            doc += R"({"ref":")" + series + "-" + std::to_string(i) + R"(","title":")" +
                   Text(1, 4) + "\"";
            if (Coin()) doc += R"(,"description":")" + Text(0, 8) + "\"";
            doc += R"(,"classification":{"id":")" + Pick(kRandomClasses) + "\"}";
            doc += R"(,"quantity":)" + std::to_string(Int(1, 5)) + R"(,"unit":{"code":"C62"})";
            if (Coin()) doc += R"(,"budget":{"amount":)" + std::to_string(Int(1, 900) * 1000) + "}";
            doc += R"(,"deliveryAddress":{"region":")" + Pick(kRandomRegions) + "\"}";
            if (Coin()) {
                doc += R"(,"requirements":[{"name":"功率","min":)" + std::to_string(Int(1, 50)) +
                       R"(,"unit":"kW","mandatory":false}])";
            }
            doc += "}";
        }
        return doc + "]}";
    }

  private:
    std::mt19937 rng_;
};

// The index as it was built before the pipelined load: every stored row read with ListLines,
// withdrawn ones dropped, each body decoded as a one-line list document by DecodeJsonList, the
// row's identity set, and a sequential Snapshot::Build.
class ReferenceLoad {
  public:
    void Load(schema::Database& db, const MatchIndex& index) {
        const DecodeContext context = PublishDecodeContext(nullptr, &index.unit_checker());
        std::vector<matcher::SupplyLine> supply;
        std::vector<matcher::DemandLine> demands;
        for (const char* entity : {"supply", "demand"}) {
            schema::LineQuery q;
            q.entity = entity;
            q.limit = 100;
            while (true) {
                auto rows = db.Read([&](schema::Connection& c) { return schema::ListLines(c, q); });
                ASSERT_OK(rows);
                if (rows->empty()) break;
                q.after_id = rows->back().id;
                for (const schema::LineRow& row : *rows) {
                    if (row.status == "withdrawn") continue;
                    const std::string doc = std::string(R"({"kind":")") + entity +
                                            R"(","series":"s","title":"t","lines":[)" + row.body +
                                            "]}";
                    auto decoded = DecodeJsonList(doc, context);
                    ASSERT_TRUE(decoded.has_value()) << row.id;
                    if (row.entity == "supply") {
                        matcher::SupplyLine line = std::move(decoded->supply.at(0));
                        line.id = row.id;
                        line.vendor_id = row.org_id;
                        line.revision = static_cast<int>(row.revision);
                        line.status = row.status;
                        supply.push_back(std::move(line));
                    } else {
                        matcher::DemandLine line = std::move(decoded->demands.at(0));
                        line.id = row.id;
                        line.buyer_id = row.org_id;
                        line.revision = static_cast<int>(row.revision);
                        line.status = row.status;
                        line.date_modified =
                            static_cast<matcher::Day>(row.updated_at_ms / 86'400'000);
                        demands.push_back(std::move(line));
                    }
                }
            }
        }
        supply_ = matcher::SupplySnapshot::Build(std::move(supply));
        demands_ = matcher::DemandSnapshot::Build(std::move(demands));
    }
    const matcher::SupplySnapshot& supply() const { return *supply_; }
    const matcher::DemandSnapshot& demands() const { return *demands_; }

  private:
    std::shared_ptr<const matcher::SupplySnapshot> supply_;
    std::shared_ptr<const matcher::DemandSnapshot> demands_;
};

// One segment each (a fresh build), equal in every index structure and every line field.
template <class Line>
void ExpectSameIndex(const matcher::Snapshot<Line>& want, const matcher::Snapshot<Line>& got) {
    ASSERT_EQ(want.segment_count(), 1u);
    ASSERT_EQ(got.segment_count(), 1u);
    renewmatch::testing::ExpectSameSnapshot(want, got, [](const Line& a, const Line& b) {
        if constexpr (std::is_same_v<Line, matcher::SupplyLine>) {
            ExpectSameSupply(a, b);
            EXPECT_EQ(a.vendor_id, b.vendor_id);
        } else {
            ExpectSameDemand(a, b);
            EXPECT_EQ(a.buyer_id, b.buyer_id);
            EXPECT_EQ(a.date_modified, b.date_modified);
        }
        EXPECT_EQ(a.revision, b.revision);
        EXPECT_EQ(a.status, b.status);
    });
}

TEST_F(MatchIndexTest, PipelinedLoadBuildsTheIndexThePrePipelinePathBuilt) {
    RandomLists gen(20261127);
    // Several decode batches (512 rows) per entity, and withdrawn lines in between.
    Publish(gen.Supply("alpha", 900), "supplier");
    Publish(gen.Supply("beta", 700), "supplier2");
    Publish(gen.Demands("need", 260), "buyer");
    for (const char* sku : {"alpha-3", "alpha-511", "alpha-512", "alpha-899"}) {
        const std::int64_t id = LineId("supply", sku, supplier_org_);
        ASSERT_GT(id, 0) << sku;
        ASSERT_EQ(Delete("/v1/supply/" + std::to_string(id), "supplier").result_int(), 200u);
    }
    ASSERT_EQ(
        Delete("/v1/demands/" + std::to_string(LineId("demand", "need-7", buyer_org_)), "buyer")
            .result_int(),
        200u);

    ReferenceLoad reference;
    ASSERT_NO_FATAL_FAILURE(reference.Load(*db_, *index_));
    ASSERT_EQ(reference.supply().live_count(), 1596u);
    ASSERT_EQ(reference.demands().live_count(), 259u);
    const matcher::MatchConfig config;
    for (unsigned threads : {1u, 2u, 3u}) {
        SCOPED_TRACE("build_threads " + std::to_string(threads));
        MatchIndexOptions options;
        options.build_threads = threads;
        std::string error;
        auto fresh = MatchIndex::Create(options, &error);
        ASSERT_TRUE(fresh.has_value()) << error;
        ASSERT_OK((*fresh)->Load(*db_));
        EXPECT_EQ((*fresh)->last_load().skipped, 0u) << (*fresh)->last_problem();
        EXPECT_EQ((*fresh)->last_load().supply_lines, 1596u);
        const auto view = (*fresh)->Current();
        EXPECT_EQ(view.change_seq, LatestSeq());
        ExpectSameIndex(reference.supply(), *view.supply);
        ExpectSameIndex(reference.demands(), *view.demands);

        const auto context = (*fresh)->Context(matcher::Day{20'500});
        reference.demands().ForEachLive([&](const matcher::DemandLine& demand) {
            const auto a = matcher::MatchDemand(reference.supply(), demand, 10, config, context);
            const auto b = matcher::MatchDemand(*view.supply, demand, 10, config, context);
            ASSERT_EQ(a.candidates.size(), b.candidates.size()) << demand.ref;
            for (std::size_t i = 0; i < a.candidates.size(); ++i) {
                EXPECT_EQ(a.candidates[i].id, b.candidates[i].id) << demand.ref;
                EXPECT_EQ(a.candidates[i].score, b.candidates[i].score) << demand.ref;
            }
            EXPECT_EQ(a.rejected, b.rejected) << demand.ref;
            EXPECT_EQ(a.generated, b.generated) << demand.ref;
            EXPECT_EQ(a.text_normaliser, b.text_normaliser) << demand.ref;
        });
    }
}

// Fresh indexes loaded with each of `threads` workers equal the pre-pipeline path's, line for
// line.
void ExpectLoadEqualsReference(schema::Database& db,
                               const MatchIndex& any,
                               std::initializer_list<unsigned> threads,
                               std::size_t supply_lines) {
    SCOPED_TRACE(std::to_string(supply_lines) + " supply lines");
    ReferenceLoad reference;
    ASSERT_NO_FATAL_FAILURE(reference.Load(db, any));
    ASSERT_EQ(reference.supply().live_count(), supply_lines);
    for (unsigned n : threads) {
        SCOPED_TRACE("build_threads " + std::to_string(n));
        MatchIndexOptions options;
        options.build_threads = n;
        std::string error;
        auto fresh = MatchIndex::Create(options, &error);
        ASSERT_TRUE(fresh.has_value()) << error;
        ASSERT_OK((*fresh)->Load(db));
        EXPECT_EQ((*fresh)->last_load().skipped, 0u) << (*fresh)->last_problem();
        EXPECT_EQ((*fresh)->last_load().supply_lines, supply_lines);
        const auto view = (*fresh)->Current();
        ExpectSameIndex(reference.supply(), *view.supply);
        ExpectSameIndex(reference.demands(), *view.demands);
    }
}

TEST_F(MatchIndexTest, StreamedLoadIsTheSameAtBatchBoundaries) {
    // Batches close at 512 rows or 1 MiB of row bytes: exactly one full batch, one more row, two
    // full batches, and then lines with 5 KB descriptions, so that batches close on bytes.
    RandomLists gen(7);
    Publish(gen.Demands("need", 3), "buyer");
    Publish(gen.Supply("a", 512), "supplier");
    ExpectLoadEqualsReference(*db_, *index_, {2}, 512);
    Publish(gen.Supply("b", 1), "supplier");
    ExpectLoadEqualsReference(*db_, *index_, {2}, 513);
    Publish(gen.Supply("c", 511), "supplier");
    ExpectLoadEqualsReference(*db_, *index_, {1, 3}, 1024);

    std::string big = R"({"kind":"supply","series":"big","title":"t","lines":[)";
    for (int i = 0; i < 300; ++i) {
        std::string description;
        while (description.size() < 5000) description += gen.Text(4, 4) + " ";
        big += (i > 0 ? "," : "") + std::string(R"({"sku":"big-)") + std::to_string(i) +
               R"(","title":")" + gen.Text(1, 3) + R"(","description":")" + description +
               R"(","classification":{"id":"42621100-6"}})";
    }
    Publish(big + "]}", "supplier2");
    ExpectLoadEqualsReference(*db_, *index_, {2}, 1324);
}

TEST_F(MatchIndexTest, CancelledLoadPublishesNothingAndLaterLoadsStopAtOnce) {
    RandomLists gen(11);
    Publish(gen.Supply("alpha", 1500), "supplier");
    Publish(gen.Demands("need", 20), "buyer");
    const auto before = index_->Current();  // loaded by the fixture, caught up by the publishes
    ASSERT_EQ(before.supply->live_count(), 1500u);

    // A second index over the same file, cancelled from its progress callback after the first
    // ~1,000 supply rows (as the server's shutdown would, from another thread).
    MatchIndexOptions options;
    MatchIndex* cancel = nullptr;
    std::vector<std::size_t> progress;
    options.on_load_progress = [&](std::string_view entity, std::size_t rows) {
        EXPECT_EQ(entity, "supply");  // never reaches the demand lines
        progress.push_back(rows);
        if (rows >= 1000) cancel->CancelLoad();
    };
    std::string error;
    auto fresh = MatchIndex::Create(options, &error);
    ASSERT_TRUE(fresh.has_value()) << error;
    cancel = fresh->get();
    const auto loaded = (*fresh)->Load(*db_);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error(), Errc::kUnavailable);
    EXPECT_EQ(progress, (std::vector<std::size_t>{512, 1024}));
    // Nothing half-built was published: not ready, the empty View, and the match routes answer
    // 503 index_loading through it.
    EXPECT_FALSE((*fresh)->ready());
    EXPECT_EQ((*fresh)->Current().supply->live_count(), 0u);
    EXPECT_EQ((*fresh)->Current().demands->live_count(), 0u);
    EXPECT_EQ((*fresh)->Current().change_seq, 0);
    app_.match_index = fresh->get();
    const std::int64_t demand = LineId("demand", "need-0", buyer_org_);
    const auto answer = Get("/v1/demands/" + std::to_string(demand) + "/candidates", "buyer");
    EXPECT_EQ(answer.result_int(), 503u) << answer.body();
    EXPECT_NE(answer.body().find("index_loading"), std::string::npos) << answer.body();
    app_.match_index = index_.get();
    // Later loads stop before reading anything.
    progress.clear();
    EXPECT_EQ((*fresh)->Load(*db_).error(), Errc::kUnavailable);
    EXPECT_TRUE(progress.empty());
    EXPECT_FALSE((*fresh)->ready());

    // Cancelling a loaded index keeps its View: live updates go on, a reload stops at once.
    index_->CancelLoad();
    EXPECT_EQ(index_->Load(*db_).error(), Errc::kUnavailable);
    EXPECT_TRUE(index_->ready());
    EXPECT_EQ(index_->Current().supply, before.supply);
    const std::int64_t gone = LineId("supply", "alpha-5", supplier_org_);
    ASSERT_EQ(Delete("/v1/supply/" + std::to_string(gone), "supplier").result_int(), 200u);
    EXPECT_EQ(index_->Current().supply->live_count(), 1499u);
    EXPECT_EQ(index_->Current().supply->Find(gone), nullptr);
    EXPECT_EQ(index_->Current().change_seq, LatestSeq());
}

TEST_F(MatchIndexTest, StoredLineThatNoLongerDecodesIsLeftOutWithItsReason) {
    Publish(kSupplyList, "supplier");
    const std::int64_t broken = LineId("supply", "CK6150", supplier_org_);
    ASSERT_GT(broken, 0);
    // Reference data or rules changed since publication: the stored body fails the decoder.
    auto corrupt = [&](std::string_view body) {
        ASSERT_OK(db_->Write([&](schema::Connection& c) -> Result<void> {
            auto stmt = c.Prepare("UPDATE supply_lines SET body = ?1 WHERE id = ?2");
            if (!stmt) return stmt.error();
            return stmt->BindAll(body, broken).Exec();
        }));
    };
    corrupt(R"({"sku":"CK6150","title":"数控车床","classification":{"id":"42621100-5"}})");
    std::string error;
    auto fresh = MatchIndex::Create({}, &error);
    ASSERT_TRUE(fresh.has_value()) << error;
    ASSERT_OK((*fresh)->Load(*db_));
    EXPECT_EQ((*fresh)->last_load().skipped, 1u);
    EXPECT_EQ((*fresh)->last_load().supply_lines, 2u);
    EXPECT_EQ((*fresh)->Current().supply->Find(broken), nullptr);
    const std::string problem = (*fresh)->last_problem();
    EXPECT_NE(problem.find("stored supply line " + std::to_string(broken) + " no longer decodes"),
              std::string::npos)
        << problem;
    EXPECT_NE(problem.find("/classification/id"), std::string::npos) << problem;

    // Not JSON at all: same outcome, the parser's reason.
    corrupt("{\"sku\":");
    ASSERT_OK((*fresh)->Load(*db_));
    EXPECT_EQ((*fresh)->last_load().skipped, 1u);
    EXPECT_NE((*fresh)->last_problem().find("invalid JSON"), std::string::npos)
        << (*fresh)->last_problem();

    // CatchUp: a changed line that no longer decodes leaves the live index.
    ASSERT_NE(index_->Current().supply->Find(broken), nullptr);
    ASSERT_OK(db_->Write([&](schema::Connection& c) -> Result<void> {
        auto stmt = c.Prepare(
            "INSERT INTO changes (at, org_id, entity, line_id, ref, change, revision, list_id) "
            "SELECT 1, org_id, 'supply', id, sku, 'changed', revision, list_id FROM supply_lines "
            "WHERE id = ?1");
        if (!stmt) return stmt.error();
        return stmt->BindAll(broken).Exec();
    }));
    ASSERT_OK(index_->CatchUp(*db_));
    EXPECT_EQ(index_->Current().supply->Find(broken), nullptr);
    EXPECT_EQ(index_->Current().supply->live_count(), 2u);
    EXPECT_EQ(index_->Current().change_seq, LatestSeq());
    EXPECT_NE(index_->last_problem().find("no longer decodes"), std::string::npos);
}

TEST_F(MatchIndexTest, ContextCarriesUnitsAndTheChainMap) {
    const auto context = index_->Context(123);
    EXPECT_EQ(context.today, 123);
    ASSERT_NE(context.units, nullptr);
    EXPECT_TRUE(context.units->Known("kW"));
    ASSERT_NE(context.chains, nullptr);
    EXPECT_TRUE(context.chains->segments.contains("nev.battery"));
    EXPECT_EQ(context.taxonomy, nullptr);
}

class MatchIndexBeforeLoadTest : public MatchFixture {
  protected:
    void SetUp() override { SetUpFixture(false); }
};

TEST_F(MatchIndexBeforeLoadTest, NotReadyIsEmptyAndCatchUpWaitsForTheLoad) {
    EXPECT_FALSE(index_->ready());
    const auto empty = index_->Current();
    EXPECT_EQ(empty.supply->live_count(), 0u);
    EXPECT_EQ(empty.change_seq, 0);
    // Publishing before the load: on_lines_changed -> CatchUp does nothing (not ready).
    Publish(kSupplyList, "supplier");
    EXPECT_FALSE(index_->ready());
    EXPECT_EQ(index_->Current().supply->live_count(), 0u);
    ASSERT_OK(index_->Load(*db_));
    EXPECT_TRUE(index_->ready());
    EXPECT_EQ(index_->Current().supply->live_count(), 3u);
    EXPECT_EQ(index_->Current().change_seq, LatestSeq());
}

// ---- shortcuts of the load (2026-12-07), each against its slow form --------------------------

// A random text from pieces that the inline UTF-8 decoding and the normalisation fast paths treat
// differently: ASCII, CJK, kana, full-width forms, punctuation, sequences the inline decoder
// leaves to utf8proc (E0/ED/F0 leads, two-byte forms, hangul), and invalid bytes (overlong,
// surrogate, truncated, stray continuation, bytes that never start a sequence).
std::string RandomMixedText(std::mt19937& rng) {
    static const std::vector<std::string> kPieces = {
        "a",
        "Vmc",
        "850",
        "-",
        "/",
        ".",
        "_",
        " ",
        "  ",
        "\t",
        "\n",
        "X2",
        "12000rpm",
        "1.5",
        "机",
        "床",
        "加工中心",
        "数",
        "カ",
        "ひ",
        "Ｖ",
        "ＭＣ",
        "８５０",
        "（",
        "）",
        "，",
        "。",
        "、",
        "—",
        "…",
        "·",
        "\xE3\x80\x80",  // ideographic space
        "\xE0\xA4\x85",  // U+0905 (E0 lead, valid)
        "\xED\x9F\xBF",  // U+D7FF (ED lead, valid)
        "한",
        "é",
        "ß",
        "Ⅱ",
        "㎏",
        "😀",
        "\xF0\xA0\x80\x80",  // U+20000 (CJK, four bytes)
        "\xE0\x80\x80",      // overlong
        "\xED\xA0\x80",      // surrogate
        "\xE4\xB8",          // truncated ideograph
        "\xEF\xBC",          // truncated full-width form
        "\x80",
        "\xBF",
        "\xC0\xAF",
        "\xF5\x80\x80\x80",
        "\xFF",
        "\xC3",
    };
    std::string text;
    const int n = std::uniform_int_distribution<int>(0, 16)(rng);
    for (int k = 0; k < n; ++k) {
        text += kPieces[std::uniform_int_distribution<std::size_t>(0, kPieces.size() - 1)(rng)];
    }
    return text;
}

void ExpectSameTerms(const std::vector<matcher::Term>& want,
                     const std::vector<matcher::Term>& got,
                     const std::string& text) {
    ASSERT_EQ(want.size(), got.size()) << text;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(want[i].text, got[i].text) << text;
        EXPECT_EQ(want[i].kind, got[i].kind) << text;
    }
}

TEST(IndexLoadShortcutsTest, InlineUtf8DecodingNormalisesAndAnalysesLikeUtf8proc) {
    std::mt19937 rng(20261207);
    for (int i = 0; i < 20000; ++i) {
        const std::string text = RandomMixedText(rng);
        ASSERT_EQ(matcher::NormalizeText(text), matcher::NormalizeTextReference(text)) << i;
        // The analyser's input is normalised text (valid UTF-8: NormalizeText drops bad bytes).
        const std::string normal = matcher::NormalizeTextReference(text);
        ExpectSameTerms(matcher::AnalyzeNormalizedReference(normal),
                        matcher::AnalyzeNormalized(normal), normal);
        ExpectSameTerms(matcher::AnalyzeNormalizedReference(normal), matcher::Analyze(text), text);
    }
    // A text longer than the analyser's kept code-point buffer, then a short one.
    std::string long_text;
    for (int i = 0; i < 3000; ++i) long_text += i % 3 == 0 ? "机床 " : "vmc-850 ";
    ExpectSameTerms(matcher::AnalyzeNormalizedReference(long_text),
                    matcher::AnalyzeNormalized(long_text), "long");
    ExpectSameTerms(matcher::AnalyzeNormalizedReference("加工 ab"),
                    matcher::AnalyzeNormalized("加工 ab"), "short");
}

// StoredLineDecoder (UTF-8 checked whole, RapidJSON's per-character check skipped for valid
// bodies; unit answers remembered across lines) against the plain parse + DecodeJsonLine with
// the catalog itself, on bodies with random text (invalid bytes and escapes included) and
// known, aliased, padded and unknown units.
TEST_F(MatchIndexTest, StoredLineDecoderDecodesLikeParseAndDecodeJsonLine) {
    const DecodeContext context = PublishDecodeContext(nullptr, &index_->unit_checker());
    StoredLineDecoder decoder(context);  // one decoder for every body: its unit memo warms up
    static const std::vector<std::string> kUnits = {"kW",  "r/min", "千瓦",     "kw ", " MPa",
                                                    "rpm", "",      "furlongs", "kWh", "dB"};
    static const std::vector<std::string> kEscapes = {"\\u00e9", "\\ud83d\\ude00", "\\\"",
                                                      "\\\\",    "\\u4e2d",        "\\n"};
    std::mt19937 rng(7);
    StoredLineIdentity identity;
    identity.id = 41;
    identity.org_id = 5;
    identity.revision = 2;
    identity.status = "active";
    int decoded = 0;
    int refused = 0;
    int malformed = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string title = RandomMixedText(rng);
        // JSON strings cannot hold raw control characters or lone quotes/backslashes: escape
        // what the random text has, then add a random escape sequence.
        std::string escaped;
        for (const char c : title) {
            if (c == '"' || c == '\\') {
                escaped += '\\';
                escaped += c;
            } else if (c == '\n') {
                escaped += "\\n";
            } else if (c == '\t') {
                escaped += i % 5 == 0 ? std::string("\t") : std::string("\\t");  // raw: malformed
            } else {
                escaped += c;
            }
        }
        escaped += kEscapes[static_cast<std::size_t>(i) % kEscapes.size()];
        const std::string& unit = kUnits[static_cast<std::size_t>(i) % kUnits.size()];
        const std::string body =
            R"({"sku":"S)" + std::to_string(i) + R"(","title":"x)" + escaped +
            R"(","classification":{"id":"42612000-9"},"attributes":[{"name":"功率","value":11.1,"unit":")" +
            unit + R"("}],"serviceAreas":["320000","31"],"vendorRegion":"210100"})";
        auto got = decoder.Supply(identity, body);
        auto doc = ParseDocument(body);
        if (!doc) {
            ++malformed;
            ASSERT_FALSE(got.has_value()) << body;
            EXPECT_NE(got.error().message.find(doc.error().message), std::string::npos)
                << got.error().message << " | " << doc.error().message;
            continue;
        }
        auto want = DecodeJsonLine(ListKind::kSupply, *doc, context);
        if (!want) {
            ++refused;
            ASSERT_FALSE(got.has_value()) << body;
            const ApiError why = want.error();  // error() returns a copy
            ASSERT_FALSE(why.details.empty());
            const auto& first = why.details.front();
            EXPECT_NE(got.error().message.find(first.field + ": " + first.message),
                      std::string::npos)
                << got.error().message;
            continue;
        }
        ++decoded;
        ASSERT_TRUE(got.has_value()) << got.error().message << " | " << body;
        ASSERT_EQ(want->supply.size(), 1u);
        ExpectSameSupply(want->supply.front(), *got);
        EXPECT_EQ(got->id, 41);
        EXPECT_EQ(got->vendor_id, 5);
        EXPECT_EQ(got->revision, 2);
        EXPECT_EQ(got->status, "active");
    }
    // Every outcome was exercised.
    EXPECT_GT(decoded, 500);
    EXPECT_GT(refused, 50);
    EXPECT_GT(malformed, 100);
}

// The list decoder's member reads answer the common case without the api/json.hpp readers;
// every boundary where a reader refuses must still give the reader's error (field and code).
TEST_F(MatchIndexTest, DecoderShortcutsKeepTheReadersErrorsAtEveryBoundary) {
    const DecodeContext context = PublishDecodeContext(nullptr, &index_->unit_checker());
    const std::string base = R"("sku":"S","title":"T","classification":{"id":"42612000-9"})";
    // Decodes {base, extra} (extra replaces a member of base when it names one first).
    auto decode = [&](const std::string& members) {
        auto doc = ParseDocument("{" + members + "}");
        EXPECT_TRUE(doc.has_value()) << members;
        return DecodeJsonLine(ListKind::kSupply, *doc, context);
    };
    auto expect_error = [&](const std::string& members, const std::string& field,
                            const std::string& code) {
        auto decoded = decode(members);
        ASSERT_FALSE(decoded.has_value()) << members;
        const ApiError why = decoded.error();
        const bool found = std::any_of(why.details.begin(), why.details.end(), [&](const auto& d) {
            return d.field == field && d.code == code;
        });
        std::string all;
        for (const auto& d : why.details) all += d.field + " " + d.code + "; ";
        EXPECT_TRUE(found) << members << " -> " << all;
    };
    const std::string title_max(context.limits.max_string_length, 'a');
    auto ok = decode(R"("sku":"S","title":")" + title_max +
                     R"(","classification":{"id":"42612000-9"},"vendorRegion":"320500",)"
                     R"("leadTimeDays":30,"firstOfKind":null,"serviceAreas":["31"],)"
                     R"("price":{"amount":1},"lastConfirmedAt":"2026-02-01")");
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_EQ(ok->supply.front().title.size(), context.limits.max_string_length);
    EXPECT_EQ(ok->supply.front().vendor_region, "3205");
    EXPECT_FALSE(ok->supply.front().first_of_kind);
    expect_error(
        R"("sku":"S","title":")" + title_max + R"(a","classification":{"id":"42612000-9"})",
        "/title", "out_of_range");
    expect_error(R"("sku":"S","title":7,"classification":{"id":"42612000-9"})", "/title",
                 "wrong_type");
    expect_error(R"("sku":"S","title":null,"classification":{"id":"42612000-9"})", "/title",
                 "required");
    expect_error(R"("sku":"S","title":"","classification":{"id":"42612000-9"})", "/title",
                 "required");
    expect_error(base + R"(,"vendorRegion":320500)", "/vendorRegion", "wrong_type");
    expect_error(base + R"(,"vendorRegion":")" + std::string(65, '1') + "\"", "/vendorRegion",
                 "out_of_range");
    expect_error(base + R"(,"vendorRegion":"999999")", "/vendorRegion", "unknown_region");
    expect_error(base + R"(,"leadTimeDays":1.0)", "/leadTimeDays", "wrong_type");
    expect_error(base + R"(,"leadTimeDays":9223372036854775808)", "/leadTimeDays", "out_of_range");
    expect_error(base + R"(,"leadTimeDays":"3")", "/leadTimeDays", "wrong_type");
    expect_error(base + R"(,"firstOfKind":1)", "/firstOfKind", "wrong_type");
    expect_error(base + R"(,"minOrderQty":"1")", "/minOrderQty", "wrong_type");
    expect_error(base + R"(,"localizationRate":1.5)", "/localizationRate", "out_of_range");
    expect_error(base + R"(,"serviceAreas":{})", "/serviceAreas", "wrong_type");
    expect_error(base + R"(,"serviceAreas":["31",5,""])", "/serviceAreas/1", "wrong_type");
    expect_error(base + R"(,"serviceAreas":["31",5,""])", "/serviceAreas/2", "required");
    expect_error(base + R"(,"excludedAreas":["99"])", "/excludedAreas/0", "unknown_region");
    expect_error(base + R"(,"price":[])", "/price", "wrong_type");
    expect_error(base + R"(,"price":{"amount":"1"})", "/price/amount", "wrong_type");
    expect_error(base + R"(,"price":{})", "/price/amount", "required");
    expect_error(base + R"(,"price":{"amount":1,"validUntil":")" + std::string(65, '2') + "\"}",
                 "/price/validUntil", "out_of_range");
    expect_error(R"("sku":"S","title":"T")", "/classification", "required");
    expect_error(R"("sku":"S","title":"T","classification":"x")", "/classification", "wrong_type");
    expect_error(R"("sku":"S","title":"T","classification":{"id":")" + std::string(33, '4') + "\"}",
                 "/classification/id", "out_of_range");
    expect_error(R"("sku":"S","title":"T","classification":{"scheme":")" + std::string(17, 'C') +
                     R"(","id":"42612000-9"})",
                 "/classification/scheme", "out_of_range");
    expect_error(base + R"(,"additionalClassifications":{})", "/additionalClassifications",
                 "wrong_type");
    expect_error(base + R"(,"attributes":[{"name":"p","value":1,"unit":"furlongX"}])",
                 "/attributes/0/unit", "unknown_unit");
    expect_error(base + R"(,"attributes":[{"name":"p","value":true}])", "/attributes/0/value",
                 "wrong_type");
    expect_error(base + R"(,"certifications":[{"type":"CE","expiresAt":"2026-13-01"}])",
                 "/certifications/0/expiresAt", "malformed_date");
    expect_error(base + R"(,"status":"x")", "/status", "invalid_value");
    expect_error(base + R"(,"status":5)", "/status", "wrong_type");
}

}  // namespace
}  // namespace renewmatch::api::testing
