// schema::Connection / Statement / Transaction on a real SQLite file: binding and reading every
// type, the single-statement rule, the statement cache and its cap, RAII rollback.
#include "schema/statement.hpp"

#include "tests/support/test_util.hpp"

#include <cmath>
#include <limits>
#include <optional>

namespace renewmatch::schema {
namespace {

using renewmatch::testing::TempDir;

class StatementTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ConnectionOptions options;
        options.statement_cache_capacity = 4;
        auto c = Connection::Open((dir_ / "s.db").string(), options);
        ASSERT_OK(c);
        conn_ = std::move(*c);
        ASSERT_OK(
            conn_->Exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n INTEGER UNIQUE)"));
    }

    std::int64_t Count() {
        auto s = conn_->Prepare("SELECT count(*) FROM t");
        EXPECT_TRUE(s.has_value());
        if (!s) return -1;
        auto row = s->Step();
        EXPECT_TRUE(row.has_value() && *row);
        return s->ColumnInt64(0);
    }

    TempDir dir_;
    std::unique_ptr<Connection> conn_;
};

TEST_F(StatementTest, BindsAndReadsEveryType) {
    const std::vector<std::uint8_t> blob = {0, 1, 2, 255};
    {
        auto ins = conn_->Prepare("INSERT INTO t (i, r, s, b, n) VALUES (?1, ?2, ?3, ?4, ?5)");
        ASSERT_OK(ins);
        ins->Bind(1, std::numeric_limits<std::int64_t>::min())
            .Bind(2, 2.5)
            .Bind(3, std::string_view("中文 text\0tail", 16))
            .BindBlob(4, blob)
            .Bind(5, std::optional<int>());
        ASSERT_OK(ins->Exec());
        EXPECT_EQ(conn_->Changes(), 1);
        EXPECT_EQ(conn_->LastInsertRowId(), 1);
    }
    auto sel = conn_->Prepare("SELECT i, r, s, b, n FROM t");
    ASSERT_OK(sel);
    auto row = sel->Step();
    ASSERT_OK(row);
    ASSERT_TRUE(*row);
    EXPECT_EQ(sel->ColumnCount(), 5);
    EXPECT_EQ(sel->ColumnInt64(0), std::numeric_limits<std::int64_t>::min());
    EXPECT_DOUBLE_EQ(sel->ColumnDouble(1), 2.5);
    EXPECT_EQ(sel->ColumnText(2), std::string("中文 text\0tail", 16));  // embedded NUL kept
    EXPECT_EQ(sel->ColumnBlob(3), blob);
    EXPECT_TRUE(sel->ColumnIsNull(4));
    EXPECT_EQ(sel->ColumnOptionalInt64(4), std::nullopt);
    EXPECT_EQ(sel->ColumnOptionalText(2), std::string("中文 text\0tail", 16));
    auto done = sel->Step();
    ASSERT_OK(done);
    EXPECT_FALSE(*done);
}

TEST_F(StatementTest, RejectsATrailingSecondStatement) {
    auto two = conn_->Prepare("SELECT 1; DELETE FROM t");
    ASSERT_FALSE(two.has_value());
    EXPECT_EQ(two.error(), make_error_code(Errc::kInternal));
    EXPECT_NE(conn_->last_error().find("more than one statement"), std::string::npos);
    // Trailing semicolons, whitespace and comments are fine.
    EXPECT_OK(conn_->Prepare("SELECT 1;  -- why\n /* and */ ;"));
    auto empty = conn_->Prepare("  -- nothing\n");
    EXPECT_FALSE(empty.has_value());
}

TEST_F(StatementTest, SyntaxErrorsCarrySqlitesMessage) {
    auto bad = conn_->Prepare("SELEC 1");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error(), make_error_code(Errc::kInternal));
    EXPECT_NE(conn_->last_error().find("syntax error"), std::string::npos) << conn_->last_error();
}

TEST_F(StatementTest, BindMisuseIsReportedByStep) {
    auto s = conn_->Prepare("INSERT INTO t (i) VALUES (?1)");
    ASSERT_OK(s);
    s->Bind(7, 1);  // no parameter 7
    auto r = s->Exec();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(Count(), 0);
}

TEST_F(StatementTest, UniqueViolationIsConflict) {
    ASSERT_OK(conn_->Exec("INSERT INTO t (n) VALUES (1)"));
    auto dup = conn_->Exec("INSERT INTO t (n) VALUES (1)");
    ASSERT_FALSE(dup.has_value());
    EXPECT_EQ(dup.error(), make_error_code(Errc::kConflict));
    EXPECT_NE(conn_->last_error().find("UNIQUE"), std::string::npos) << conn_->last_error();
}

