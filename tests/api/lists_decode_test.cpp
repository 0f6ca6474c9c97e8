#include "api/lists_decode.hpp"

#include "api/encoding.hpp"
#include "api/units.hpp"
#include "matcher/dates.hpp"
#include "matcher/units.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

namespace renewmatch::api {
namespace {

class ListsDecodeTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        std::string error;
        units_ = matcher::UnitSystem::Load(&error).release();
        ASSERT_NE(units_, nullptr) << error;
        catalog_ = new UnitCatalog(*units_);
    }
    static void TearDownTestSuite() {
        delete catalog_;
        delete units_;
    }
    DecodeContext Context() const {
        DecodeContext c;
        c.reference = reference_.get();
        c.units = catalog_;
        return c;
    }
    // A copy: boost::system::result<T, ApiError>::error() returns the error by value.
    static std::optional<ErrorDetail> Find(const ApiError& e,
                                           std::string_view field,
                                           std::string_view code) {
        for (const auto& d : e.details) {
            if (d.field == field && d.code == code) return d;
        }
        return std::nullopt;
    }
    static std::string Dump(const ApiError& e) {
        std::string s = e.code + ": " + e.message + "\n";
        for (const auto& d : e.details) {
            s += "  [" + (d.line ? std::to_string(*d.line) : std::string("-")) + "] " + d.field +
                 " " + d.code + ": " + d.message + "\n";
        }
        return s;
    }

    std::shared_ptr<const ReferenceData> reference_ = ReferenceData::Embedded();
    static matcher::UnitSystem* units_;
    static UnitCatalog* catalog_;
};
matcher::UnitSystem* ListsDecodeTest::units_ = nullptr;
UnitCatalog* ListsDecodeTest::catalog_ = nullptr;

const char* kDemandJson = R"({
  "kind": "demand", "series": "js-2026-renewal", "title": "江苏省2026年设备更新需求清单",
  "period": "2026Q1",
  "lines": [
    {"ref": "D-001", "title": "数控车床 CNC lathe", "description": "替换1998年老旧车床",
     "classification": {"scheme": "CPV", "id": "42621100-6"},
     "additionalClassifications": [{"scheme": "HS", "id": "8458.11"}],
     "quantity": 4, "unit": {"code": "C62"},
     "budget": {"amount": 1200000, "currency": "CNY", "visibility": "hidden"},
     "deliveryAddress": {"region": "320500", "lat": 31.3, "lon": 120.6},
     "deliveryDate": "2026-06-30", "responseDeadline": "2026-04-15",
     "requirements": [
       {"name": "主轴转速", "min": 8000, "max": 12000, "unit": "r/min", "mandatory": true},
       {"name": "功率", "min": 12, "unit": "kW"},
       {"name": "数控系统", "values": ["FANUC", "Siemens"], "mandatory": false}],
     "certificationsRequired": ["CCC"], "energyEfficiencyMin": 2, "localizationRateMin": 0.6,
     "secondHandAllowed": false, "replaces": [{"asset": "C620 车床", "yearsInService": 25}],
     "chainSegment": "nev-equipment", "status": "open"},
    {"ref": "D-002", "title": "工业机器人", "classification": {"id": "42997300"},
     "quantity": 2, "deliveryAddress": {"region": "32"}}
  ]})";

