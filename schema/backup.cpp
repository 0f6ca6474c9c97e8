#include "schema/backup.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace renewmatch::schema {
namespace {

struct CloseDb {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

Result<void> Fail(Errc kind, std::string message, std::string* error_message) {
    if (error_message != nullptr) *error_message = std::move(message);
    return kind;
}

}  // namespace

Result<void> BackupDatabase(const std::string& source_path,
                            const std::string& dest_path,
                            std::string* error_message) {
    std::error_code fs_ec;
    if (!std::filesystem::exists(source_path, fs_ec)) {
        return Fail(Errc::kNotFound, "database '" + source_path + "' does not exist",
                    error_message);
    }
    if (std::filesystem::exists(dest_path, fs_ec)) {
        return Fail(Errc::kConflict, "'" + dest_path + "' already exists; not overwriting it",
                    error_message);
    }
    const std::string partial = dest_path + ".partial";
    std::filesystem::remove(partial, fs_ec);  // a leftover from an interrupted backup

    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(source_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    DbHandle source(raw);
    if (rc != SQLITE_OK) {
        return Fail(Errc::kUnavailable, "cannot open '" + source_path + "': " + sqlite3_errstr(rc),
                    error_message);
    }
    sqlite3_busy_timeout(source.get(), 5000);
    raw = nullptr;
    rc =
        sqlite3_open_v2(partial.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    DbHandle dest(raw);
    if (rc != SQLITE_OK) {
        return Fail(Errc::kUnavailable, "cannot create '" + partial + "': " + sqlite3_errstr(rc),
                    error_message);
    }

    sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", source.get(), "main");
    if (backup == nullptr) {
        std::string why = sqlite3_errmsg(dest.get());
        dest.reset();
        std::filesystem::remove(partial, fs_ec);
        return Fail(Errc::kUnavailable, "cannot start backup: " + why, error_message);
    }
    // -1 copies every page in one step: one read transaction, hence one consistent snapshot.
    rc = sqlite3_backup_step(backup, -1);
    const int finish_rc = sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE || finish_rc != SQLITE_OK) {
        const int bad = rc != SQLITE_DONE ? rc : finish_rc;
        dest.reset();
        std::filesystem::remove(partial, fs_ec);
        const Errc kind =
            (bad == SQLITE_BUSY || bad == SQLITE_LOCKED) ? Errc::kBusy : Errc::kUnavailable;
        return Fail(kind, std::string("backup failed: ") + sqlite3_errstr(bad), error_message);
    }
    dest.reset();  // close before renaming so everything is on disk under the partial name
    std::filesystem::rename(partial, dest_path, fs_ec);
    if (fs_ec) {
        std::filesystem::remove(partial, fs_ec);
        return Fail(Errc::kUnavailable, "cannot rename backup into '" + dest_path + "'",
                    error_message);
    }
    return {};
}

}  // namespace renewmatch::schema
