// The `renewmatch` operator CLI: a table of subcommands (`db migrate`, `db backup`, `admin
// bootstrap`, `keys …`, `match-run`) with per-command flags and --help.
//
// RunCli is the whole program minus main(): it writes to the given streams and returns the exit
// status (0 success, 1 the operation failed or is not available in this build, 2 usage error),
// so tests drive it in-process.
//
// Thread-safety: not thread-safe; one call at a time (it opens and closes its own database).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace renewmatch::server {

// `args` excludes argv[0].
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The top-level usage text.
std::string CliUsage();

}  // namespace renewmatch::server
