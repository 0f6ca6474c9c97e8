#include "schema/statement.hpp"

#include "schema/check.hpp"

#include <sqlite3.h>

#include <cctype>
#include <limits>
#include <utility>

namespace renewmatch::schema {
namespace {

// True when `tail` holds only whitespace and SQL comments (what may follow the one statement).
bool IsBlankSql(std::string_view tail) {
    std::size_t i = 0;
    while (i < tail.size()) {
        const char c = tail[i];
        if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == ';') {
            ++i;
        } else if (tail.substr(i, 2) == "--") {
            const std::size_t end = tail.find('\n', i);
            if (end == std::string_view::npos) return true;
            i = end + 1;
        } else if (tail.substr(i, 2) == "/*") {
            const std::size_t end = tail.find("*/", i + 2);
            if (end == std::string_view::npos) return true;  // an unterminated comment runs to EOF
            i = end + 2;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace

void SqliteCloser::operator()(sqlite3* db) const noexcept {
    // sqlite3_close_v2 defers the close until every statement is finalized; the Connection
    // finalizes its cache first, so this closes at once.
    sqlite3_close_v2(db);
}

void StatementFinalizer::operator()(sqlite3_stmt* stmt) const noexcept {
    sqlite3_finalize(stmt);
}

Errc ErrcFromSqlite(int sqlite_result_code) noexcept {
    switch (sqlite_result_code & 0xFF) {  // the primary code of an extended code
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
            return Errc::kOk;
        case SQLITE_CONSTRAINT:
            return Errc::kConflict;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return Errc::kBusy;
        case SQLITE_TOOBIG:
            return Errc::kTooLarge;
        case SQLITE_CANTOPEN:
            return Errc::kUnavailable;
        default:
            return Errc::kInternal;
    }
}

// ---- Statement ---------------------------------------------------------------------------------

Statement::Statement(Connection* connection, StatementHandle handle, std::string sql) noexcept
    : connection_(connection), handle_(std::move(handle)), sql_(std::move(sql)) {}

Statement::Statement(Statement&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)),
      handle_(std::move(other.handle_)),
      sql_(std::move(other.sql_)),
      bind_error_(other.bind_error_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        Release();
        connection_ = std::exchange(other.connection_, nullptr);
        handle_ = std::move(other.handle_);
        sql_ = std::move(other.sql_);
        bind_error_ = other.bind_error_;
    }
    return *this;
}

Statement::~Statement() {
    Release();
}

void Statement::Release() noexcept {
    if (handle_ && connection_ != nullptr) {
        connection_->ReturnToCache(std::move(sql_), std::move(handle_));
    }
    handle_.reset();
    connection_ = nullptr;
}

Statement& Statement::NoteBindResult(int rc, int index) {
    if (rc != SQLITE_OK && bind_error_ == Errc::kOk) {
        bind_error_ =
            connection_->Fail(rc, "bind parameter " + std::to_string(index) + " of: " + sql_);
        if (bind_error_ == Errc::kOk) bind_error_ = Errc::kInternal;
    }
    return *this;
}

Statement& Statement::BindInt64(int index, std::int64_t value) {
    return NoteBindResult(sqlite3_bind_int64(handle_.get(), index, value), index);
}

Statement& Statement::BindDouble(int index, double value) {
    return NoteBindResult(sqlite3_bind_double(handle_.get(), index, value), index);
}

Statement& Statement::BindText(int index, std::string_view value) {
    return NoteBindResult(sqlite3_bind_text64(handle_.get(), index, value.data(), value.size(),
                                              SQLITE_TRANSIENT, SQLITE_UTF8),
                          index);
}

Statement& Statement::BindBlob(int index, std::span<const std::uint8_t> value) {
    // A zero-length blob with a null pointer would bind NULL; bind an empty blob instead.
    static const std::uint8_t kEmpty = 0;
    const void* data = value.empty() ? &kEmpty : value.data();
    return NoteBindResult(
        sqlite3_bind_blob64(handle_.get(), index, data, value.size(), SQLITE_TRANSIENT), index);
}

Statement& Statement::BindNull(int index) {
    return NoteBindResult(sqlite3_bind_null(handle_.get(), index), index);
}

Result<bool> Statement::Step() {
    RENEWMATCH_CHECK(handle_ != nullptr, "Step() on a moved-from Statement");
    if (bind_error_ != Errc::kOk) return bind_error_;
    const int rc = sqlite3_step(handle_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return connection_->Fail(rc, sql_);
}

Result<void> Statement::Exec() {
    while (true) {
        auto row = Step();
        if (!row) return row.error();
        if (!*row) return {};
    }
}

void Statement::Reset() noexcept {
    sqlite3_reset(handle_.get());
}

void Statement::ClearBindings() noexcept {
    sqlite3_clear_bindings(handle_.get());
    bind_error_ = Errc::kOk;
}

int Statement::ColumnCount() const noexcept {
    return sqlite3_column_count(handle_.get());
}

bool Statement::ColumnIsNull(int column) const noexcept {
    return sqlite3_column_type(handle_.get(), column) == SQLITE_NULL;
}

std::int64_t Statement::ColumnInt64(int column) const noexcept {
    return sqlite3_column_int64(handle_.get(), column);
}

double Statement::ColumnDouble(int column) const noexcept {
    return sqlite3_column_double(handle_.get(), column);
}

std::string_view Statement::ColumnTextView(int column) const noexcept {
    const unsigned char* text = sqlite3_column_text(handle_.get(), column);
    const int size = sqlite3_column_bytes(handle_.get(), column);  // after _text(), per the docs
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::string Statement::ColumnText(int column) const {
    return std::string(ColumnTextView(column));
}

std::vector<std::uint8_t> Statement::ColumnBlob(int column) const {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(handle_.get(), column));
    const int size = sqlite3_column_bytes(handle_.get(), column);
    if (data == nullptr || size <= 0) return {};
    return {data, data + size};
}

std::optional<std::int64_t> Statement::ColumnOptionalInt64(int column) const noexcept {
    if (ColumnIsNull(column)) return std::nullopt;
    return ColumnInt64(column);
}

std::optional<double> Statement::ColumnOptionalDouble(int column) const noexcept {
    if (ColumnIsNull(column)) return std::nullopt;
    return ColumnDouble(column);
}

std::optional<std::string> Statement::ColumnOptionalText(int column) const {
    if (ColumnIsNull(column)) return std::nullopt;
    return ColumnText(column);
}

// ---- Connection --------------------------------------------------------------------------------

Connection::Connection(SqliteHandle db, std::string path, ConnectionOptions options) noexcept
    : db_(std::move(db)), path_(std::move(path)), options_(options) {}

Connection::~Connection() {
    cache_.clear();  // finalize cached statements before the handle closes
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                     const ConnectionOptions& options,
                                                     std::string* error_message) {
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    if (options.read_only) {
        flags |= SQLITE_OPEN_READONLY;
    } else {
        flags |= SQLITE_OPEN_READWRITE;
        if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    SqliteHandle handle(raw);  // closes even when open failed (SQLite may allocate a handle)
    if (rc != SQLITE_OK) {
        if (error_message != nullptr) {
            *error_message = "cannot open database " + path + ": " +
                             (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
        }
        Errc kind = ErrcFromSqlite(rc);
        return kind == Errc::kBusy ? Errc::kBusy : Errc::kUnavailable;
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, options.busy_timeout_ms);

    std::unique_ptr<Connection> connection(new Connection(std::move(handle), path, options));
    // foreign_keys is per connection and off by default in SQLite.
    if (auto fk = connection->Exec("PRAGMA foreign_keys = ON"); !fk) {
        if (error_message != nullptr) *error_message = connection->last_error();
        return fk.error();
    }
    return connection;
}

Errc Connection::Fail(int rc, std::string_view context) {
    last_error_ = sqlite3_errstr(rc);
    if (db_) {
        const char* detail = sqlite3_errmsg(db_.get());
        if (detail != nullptr && last_error_ != detail) {
            last_error_ += ": ";
            last_error_ += detail;
        }
    }
    if (!context.empty()) {
        last_error_ += " (in ";
        last_error_ += context;
        last_error_ += ")";
    }
    const Errc kind = ErrcFromSqlite(rc);
    return kind == Errc::kOk ? Errc::kInternal : kind;
}

Result<Statement> Connection::Prepare(std::string_view sql) {
    std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end() && !it->second.empty()) {
        StatementHandle handle = std::move(it->second.back());
        it->second.pop_back();
        if (it->second.empty()) cache_.erase(it);
        --cached_count_;
        ++cache_hits_;
        return Statement(this, std::move(handle), std::move(key));
    }
    if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        last_error_ = "SQL text too long";
        return Errc::kInternal;
    }
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    StatementHandle handle(raw);
    if (rc != SQLITE_OK) return Fail(rc, sql);
    if (raw == nullptr) {  // only whitespace or comments
        last_error_ = "empty SQL statement";
        return Errc::kInternal;
    }
    const auto consumed = static_cast<std::size_t>(tail - sql.data());
    if (!IsBlankSql(sql.substr(consumed))) {
        // A second statement would run unprepared-looking through Step(); refuse it outright.
        last_error_ = "SQL has more than one statement: " + std::string(sql);
        return Errc::kInternal;
    }
    return Statement(this, std::move(handle), std::move(key));
}

Result<void> Connection::Exec(std::string_view sql) {
    auto statement = Prepare(sql);
    if (!statement) return statement.error();
    return statement->Exec();
}

Result<void> Connection::ExecScript(std::string_view sql) {
    const std::string script(sql);  // sqlite3_exec needs a terminated string
    char* message = nullptr;
    const int rc = sqlite3_exec(db_.get(), script.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        const Errc kind = Fail(rc, {});
        if (message != nullptr) last_error_ = message;
        sqlite3_free(message);
        return kind;
    }
    return {};
}

std::int64_t Connection::LastInsertRowId() const noexcept {
    return sqlite3_last_insert_rowid(db_.get());
}

std::int64_t Connection::Changes() const noexcept {
    return sqlite3_changes64(db_.get());
}

bool Connection::in_transaction() const noexcept {
    return sqlite3_get_autocommit(db_.get()) == 0;
}

void Connection::ReturnToCache(std::string sql, StatementHandle handle) noexcept {
    sqlite3_reset(handle.get());
    sqlite3_clear_bindings(handle.get());
    if (cached_count_ >= options_.statement_cache_capacity) return;  // handle finalizes here
    try {
        cache_[std::move(sql)].push_back(std::move(handle));
        ++cached_count_;
    } catch (...) {
        // Out of memory while caching: dropping the statement (finalizing it) is always safe.
    }
}

// ---- Transaction -------------------------------------------------------------------------------

Result<Transaction> Transaction::Begin(Connection& connection, TransactionMode mode) {
    const char* sql = mode == TransactionMode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN";
    if (auto begun = connection.Exec(sql); !begun) return begun.error();
    return Transaction(connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
    Rollback();
}

Result<void> Transaction::Commit() {
    RENEWMATCH_CHECK(connection_ != nullptr, "Commit() on an inactive Transaction");
    auto committed = connection_->Exec("COMMIT");
    if (!committed) {
        // A failed COMMIT (busy, deferred constraint) may leave the transaction open; roll back
        // so the connection is usable again and nothing half-done survives.
        Rollback();
        return committed.error();
    }
    connection_ = nullptr;
    return {};
}

void Transaction::Rollback() noexcept {
    if (connection_ == nullptr) return;
    Connection* connection = std::exchange(connection_, nullptr);
    if (connection->in_transaction()) {
        // ROLLBACK can only fail when no transaction is open, which in_transaction() excludes.
        try {
            (void)connection->Exec("ROLLBACK");
        } catch (...) {
        }
    }
}

}  // namespace renewmatch::schema
