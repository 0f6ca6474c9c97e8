// The authorization matrix of docs/security.md, machine-read and run cell by cell against any
// transport: api::Service directly (tests/access/auth_api_test.cpp) or the real renewmatchd over
// TLS (tests/integration/auth_matrix_test.cpp).
//
// RunAuthMatrix sets up, through the transport and with an administrator key: a buyer, a
// supplier and a regulator ("job") organisation and one key per role, then for every cell
// builds the request (fresh USCCs for creates, a fresh sacrificial key for each revoke) and
// compares the status with the documented one. Thread-safety: one test thread.
#pragma once

#include "api/http.hpp"

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace renewmatch::testing {

using Transport = std::function<api::HttpResponse(const api::HttpRequest&)>;

struct AuthMatrixRow {
    std::string method;         // "GET"
    std::string path;           // "/v1/orgs/{id}"
    std::vector<int> expected;  // one status per column
};

struct AuthMatrix {
    std::vector<std::string> columns;  // "anonymous", "bad key", "admin", "buyer own", ...
    std::vector<AuthMatrixRow> rows;
};

// Parses the "### Authorization matrix" table of docs/security.md (fails the test on error).
AuthMatrix LoadAuthMatrix();

struct AuthMatrixOutcome {
    int cells_run = 0;
    std::vector<std::string> failures;  // "GET /v1/orgs/{id} [buyer other]: expected 404, got 200"
};

// Runs every cell except rows whose path is in `skip_paths`.
AuthMatrixOutcome RunAuthMatrix(const Transport& transport,
                                const std::string& admin_token,
                                const std::set<std::string>& skip_paths = {});

// Builds a request (Host, JSON content type when there is a body, Bearer token when given).
api::HttpRequest MakeApiRequest(api::http::verb method,
                                const std::string& target,
                                const std::string& token = {},
                                const std::string& body = {});

// A fresh valid unified social credit code (unique within the process).
std::string NextTestUscc();

}  // namespace renewmatch::testing