TEST_F(ListsDecodeTest, ValidDemandListDecodesEveryField) {
    auto r = DecodeJsonList(kDemandJson, Context());
    ASSERT_TRUE(r.has_value()) << Dump(r.error());
    EXPECT_EQ(r->header.kind, ListKind::kDemand);
    EXPECT_EQ(r->header.series, "js-2026-renewal");
    EXPECT_EQ(r->header.period, "2026Q1");
    ASSERT_EQ(r->demands.size(), 2U);
    const auto& d = r->demands[0];
    EXPECT_EQ(d.ref, "D-001");
    EXPECT_EQ(d.classification.id, "42621100-6");
    ASSERT_EQ(d.additional_classifications.size(), 1U);
    EXPECT_EQ(d.additional_classifications[0].scheme, "HS");
    EXPECT_EQ(d.additional_classifications[0].id, "845811");
    EXPECT_EQ(d.quantity, 4);
    EXPECT_EQ(d.quantity_unit, "C62");
    EXPECT_EQ(d.budget_amount, 1200000);
    EXPECT_EQ(d.budget_visibility, matcher::BudgetVisibility::kHidden);
    EXPECT_EQ(d.delivery_region, "3205");
    EXPECT_EQ(d.need_by, matcher::ParseIsoDay("2026-06-30"));
    ASSERT_EQ(d.requirements.size(), 3U);
    EXPECT_EQ(d.requirements[0].unit, "rpm");  // canonical UDUNITS spelling
    EXPECT_EQ(d.requirements[0].min, 8000);
    EXPECT_TRUE(d.requirements[0].mandatory);
    EXPECT_EQ(d.requirements[1].unit, "kW");
    EXPECT_TRUE(d.requirements[1].mandatory);  // default
    EXPECT_EQ(d.requirements[2].allowed_values, (std::vector<std::string>{"FANUC", "Siemens"}));
    EXPECT_FALSE(d.requirements[2].mandatory);
    EXPECT_EQ(d.energy_efficiency_min, 2);
    EXPECT_EQ(d.localization_rate_min, 0.6);
    ASSERT_EQ(d.replaces.size(), 1U);
    EXPECT_EQ(d.replaces[0].years_in_service, 25);
    // Defaults and completion of a CPV code without its check digit.
    const auto& d2 = r->demands[1];
    EXPECT_EQ(d2.classification.id, "42997300-4");
    EXPECT_EQ(d2.quantity_unit, "C62");
    EXPECT_EQ(d2.delivery_region, "32");
    EXPECT_EQ(d2.status, "open");
}

TEST_F(ListsDecodeTest, MalformedJsonIs400WithOffset) {
    auto r = DecodeJsonList(R"({"kind": "demand", "lines": [}")", Context());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, Errc::kMalformed);
    EXPECT_NE(r.error().message.find("offset"), std::string::npos) << r.error().message;
}

TEST_F(ListsDecodeTest, EveryBadFieldIsReportedWithPointerAndCode) {
    const char* body = R"({
      "kind": "demand", "series": "s", "title": "t", "colour": "red",
      "lines": [
        {"ref": "A", "title": "x", "classification": {"id": "42621100-7"}, "quantity": 0,
         "deliveryAddress": {"region": "99"}, "deliveryDate": "2026-02-30", "extra": 1},
        {"ref": "A", "title": 5, "classification": {"scheme": "UNSPSC", "id": "1"},
         "quantity": -3, "unit": {"code": "KGX"}, "deliveryAddress": {"region": "320500"},
         "requirements": [{"name": "功率", "min": 12, "unit": "kilowat"}]},
        {"title": "y", "classification": {"id": "99999999"}, "quantity": "2",
         "deliveryAddress": {"region": "3205"}, "localizationRateMin": 60},
        "not an object"
      ]})";
    DecodeContext c = Context();
    c.normalize_region = [](std::string_view code) -> std::optional<std::string> {
        auto form = NormalizeRegionForm(code);
        if (form && form->rfind("32", 0) == 0) return form;  // only Jiangsu exists here
        return std::nullopt;
    };
    auto r = DecodeJsonList(body, c);
    ASSERT_FALSE(r.has_value());
    const ApiError& e = r.error();
    EXPECT_EQ(e.kind, Errc::kInvalidArgument) << Dump(e);
    EXPECT_EQ(e.code, "invalid_list");
    EXPECT_NE(Find(e, "/colour", "unknown_field"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/0/extra", "unknown_field"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/0/classification/id", "bad_check_digit"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/0/quantity", "out_of_range"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/0/deliveryAddress/region", "unknown_region"), std::nullopt)
        << Dump(e);
    EXPECT_NE(Find(e, "/lines/0/deliveryDate", "malformed_date"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/1/ref", "duplicate_ref"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/1/title", "wrong_type"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/1/classification/scheme", "unknown_scheme"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/1/quantity", "out_of_range"), std::nullopt) << Dump(e);
    const auto unit = Find(e, "/lines/1/unit/code", "unknown_unit");
    ASSERT_TRUE(unit.has_value()) << Dump(e);
    EXPECT_NE(unit->message.find("KGM"), std::string::npos) << unit->message;
    const auto req_unit = Find(e, "/lines/1/requirements/0/unit", "unknown_unit");
    ASSERT_TRUE(req_unit.has_value()) << Dump(e);
    EXPECT_NE(req_unit->message.find("did you mean"), std::string::npos) << req_unit->message;
    EXPECT_NE(Find(e, "/lines/2/ref", "required"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/2/classification/id", "unknown_code"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/2/quantity", "wrong_type"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/2/localizationRateMin", "out_of_range"), std::nullopt) << Dump(e);
    EXPECT_NE(Find(e, "/lines/3", "wrong_type"), std::nullopt) << Dump(e);
    // Line numbers are the 0-based index in `lines`.
    EXPECT_EQ(Find(e, "/lines/2/quantity", "wrong_type")->line, 2);
}

TEST_F(ListsDecodeTest, MissingHeaderFieldsAndBadKind) {
    auto r = DecodeJsonList(R"({"kind": "offer", "lines": []})", Context());
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(Find(r.error(), "/kind", "invalid_value"), std::nullopt) << Dump(r.error());
    EXPECT_NE(Find(r.error(), "/series", "required"), std::nullopt) << Dump(r.error());
    EXPECT_NE(Find(r.error(), "/title", "required"), std::nullopt) << Dump(r.error());
    r = DecodeJsonList(R"({"kind": "supply", "series": "s", "title": "t"})", Context());
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(Find(r.error(), "/lines", "required"), std::nullopt) << Dump(r.error());
    r = DecodeJsonList(R"([1, 2])", Context());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, Errc::kInvalidArgument);
}

