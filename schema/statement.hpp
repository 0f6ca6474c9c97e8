// RAII wrappers over one SQLite connection: Connection, Statement (prepared, cached) and
// Transaction. These are the only types in the project that touch the SQLite C API; store code
// (schema/*_store.cpp) uses them, and nothing above schema/ sees SQL or SQLite result codes.
//
// Ownership: a Connection owns its sqlite3 handle and a bounded cache of prepared statements.
// A Statement borrows its Connection (it must not outlive it) and, when it is destroyed, is
// reset, has its bindings cleared and goes back into that cache for reuse with the same SQL.
// A Transaction borrows its Connection and rolls back on destruction unless committed.
//
// Errors: SQLite failures are reported as Result<T> errors in ErrorCategory():
//   SQLITE_CONSTRAINT*        -> Errc::kConflict
//   SQLITE_BUSY / LOCKED      -> Errc::kBusy
//   SQLITE_TOOBIG             -> Errc::kTooLarge
//   SQL with a second statement after the first, bind misuse, anything else -> Errc::kInternal
// The SQLite message for the most recent failure on a connection is in last_error().
//
// Thread-safety: none. A Connection (and everything borrowed from it) is used by one thread at a
// time; schema::Database hands connections out so that this holds.
#pragma once

#include "schema/errc.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

// The SQLite handle types, declared here so that this header does not pull in sqlite3.h.
struct sqlite3;
struct sqlite3_stmt;

namespace renewmatch::schema {

class Connection;

struct ConnectionOptions {
    bool read_only = false;
    bool create_if_missing = true;
    int busy_timeout_ms = 5000;
    // Prepared statements kept for reuse (idle ones); beyond this they are finalized.
    std::size_t statement_cache_capacity = 64;
};

struct SqliteCloser {
    void operator()(sqlite3* db) const noexcept;
};
struct StatementFinalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept;
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Maps an SQLite (extended) result code to an Errc (see the table above).
Errc ErrcFromSqlite(int sqlite_result_code) noexcept;

// A prepared statement. Bind parameters are 1-based (SQLite's convention); column indices are
// 0-based. Bind misuse (bad index, SQLite out of memory) is remembered and reported by the next
// Step()/Exec(), so binds can be chained: `stmt.Bind(1, id).Bind(2, name); auto r = stmt.Exec();`
class Statement {
  public:
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();  // resets and returns the statement to the connection's cache

    Statement& BindInt64(int index, std::int64_t value);
    Statement& BindDouble(int index, double value);
    Statement& BindText(int index, std::string_view value);  // copied by SQLite
    Statement& BindBlob(int index, std::span<const std::uint8_t> value);
    Statement& BindNull(int index);

    // Generic Bind: integers and bool -> INTEGER, floating -> REAL, strings -> TEXT,
    // nullptr / empty optional -> NULL.
    template <class T>
    Statement& Bind(int index, const T& value) {
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
            return BindNull(index);
        } else if constexpr (std::is_same_v<T, bool>) {
            return BindInt64(index, value ? 1 : 0);
        } else if constexpr (std::is_integral_v<T>) {
            return BindInt64(index, static_cast<std::int64_t>(value));
        } else if constexpr (std::is_floating_point_v<T>) {
            return BindDouble(index, static_cast<double>(value));
        } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
            return BindText(index, std::string_view(value));
        } else {
            // std::optional<U>
            if (!value.has_value()) return BindNull(index);
            return Bind(index, *value);
        }
    }
    // Binds each argument to parameters 1, 2, ... in order.
    template <class... Args>
    Statement& BindAll(const Args&... args) {
        int index = 0;
        (Bind(++index, args), ...);
        return *this;
    }

    // Advances: true when a row is available, false when the statement is done.
    [[nodiscard]] Result<bool> Step();
    // Reads one page of a keyset-paged query that was bound to return up to `limit` + 1 rows:
    // appends read_row(*this) for each of the first `limit` rows to `items` and returns whether
    // a further row exists (another page follows).
    template <class Item, class ReadRow>
    [[nodiscard]] Result<bool> StepPage(int limit, std::vector<Item>& items, ReadRow read_row) {
        for (;;) {
            auto row = Step();
            if (!row) return row;
            if (!*row) return false;
            if (static_cast<int>(items.size()) == limit) return true;
            items.push_back(read_row(*this));
        }
    }
    // Runs the statement to completion, discarding any rows (for INSERT/UPDATE/DELETE/DDL).
    [[nodiscard]] Result<void> Exec();
    // Resets to run again with the same bindings (ClearBindings() to drop them).
    void Reset() noexcept;
    void ClearBindings() noexcept;

    // Column reads for the current row (after Step() returned true).
    int ColumnCount() const noexcept;
    bool ColumnIsNull(int column) const noexcept;
    std::int64_t ColumnInt64(int column) const noexcept;
    double ColumnDouble(int column) const noexcept;
    std::string ColumnText(int column) const;
    // Valid only until the next Step()/Reset() or destruction.
    std::string_view ColumnTextView(int column) const noexcept;
    std::vector<std::uint8_t> ColumnBlob(int column) const;
    std::optional<std::int64_t> ColumnOptionalInt64(int column) const noexcept;
    std::optional<double> ColumnOptionalDouble(int column) const noexcept;
    std::optional<std::string> ColumnOptionalText(int column) const;

    const std::string& sql() const noexcept { return sql_; }

  private:
    friend class Connection;
    Statement(Connection* connection, StatementHandle handle, std::string sql) noexcept;
    Statement& NoteBindResult(int rc, int index);
    void Release() noexcept;

    Connection* connection_ = nullptr;
    StatementHandle handle_;
    std::string sql_;
    Errc bind_error_ = Errc::kOk;
};

