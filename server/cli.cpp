#include "server/cli.hpp"

#include "api/keys_cli.hpp"
#include "schema/backup.hpp"
#include "schema/database.hpp"
#include "server/match_run_cli.hpp"

#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>

namespace renewmatch::server {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

// Flags of one invocation, after the subcommand words.
struct Flags {
    std::map<std::string, std::string> values;
    bool help = false;
};

struct Command {
    std::vector<std::string_view> words;     // e.g. {"db", "migrate"}
    std::string_view synopsis;               // flags part of the usage line
    std::string_view summary;                // one line
    std::vector<std::string_view> required;  // flag names without "--"
    std::vector<std::string_view> optional;
    std::function<int(const Flags&, std::ostream&, std::ostream&)> run;
};

std::string Join(const std::vector<std::string_view>& words) {
    std::string out;
    for (auto w : words) {
        if (!out.empty()) out += ' ';
        out += w;
    }
    return out;
}

std::unique_ptr<schema::Database> OpenDatabase(const std::string& path,
                                               bool create,
                                               std::ostream& err) {
    schema::DatabaseOptions options;
    options.reader_count = 1;
    options.create_if_missing = create;
    std::string why;
    auto db = schema::Database::Open(path, options, &why);
    if (!db) {
        err << "renewmatch: cannot open database '" << path
            << "': " << (why.empty() ? db.error().message() : why) << "\n";
        return nullptr;
    }
    return std::move(*db);
}

int DbMigrate(const Flags& flags, std::ostream& out, std::ostream& err) {
    const std::string& path = flags.values.at("db");
    auto db = OpenDatabase(path, /*create=*/true, err);
    if (!db) return kFailed;
    const int from = db->SchemaVersion();
    std::string why;
    auto to = db->Migrate(&why);
    if (!to) {
        err << "renewmatch: migrating '" << path << "' failed at schema version "
            << db->SchemaVersion() << ": " << (why.empty() ? to.error().message() : why) << "\n";
        return kFailed;
    }
    if (from == *to) {
        out << "database " << path << " is at schema version " << *to << " (up to date)\n";
    } else {
        out << "migrated " << path << " from schema version " << from << " to " << *to << "\n";
    }
    return kOk;
}

int DbBackup(const Flags& flags, std::ostream& out, std::ostream& err) {
    const std::string& from = flags.values.at("db");
    const std::string& to = flags.values.at("to");
    std::string why;
    if (auto r = schema::BackupDatabase(from, to, &why); !r) {
        err << "renewmatch: backup failed: " << why << "\n";
        return kFailed;
    }
    out << "backed up " << from << " to " << to << "\n";
    return kOk;
}

// admin bootstrap / keys create|list|revoke: implemented by the access module (api/keys_cli.hpp).
std::function<int(const Flags&, std::ostream&, std::ostream&)> AccessCommand(std::string what) {
    return [what](const Flags& flags, std::ostream& out, std::ostream& err) {
        return api::RunAccessCommand(what, flags.values, out, err);
    };
}

const std::vector<Command>& Commands() {
    static const std::vector<Command> kCommands = {
        {{"db", "migrate"},
         "--db PATH",
         "create the database if needed and apply pending schema migrations",
         {"db"},
         {},
         DbMigrate},
        {{"db", "backup"},
         "--db PATH --to FILE",
         "copy a live database to FILE with SQLite's online backup (never overwrites FILE)",
         {"db", "to"},
         {},
         DbBackup},
        // Access module (issue 3).
        {{"admin", "bootstrap"},
         "--db PATH",
         "create the first administrator organisation and key (prints the key once)",
         {"db"},
         {},
         AccessCommand("admin bootstrap")},
        {{"keys", "create"},
         "--db PATH --org ID --role ROLE",
         "create an API key for an organisation",
         {"db"},
         {"org", "role", "name"},
         AccessCommand("keys create")},
        {{"keys", "list"},
         "--db PATH [--org ID]",
         "list API keys",
         {"db"},
         {"org"},
         AccessCommand("keys list")},
        {{"keys", "revoke"},
         "--db PATH --id KEY_ID",
         "revoke an API key",
         {"db"},
         {"id"},
         AccessCommand("keys revoke")},
        // Match runs (issue 7; server/match_run_cli.hpp). The flags are a stable interface
        // (scripts/nightly, scripts/bench-runs): --db PATH --mode full|incremental [--allocate]
        // [--scope-classification P] [--scope-region R] [--scope-org ID] [--weights NAME]
        // [--top-k K] [--threads N] [--batch N] [--progress auto|bar|lines|none]
        // [--stats-epoch RUN_ID] [--today YYYY-MM-DD]; exit 0 succeeded, 1 failed/cancelled/
        // refused, 2 usage.
        {{"match-run"},
         "--db PATH [--mode full|incremental] [--allocate] [--scope-classification P] "
         "[--scope-region R] [--scope-org ID] [--weights default|price|local] [--top-k K] "
         "[--threads N] [--batch N] [--progress auto|bar|lines|none] [--stats-epoch RUN_ID] "
         "[--today YYYY-MM-DD]",
         "score every open demand (of a scope) and store the ranked results as a match run",
         {"db"},
         {"mode", "allocate", "scope-classification", "scope-region", "scope-org", "weights",
          "top-k", "threads", "batch", "progress", "stats-epoch", "today"},
         [](const Flags& flags, std::ostream& out, std::ostream& err) {
             return RunMatchRunCommand(flags.values, out, err);
         }},
    };
    return kCommands;
}

std::string CommandUsage(const Command& c) {
    std::ostringstream out;
    out << "usage: renewmatch " << Join(c.words) << ' ' << c.synopsis << "\n\n"
        << c.summary << "\n";
    return out.str();
}

}  // namespace

