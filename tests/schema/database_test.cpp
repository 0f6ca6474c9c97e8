// schema::Database against real SQLite files: migrations, schema-version guard, WAL, the writer's
// transactions, constraint mapping, the reader pool under a concurrent writer.
#include "schema/database.hpp"

#include "tests/support/test_util.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace renewmatch::schema {
namespace {

using renewmatch::testing::TempDir;
using namespace std::chrono_literals;

std::unique_ptr<Database> OpenMigrated(const std::filesystem::path& path,
                                       DatabaseOptions options = {}) {
    std::string why;
    auto db = Database::Open(path.string(), options, &why);
    EXPECT_TRUE(db.has_value()) << why;
    if (!db) return nullptr;
    auto version = (*db)->Migrate(&why);
    EXPECT_TRUE(version.has_value()) << why;
    return std::move(*db);
}

Result<std::int64_t> CountRows(Database& db, std::string_view sql) {
    return db.Read([&](Connection& c) -> Result<std::int64_t> {
        auto s = c.Prepare(sql);
        if (!s) return s.error();
        auto row = s->Step();
        if (!row) return row.error();
        return s->ColumnInt64(0);
    });
}

Result<void> PutMeta(Database& db, std::string key, std::string value) {
    return db.Write([&](Connection& c) -> Result<void> {
        auto s = c.Prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)");
        if (!s) return s.error();
        return s->BindAll(key, value).Exec();
    });
}

TEST(EmbeddedMigrationsTest, AreSortedUniqueAndStartWithCore) {
    const auto migrations = EmbeddedMigrations();
    ASSERT_FALSE(migrations.empty());
    EXPECT_EQ(migrations.front().version, 1);
    EXPECT_EQ(migrations.front().name, "0001_core");
    for (std::size_t i = 1; i < migrations.size(); ++i) {
        EXPECT_LT(migrations[i - 1].version, migrations[i].version) << migrations[i].name;
    }
    EXPECT_EQ(LatestSchemaVersion(), migrations.back().version);
}

TEST(DatabaseTest, MigrateAppliesEveryMigrationInOrderAndIsIdempotent) {
    TempDir dir;
    std::string why;
    auto opened = Database::Open((dir / "rm.db").string(), {}, &why);
    ASSERT_TRUE(opened.has_value()) << why;
    Database& db = **opened;
    EXPECT_EQ(db.SchemaVersion(), 0);

    auto first = db.Migrate(&why);
    ASSERT_TRUE(first.has_value()) << why;
    EXPECT_EQ(*first, LatestSchemaVersion());
    EXPECT_EQ(db.SchemaVersion(), LatestSchemaVersion());

    auto applied = db.Read([](Connection& c) -> Result<std::vector<std::pair<int, std::string>>> {
        auto s = c.Prepare("SELECT version, name FROM schema_migrations ORDER BY rowid");
        if (!s) return s.error();
        std::vector<std::pair<int, std::string>> rows;
        while (true) {
            auto row = s->Step();
            if (!row) return row.error();
            if (!*row) break;
            rows.emplace_back(static_cast<int>(s->ColumnInt64(0)), s->ColumnText(1));
        }
        return rows;
    });
    ASSERT_OK(applied);
    const auto migrations = EmbeddedMigrations();
    ASSERT_EQ(applied->size(), migrations.size());
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        EXPECT_EQ((*applied)[i].first, migrations[i].version);  // applied in version order
        EXPECT_EQ((*applied)[i].second, migrations[i].name);
    }
    // 0001_core created meta and seeded it.
    auto created = CountRows(db, "SELECT count(*) FROM meta WHERE key = 'core.created_at'");
    ASSERT_OK(created);
    EXPECT_EQ(*created, 1);

    auto second = db.Migrate(&why);
    ASSERT_TRUE(second.has_value()) << why;
    EXPECT_EQ(*second, LatestSchemaVersion());
    auto rows = CountRows(db, "SELECT count(*) FROM schema_migrations");
    ASSERT_OK(rows);
    EXPECT_EQ(static_cast<std::size_t>(*rows), migrations.size());
}

