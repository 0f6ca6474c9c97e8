// `renewmatch match-run`: runs the match-run executor (api/match_runs.hpp) against a database
// file directly, without the server (cron, systemd timers, benchmarks).
//
//   renewmatch match-run --db PATH [--mode full|incremental] [--allocate]
//       [--scope-classification PREFIX] [--scope-region CODE] [--scope-org ID]
//       [--weights default|price|local] [--top-k K] [--threads N] [--batch N]
//       [--progress auto|bar|lines|none] [--stats-epoch RUN_ID]
//
// It opens (and migrates) the database, marks CLI runs whose heartbeat is older than 10 minutes
// failed (a crashed earlier invocation), refuses when a run of the same scope is queued or
// running (exit 1), inserts the run (runner 'cli', status running), loads its own MatchIndex
// from the database, and executes it. Progress goes to stderr: a redrawn bar on a terminal,
// one line per 5% otherwise. SIGINT/SIGTERM stop the run at the next batch boundary (failed,
// "interrupted by shutdown"). The last stdout line is
//   run <id> <status>: <demands> demands (<scored> scored, <carried> carried), <results> results,
//   <pairs> pairs examined, <seconds> s
// Exit status: 0 succeeded, 1 failed / cancelled / refused, 2 usage error.
//
// Thread-safety: one invocation per process (installs signal handlers for its duration).
#pragma once

#include <iosfwd>
#include <map>
#include <string>

namespace renewmatch::server {

int RunMatchRunCommand(const std::map<std::string, std::string>& flags,
                       std::ostream& out,
                       std::ostream& err);

}  // namespace renewmatch::server
