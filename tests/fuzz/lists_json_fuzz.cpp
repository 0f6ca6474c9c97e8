// libFuzzer target for the JSON list decoder (api/lists_decode.hpp): any byte string must either
// decode or be rejected with an ApiError; never crash, leak or trip a sanitizer. Seeds live in
// tests/fuzz/corpus/lists_json/.
#include "api/lists_decode.hpp"
#include "tests/fuzz/decode_context.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace {

const renewmatch::api::DecodeContext& Context() {
    return renewmatch::fuzz::DecodeContextForFuzzing();
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