TEST_F(ListsDecodeTest, TooManyLinesAndErrorCap) {
    std::string body = R"({"kind":"project","series":"s","title":"t","lines":[)";
    for (int i = 0; i < 11; ++i)
        body += std::string(i ? "," : "") + R"({"ref":"p)" + std::to_string(i) +
                R"(","name":"n","bogus":1})";
    body += "]}";
    DecodeContext c = Context();
    c.limits.max_lines = 10;
    auto r = DecodeJsonList(body, c);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, Errc::kTooLarge);
    EXPECT_EQ(r.error().code, "too_many_lines");
    c.limits.max_lines = 100;
    c.limits.max_errors = 5;
    r = DecodeJsonList(body, c);
    ASSERT_FALSE(r.has_value());
    ASSERT_EQ(r.error().details.size(), 5U) << Dump(r.error());
    EXPECT_EQ(r.error().details.back().code, "too_many_errors");
}

TEST_F(ListsDecodeTest, SupplyAndProjectLists) {
    const char* supply = R"({"kind": "supply", "series": "cat", "title": "产品供给清单", "lines": [
      {"sku": "VMC-850", "title": "立式加工中心 VMC850", "brand": "沈阳机床", "model": "VMC850E",
       "classification": {"id": "42612000-9"},
       "attributes": [{"name": "主轴转速", "min": 8000, "max": 12000, "unit": "转/分"},
                      {"name": "数控系统", "text": "FANUC 0i-MF"}],
       "price": {"amount": 268000, "currency": "CNY", "validUntil": "2026-12-31"},
       "minOrderQty": 1, "capacityPerMonth": 30, "leadTimeDays": 45,
       "serviceAreas": ["320000", "3100"], "excludedAreas": ["320583"],
       "certifications": [{"type": "CCC", "number": "2020010101", "expiresAt": "2027-05-01"}],
       "energyEfficiencyGrade": 1, "localizationRate": 0.85, "firstOfKind": true,
       "vendorRegion": "210100", "lastConfirmedAt": "2026-03-01"}]})";
    auto r = DecodeJsonList(supply, Context());
    ASSERT_TRUE(r.has_value()) << Dump(r.error());
    ASSERT_EQ(r->supply.size(), 1U);
    const auto& s = r->supply[0];
    EXPECT_EQ(s.attributes[0].unit, "rpm");
    EXPECT_EQ(s.service_areas, (std::vector<std::string>{"32", "31"}));
    EXPECT_EQ(s.excluded_areas, (std::vector<std::string>{"320583"}));
    EXPECT_EQ(s.vendor_region, "2101");
    EXPECT_EQ(s.certifications[0].expires_at, matcher::ParseIsoDay("2027-05-01"));
    EXPECT_TRUE(s.first_of_kind);
    EXPECT_EQ(s.lead_time_days, 45);

    const char* projects = R"({"kind": "project", "series": "p", "title": "技改项目", "lines": [
      {"ref": "P1", "name": "智能化改造", "sector": "3311", "region": "320500", "stage": "construction",
       "progressPct": 40, "startDate": "2026-01-01", "plannedCompletion": "2025-12-31",
       "totalInvestment": 1000, "equipmentInvestment": 2000, "demandRefs": ["D-001"]}]})";
    DecodeContext c = Context();
    c.sector_exists = [](std::string_view code) { return code == "3311"; };
    r = DecodeJsonList(projects, c);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(Find(r.error(), "/lines/0/plannedCompletion", "invalid_value"), std::nullopt);
    EXPECT_NE(Find(r.error(), "/lines/0/equipmentInvestment", "invalid_value"), std::nullopt);
}

