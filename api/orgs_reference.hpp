// Immutable lookup tables for the reference codes an organisation carries: GB/T 2260
// administrative divisions (region) and GB/T 4754-2017 industry sectors (sector).
//
// The tables are parsed once from the CSV files shipped in data/regions/ and data/gbt4754/
// (embedded into the binary at build time, see api/CMakeLists.txt) and then never change.
// `ReferenceCodes::Embedded()` returns the process-wide instance, built on first use (thread-safe
// static initialisation); `ReferenceCodes::Parse` builds one from explicit CSV text (tests).
//
// Region codes follow matcher/domain.hpp: the significant-prefix form ("32", "3205", "320505") is
// canonical; the published 6-digit form ("320000", "320500") is accepted and normalised by
// stripping trailing "00" pairs.
//
// Thread-safety: a ReferenceCodes value is immutable after construction; share it as
// `std::shared_ptr<const ReferenceCodes>` and read it from any thread.
#pragma once

#include "schema/errc.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace renewmatch::api {

enum class RegionLevel { kProvince, kCity, kCounty };

struct RegionEntry {
    std::string code;    // significant-prefix form
    std::string name;    // Chinese name, e.g. "苏州市"
    std::string parent;  // significant-prefix code of the parent; empty for a province
    RegionLevel level = RegionLevel::kProvince;
};

struct SectorEntry {
    std::string code;    // "C", "35", "351", "3511"
    std::string name;    // Chinese label
    std::string parent;  // parent code; empty for a section
    int level = 0;  // 1 section (门类), 2 division (大类), 3 group (中类), 4 class (小类)
};

class ReferenceCodes {
  public:
    // Parses the CSV texts (with header rows, in the upstream column layouts). Returns
    // kMalformed when a row cannot be read, kInvalidArgument when a code is not in the form its
    // level requires or a parent is missing.
    [[nodiscard]] static Result<ReferenceCodes> Parse(std::string_view provinces_csv,
                                                      std::string_view cities_csv,
                                                      std::string_view areas_csv,
                                                      std::string_view sectors_csv);

    // The tables built from the data shipped in the binary. Aborts the process (PROJ_CHECK
    // style) if the embedded data does not parse: that is a build defect, not a runtime state.
    static std::shared_ptr<const ReferenceCodes> Embedded();

    // Normalises a region code given in significant-prefix or published 6-digit form and returns
    // the significant-prefix form when the division exists; nullopt otherwise.
    std::optional<std::string> NormalizeRegion(std::string_view code) const;
    const RegionEntry* FindRegion(std::string_view significant_prefix) const;

    // The sector entry for an exact GB/T 4754-2017 code (section letters are upper case).
    const SectorEntry* FindSector(std::string_view code) const;

    std::size_t region_count() const { return regions_.size(); }
    std::size_t sector_count() const { return sectors_.size(); }

  private:
    ReferenceCodes() = default;
    std::unordered_map<std::string, RegionEntry> regions_;
    std::unordered_map<std::string, SectorEntry> sectors_;
};

// Embedded CSV texts (generated from data/ at build time).
std::string_view EmbeddedProvincesCsv();
std::string_view EmbeddedCitiesCsv();
std::string_view EmbeddedAreasCsv();
std::string_view EmbeddedSectorsCsv();

}  // namespace renewmatch::api