TEST_F(StatementTest, CacheReusesStatementsAndResetsBindings) {
    const std::string sql = "SELECT ?1";
    const auto hits_before = conn_->statement_cache_hits();
    const auto cached_before = conn_->cached_statement_count();  // the fixture's CREATE TABLE
    {
        auto s = conn_->Prepare(sql);
        ASSERT_OK(s);
        s->Bind(1, 42);
        ASSERT_OK(s->Step());
        EXPECT_EQ(s->ColumnInt64(0), 42);
    }  // back into the cache, reset, bindings cleared
    EXPECT_EQ(conn_->cached_statement_count(), cached_before + 1);
    {
        auto s = conn_->Prepare(sql);
        ASSERT_OK(s);
        EXPECT_EQ(conn_->statement_cache_hits(), hits_before + 1);
        EXPECT_EQ(conn_->cached_statement_count(), cached_before);  // checked out
        auto row = s->Step();
        ASSERT_OK(row);
        EXPECT_TRUE(s->ColumnIsNull(0));  // the old binding did not leak into this use
    }
    // The same SQL checked out twice at once gets two independent statements.
    {
        auto a = conn_->Prepare(sql);
        auto b = conn_->Prepare(sql);
        ASSERT_OK(a);
        ASSERT_OK(b);
        a->Bind(1, 1);
        b->Bind(1, 2);
        ASSERT_OK(a->Step());
        ASSERT_OK(b->Step());
        EXPECT_EQ(a->ColumnInt64(0), 1);
        EXPECT_EQ(b->ColumnInt64(0), 2);
    }
    EXPECT_EQ(conn_->cached_statement_count(), cached_before + 2);
}

TEST_F(StatementTest, CacheIsCapped) {
    {
        std::vector<Statement> held;
        for (int i = 0; i < 6; ++i) {
            auto s = conn_->Prepare("SELECT " + std::to_string(i));
            ASSERT_OK(s);
            held.push_back(std::move(*s));
        }
    }
    EXPECT_EQ(conn_->cached_statement_count(), conn_->statement_cache_capacity());
    EXPECT_EQ(conn_->statement_cache_capacity(), 4u);
}

TEST_F(StatementTest, TransactionRollsBackUnlessCommitted) {
    {
        auto txn = Transaction::Begin(*conn_);
        ASSERT_OK(txn);
        EXPECT_TRUE(conn_->in_transaction());
        ASSERT_OK(conn_->Exec("INSERT INTO t (i) VALUES (1)"));
        EXPECT_EQ(Count(), 1);
    }  // destroyed without Commit
    EXPECT_FALSE(conn_->in_transaction());
    EXPECT_EQ(Count(), 0);
    {
        auto txn = Transaction::Begin(*conn_, TransactionMode::kImmediate);
        ASSERT_OK(txn);
        ASSERT_OK(conn_->Exec("INSERT INTO t (i) VALUES (1)"));
        ASSERT_OK(txn->Commit());
        EXPECT_FALSE(txn->active());
    }
    EXPECT_EQ(Count(), 1);
}

TEST_F(StatementTest, ExecScriptRunsSeveralStatementsAndReportsFailures) {
    ASSERT_OK(conn_->ExecScript("INSERT INTO t (i) VALUES (1); INSERT INTO t (i) VALUES (2);"));
    EXPECT_EQ(Count(), 2);
    auto bad = conn_->ExecScript("INSERT INTO t (i) VALUES (3); INSERT INTO nope VALUES (1);");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(conn_->last_error().find("nope"), std::string::npos) << conn_->last_error();
}

TEST(ErrcFromSqliteTest, MapsTheDocumentedCodes) {
    EXPECT_EQ(ErrcFromSqlite(19), Errc::kConflict);             // SQLITE_CONSTRAINT
    EXPECT_EQ(ErrcFromSqlite(19 | (8 << 8)), Errc::kConflict);  // SQLITE_CONSTRAINT_PRIMARYKEY
    EXPECT_EQ(ErrcFromSqlite(5), Errc::kBusy);                  // SQLITE_BUSY
    EXPECT_EQ(ErrcFromSqlite(6), Errc::kBusy);                  // SQLITE_LOCKED
    EXPECT_EQ(ErrcFromSqlite(18), Errc::kTooLarge);             // SQLITE_TOOBIG
    EXPECT_EQ(ErrcFromSqlite(11), Errc::kInternal);             // SQLITE_CORRUPT
    EXPECT_EQ(ErrcFromSqlite(26), Errc::kInternal);             // SQLITE_NOTADB
}

}  // namespace
}  // namespace renewmatch::schema
