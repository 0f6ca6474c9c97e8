// The confidential-field encoder on a real case: a demand line whose budget is hidden or shown
// as a range, encoded for its owner, another buyer, a supplier, an administrator and anonymous.
#include "api/auth_fields.hpp"

#include <gtest/gtest.h>

namespace renewmatch::api {
namespace {

std::string EncodeDemand(const matcher::DemandLine& line, const Viewer& viewer) {
    JsonWriter w;
    w.StartObject();
    RecordWriter record(w, viewer, line.buyer_id);
    record.Public("ref", line.ref).Public("title", line.title);
    record.Public("quantity", line.quantity);
    WriteBudget(record, line.budget_amount, line.budget_currency, line.budget_visibility);
    record.Confidential("internalNote", std::string("replace before the Q3 audit"));
    w.EndObject();
    return w.Take();
}

class ConfidentialFields : public ::testing::Test {
  protected:
    void SetUp() override {
        line_.buyer_id = 7;
        line_.ref = "L-001";
        line_.title = "数控立式加工中心 VMC850";
        line_.quantity = 2;
        line_.budget_amount = 730000;
        line_.budget_visibility = matcher::BudgetVisibility::kHidden;
    }
    matcher::DemandLine line_;
    const Principal owner_{11, 7, Role::kBuyer};
    const Principal other_buyer_{12, 8, Role::kBuyer};
    const Principal supplier_{13, 9, Role::kSupplier};
    const Principal admin_{1, 1, Role::kAdmin};
};

TEST_F(ConfidentialFields, HiddenBudgetOnlyForOwnerAndAdmin) {
    for (const Principal* insider : {&owner_, &admin_}) {
        const std::string json = EncodeDemand(line_, Viewer::From(insider));
        EXPECT_NE(
            json.find(R"("budget":{"amount":730000.0,"currency":"CNY","visibility":"hidden"})"),
            std::string::npos)
            << json;
        EXPECT_NE(json.find("internalNote"), std::string::npos);
    }
    for (const Principal* outsider : {&other_buyer_, &supplier_}) {
        const std::string json = EncodeDemand(line_, Viewer::From(outsider));
        EXPECT_EQ(json.find("budget"), std::string::npos) << json;
        EXPECT_EQ(json.find("730000"), std::string::npos) << json;
        EXPECT_EQ(json.find("internalNote"), std::string::npos) << json;
        EXPECT_NE(json.find("VMC850"), std::string::npos) << "public fields stay";
    }
    const std::string anonymous = EncodeDemand(line_, Viewer::Anonymous());
    EXPECT_EQ(anonymous.find("budget"), std::string::npos);
}

TEST_F(ConfidentialFields, RangeBudgetShowsOutsidersABandOnly) {
    line_.budget_visibility = matcher::BudgetVisibility::kRange;
    const std::string outsider = EncodeDemand(line_, Viewer::From(&supplier_));
    EXPECT_NE(
        outsider.find(
            R"("budget":{"min":500000.0,"max":1000000.0,"currency":"CNY","visibility":"range"})"),
        std::string::npos)
        << outsider;
    EXPECT_EQ(outsider.find("730000"), std::string::npos);
    const std::string insider = EncodeDemand(line_, Viewer::From(&owner_));
    EXPECT_NE(insider.find(R"("amount":730000.0)"), std::string::npos) << insider;
}

TEST_F(ConfidentialFields, PublicBudgetForEveryone) {
    line_.budget_visibility = matcher::BudgetVisibility::kPublic;
    EXPECT_NE(EncodeDemand(line_, Viewer::Anonymous()).find(R"("amount":730000.0)"),
              std::string::npos);
}

TEST(BudgetBand, OneTwoFiveSeries) {
    const auto check = [](double amount, double lo, double hi) {
        const BudgetBand band = BudgetBandFor(amount);
        EXPECT_DOUBLE_EQ(band.min, lo) << amount;
        EXPECT_DOUBLE_EQ(band.max, hi) << amount;
        EXPECT_LE(band.min, amount);
        EXPECT_LT(amount, band.max);
    };
    check(730000, 500000, 1000000);
    check(1000, 1000, 2000);
    check(1999.99, 1000, 2000);
    check(2000, 2000, 5000);
    check(4999, 2000, 5000);
    check(5000, 5000, 10000);
    check(0.3, 0.2, 0.5);
    EXPECT_DOUBLE_EQ(BudgetBandFor(0).max, 0);
    EXPECT_DOUBLE_EQ(BudgetBandFor(-5).max, 0);
}

TEST(Viewer, MaySeeRules) {
    const Principal buyer{1, 5, Role::kBuyer};
    const Principal job{2, 6, Role::kJob};
    EXPECT_TRUE(MaySee(Viewer::From(&buyer), 5, FieldVisibility::kOwnerOnly));
    EXPECT_FALSE(MaySee(Viewer::From(&buyer), 6, FieldVisibility::kOwnerOnly));
    EXPECT_FALSE(MaySee(Viewer::From(&job), 5, FieldVisibility::kOwnerOnly));
    EXPECT_TRUE(MaySee(Viewer::Anonymous(), 5, FieldVisibility::kPublic));
    EXPECT_FALSE(MaySee(Viewer::Anonymous(), 5, FieldVisibility::kOwnerOnly));
}

}  // namespace
}  // namespace renewmatch::api
