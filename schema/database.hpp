// schema::Database: the process's SQLite database — one writer connection and a pool of reader
// connections over one file in WAL mode, plus the embedded migrations.
//
// Writes are serialised: Write(f) takes the single writer connection, opens BEGIN IMMEDIATE, runs
// f(Connection&) and commits when f returns a value, rolling back when f returns an error or
// throws. Reads run on a pooled read-only connection inside a deferred transaction, so a Read sees
// one consistent snapshot and never waits for a writer (WAL). A ":memory:" database has no
// readers: Read() then runs on the writer connection (still serialised).
//
// Ownership: Database owns every connection. Connections handed to f are borrowed for the call
// only; Statements prepared from them must not escape it.
//
// Thread-safety: Open/Migrate are called once at start-up; Read, Write, Ping and SchemaVersion
// are safe to call concurrently from any number of threads. Calling Write from inside a Write on
// the same thread is a bug and is reported as kInternal instead of deadlocking.
#pragma once

#include "schema/errc.hpp"
#include "schema/statement.hpp"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace renewmatch::schema {

struct DatabaseOptions {
    int reader_count = 4;        // read-only connections in the pool (>= 1 for a file database)
    int busy_timeout_ms = 5000;  // SQLite busy_timeout; also the wait for a free reader
    std::size_t statement_cache_capacity = 64;  // per connection
    bool create_if_missing = true;
};

// One embedded migration (schema/migrations/NNNN_name.sql, compiled in at build time).
struct Migration {
    int version;            // NNNN
    std::string_view name;  // "0001_core"
    std::string_view sql;   // the whole file
};

// The embedded migrations, sorted by version (generated from schema/migrations/*.sql).
std::span<const Migration> EmbeddedMigrations() noexcept;
// The highest embedded version: the schema version this build knows.
int LatestSchemaVersion() noexcept;

class Database {
  public:
    // Opens (creating when allowed) the database file, sets WAL, foreign_keys=ON, busy_timeout
    // on every connection and opens the readers. Fails with:
    //   kUnavailable  the file cannot be opened or created;
    //   kBusy         another process holds the database locked past the busy timeout;
    //   kInternal     the file's schema (user_version) is newer than this build knows
    //                 ("database schema version N is newer than this build's M") or SQLite failed.
    // The reason, in words, goes to *error_message when given. Open does not migrate.
    [[nodiscard]] static Result<std::unique_ptr<Database>> Open(
        const std::string& path,
        const DatabaseOptions& options = {},
        std::string* error_message = nullptr);

    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Applies every embedded migration newer than the file's user_version, in order, each in its
    // own transaction (the SQL, a row in schema_migrations and user_version commit together).
    // Returns the resulting schema version. Idempotent. Fails with kInternal when the file is
    // newer than this build or a migration's SQL fails (the migration's name and SQLite's message
    // go to *error_message); earlier migrations stay applied, the failed one leaves nothing.
    [[nodiscard]] Result<int> Migrate(std::string* error_message = nullptr);

    // PRAGMA user_version of the file, or -1 when it cannot be read.
    int SchemaVersion();

    // Runs `SELECT 1` on a reader: the readiness probe.
    [[nodiscard]] Result<void> Ping();

    // Runs f(Connection&) -> Result<T> on the writer inside BEGIN IMMEDIATE ... COMMIT and returns
    // its result. Rolls back when f returns an error or throws (the exception propagates).
    // A failing COMMIT is returned as its error (kBusy, kConflict for deferred constraints, ...).
    template <class F>
    auto Write(F&& f) -> std::invoke_result_t<F, Connection&> {
        using R = std::invoke_result_t<F, Connection&>;
        if (writer_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
            return R(Errc::kInternal);  // re-entrant Write on the same thread would deadlock
        }
        std::lock_guard lock(writer_mutex_);
        WriterThreadMark mark(writer_thread_);
        auto txn = Transaction::Begin(*writer_, TransactionMode::kImmediate);
        if (!txn) return R(txn.error());
        R result = std::forward<F>(f)(*writer_);
        if (!result) return result;  // txn's destructor rolls back
        if (auto committed = txn->Commit(); !committed) return R(committed.error());
        return result;
    }

    // Runs f(Connection&) -> Result<T> on a pooled read-only connection inside a deferred
    // transaction (one consistent snapshot). Waits up to busy_timeout_ms for a free reader, then
    // fails with kBusy.
    template <class F>
    auto Read(F&& f) -> std::invoke_result_t<F, Connection&> {
        using R = std::invoke_result_t<F, Connection&>;
        if (readers_.empty()) {  // in-memory database: the writer is the only connection
            if (writer_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
                return R(Errc::kInternal);
            }
            std::lock_guard lock(writer_mutex_);
            WriterThreadMark mark(writer_thread_);
            return RunRead(*writer_, std::forward<F>(f));
        }
        auto lease = AcquireReader();
        if (!lease) return R(lease.error());
        return RunRead(*lease->connection, std::forward<F>(f));
    }

    const std::string& path() const noexcept { return path_; }
    std::size_t reader_count() const noexcept { return readers_.size(); }

  private:
    // Marks the current thread as the writer holder for the re-entrancy check.
    struct WriterThreadMark {
        explicit WriterThreadMark(std::atomic<std::thread::id>& slot) : slot_(slot) {
            slot_.store(std::this_thread::get_id(), std::memory_order_relaxed);
        }
        ~WriterThreadMark() { slot_.store(std::thread::id(), std::memory_order_relaxed); }
        WriterThreadMark(const WriterThreadMark&) = delete;
        WriterThreadMark& operator=(const WriterThreadMark&) = delete;
        std::atomic<std::thread::id>& slot_;
    };
    // A reader borrowed from the pool; returned on destruction.
    struct ReaderLease {
        ReaderLease(Database* owner, Connection* conn) : db(owner), connection(conn) {}
        ReaderLease(ReaderLease&& other) noexcept
            : db(std::exchange(other.db, nullptr)), connection(other.connection) {}
        ReaderLease& operator=(ReaderLease&&) = delete;
        ReaderLease(const ReaderLease&) = delete;
        ReaderLease& operator=(const ReaderLease&) = delete;
        ~ReaderLease() {
            if (db != nullptr) db->ReleaseReader(connection);
        }
        Database* db;
        Connection* connection;
    };

    Database(std::string path, DatabaseOptions options) noexcept;
    Result<ReaderLease> AcquireReader();
    void ReleaseReader(Connection* connection) noexcept;

    template <class F>
    static auto RunRead(Connection& connection, F&& f) -> std::invoke_result_t<F, Connection&> {
        using R = std::invoke_result_t<F, Connection&>;
        auto txn = Transaction::Begin(connection, TransactionMode::kDeferred);
        if (!txn) return R(txn.error());
        R result = std::forward<F>(f)(connection);
        // A read-only transaction has nothing to commit; ending it releases the snapshot.
        txn->Rollback();
        return result;
    }

    std::string path_;
    DatabaseOptions options_;

    std::mutex writer_mutex_;  // guards writer_ (serialises every write)
    std::unique_ptr<Connection> writer_;
    std::atomic<std::thread::id> writer_thread_{};

    std::mutex readers_mutex_;  // guards idle_readers_
    std::condition_variable reader_free_;
    std::vector<std::unique_ptr<Connection>> readers_;  // fixed after Open
    std::vector<Connection*> idle_readers_;
};

}  // namespace renewmatch::schema
