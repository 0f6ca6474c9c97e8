#include "tests/access/auth_matrix.hpp"

#include "api/json.hpp"
#include "api/orgs_uscc.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <sstream>

namespace renewmatch::testing {
namespace {

std::string Trim(std::string s) {
    const auto b = s.find_first_not_of(" \t`");
    const auto e = s.find_last_not_of(" \t`");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> SplitRow(const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    std::string cell;
    while (std::getline(in, cell, '|')) cells.push_back(Trim(cell));
    // A row "| a | b |" splits into "", "a", "b" (getline drops the empty tail).
    if (!cells.empty() && cells.front().empty()) cells.erase(cells.begin());
    return cells;
}

std::int64_t JsonId(const api::HttpResponse& response, const char* member = "id") {
    auto doc = api::ParseDocument(response.body());
    if (!doc || !doc->IsObject()) return 0;
    auto id = api::ReadInt64(*doc, member, "");
    return id ? *id : 0;
}

struct Fixture {
    const Transport& transport;
    std::string admin;
    std::map<std::string, std::int64_t> org;          // "buyer", "supplier", "job"
    std::map<std::string, std::string> token;         // role -> key
    std::map<std::string, std::string> fitting_role;  // org name -> a role that fits its kind

    api::HttpResponse Send(api::http::verb method,
                           const std::string& target,
                           const std::string& key,
                           const std::string& body = {}) {
        return transport(MakeApiRequest(method, target, key, body));
    }

    std::int64_t CreateOrg(const std::string& name, const std::string& kind) {
        std::string body = R"({"name":")" + name + R"(","kind":")" + kind + R"(")";
        if (kind != "regulator") body += R"(,"uscc":")" + NextTestUscc() + R"(")";
        body += R"(,"region":"320505","sector":"3421"})";
        const auto r = Send(api::http::verb::post, "/v1/orgs", admin, body);
        EXPECT_EQ(r.result_int(), 201u) << r.body();
        return JsonId(r);
    }

    // Creates a key in `org_name`'s organisation; returns {id, token}.
    std::pair<std::int64_t, std::string> CreateKey(const std::string& org_name,
                                                   const std::string& role) {
        const auto r =
            Send(api::http::verb::post, "/v1/orgs/" + std::to_string(org[org_name]) + "/keys",
                 admin, R"({"role":")" + role + R"(","name":"matrix"})");
        EXPECT_EQ(r.result_int(), 201u) << r.body();
        auto doc = api::ParseDocument(r.body());
        std::string key;
        if (doc && doc->IsObject()) {
            if (auto k = api::ReadString(*doc, "key", "")) key = *k;
        }
        return {JsonId(r), key};
    }
};

}  // namespace

api::HttpRequest MakeApiRequest(api::http::verb method,
                                const std::string& target,
                                const std::string& token,
                                const std::string& body) {
    api::HttpRequest request{method, target, 11};
    request.set(api::http::field::host, "localhost");
    if (!token.empty()) request.set(api::http::field::authorization, "Bearer " + token);
    if (!body.empty()) {
        request.set(api::http::field::content_type, "application/json");
        request.body() = body;
    }
    request.keep_alive(true);
    request.prepare_payload();
    return request;
}

std::string NextTestUscc() {
    static std::atomic<std::uint64_t> counter{0};
    // Distinct per process too, so reruns against one database file do not collide.
    static const std::uint64_t base =
        static_cast<std::uint64_t>(::getpid()) * std::uint64_t{1'000'003};
    std::uint64_t n = base + counter.fetch_add(1);
    std::string first17 = "91320505";
    std::string tail;
    for (int i = 0; i < 9; ++i) {
        tail.insert(tail.begin(), api::kUsccAlphabet[n % 31]);
        n /= 31;
    }
    first17 += tail;
    return first17 + api::UsccCheckCharacter(first17);
}

AuthMatrix LoadAuthMatrix() {
    AuthMatrix matrix;
    const std::string doc = ReadFile(SourceDir() / "docs/security.md");
    std::stringstream in(doc);
    std::string line;
    bool in_section = false;
    while (std::getline(in, line)) {
        if (line.rfind("### Authorization matrix", 0) == 0) {
            in_section = true;
            continue;
        }
        if (!in_section) continue;
        if (line.rfind("## ", 0) == 0) break;
        if (line.rfind("| Endpoint", 0) == 0) {
            auto cells = SplitRow(line);
            matrix.columns.assign(cells.begin() + 1, cells.end());
            continue;
        }
        if (line.rfind("|---", 0) == 0 || line.rfind("| `", 0) != 0) continue;
        auto cells = SplitRow(line);
        AuthMatrixRow row;
        const auto space = cells[0].find(' ');
        row.method = cells[0].substr(0, space);
        row.path = cells[0].substr(space + 1);
        for (std::size_t i = 1; i < cells.size(); ++i) row.expected.push_back(std::stoi(cells[i]));
        EXPECT_EQ(row.expected.size(), matrix.columns.size()) << line;
        matrix.rows.push_back(std::move(row));
    }
    EXPECT_FALSE(matrix.columns.empty()) << "no matrix header in docs/security.md";
    EXPECT_GE(matrix.rows.size(), 10u) << "matrix rows missing in docs/security.md";
    return matrix;
}

AuthMatrixOutcome RunAuthMatrix(const Transport& transport,
                                const std::string& admin_token,
                                const std::set<std::string>& skip_paths) {
    AuthMatrixOutcome outcome;
    const AuthMatrix matrix = LoadAuthMatrix();
    Fixture f{transport, admin_token, {}, {}, {}};
    f.org["buyer"] = f.CreateOrg("Matrix Buyer Co", "buyer");
    f.org["supplier"] = f.CreateOrg("Matrix Supplier Co", "supplier");
    f.org["job"] = f.CreateOrg("Matrix Jobs", "regulator");
    f.fitting_role = {{"buyer", "buyer"}, {"supplier", "supplier"}, {"job", "job"}};
    f.token["buyer"] = f.CreateKey("buyer", "buyer").second;
    f.token["supplier"] = f.CreateKey("supplier", "supplier").second;
    f.token["job"] = f.CreateKey("job", "job").second;
    const std::map<std::string, std::string> other_of = {
        {"buyer", "supplier"}, {"supplier", "buyer"}, {"job", "buyer"}};
    const std::string unknown_key = "rmk_999999_" + std::string(43, 'A');
    const std::string malformed_key = "rmk_not-a-key";

    for (const auto& row : matrix.rows) {
        if (skip_paths.contains(row.path)) continue;
        const auto method = api::http::string_to_verb(row.method);
        for (std::size_t col = 0; col < matrix.columns.size(); ++col) {
            const std::string& column = matrix.columns[col];
            std::vector<std::string> keys;  // each is tried; all must give the expected status
            std::string target_org;
            if (column == "anonymous") {
                keys = {""};
                target_org = "buyer";
            } else if (column == "bad key") {
                keys = {unknown_key, malformed_key};
                target_org = "buyer";
            } else if (column == "admin") {
                keys = {admin_token};
                target_org = "buyer";
            } else {
                const auto space = column.find(' ');
                const std::string role = column.substr(0, space);
                const std::string scope = column.substr(space + 1);
                keys = {f.token[role]};
                target_org = scope == "own" ? role : other_of.at(role);
            }
            for (const std::string& key : keys) {
                std::string target = row.path;
                std::string body;
                if (const auto p = target.find("{id}"); p != std::string::npos) {
                    target.replace(p, 4, std::to_string(f.org[target_org]));
                }
                if (const auto p = target.find("{keyId}"); p != std::string::npos) {
                    // A fresh key of the target organisation, so a revoke never hits a key the
                    // matrix still needs.
                    const auto victim = f.CreateKey(target_org, f.fitting_role[target_org]);
                    target.replace(p, 7, std::to_string(victim.first));
                }
                if (method == api::http::verb::post && row.path == "/v1/orgs") {
                    body = R"({"name":"Matrix New Org","kind":"supplier","uscc":")" +
                           NextTestUscc() + R"("})";
                } else if (method == api::http::verb::patch) {
                    body = R"({"name":"Matrix Renamed"})";
                } else if (method == api::http::verb::post) {
                    body = R"({"role":")" + f.fitting_role[target_org] + R"("})";
                }
                const auto response = f.Send(method, target, key, body);
                ++outcome.cells_run;
                if (static_cast<int>(response.result_int()) != row.expected[col]) {
                    outcome.failures.push_back(row.method + " " + row.path + " [" + column +
                                               (key == malformed_key ? ", malformed" : "") +
                                               "]: expected " + std::to_string(row.expected[col]) +
                                               ", got " + std::to_string(response.result_int()) +
                                               " " + response.body().substr(0, 200));
                }
            }
        }
    }
    return outcome;
}

}  // namespace renewmatch::testing