TEST(DatabaseTest, MigrationsSurviveReopen) {
    TempDir dir;
    {
        auto db = OpenMigrated(dir / "rm.db");
        ASSERT_NE(db, nullptr);
        ASSERT_OK(PutMeta(*db, "test.kept", "yes"));
    }
    auto db = OpenMigrated(dir / "rm.db");
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->SchemaVersion(), LatestSchemaVersion());
    auto kept = CountRows(*db, "SELECT count(*) FROM meta WHERE key = 'test.kept'");
    ASSERT_OK(kept);
    EXPECT_EQ(*kept, 1);
}

TEST(DatabaseTest, OpeningADatabaseFromTheFutureFailsNamingBothVersions) {
    TempDir dir;
    const std::string path = (dir / "future.db").string();
    {
        auto db = OpenMigrated(path);
        ASSERT_NE(db, nullptr);
    }
    const int future = LatestSchemaVersion() + 7;
    {
        auto raw = Connection::Open(path, {});
        ASSERT_OK(raw);
        ASSERT_OK((*raw)->Exec("PRAGMA user_version = " + std::to_string(future)));
    }
    std::string why;
    auto db = Database::Open(path, {}, &why);
    ASSERT_FALSE(db.has_value());
    EXPECT_EQ(db.error(), make_error_code(Errc::kInternal));
    EXPECT_NE(why.find(std::to_string(future)), std::string::npos) << why;
    EXPECT_NE(why.find(std::to_string(LatestSchemaVersion())), std::string::npos) << why;
}

TEST(DatabaseTest, MigrateRefusesADatabaseThatBecameNewerAfterOpen) {
    TempDir dir;
    const std::string path = (dir / "rm.db").string();
    auto db = OpenMigrated(path);
    ASSERT_NE(db, nullptr);
    {
        auto raw = Connection::Open(path, {});
        ASSERT_OK(raw);
        ASSERT_OK(
            (*raw)->Exec("PRAGMA user_version = " + std::to_string(LatestSchemaVersion() + 1)));
    }
    std::string why;
    auto migrated = db->Migrate(&why);
    ASSERT_FALSE(migrated.has_value());
    EXPECT_NE(why.find("newer than this build"), std::string::npos) << why;
}

TEST(DatabaseTest, FileDatabaseUsesWalAndForeignKeys) {
    TempDir dir;
    auto db = OpenMigrated(dir / "wal.db");
    ASSERT_NE(db, nullptr);
    auto mode = db->Read([](Connection& c) -> Result<std::string> {
        auto s = c.Prepare("PRAGMA journal_mode");
        if (!s) return s.error();
        auto row = s->Step();
        if (!row) return row.error();
        return s->ColumnText(0);
    });
    ASSERT_OK(mode);
    EXPECT_EQ(*mode, "wal");
    ASSERT_OK(PutMeta(*db, "test.wal", "1"));
    EXPECT_TRUE(std::filesystem::exists(dir / "wal.db-wal"));

    auto fk = db->Read([](Connection& c) -> Result<std::int64_t> {
        auto s = c.Prepare("PRAGMA foreign_keys");
        if (!s) return s.error();
        auto row = s->Step();
        if (!row) return row.error();
        return s->ColumnInt64(0);
    });
    ASSERT_OK(fk);
    EXPECT_EQ(*fk, 1);
}

TEST(DatabaseTest, WriteRollsBackWhenTheCallbackFails) {
    TempDir dir;
    auto db = OpenMigrated(dir / "rm.db");
    ASSERT_NE(db, nullptr);
    auto result = db->Write([](Connection& c) -> Result<int> {
        auto s = c.Prepare("INSERT INTO meta (key, value) VALUES ('test.rollback', 'x')");
        if (!s) return s.error();
        if (auto r = s->Exec(); !r) return r.error();
        EXPECT_EQ(c.Changes(), 1);
        return Errc::kInvalidArgument;  // the caller decided the batch is bad
    });
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), make_error_code(Errc::kInvalidArgument));
    auto count = CountRows(*db, "SELECT count(*) FROM meta WHERE key = 'test.rollback'");
    ASSERT_OK(count);
    EXPECT_EQ(*count, 0);
}