// One SQLite connection (opened with SQLITE_OPEN_NOMUTEX; WAL, foreign_keys=ON and
// busy_timeout set on open, extended result codes on).
class Connection {
  public:
    // Errors: kUnavailable when the file cannot be opened (message in *error_message when given),
    // kBusy when the database is locked past the busy timeout, kInternal otherwise.
    [[nodiscard]] static Result<std::unique_ptr<Connection>> Open(
        const std::string& path,
        const ConnectionOptions& options,
        std::string* error_message = nullptr);

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Prepares exactly one SQL statement, reusing a cached one with the same text when there is
    // one. SQL with anything but whitespace or comments after the first statement is rejected
    // (kInternal), so a multi-statement string can never slip through a prepared call.
    [[nodiscard]] Result<Statement> Prepare(std::string_view sql);
    // Prepare + Exec for one statement without parameters.
    [[nodiscard]] Result<void> Exec(std::string_view sql);
    // Runs a trusted multi-statement script (migrations only; never request data).
    [[nodiscard]] Result<void> ExecScript(std::string_view sql);

    std::int64_t LastInsertRowId() const noexcept;
    std::int64_t Changes() const noexcept;  // rows changed by the last INSERT/UPDATE/DELETE
    bool in_transaction() const noexcept;
    bool read_only() const noexcept { return options_.read_only; }
    const std::string& path() const noexcept { return path_; }
    // SQLite's message for the most recent failure on this connection ("" if none yet).
    const std::string& last_error() const noexcept { return last_error_; }

    // Statement cache introspection (for tests and metrics).
    std::size_t cached_statement_count() const noexcept { return cached_count_; }
    std::size_t statement_cache_capacity() const noexcept {
        return options_.statement_cache_capacity;
    }
    std::uint64_t statement_cache_hits() const noexcept { return cache_hits_; }

    // Records a failure (used by Statement/Transaction); returns the mapped Errc.
    Errc Fail(int rc, std::string_view context);

    // The raw handle; for schema/ internals that need an SQLite API not wrapped here.
    sqlite3* raw() const noexcept { return db_.get(); }

  private:
    friend class Statement;
    Connection(SqliteHandle db, std::string path, ConnectionOptions options) noexcept;
    void ReturnToCache(std::string sql, StatementHandle handle) noexcept;

    SqliteHandle db_;
    std::string path_;
    ConnectionOptions options_;
    std::string last_error_;
    // Idle prepared statements by SQL text. cached_count_ is the total across all keys.
    std::unordered_map<std::string, std::vector<StatementHandle>> cache_;
    std::size_t cached_count_ = 0;
    std::uint64_t cache_hits_ = 0;
};

enum class TransactionMode { kDeferred, kImmediate };

// BEGIN ... COMMIT on one connection; rolls back in the destructor unless Commit() succeeded.
class Transaction {
  public:
    [[nodiscard]] static Result<Transaction> Begin(
        Connection& connection, TransactionMode mode = TransactionMode::kDeferred);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    [[nodiscard]] Result<void> Commit();
    void Rollback() noexcept;
    bool active() const noexcept { return connection_ != nullptr; }

  private:
    explicit Transaction(Connection& connection) noexcept : connection_(&connection) {}
    Connection* connection_;
};

}  // namespace renewmatch::schema
