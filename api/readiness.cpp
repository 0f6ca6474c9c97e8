#include "api/readiness.hpp"

namespace renewmatch::api {

void Readiness::Require(std::string_view name) {
    std::lock_guard lock(mutex_);
    flags_.try_emplace(std::string(name), false);
}

void Readiness::Set(std::string_view name, bool ready) {
    std::lock_guard lock(mutex_);
    auto it = flags_.find(name);
    if (it == flags_.end()) {
        flags_.emplace(std::string(name), ready);
    } else {
        it->second = ready;
    }
}

std::vector<std::string> Readiness::NotReady() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [name, ready] : flags_) {
        if (!ready) names.push_back(name);
    }
    return names;
}

std::vector<std::pair<std::string, bool>> Readiness::Snapshot() const {
    std::lock_guard lock(mutex_);
    return {flags_.begin(), flags_.end()};
}

}  // namespace renewmatch::api