TEST(DatabaseTest, WriteRollsBackAndRethrowsWhenTheCallbackThrows) {
    TempDir dir;
    auto db = OpenMigrated(dir / "rm.db");
    ASSERT_NE(db, nullptr);
    EXPECT_THROW((void)db->Write([](Connection& c) -> Result<void> {
        if (auto r = c.Exec("INSERT INTO meta (key, value) VALUES ('test.throw', 'x')"); !r) {
            return r.error();
        }
        throw std::runtime_error("boom");
    }),
                 std::runtime_error);
    auto count = CountRows(*db, "SELECT count(*) FROM meta WHERE key = 'test.throw'");
    ASSERT_OK(count);
    EXPECT_EQ(*count, 0);
    // The writer is usable again (no transaction left open, mutex released).
    EXPECT_OK(PutMeta(*db, "test.after", "1"));
}

TEST(DatabaseTest, ConstraintViolationsMapToConflict) {
    TempDir dir;
    auto db = OpenMigrated(dir / "rm.db");
    ASSERT_NE(db, nullptr);
    ASSERT_OK(PutMeta(*db, "test.unique", "1"));
    auto duplicate = PutMeta(*db, "test.unique", "2");
    ASSERT_FALSE(duplicate.has_value());
    EXPECT_EQ(duplicate.error(), make_error_code(Errc::kConflict));

    // CHECK and FOREIGN KEY constraints too (foreign_keys is ON on the writer).
    auto empty_key = PutMeta(*db, "", "x");
    ASSERT_FALSE(empty_key.has_value());
    EXPECT_EQ(empty_key.error(), make_error_code(Errc::kConflict));
    auto fk = db->Write([](Connection& c) -> Result<void> {
        if (auto r = c.Exec("CREATE TABLE test_parent (id INTEGER PRIMARY KEY)"); !r) return r;
        if (auto r = c.Exec("CREATE TABLE test_child (parent INTEGER NOT NULL "
                            "REFERENCES test_parent(id))");
            !r) {
            return r;
        }
        return {};
    });
    ASSERT_OK(fk);
    auto orphan = db->Write(
        [](Connection& c) { return c.Exec("INSERT INTO test_child (parent) VALUES (42)"); });
    ASSERT_FALSE(orphan.has_value());
    EXPECT_EQ(orphan.error(), make_error_code(Errc::kConflict));
}

TEST(DatabaseTest, ReadersAreReadOnly) {
    TempDir dir;
    auto db = OpenMigrated(dir / "rm.db");
    ASSERT_NE(db, nullptr);
    auto write_on_reader = db->Read(
        [](Connection& c) { return c.Exec("INSERT INTO meta (key, value) VALUES ('x', 'y')"); });
    EXPECT_FALSE(write_on_reader.has_value());
}

TEST(DatabaseTest, NestedWriteOnTheSameThreadIsRefusedNotDeadlocked) {
    TempDir dir;
    auto db = OpenMigrated(dir / "rm.db");
    ASSERT_NE(db, nullptr);
    auto outer = db->Write([&](Connection&) -> Result<void> {
        auto inner = db->Write([](Connection&) -> Result<void> { return {}; });
        EXPECT_FALSE(inner.has_value());
        if (!inner) {
            EXPECT_EQ(inner.error(), make_error_code(Errc::kInternal));
        }
        return {};
    });
    EXPECT_OK(outer);
}

TEST(DatabaseTest, ReadersSeeACommittedSnapshotWhileTheWriterWrites) {
    TempDir dir;
    DatabaseOptions options;
    options.reader_count = 3;
    auto db = OpenMigrated(dir / "rm.db", options);
    ASSERT_NE(db, nullptr);
    const auto before = CountRows(*db, "SELECT count(*) FROM meta");
    ASSERT_OK(before);

    std::promise<void> writer_inside;
    std::promise<void> readers_done;
    auto readers_done_future = readers_done.get_future();
    std::thread writer([&] {
        auto r = db->Write([&](Connection& c) -> Result<void> {
            for (int i = 0; i < 100; ++i) {
                auto s = c.Prepare("INSERT INTO meta (key, value) VALUES (?1, 'v')");
                if (!s) return s.error();
                if (auto e = s->BindAll("test.row." + std::to_string(i)).Exec(); !e) return e;
            }
            writer_inside.set_value();
            // Hold the write transaction open until every reader has finished.
            if (readers_done_future.wait_for(10s) != std::future_status::ready) {
                return Errc::kInternal;
            }
            return {};
        });
        EXPECT_OK(r);
    });
    writer_inside.get_future().wait();

    // Readers run concurrently with the open write transaction and do not block on it.
    std::atomic<int> consistent{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 6; ++t) {
        readers.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
                auto n = CountRows(*db, "SELECT count(*) FROM meta");
                if (n && *n == *before) ++consistent;
            }
        });
    }
    for (auto& t : readers) t.join();
    readers_done.set_value();
    writer.join();
    EXPECT_EQ(consistent.load(), 6 * 20);

    auto after = CountRows(*db, "SELECT count(*) FROM meta");
    ASSERT_OK(after);
    EXPECT_EQ(*after, *before + 100);
}

