// End-to-end check of scripts/demo-data against the real decoders: every generated demand,
// supply and project list, as JSON and as Excel-style CSV (UTF-8 with BOM, and converted to
// GB18030), decodes without a single error, with real GB/T 2260 regions and GB/T 4754 sectors.
#include "api/encoding.hpp"
#include "api/lists_decode.hpp"
#include "api/orgs_reference.hpp"
#include "api/units.hpp"
#include "matcher/units.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace renewmatch::api {
namespace {

std::string Dump(const ApiError& e) {
    std::string s = e.code + ": " + e.message + "\n";
    for (std::size_t i = 0; i < e.details.size() && i < 10; ++i) {
        const auto& d = e.details[i];
        s += "  [" + (d.line ? std::to_string(*d.line) : std::string("-")) + "] " + d.field + " " +
             d.code + ": " + d.message + "\n";
    }
    return s;
}

TEST(DemoData, GeneratedListsDecodeCleanly) {
    renewmatch::testing::TempDir dir;
    std::string error;
    auto units = matcher::UnitSystem::Load(&error);
    ASSERT_NE(units, nullptr) << error;
    UnitCatalog catalog(*units);
    auto regions = ReferenceCodes::Embedded();
    DecodeContext context;
    context.reference = ReferenceData::Embedded().get();
    context.units = &catalog;
    context.normalize_region = [&](std::string_view code) {
        return regions->NormalizeRegion(code);
    };
    context.sector_exists = [&](std::string_view code) {
        return regions->FindSector(code) != nullptr;
    };

    for (const std::string format : {"json", "csv"}) {
        const auto out = dir / format;
        const std::string cmd =
            "python3 " + (renewmatch::testing::SourceDir() / "scripts" / "demo-data").string() +
            " --demands 60 --supply 300 --projects 8 --seed 7 --format " + format + " --out " +
            out.string() + " > /dev/null";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        const struct {
            ListKind kind;
            const char* stem;
            std::size_t count;
        } files[] = {{ListKind::kDemand, "demand", 60},
                     {ListKind::kSupply, "supply", 300},
                     {ListKind::kProject, "projects", 8}};
        for (const auto& f : files) {
            const std::string bytes =
                renewmatch::testing::ReadFile(out / (std::string(f.stem) + "." + format));
            ASSERT_FALSE(bytes.empty());
            if (format == "json") {
                auto r = DecodeJsonList(bytes, context);
                ASSERT_TRUE(r.has_value()) << f.stem << "\n" << Dump(r.error());
                EXPECT_EQ(r->header.kind, f.kind);
                EXPECT_EQ(r->line_count(), f.count);
                continue;
            }
            ListHeader header;
            header.kind = f.kind;
            header.series = "demo";
            header.title = "demo";
            auto r = DecodeCsvList(bytes, header, context);
            ASSERT_TRUE(r.has_value()) << f.stem << ".csv\n" << Dump(r.error());
            EXPECT_EQ(r->source_encoding, "utf-8-bom");
            EXPECT_EQ(r->line_count(), f.count);
            // The same file as Chinese Excel would save it.
            auto gbk = Utf8ToGb18030(bytes.substr(3));
            ASSERT_TRUE(gbk.has_value());
            auto g = DecodeCsvList(*gbk, header, context);
            ASSERT_TRUE(g.has_value()) << f.stem << ".csv (GB18030)\n" << Dump(g.error());
            EXPECT_EQ(g->source_encoding, "gb18030");
            EXPECT_EQ(g->line_count(), f.count);
        }
    }
}

}  // namespace
}  // namespace renewmatch::api
