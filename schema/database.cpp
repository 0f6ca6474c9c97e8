#include "schema/database.hpp"

#include <algorithm>
#include <chrono>

namespace renewmatch::schema {
namespace {

bool IsInMemory(const std::string& path) {
    return path == ":memory:" || path.find("mode=memory") != std::string::npos;
}

void SetMessage(std::string* out, std::string message) {
    if (out != nullptr) *out = std::move(message);
}

Result<int> ReadUserVersion(Connection& connection) {
    auto statement = connection.Prepare("PRAGMA user_version");
    if (!statement) return statement.error();
    auto row = statement->Step();
    if (!row) return row.error();
    if (!*row) return Errc::kInternal;
    return static_cast<int>(statement->ColumnInt64(0));
}

std::string NewerThanBuildMessage(int file_version, int known_version) {
    return "database schema version " + std::to_string(file_version) +
           " is newer than this build's " + std::to_string(known_version) +
           "; upgrade renewmatch or use a matching database";
}

}  // namespace

int LatestSchemaVersion() noexcept {
    int latest = 0;
    for (const Migration& migration : EmbeddedMigrations())
        latest = std::max(latest, migration.version);
    return latest;
}

Database::Database(std::string path, DatabaseOptions options) noexcept
    : path_(std::move(path)), options_(options) {}

Database::~Database() {
    // Readers first: the writer's close checkpoints the WAL when it is the last connection.
    idle_readers_.clear();
    readers_.clear();
    writer_.reset();
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const DatabaseOptions& options,
                                                 std::string* error_message) {
    std::unique_ptr<Database> db(new Database(path, options));
    ConnectionOptions writer_options;
    writer_options.read_only = false;
    writer_options.create_if_missing = options.create_if_missing;
    writer_options.busy_timeout_ms = options.busy_timeout_ms;
    writer_options.statement_cache_capacity = options.statement_cache_capacity;
    auto writer = Connection::Open(path, writer_options, error_message);
    if (!writer) return writer.error();
    db->writer_ = std::move(*writer);

    const bool in_memory = IsInMemory(path);
    if (!in_memory) {
        // WAL lets readers run beside the single writer; it is persistent in the file.
        auto mode = db->writer_->Prepare("PRAGMA journal_mode = WAL");
        if (!mode) {
            SetMessage(error_message,
                       "cannot set WAL mode on " + path + ": " + db->writer_->last_error());
            return mode.error();
        }
        auto row = mode->Step();
        if (!row || !*row || mode->ColumnTextView(0) != "wal") {
            SetMessage(error_message,
                       "cannot set WAL mode on " + path + ": " + db->writer_->last_error());
            return row ? Errc::kInternal : row.error();
        }
    }
    // Commits in WAL mode are durable at checkpoint with synchronous=NORMAL; a power cut may
    // lose the last transactions but never corrupts the file (SQLite's documented trade-off).
    if (auto sync = db->writer_->Exec("PRAGMA synchronous = NORMAL"); !sync) {
        SetMessage(error_message, db->writer_->last_error());
        return sync.error();
    }

    auto version = ReadUserVersion(*db->writer_);
    if (!version) {
        SetMessage(error_message,
                   "cannot read the schema version of " + path + ": " + db->writer_->last_error());
        return version.error();
    }
    if (*version > LatestSchemaVersion()) {
        SetMessage(error_message, NewerThanBuildMessage(*version, LatestSchemaVersion()));
        return Errc::kInternal;
    }

    if (!in_memory) {
        ConnectionOptions reader_options = writer_options;
        reader_options.read_only = true;
        reader_options.create_if_missing = false;
        const int reader_count = std::max(1, options.reader_count);
        for (int i = 0; i < reader_count; ++i) {
            auto reader = Connection::Open(path, reader_options, error_message);
            if (!reader) return reader.error();
            db->idle_readers_.push_back(reader->get());
            db->readers_.push_back(std::move(*reader));
        }
    }
    return db;
}

Result<int> Database::Migrate(std::string* error_message) {
    std::lock_guard lock(writer_mutex_);
    WriterThreadMark mark(writer_thread_);
    Connection& writer = *writer_;
    auto current = ReadUserVersion(writer);
    if (!current) {
        SetMessage(error_message, "cannot read the schema version: " + writer.last_error());
        return current.error();
    }
    const int latest = LatestSchemaVersion();
    if (*current > latest) {
        SetMessage(error_message, NewerThanBuildMessage(*current, latest));
        return Errc::kInternal;
    }
    int version = *current;
    for (const Migration& migration : EmbeddedMigrations()) {
        if (migration.version <= version) continue;
        auto txn = Transaction::Begin(writer, TransactionMode::kImmediate);
        if (!txn) {
            SetMessage(error_message, "cannot start migration " + std::string(migration.name) +
                                          ": " + writer.last_error());
            return txn.error();
        }
        // The bookkeeping table lives outside the numbered files so that 0001 is recorded too.
        auto step = writer.Exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY NOT NULL,"
            " name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL)");
        if (step) step = writer.ExecScript(migration.sql);
        if (step) {
            auto record = writer.Prepare(
                "INSERT INTO schema_migrations (version, name, applied_at)"
                " VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
            if (!record) {
                step = record.error();
            } else {
                record->BindAll(migration.version, migration.name);
                step = record->Exec();
            }
        }
        // PRAGMA takes no bound parameters; the version is a trusted integer from the build.
        if (step) step = writer.Exec("PRAGMA user_version = " + std::to_string(migration.version));
        if (step) step = txn->Commit();
        if (!step) {
            SetMessage(error_message, "migration " + std::string(migration.name) +
                                          " failed: " + writer.last_error());
            return step.error();  // txn's destructor rolls the failed migration back
        }
        version = migration.version;
    }
    return version;
}

int Database::SchemaVersion() {
    auto version = Read([](Connection& connection) { return ReadUserVersion(connection); });
    return version ? *version : -1;
}

Result<void> Database::Ping() {
    return Read([](Connection& connection) -> Result<void> {
        auto statement = connection.Prepare("SELECT 1");
        if (!statement) return statement.error();
        auto row = statement->Step();
        if (!row) return row.error();
        if (!*row || statement->ColumnInt64(0) != 1) return Errc::kInternal;
        return {};
    });
}

Result<Database::ReaderLease> Database::AcquireReader() {
    std::unique_lock lock(readers_mutex_);
    const bool available =
        reader_free_.wait_for(lock, std::chrono::milliseconds(options_.busy_timeout_ms),
                              [this] { return !idle_readers_.empty(); });
    if (!available) return Errc::kBusy;
    Connection* connection = idle_readers_.back();
    idle_readers_.pop_back();
    return ReaderLease(this, connection);
}

void Database::ReleaseReader(Connection* connection) noexcept {
    {
        std::lock_guard lock(readers_mutex_);
        idle_readers_.push_back(connection);
    }
    reader_free_.notify_one();
}

}  // namespace renewmatch::schema