// ---- CSV ----

ListHeader CsvHeader(ListKind kind) {
    ListHeader h;
    h.kind = kind;
    h.series = "excel";
    h.title = "Excel 导出";
    return h;
}

const std::string kDemandCsv =
    "需求编号,设备名称,规格型号,分类编码,数量,单位,预算金额（万元）,交付地点,需求时间,"
    "req:主轴转速[r/min],pref:功率[kW],技术要求,国产化率,接受二手\r\n"
    "D1,数控车床,CK6150,42621100-6,2,台,120,320500,2026/6/30,>=8000,10..15,"
    "\"数控系统 = FANUC|Siemens; ?噪声 <= 75 dB(A)\",60%,否\r\n"
    "D2,\"工业机器人, 六轴\",,42997300,1,套,35.5,320583,2026年7月1日,,,,0.5,是\r\n";

TEST_F(ListsDecodeTest, CsvWithChineseHeadersAndSpecColumns) {
    std::string csv = kDemandCsv;
    // dB(A) is not a convertible unit: the requirement is rejected, naming its column.
    auto r = DecodeCsvList(csv, CsvHeader(ListKind::kDemand), Context());
    ASSERT_FALSE(r.has_value());
    const auto bad = Find(r.error(), "技术要求", "unknown_unit");
    ASSERT_TRUE(bad.has_value()) << Dump(r.error());
    EXPECT_EQ(bad->line, 2);

    const std::string fixed_csv = [&] {
        std::string s = kDemandCsv;
        s.replace(s.find("?噪声 <= 75 dB(A)"), std::string("?噪声 <= 75 dB(A)").size(),
                  "?噪声 <= 75");
        return s;
    }();
    r = DecodeCsvList(fixed_csv, CsvHeader(ListKind::kDemand), Context());
    ASSERT_TRUE(r.has_value()) << Dump(r.error());
    EXPECT_EQ(r->source_encoding, "utf-8");
    ASSERT_EQ(r->demands.size(), 2U);
    const auto& d = r->demands[0];
    EXPECT_EQ(d.title, "数控车床");
    EXPECT_NE(d.description.find("CK6150"), std::string::npos);
    EXPECT_EQ(d.quantity_unit, "C62");
    EXPECT_EQ(d.budget_amount, 1200000);  // 万元 scaled to yuan
    EXPECT_EQ(d.delivery_region, "3205");
    EXPECT_EQ(d.need_by, matcher::ParseIsoDay("2026-06-30"));
    ASSERT_EQ(d.requirements.size(), 4U);
    EXPECT_EQ(d.requirements[0].name, "主轴转速");
    EXPECT_EQ(d.requirements[0].min, 8000);
    EXPECT_EQ(d.requirements[0].unit, "rpm");
    EXPECT_TRUE(d.requirements[0].mandatory);
    EXPECT_EQ(d.requirements[1].name, "功率");
    EXPECT_EQ(d.requirements[1].min, 10);
    EXPECT_EQ(d.requirements[1].max, 15);
    EXPECT_FALSE(d.requirements[1].mandatory);
    EXPECT_EQ(d.requirements[2].allowed_values, (std::vector<std::string>{"FANUC", "Siemens"}));
    EXPECT_EQ(d.requirements[3].max, 75);
    EXPECT_FALSE(d.requirements[3].mandatory);
    EXPECT_EQ(d.localization_rate_min, 0.6);
    const auto& d2 = r->demands[1];
    EXPECT_EQ(d2.title, "工业机器人, 六轴");
    EXPECT_EQ(d2.quantity_unit, "SET");
    EXPECT_EQ(d2.need_by, matcher::ParseIsoDay("2026-07-01"));
    EXPECT_TRUE(d2.second_hand_allowed);
    EXPECT_TRUE(d2.requirements.empty());

    // The same file as GBK (what Chinese Excel writes) and with a UTF-8 BOM.
    auto gbk = Utf8ToGb18030(fixed_csv);
    ASSERT_TRUE(gbk.has_value());
    auto g = DecodeCsvList(*gbk, CsvHeader(ListKind::kDemand), Context());
    ASSERT_TRUE(g.has_value()) << Dump(g.error());
    EXPECT_EQ(g->source_encoding, "gb18030");
    EXPECT_EQ(g->demands[1].title, "工业机器人, 六轴");
    auto b = DecodeCsvList("\xEF\xBB\xBF" + fixed_csv, CsvHeader(ListKind::kDemand), Context());
    ASSERT_TRUE(b.has_value()) << Dump(b.error());
    EXPECT_EQ(b->source_encoding, "utf-8-bom");
    EXPECT_EQ(b->demands[0].ref, "D1");
}

