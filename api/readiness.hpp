// Readiness: a thread-safe registry of named start-up conditions ("index loaded", "reference
// data loaded", ...) that GET /readyz reports. An owner registers its condition as not ready
// with Require(name) early, and calls Set(name, true) when it is ready (Set(name, false) if it
// stops being ready). /readyz answers 200 only when every registered condition is ready and the
// database answers.
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::api {

class Readiness {
  public:
    // Registers `name` as not ready unless it is already registered (then unchanged).
    void Require(std::string_view name);
    // Registers or updates `name`.
    void Set(std::string_view name, bool ready);
    // Names of registered conditions that are not ready, sorted.
    std::vector<std::string> NotReady() const;
    // Every registered condition with its state, sorted by name.
    std::vector<std::pair<std::string, bool>> Snapshot() const;

  private:
    mutable std::mutex mutex_;
    std::map<std::string, bool, std::less<>> flags_;  // guarded by mutex_
};

}  // namespace renewmatch::api