TEST(DatabaseTest, ReaderPoolExhaustionIsBusyAfterTheTimeout) {
    TempDir dir;
    DatabaseOptions options;
    options.reader_count = 1;
    options.busy_timeout_ms = 50;
    auto db = OpenMigrated(dir / "rm.db", options);
    ASSERT_NE(db, nullptr);
    std::promise<void> holding;
    std::promise<void> release;
    auto release_future = release.get_future();
    std::thread holder([&] {
        auto r = db->Read([&](Connection&) -> Result<void> {
            holding.set_value();
            release_future.wait();
            return {};
        });
        EXPECT_OK(r);
    });
    holding.get_future().wait();
    auto starved = db->Read([](Connection&) -> Result<void> { return {}; });
    release.set_value();
    holder.join();
    ASSERT_FALSE(starved.has_value());
    EXPECT_EQ(starved.error(), make_error_code(Errc::kBusy));
    EXPECT_OK(db->Ping());  // the reader came back to the pool
}

TEST(DatabaseTest, SecondProcessStyleWriterGetsBusy) {
    TempDir dir;
    DatabaseOptions options;
    options.busy_timeout_ms = 50;
    auto db = OpenMigrated(dir / "rm.db", options);
    ASSERT_NE(db, nullptr);
    // Another connection (as another process would) holds the write lock.
    ConnectionOptions other_options;
    other_options.busy_timeout_ms = 50;
    auto other = Connection::Open((dir / "rm.db").string(), other_options);
    ASSERT_OK(other);
    auto lock = Transaction::Begin(**other, TransactionMode::kImmediate);
    ASSERT_OK(lock);
    auto blocked = PutMeta(*db, "test.busy", "1");
    ASSERT_FALSE(blocked.has_value());
    EXPECT_EQ(blocked.error(), make_error_code(Errc::kBusy));
    lock->Rollback();
    EXPECT_OK(PutMeta(*db, "test.busy", "1"));
}

TEST(DatabaseTest, InMemoryDatabaseServesReadsOnTheWriter) {
    auto opened = Database::Open(":memory:");
    ASSERT_OK(opened);
    Database& db = **opened;
    EXPECT_EQ(db.reader_count(), 0u);
    auto version = db.Migrate();
    ASSERT_OK(version);
    ASSERT_OK(PutMeta(db, "test.mem", "1"));
    auto count = CountRows(db, "SELECT count(*) FROM meta WHERE key = 'test.mem'");
    ASSERT_OK(count);
    EXPECT_EQ(*count, 1);
    EXPECT_OK(db.Ping());
}

TEST(DatabaseTest, OpenFailsClearlyForAFileThatIsNotADatabase) {
    TempDir dir;
    {
        std::ofstream out(dir / "garbage.db", std::ios::binary);
        out << std::string(8192, 'x');
    }
    std::string why;
    auto db = Database::Open((dir / "garbage.db").string(), {}, &why);
    ASSERT_FALSE(db.has_value());
    EXPECT_EQ(db.error(), make_error_code(Errc::kInternal));
    EXPECT_NE(why.find("not a database"), std::string::npos) << why;
}

TEST(DatabaseTest, OpenFailsForAnUnreachablePath) {
    TempDir dir;
    std::string why;
    auto db = Database::Open((dir / "no" / "such" / "dir" / "rm.db").string(), {}, &why);
    ASSERT_FALSE(db.has_value());
    EXPECT_EQ(db.error(), make_error_code(Errc::kUnavailable));
    EXPECT_NE(why.find("cannot open database"), std::string::npos) << why;
}

}  // namespace
}  // namespace renewmatch::schema
