// Shared helpers for the api tests.
//   KeyTable            a real, minimal Authenticator: "Bearer <token>" looked up in a table, so
//                       route tests need no key store (the key store has its own tests).
//   LoadMatrixSection   the authorization table of one section of docs/security.md, as the
//                       access tests of each route family read it.
// Thread-safety: KeyTable is read-only after set-up (Add before the first request), so
// Authenticate may run concurrently; LoadMatrixSection is a pure function of the file.
#pragma once

#include "api/service.hpp"
#include "tests/support/test_util.hpp"

#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::api::testing {

class KeyTable final : public Authenticator {
  public:
    void Add(std::string token, Principal p) { keys_[std::move(token)] = p; }
    Result<Principal> Authenticate(std::string_view header, std::int64_t) override {
        const std::string_view prefix = "Bearer ";
        if (header.substr(0, prefix.size()) != prefix) return Errc::kUnauthenticated;
        auto it = keys_.find(std::string(header.substr(prefix.size())));
        if (it == keys_.end()) return Errc::kUnauthenticated;
        return it->second;
    }

  private:
    std::map<std::string, Principal> keys_;
};

struct MatrixRow {
    std::string method;
    std::string path;
    std::vector<int> expected;  // one status per column
};

struct MatrixSection {
    std::vector<std::string> columns;  // the header's cells after "Endpoint"
    std::vector<MatrixRow> rows;
};

// The table under the docs/security.md heading that starts with `heading` (e.g.
// "## Match reads"), up to the next "## " heading. Rows are "| `METHOD /path` | status | ...".
inline MatrixSection LoadMatrixSection(std::string_view heading) {
    auto cells_of = [](const std::string& line) {
        std::vector<std::string> cells;
        std::stringstream in(line);
        std::string cell;
        while (std::getline(in, cell, '|')) {
            const auto b = cell.find_first_not_of(" \t`");
            const auto e = cell.find_last_not_of(" \t`");
            cells.push_back(b == std::string::npos ? std::string() : cell.substr(b, e - b + 1));
        }
        if (!cells.empty() && cells.front().empty()) cells.erase(cells.begin());
        return cells;
    };
    MatrixSection section;
    std::stringstream in(
        renewmatch::testing::ReadFile(renewmatch::testing::SourceDir() / "docs/security.md"));
    std::string line;
    bool in_section = false;
    while (std::getline(in, line)) {
        if (line.rfind(heading, 0) == 0) {
            in_section = true;
            continue;
        }
        if (!in_section) continue;
        if (line.rfind("## ", 0) == 0) break;
        if (line.rfind("| Endpoint", 0) == 0) {
            auto cells = cells_of(line);
            section.columns.assign(cells.begin() + 1, cells.end());
        } else if (line.rfind("| `", 0) == 0) {
            auto cells = cells_of(line);
            MatrixRow row;
            const auto space = cells[0].find(' ');
            row.method = cells[0].substr(0, space);
            row.path = cells[0].substr(space + 1);
            for (std::size_t i = 1; i < cells.size(); ++i) {
                row.expected.push_back(std::stoi(cells[i]));
            }
            section.rows.push_back(std::move(row));
        }
    }
    return section;
}

}  // namespace renewmatch::api::testing