TEST_F(ListsDecodeTest, CsvStructuralErrors) {
    auto r =
        DecodeCsvList("ref,title,quantity\nA,x,1\nB,y\n", CsvHeader(ListKind::kDemand), Context());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, Errc::kMalformed);
    ASSERT_EQ(r.error().details.size(), 1U);
    EXPECT_EQ(r.error().details[0].code, "ragged_row");
    EXPECT_EQ(r.error().details[0].line, 3);

    auto gbk = Utf8ToGb18030("ref,title\nA,数控\n");
    ASSERT_TRUE(gbk.has_value());
    r = DecodeCsvList(*gbk + "B,\xFF\xFE\n", CsvHeader(ListKind::kDemand), Context());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, "invalid_encoding");
    EXPECT_EQ(r.error().details[0].line, 3);

    r = DecodeCsvList("ref,colour,数量,quantity\n", CsvHeader(ListKind::kDemand), Context());
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(Find(r.error(), "colour", "unknown_column"), std::nullopt) << Dump(r.error());
    EXPECT_NE(Find(r.error(), "quantity", "duplicate_column"), std::nullopt) << Dump(r.error());
}

TEST_F(ListsDecodeTest, CsvRowErrorsNameTheColumnAndLine) {
    const std::string csv =
        "ref,title,classification,quantity,unit,deliveryRegion,deliveryDate,attr:x\n"
        "A,ok,42621100-6,1,C62,320500,2026-01-01,\n"
        "A,,4262110,abc,XX,9,2026-13-01,\n";
    auto r = DecodeCsvList(csv, CsvHeader(ListKind::kDemand), Context());
    ASSERT_FALSE(r.has_value());
    const ApiError& e = r.error();
    // attr: columns belong to supply lists.
    EXPECT_NE(Find(e, "attr:x", "unknown_column"), std::nullopt) << Dump(e);

    const std::string csv2 =
        "ref,title,classification,quantity,unit,deliveryRegion,deliveryDate\n"
        "A,ok,42621100-6,1,C62,320500,2026-01-01\n"
        "A,,4262110,abc,XX,9,2026-13-01\n";
    r = DecodeCsvList(csv2, CsvHeader(ListKind::kDemand), Context());
    ASSERT_FALSE(r.has_value());
    const ApiError& e2 = r.error();
    EXPECT_NE(Find(e2, "quantity", "wrong_type"), std::nullopt) << Dump(e2);
    EXPECT_NE(Find(e2, "ref", "duplicate_ref"), std::nullopt) << Dump(e2);
    EXPECT_NE(Find(e2, "title", "required"), std::nullopt) << Dump(e2);
    EXPECT_NE(Find(e2, "classification", "malformed_code"), std::nullopt) << Dump(e2);
    EXPECT_NE(Find(e2, "unit", "unknown_unit"), std::nullopt) << Dump(e2);
    EXPECT_NE(Find(e2, "deliveryRegion", "unknown_region"), std::nullopt) << Dump(e2);
    EXPECT_NE(Find(e2, "deliveryDate", "malformed_date"), std::nullopt) << Dump(e2);
    for (const auto& d : e2.details) EXPECT_EQ(d.line, 3) << Dump(e2);
}

