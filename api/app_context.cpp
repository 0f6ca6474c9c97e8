#include "api/app_context.hpp"

#include <chrono>

namespace renewmatch::api {

std::int64_t AppContext::NowMs() const {
    if (now_ms) return now_ms();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void AppContext::LinesChanged() const {
    if (on_lines_changed) on_lines_changed();
}

}  // namespace renewmatch::api
