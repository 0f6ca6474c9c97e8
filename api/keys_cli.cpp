#include "api/keys_cli.hpp"

#include "api/audit.hpp"
#include "api/ids.hpp"
#include "api/keys.hpp"
#include "schema/database.hpp"
#include "schema/key_store.hpp"
#include "schema/org_store.hpp"

#include <chrono>
#include <memory>
#include <optional>

namespace renewmatch::api {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

std::int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<std::int64_t> PositiveId(const std::map<std::string, std::string>& flags,
                                       const std::string& name) {
    const auto it = flags.find(name);
    if (it == flags.end()) return std::nullopt;
    return ParsePositiveId(it->second);
}

std::unique_ptr<schema::Database> OpenMigrated(const std::map<std::string, std::string>& flags,
                                               std::ostream& err) {
    const auto it = flags.find("db");
    if (it == flags.end() || it->second.empty()) {
        err << "renewmatch: --db PATH is required\n";
        return nullptr;
    }
    schema::DatabaseOptions options;
    options.reader_count = 1;
    std::string why;
    auto db = schema::Database::Open(it->second, options, &why);
    if (!db) {
        err << "renewmatch: cannot open database '" << it->second
            << "': " << (why.empty() ? db.error().message() : why) << "\n";
        return nullptr;
    }
    if (auto migrated = (*db)->Migrate(&why); !migrated) {
        err << "renewmatch: migrating '" << it->second
            << "' failed: " << (why.empty() ? migrated.error().message() : why) << "\n";
        return nullptr;
    }
    return std::move(*db);
}

schema::AuditEntry CliAudit() {
    schema::AuditEntry audit;
    audit.at_ms = NowMs();
    audit.request_id = "cli";
    return audit;
}

void PrintKey(std::ostream& out, const schema::ApiKeyRecord& key) {
    out << key.id << "\torg=" << key.org_id << "\trole=" << key.role
        << "\tcreated=" << FormatTimestampMs(key.created_at_ms) << "\t"
        << (key.revoked_at_ms ? "revoked=" + FormatTimestampMs(*key.revoked_at_ms)
                              : std::string("active"))
        << "\tname=" << key.name << "\n";
}

int Bootstrap(schema::Database& db, std::ostream& out, std::ostream& err) {
    auto created = BootstrapAdmin(db, NowMs());
    if (!created) {
        err << "renewmatch: bootstrap failed: " << created.error().message() << "\n";
        return kFailed;
    }
    if (!*created) {
        out << "an administrator key already exists; nothing was created\n";
        return kOk;
    }
    out << "created administrator organisation " << (*created)->org_id << " and admin key "
        << (*created)->key_id << ".\n"
        << "This is the only time the key is shown; store it now:\n"
        << (*created)->token << "\n";
    return kOk;
}

int Create(schema::Database& db,
           const std::map<std::string, std::string>& flags,
           std::ostream& out,
           std::ostream& err) {
    const auto org_id = PositiveId(flags, "org");
    if (!org_id) {
        err << "renewmatch: keys create needs --org ID (a positive organisation id)\n";
        return kUsage;
    }
    const auto role_it = flags.find("role");
    const std::optional<Role> role =
        role_it == flags.end() ? std::nullopt : ParseRole(role_it->second);
    if (!role) {
        err << "renewmatch: keys create needs --role admin|buyer|supplier|job\n";
        return kUsage;
    }
    const auto name_it = flags.find("name");
    const std::string name = name_it == flags.end() ? std::string() : name_it->second;
    auto created = db.Write([&](schema::Connection& c) {
        return CreateKeyInTransaction(c, *org_id, *role, name, CliAudit());
    });
    if (!created) {
        if (created.error() == Errc::kNotFound) {
            err << "renewmatch: no organisation " << *org_id << "\n";
        } else if (created.error() == Errc::kInvalidArgument) {
            err << "renewmatch: role '" << RoleName(*role) << "' does not fit organisation "
                << *org_id
                << "'s kind (admin: regulator; buyer: buyer/both; supplier: supplier/both; job: "
                   "any)\n";
        } else {
            err << "renewmatch: creating the key failed: " << created.error().message() << "\n";
        }
        return kFailed;
    }
    out << "created " << RoleName(created->role) << " key " << created->key_id
        << " for organisation " << created->org_id << ".\n"
        << "This is the only time the key is shown; store it now:\n"
        << created->token << "\n";
    return kOk;
}

int List(schema::Database& db,
         const std::map<std::string, std::string>& flags,
         std::ostream& out,
         std::ostream& err) {
    std::optional<std::int64_t> org_id;
    if (flags.contains("org")) {
        org_id = PositiveId(flags, "org");
        if (!org_id) {
            err << "renewmatch: --org must be a positive organisation id\n";
            return kUsage;
        }
    }
    auto keys = db.Read([&](schema::Connection& c) -> Result<std::vector<schema::ApiKeyRecord>> {
        if (org_id) return schema::ListApiKeys(c, *org_id);
        std::vector<schema::ApiKeyRecord> all;
        std::int64_t after = 0;
        for (;;) {
            auto page = schema::ListOrgs(c, after, 1000);
            if (!page) return page.error();
            for (const auto& org : page->items) {
                auto org_keys = schema::ListApiKeys(c, org.id);
                if (!org_keys) return org_keys.error();
                all.insert(all.end(), org_keys->begin(), org_keys->end());
            }
            if (!page->has_more) break;
            after = page->items.back().id;
        }
        return all;
    });
    if (!keys) {
        err << "renewmatch: listing keys failed: " << keys.error().message() << "\n";
        return kFailed;
    }
    for (const auto& key : *keys) PrintKey(out, key);
    if (keys->empty()) out << "no keys\n";
    return kOk;
}

int Revoke(schema::Database& db,
           const std::map<std::string, std::string>& flags,
           std::ostream& out,
           std::ostream& err) {
    const auto key_id = PositiveId(flags, "id");
    if (!key_id) {
        err << "renewmatch: keys revoke needs --id KEY_ID (a positive key id)\n";
        return kUsage;
    }
    auto revoked = db.Write([&](schema::Connection& c) -> Result<schema::ApiKeyRecord> {
        auto key = schema::FindApiKey(c, *key_id);
        if (!key) return key.error();
        if (!*key) return Errc::kNotFound;
        return RevokeKeyInTransaction(c, (*key)->org_id, *key_id, CliAudit());
    });
    if (!revoked) {
        if (revoked.error() == Errc::kNotFound) {
            err << "renewmatch: no API key " << *key_id << "\n";
        } else {
            err << "renewmatch: revoking failed: " << revoked.error().message() << "\n";
        }
        return kFailed;
    }
    out << "revoked key " << revoked->id << " (effective on its next request)\n";
    PrintKey(out, *revoked);
    return kOk;
}

}  // namespace

int RunAccessCommand(const std::string& command,
                     const std::map<std::string, std::string>& flags,
                     std::ostream& out,
                     std::ostream& err) {
    if (command != "admin bootstrap" && command != "keys create" && command != "keys list" &&
        command != "keys revoke") {
        err << "renewmatch: unknown access command '" << command << "'\n";
        return kUsage;
    }
    auto db = OpenMigrated(flags, err);
    if (!db) return kFailed;
    if (command == "admin bootstrap") return Bootstrap(*db, out, err);
    if (command == "keys create") return Create(*db, flags, out, err);
    if (command == "keys list") return List(*db, flags, out, err);
    return Revoke(*db, flags, out, err);
}

}  // namespace renewmatch::api