TEST_F(ListsDecodeTest, CsvSupplyWithAttributesAndCertifications) {
    const std::string csv =
        "产品编号,产品名称,品牌,规格型号,分类编码,attr:主轴转速[r/min],技术参数,单价,服务区域,"
        "认证,首台套,国产化率\n"
        "S1,立式加工中心,沈阳机床,VMC850E,42612000-9,8000..12000,"
        "\"功率: 15 kW; 数控系统: FANUC\",268000,320000；310000,CCC:2020010101:2027/5/1、ISO9001,"
        "是,85%\n";
    auto r = DecodeCsvList(csv, CsvHeader(ListKind::kSupply), Context());
    ASSERT_TRUE(r.has_value()) << Dump(r.error());
    const auto& s = r->supply.at(0);
    EXPECT_EQ(s.model, "VMC850E");
    ASSERT_EQ(s.attributes.size(), 3U);
    EXPECT_EQ(s.attributes[0].min, 8000);
    EXPECT_EQ(s.attributes[0].unit, "rpm");
    EXPECT_EQ(s.attributes[1].name, "功率");
    EXPECT_EQ(s.attributes[1].value, 15);
    EXPECT_EQ(s.attributes[1].unit, "kW");
    EXPECT_EQ(s.attributes[2].text, "FANUC");
    EXPECT_EQ(s.service_areas, (std::vector<std::string>{"32", "31"}));
    ASSERT_EQ(s.certifications.size(), 2U);
    EXPECT_EQ(s.certifications[0].number, "2020010101");
    EXPECT_EQ(s.certifications[0].expires_at, matcher::ParseIsoDay("2027-05-01"));
    EXPECT_EQ(s.certifications[1].type, "ISO9001");
    EXPECT_TRUE(s.first_of_kind);
    EXPECT_DOUBLE_EQ(*s.localization_rate, 0.85);
}

TEST(SpecSyntax, ValuesAndItems) {
    auto v = ParseSpecValue(">= 8000 r/min");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->min, 8000);
    EXPECT_EQ(v->unit, "r/min");
    v = ParseSpecValue("≤75");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->max, 75);
    v = ParseSpecValue("=FANUC");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->text, "FANUC");
    v = ParseSpecValue("=12");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->min, 12);
    EXPECT_EQ(v->max, 12);
    v = ParseSpecValue("~3.5 t");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->expected, 3.5);
    EXPECT_EQ(v->unit, "t");
    v = ParseSpecValue("=4轴|6轴");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->allowed_values, (std::vector<std::string>{"4轴", "6轴"}));
    EXPECT_FALSE(v->min.has_value());
    EXPECT_FALSE(ParseSpecValue(">= fast").has_value());
    EXPECT_FALSE(ParseSpecValue("12..3").has_value());
    EXPECT_FALSE(ParseSpecValue("").has_value());
    auto item = ParseSpecItem("spindle speed >= 8000 rpm");
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->name, "spindle speed");
    EXPECT_EQ(item->min, 8000);
    item = ParseSpecItem("?额定载荷：6 kg");
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->name, "额定载荷");
    EXPECT_EQ(item->expected, 6);
    EXPECT_FALSE(item->mandatory);
    EXPECT_FALSE(ParseSpecItem("justaname").has_value());
}

TEST(RegionForm, StripsTrailingZeroPairs) {
    EXPECT_EQ(NormalizeRegionForm("320500"), "3205");
    EXPECT_EQ(NormalizeRegionForm("320000"), "32");
    EXPECT_EQ(NormalizeRegionForm("320583"), "320583");
    EXPECT_EQ(NormalizeRegionForm("000000"), std::nullopt);
    EXPECT_EQ(NormalizeRegionForm("32050"), std::nullopt);
    EXPECT_EQ(NormalizeRegionForm("3a"), std::nullopt);
}

}  // namespace
}  // namespace renewmatch::api
