// The list-decoder context shared by the libFuzzer targets: UDUNITS, the unit catalog and the
// embedded reference data, built once per process (fuzzers run single-threaded) and never freed,
// so that LeakSanitizer does not report process-lifetime objects.
#pragma once

#include "api/lists_decode.hpp"
#include "api/reference.hpp"
#include "api/units.hpp"
#include "matcher/units.hpp"

#include <string>

namespace renewmatch::fuzz {

inline const api::DecodeContext& DecodeContextForFuzzing() {
    static const auto* units = [] {
        std::string error;
        return matcher::UnitSystem::Load(&error).release();
    }();
    static const auto* catalog = new api::UnitCatalog(*units);
    static const auto* context = [] {
        auto* c = new api::DecodeContext;
        c->reference = api::ReferenceData::Embedded().get();
        c->units = catalog;
        c->limits.max_lines = 1000;
        return c;
    }();
    return *context;
}

}  // namespace renewmatch::fuzz
