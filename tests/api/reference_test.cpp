#include "api/reference.hpp"

#include <gtest/gtest.h>

#include <string>

namespace renewmatch::api {
namespace {

class ReferenceTest : public ::testing::Test {
  protected:
    std::shared_ptr<const ReferenceData> ref_ = ReferenceData::Embedded();
};

TEST_F(ReferenceTest, EmbeddedTablesHaveTheSourceRowCounts) {
    EXPECT_EQ(ref_->cpv_count(), 9454U);
    EXPECT_EQ(ref_->hs_count(), 6939U);  // 6940 rows minus the "TOTAL" root
    EXPECT_EQ(ref_->quantity_unit_count(), 2091U);
}

TEST_F(ReferenceTest, CpvHierarchyAndLevels) {
    const auto* lathe = ref_->FindCpv("42621100-6");
    ASSERT_NE(lathe, nullptr);
    EXPECT_EQ(lathe->label, "CNC lathe");
    EXPECT_EQ(lathe->level, static_cast<int>(CpvLevel::kSubcategory));
    EXPECT_EQ(ref_->Ancestors("CPV", "42621100-6"),
              (std::vector<std::string>{"42621000-5", "42620000-8", "42600000-2", "42000000-6"}));
    EXPECT_EQ(ref_->FindCpv("42000000-6")->level, static_cast<int>(CpvLevel::kDivision));
    EXPECT_TRUE(ref_->Ancestors("CPV", "42000000-6").empty());
    EXPECT_EQ(ref_->CpvParents().at("42600000-2"), "42000000-6");
    EXPECT_EQ(CpvLevelName(CpvLevel::kCategory), "category");
}

TEST_F(ReferenceTest, CpvValidation) {
    auto ok = ref_->CanonicalClassification("CPV", "42621100-6");
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, "42621100-6");
    // Without the check digit: completed from the table; scheme defaults to CPV.
    ok = ref_->CanonicalClassification("", " 42621100 ");
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, "42621100-6");

    auto bad = ref_->CanonicalClassification("cpv", "42621100-7");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "bad_check_digit");
    EXPECT_NE(bad.error().message.find("42621100-6"), std::string::npos);

    bad = ref_->CanonicalClassification("CPV", "42621199-1");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "unknown_code");
    for (const char* malformed : {"4262110-6", "42621100_6", "4262A100-6", "", "42621100-"}) {
        bad = ref_->CanonicalClassification("CPV", malformed);
        ASSERT_FALSE(bad.has_value()) << malformed;
        EXPECT_EQ(bad.error().code, "malformed_code") << malformed;
    }
}

TEST_F(ReferenceTest, HsValidationAndHierarchy) {
    auto ok = ref_->CanonicalClassification("HS", "8457.10");
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, "845710");
    EXPECT_EQ(ref_->Ancestors("HS", "845710"), (std::vector<std::string>{"8457", "84"}));
    EXPECT_EQ(ref_->FindHs("84")->level, 2);
    EXPECT_TRUE(ref_->Ancestors("hs", "84").empty());
    auto bad = ref_->CanonicalClassification("HS", "845799");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "unknown_code");
    bad = ref_->CanonicalClassification("HS", "84571");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "malformed_code");
    bad = ref_->CanonicalClassification("UNSPSC", "23101500");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "unknown_scheme");
}

TEST_F(ReferenceTest, QuantityUnits) {
    ASSERT_NE(ref_->FindQuantityUnit("C62"), nullptr);
    EXPECT_EQ(ref_->FindQuantityUnit("KWT")->symbol, "kW");
    EXPECT_TRUE(ref_->FindQuantityUnit("SET")->recommended);
    EXPECT_EQ(ref_->FindQuantityUnit("XYZ"), nullptr);
    const auto suggestions = ref_->SuggestQuantityUnits("kilogramm");
    ASSERT_FALSE(suggestions.empty());
    EXPECT_EQ(suggestions.front(), "KGM");
    EXPECT_EQ(ref_->SuggestQuantityUnits("SETS", 1), std::vector<std::string>{"SET"});
}

TEST(ReferenceParse, RejectsInconsistentTables) {
    const std::string hs = "section,hscode,description,parent,level\nXVI,84,Machinery,TOTAL,2\n";
    const std::string units = "code,name,symbol,recommended\nC62,one,1,0\n";
    const std::string cpv_ok = "code,level,parent,label_en\n42000000-6,division,,Machinery\n";
    EXPECT_TRUE(ReferenceData::Parse(cpv_ok, hs, units).has_value());
    // Missing parent, bad header, bad level, bad code form.
    EXPECT_FALSE(ReferenceData::Parse("code,level,parent,label_en\n42600000-2,group,42000000-6,x\n",
                                      hs, units)
                     .has_value());
    EXPECT_FALSE(ReferenceData::Parse("id,level,parent,label\n", hs, units).has_value());
    EXPECT_FALSE(
        ReferenceData::Parse("code,level,parent,label_en\n42000000-6,section,,x\n", hs, units)
            .has_value());
    EXPECT_FALSE(
        ReferenceData::Parse("code,level,parent,label_en\n4200000-6,division,,x\n", hs, units)
            .has_value());
    EXPECT_FALSE(ReferenceData::Parse(
                     cpv_ok, "section,hscode,description,parent,level\nXVI,845,x,84,4\n", units)
                     .has_value());
}

TEST(EditDistance, CaseInsensitiveLevenshtein) {
    EXPECT_EQ(EditDistance("kw", "kW"), 0U);
    EXPECT_EQ(EditDistance("kitten", "sitting"), 3U);
    EXPECT_EQ(EditDistance("", "abc"), 3U);
}

}  // namespace
}  // namespace renewmatch::api
