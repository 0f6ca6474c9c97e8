// libFuzzer target for the CSV list decoder (encoding detection, RFC 4180 reader, header binding,
// requirement/attribute syntax). The first byte picks the list kind; the rest is the file.
// Seeds live in tests/fuzz/corpus/lists_csv/.
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
    if (size == 0) return 0;
    renewmatch::api::ListHeader header;
    header.kind = data[0] % 3 == 0   ? renewmatch::api::ListKind::kDemand
                  : data[0] % 3 == 1 ? renewmatch::api::ListKind::kSupply
                                     : renewmatch::api::ListKind::kProject;
    header.series = "fuzz";
    header.title = "fuzz";
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    auto result = renewmatch::api::DecodeCsvList(bytes, header, Context());
    if (!result && result.error().details.size() > Context().limits.max_errors) {
        __builtin_trap();  // the documented cap must hold
    }
    return 0;
}
