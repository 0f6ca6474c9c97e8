// The pieces the matcher's random-catalog tests share: a seeded random source (Int, Coin, Pick,
// Text) that each test's line generator derives from, keeping its own vocabularies and field
// distributions, and the match set-up (units, default config, a context on day 100).
//
// Owner: matcher (tests/support/random_lines.hpp). Header-only. The draws are the ones each test
// made before this header existed (same order, same distributions), so seeds keep their data.
#pragma once

#include "matcher/engine.hpp"
#include "matcher/units.hpp"

#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace renewmatch::testing {

class RandomSource {
  public:
    explicit RandomSource(unsigned seed) : rng_(seed) {}
    int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool Coin(double p) { return std::bernoulli_distribution(p)(rng_); }
    template <class T>
    const T& Pick(const std::vector<T>& v) {
        return v[static_cast<std::size_t>(Int(0, static_cast<int>(v.size()) - 1))];
    }
    // Between lo and hi words of `words`, space-separated.
    std::string Text(const std::vector<std::string>& words, int lo, int hi) {
        std::string out;
        const int n = Int(lo, hi);
        for (int i = 0; i < n; ++i) out += (i ? " " : "") + Pick(words);
        return out;
    }
    std::mt19937& rng() { return rng_; }

  private:
    std::mt19937 rng_;
};

// Units loaded once, the default config and a context on day 100 with those units.
struct MatchEnv {
    std::unique_ptr<matcher::UnitSystem> units;
    matcher::MatchConfig config;
    matcher::MatchContext context;
    MatchEnv() {
        std::string error;
        units = matcher::UnitSystem::Load(&error);
        context.today = 100;
        context.units = units.get();
    }
};

}  // namespace renewmatch::testing
