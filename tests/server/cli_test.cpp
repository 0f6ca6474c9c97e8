#include "server/cli.hpp"

#include "schema/database.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace renewmatch::server {
namespace {

using renewmatch::testing::TempDir;

struct Run {
    int rc;
    std::string out;
    std::string err;
};

Run Cli(std::vector<std::string> args) {
    std::ostringstream out, err;
    int rc = RunCli(args, out, err);
    return {rc, out.str(), err.str()};
}

TEST(Cli, NoArgumentsOrUnknownCommandIsUsageError) {
    auto none = Cli({});
    EXPECT_EQ(none.rc, 2);
    EXPECT_NE(none.err.find("usage: renewmatch"), std::string::npos);
    auto unknown = Cli({"frobnicate"});
    EXPECT_EQ(unknown.rc, 2);
    EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos) << unknown.err;
    auto sub = Cli({"db", "explode", "--db", "x"});
    EXPECT_EQ(sub.rc, 2);
    EXPECT_NE(sub.err.find("db migrate"), std::string::npos) << sub.err;
}

TEST(Cli, HelpEverywhere) {
    auto top = Cli({"--help"});
    EXPECT_EQ(top.rc, 0);
    EXPECT_NE(top.out.find("db migrate"), std::string::npos);
    EXPECT_NE(top.out.find("db backup"), std::string::npos);
    EXPECT_NE(top.out.find("admin bootstrap"), std::string::npos);
    auto migrate = Cli({"db", "migrate", "--help"});
    EXPECT_EQ(migrate.rc, 0);
    EXPECT_NE(migrate.out.find("usage: renewmatch db migrate --db PATH"), std::string::npos)
        << migrate.out;
}

TEST(Cli, MissingOrUnknownFlagIsUsageError) {
    auto missing = Cli({"db", "migrate"});
    EXPECT_EQ(missing.rc, 2);
    EXPECT_NE(missing.err.find("missing --db"), std::string::npos) << missing.err;
    auto unknown = Cli({"db", "migrate", "--db", "x.db", "--force", "yes"});
    EXPECT_EQ(unknown.rc, 2);
    EXPECT_NE(unknown.err.find("--force"), std::string::npos) << unknown.err;
}

TEST(Cli, MigrateCreatesThenReportsUpToDate) {
    TempDir dir;
    const std::string db = (dir / "rm.db").string();
    auto first = Cli({"db", "migrate", "--db", db});
    ASSERT_EQ(first.rc, 0) << first.err;
    const std::string latest = std::to_string(schema::LatestSchemaVersion());
    EXPECT_EQ(first.out, "migrated " + db + " from schema version 0 to " + latest + "\n");
    auto second = Cli({"db", "migrate", "--db", db});
    ASSERT_EQ(second.rc, 0) << second.err;
    EXPECT_EQ(second.out, "database " + db + " is at schema version " + latest + " (up to date)\n");
}

TEST(Cli, MigrateReportsAnUnopenableDatabase) {
    TempDir dir;
    auto r = Cli({"db", "migrate", "--db", (dir / "no/such/dir/rm.db").string()});
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("cannot open database"), std::string::npos) << r.err;
}

TEST(Cli, BackupCopiesALiveDatabaseAndNeverOverwrites) {
    TempDir dir;
    const std::string db = (dir / "rm.db").string();
    ASSERT_EQ(Cli({"db", "migrate", "--db", db}).rc, 0);
    // Keep the source open (as a running server would) while backing up.
    auto live = schema::Database::Open(db);
    ASSERT_TRUE(live);
    const std::string copy = (dir / "copy.db").string();
    auto r = Cli({"db", "backup", "--db", db, "--to", copy});
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.out, "backed up " + db + " to " + copy + "\n");
    auto opened = schema::Database::Open(copy);
    ASSERT_TRUE(opened);
    EXPECT_EQ((*opened)->SchemaVersion(), schema::LatestSchemaVersion());

    auto again = Cli({"db", "backup", "--db", db, "--to", copy});
    EXPECT_EQ(again.rc, 1);
    EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;

    auto missing =
        Cli({"db", "backup", "--db", (dir / "none.db").string(), "--to", (dir / "x.db").string()});
    EXPECT_EQ(missing.rc, 1);
    EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace renewmatch::server
