#include "api/orgs_reference.hpp"

#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

namespace renewmatch::api {
namespace {

TEST(ReferenceCodes, EmbeddedTablesMatchTheShippedFiles) {
    const auto codes = ReferenceCodes::Embedded();
    ASSERT_NE(codes, nullptr);
    // 31 provinces + 342 cities + 2978 counties, as data/regions/SOURCE.txt states.
    EXPECT_EQ(codes->region_count(), 31u + 342u + 2978u);
    // 20 sections + 97 divisions + 473 groups + 1381 classes (data/gbt4754/SOURCE.txt).
    EXPECT_EQ(codes->sector_count(), 1971u);
    // The embedded text is the file in data/ (line ends normalised to LF by the compiler, which
    // reads raw string literals as source lines).
    const auto without_cr = [](std::string text) {
        std::erase(text, '\r');
        return text;
    };
    EXPECT_TRUE(EmbeddedAreasCsv() ==
                without_cr(testing::ReadFile(testing::SourceDir() / "data/regions/areas.csv")));
    EXPECT_TRUE(
        EmbeddedSectorsCsv() ==
        without_cr(testing::ReadFile(testing::SourceDir() / "data/gbt4754/gbt4754_2017.csv")));
    EXPECT_EQ(ReferenceCodes::Embedded().get(), codes.get()) << "built once";
}

TEST(ReferenceCodes, RegionsNormaliseToSignificantPrefix) {
    const auto codes = ReferenceCodes::Embedded();
    EXPECT_EQ(codes->NormalizeRegion("32"), "32");
    EXPECT_EQ(codes->NormalizeRegion("320000"), "32");
    EXPECT_EQ(codes->NormalizeRegion("3205"), "3205");
    EXPECT_EQ(codes->NormalizeRegion("320500"), "3205");
    EXPECT_EQ(codes->NormalizeRegion("320505"), "320505");
    EXPECT_EQ(codes->NormalizeRegion("110101"), "110101");

    const RegionEntry* suzhou = codes->FindRegion("3205");
    ASSERT_NE(suzhou, nullptr);
    EXPECT_EQ(suzhou->name, "苏州市");
    EXPECT_EQ(suzhou->parent, "32");
    EXPECT_EQ(suzhou->level, RegionLevel::kCity);
    const RegionEntry* huqiu = codes->FindRegion("320505");
    ASSERT_NE(huqiu, nullptr);
    EXPECT_EQ(huqiu->name, "虎丘区");
    EXPECT_EQ(huqiu->level, RegionLevel::kCounty);
}

TEST(ReferenceCodes, UnknownOrMalformedRegionsAreRefused) {
    const auto codes = ReferenceCodes::Embedded();
    for (const char* bad : {"", "3", "320", "32050", "3205051", "99", "990000", "329900", "320599",
                            "00", "000000", "32050a", " 3205", "３２"}) {
        EXPECT_FALSE(codes->NormalizeRegion(bad).has_value()) << bad;
    }
}

TEST(ReferenceCodes, SectorsAtEveryLevel) {
    const auto codes = ReferenceCodes::Embedded();
    const SectorEntry* section = codes->FindSector("C");
    ASSERT_NE(section, nullptr);
    EXPECT_EQ(section->level, 1);
    EXPECT_EQ(section->name, "制造业");
    const SectorEntry* division = codes->FindSector("34");
    ASSERT_NE(division, nullptr);
    EXPECT_EQ(division->level, 2);
    EXPECT_EQ(division->parent, "C");
    const SectorEntry* cls = codes->FindSector("3511");
    ASSERT_NE(cls, nullptr);
    EXPECT_EQ(cls->level, 4);
    EXPECT_EQ(cls->parent, "351");
    // Split rows from the source conversion exist separately.
    EXPECT_NE(codes->FindSector("2770"), nullptr);
    EXPECT_NE(codes->FindSector("2780"), nullptr);
    for (const char* bad : {"", "c", "Z", "3", "99", "3598", "35110", "27702780"}) {
        EXPECT_EQ(codes->FindSector(bad), nullptr) << bad;
    }
}

TEST(ReferenceCodes, ParseRejectsBrokenData) {
    const std::string provinces = "code,name\n32,\"江苏省\"\n";
    const std::string cities = "code,name,provinceCode\n3205,\"苏州市\",32\n";
    const std::string areas = "code,name,cityCode,provinceCode\n320505,\"虎丘区\",3205,32\n";
    const std::string sectors =
        "code,name_zh,level,parent,section,note\nC,制造业,s,,C,\n"
        "34,通用设备制造业,d,C,C,\n";
    auto ok = ReferenceCodes::Parse(provinces, cities, areas, sectors);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->region_count(), 3u);
    EXPECT_EQ(ok->NormalizeRegion("320505"), "320505");

    // A county whose city is missing, a city under the wrong province, an unterminated quote,
    // a sector whose parent is unknown.
    EXPECT_FALSE(ReferenceCodes::Parse(
        provinces, cities, "code,name,cityCode,provinceCode\n320605,x,3206,32\n", sectors));
    EXPECT_FALSE(
        ReferenceCodes::Parse(provinces, "code,name,provinceCode\n3305,x,32\n", areas, sectors));
    EXPECT_FALSE(ReferenceCodes::Parse("code,name\n32,\"江苏省\n", cities, areas, sectors));
    EXPECT_FALSE(ReferenceCodes::Parse(provinces, cities, areas,
                                       "code,name_zh,level,parent,section,note\n34,x,d,C,C,\n"));
}

}  // namespace
}  // namespace renewmatch::api
