// libFuzzer target for the JSON list decoder (api/lists_decode.hpp): any byte string must either
// decode or be rejected with an ApiError; never crash, leak or trip a sanitizer. Seeds live in
// tests/fuzz/corpus/lists_json/.
#include "api/lists_decode.hpp"
#include "api/reference.hpp"
#include "api/units.hpp"
#include "matcher/units.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace {

const renewmatch::api::DecodeContext& Context() {
    static const auto* units = [] {
        std::string error;
        return renewmatch::matcher::UnitSystem::Load(&error).release();
    }();
    static const auto* catalog = new renewmatch::api::UnitCatalog(*units);
    static const auto* context = [] {
        auto* c = new renewmatch::api::DecodeContext;
        c->reference = renewmatch::api::ReferenceData::Embedded().get();
        c->units = catalog;
        c->limits.max_lines = 1000;
        return c;
    }();
    return *context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    auto result = renewmatch::api::DecodeJsonList(body, Context());
    if (result) {
        // A decoded list is internally consistent: one vector per kind.
        const auto& list = *result;
        if (list.line_count() != list.demands.size() + list.supply.size() + list.projects.size()) {
            __builtin_trap();
        }
    } else if (result.error().details.size() > Context().limits.max_errors) {
        __builtin_trap();  // the documented cap must hold
    }
    return 0;
}
