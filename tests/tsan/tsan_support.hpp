// Helpers of the ThreadSanitizer suite (tests/tsan): stdout capture (StdoutToFile, FileLines from
// tests/support/stdout_capture.hpp; the request log is written to fd 1) and a test TLS
// certificate for an in-process HttpServer.
//
// Thread-safety: see stdout_capture.hpp for StdoutToFile; the rest are plain functions.
#pragma once

#include "tests/support/stdout_capture.hpp"
#include "tests/support/test_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace renewmatch::testing {

// A self-signed certificate for localhost/127.0.0.1 made once per process with
// scripts/gen-test-cert.sh (cert.pem, key.pem in a temporary directory).
struct TsanTestCert {
    std::filesystem::path cert;
    std::filesystem::path key;
};
inline const TsanTestCert& TestCertificate() {
    static TempDir dir;
    static const TsanTestCert cert = [] {
        const std::string cmd =
            (SourceDir() / "scripts/gen-test-cert.sh").string() + " " + dir.path().string();
        if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "gen-test-cert.sh failed: " << cmd;
        return TsanTestCert{dir / "cert.pem", dir / "key.pem"};
    }();
    return cert;
}

}  // namespace renewmatch::testing
