#include "api/units.hpp"

#include "matcher/units.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace renewmatch::api {
namespace {

class UnitCatalogTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        std::string error;
        units_ = matcher::UnitSystem::Load(&error).release();
        ASSERT_NE(units_, nullptr) << error;
    }
    static void TearDownTestSuite() { delete units_; }
    static matcher::UnitSystem* units_;
};
matcher::UnitSystem* UnitCatalogTest::units_ = nullptr;

TEST_F(UnitCatalogTest, CanonicalSpellingsAndConversions) {
    UnitCatalog catalog(*units_);
    EXPECT_EQ(*catalog.Validate("kW"), "kW");
    EXPECT_EQ(*catalog.Validate(" kw "), "kW");
    EXPECT_EQ(*catalog.Validate("r/min"), "rpm");
    EXPECT_EQ(*catalog.Validate("千瓦"), "kW");
    EXPECT_EQ(*catalog.Validate(""), "");
    // 12 kW vs 12000 W, 3 t vs 3000 kg.
    EXPECT_DOUBLE_EQ(*catalog.Convert(12, "kW", "W"), 12000);
    EXPECT_DOUBLE_EQ(*catalog.Convert(3, "t", "kg"), 3000);
    EXPECT_DOUBLE_EQ(*catalog.Convert(12000, *catalog.Validate("r/min"), "rpm"), 12000);
    EXPECT_FALSE(catalog.Convert(1, "kW", "kg").has_value());
}

TEST_F(UnitCatalogTest, UnknownUnitsGetSuggestions) {
    UnitCatalog catalog(*units_);
    auto r = catalog.Validate("kilowat");
    ASSERT_FALSE(r.has_value());
    ASSERT_FALSE(r.error().suggestions.empty());
    EXPECT_EQ(r.error().suggestions.front(), "kilowatt");
    EXPECT_NE(r.error().message.find("did you mean"), std::string::npos);
    r = catalog.Validate("rmp");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().suggestions.front(), "rpm");
    // Logarithmic units parse in UDUNITS but cannot be compared: refused.
    EXPECT_FALSE(catalog.Validate("dB").has_value());
    EXPECT_EQ(catalog.Suggest("Mpaa", 1), std::vector<std::string>{"MPa"});
    // Every candidate offered is itself accepted.
    for (const auto& c : catalog.candidates()) EXPECT_TRUE(catalog.Validate(c).has_value()) << c;
}

}  // namespace
}  // namespace renewmatch::api
