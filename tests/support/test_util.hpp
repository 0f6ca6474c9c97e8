// Test helpers shared by every suite: ASSERT_OK/EXPECT_OK for Result<T>, temporary directories,
// and paths to the source tree. Not thread-safe unless stated; each test owns its helpers.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "schema/errc.hpp"

namespace renewmatch::testing {

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

inline std::filesystem::path SourceDir() { return RENEWMATCH_SOURCE_DIR; }
inline std::filesystem::path BinaryDir() { return RENEWMATCH_BINARY_DIR; }

// Reads a whole file; fails the current test (and returns "") when it cannot.
std::string ReadFile(const std::filesystem::path& path);

}  // namespace renewmatch::testing

#define RM_RESULT_MESSAGE(r) ((r).has_error() ? (r).error().message() : std::string("ok"))
#define ASSERT_OK(expr)                                                 \
    do {                                                                \
        const auto& rm_r_ = (expr);                                     \
        ASSERT_TRUE(rm_r_.has_value()) << #expr << ": " << RM_RESULT_MESSAGE(rm_r_); \
    } while (0)
#define EXPECT_OK(expr)                                                 \
    do {                                                                \
        const auto& rm_r_ = (expr);                                     \
        EXPECT_TRUE(rm_r_.has_value()) << #expr << ": " << RM_RESULT_MESSAGE(rm_r_); \
    } while (0)
