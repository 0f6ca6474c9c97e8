// The offline operator commands of issue 3, for the `renewmatch` CLI (server/cli.cpp wires
// them): they open the database file directly (migrating it first), do the same thing the API
// does in one transaction, and audit it with key id NULL and request id "cli".
//
//   renewmatch admin bootstrap --db PATH
//   renewmatch keys create --db PATH --org ID --role ROLE [--name TEXT]
//   renewmatch keys list   --db PATH [--org ID]
//   renewmatch keys revoke --db PATH --id KEY_ID
//
// `command` is "admin bootstrap", "keys create", "keys list" or "keys revoke"; `flags` maps
// flag names without "--" to values. Output for people goes to `out`, errors to `err`. A
// created key's secret is printed exactly once. Returns the process exit status: 0 success,
// 1 failure, 2 usage error.
//
// Thread-safety: one call per process at a time (it owns its Database for the call).
#pragma once

#include <map>
#include <ostream>
#include <string>

namespace renewmatch::api {

int RunAccessCommand(const std::string& command,
                     const std::map<std::string, std::string>& flags,
                     std::ostream& out,
                     std::ostream& err);

}  // namespace renewmatch::api