std::string CliUsage() {
    std::ostringstream out;
    out << "usage: renewmatch COMMAND [FLAGS]\n\nThe renewmatch operator's tool.\n\ncommands:\n";
    for (const auto& c : Commands()) {
        std::string line = "  " + Join(c.words) + " " + std::string(c.synopsis);
        if (line.size() < 44) line.resize(44, ' ');
        out << line << "  " << c.summary << "\n";
    }
    out << "\n'renewmatch COMMAND --help' describes one command. Exit status: 0 success, 1 "
           "failure, 2 usage error.\n";
    return out.str();
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.empty()) {
        err << CliUsage();
        return kUsage;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        out << CliUsage();
        return kOk;
    }

    // Longest command whose words prefix the arguments.
    const Command* command = nullptr;
    std::size_t consumed = 0;
    for (const auto& c : Commands()) {
        if (c.words.size() > args.size() || c.words.size() <= consumed) continue;
        bool match = true;
        for (std::size_t i = 0; i < c.words.size(); ++i) match = match && args[i] == c.words[i];
        if (match) {
            command = &c;
            consumed = c.words.size();
        }
    }
    if (command == nullptr) {
        // A known group without a known subcommand ("db", "db frobnicate") gets the group list.
        std::string shown;
        for (std::size_t i = 0; i < args.size() && args[i].rfind("--", 0) != 0; ++i) {
            shown += (shown.empty() ? "" : " ") + args[i];
        }
        err << "renewmatch: unknown command '" << shown << "'\n\n" << CliUsage();
        return kUsage;
    }

    Flags flags;
    for (std::size_t i = consumed; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            flags.help = true;
            continue;
        }
        if (arg.rfind("--", 0) != 0) {
            err << "renewmatch: unexpected argument '" << arg << "'\n\n" << CommandUsage(*command);
            return kUsage;
        }
        std::string name = arg.substr(2);
        std::string value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        } else if (name == "allocate" &&
                   (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)) {
            value = "true";  // a switch: `--allocate` alone means true
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            err << "renewmatch: flag '--" << name << "' needs a value\n\n"
                << CommandUsage(*command);
            return kUsage;
        }
        bool known = false;
        for (auto n : command->required) known = known || n == name;
        for (auto n : command->optional) known = known || n == name;
        if (!known) {
            err << "renewmatch: unknown flag '--" << name << "' for '" << Join(command->words)
                << "'\n\n"
                << CommandUsage(*command);
            return kUsage;
        }
        if (value.empty()) {
            err << "renewmatch: flag '--" << name << "' needs a non-empty value\n";
            return kUsage;
        }
        flags.values[name] = value;
    }
    if (flags.help) {
        out << CommandUsage(*command);
        return kOk;
    }
    for (auto n : command->required) {
        if (!flags.values.count(std::string(n))) {
            err << "renewmatch: missing --" << n << " for '" << Join(command->words) << "'\n\n"
                << CommandUsage(*command);
            return kUsage;
        }
    }
    return command->run(flags, out, err);
}

}  // namespace renewmatch::server
