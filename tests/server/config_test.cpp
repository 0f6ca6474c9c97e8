#include "server/config.hpp"

#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace renewmatch::server {
namespace {

using namespace std::chrono_literals;
using renewmatch::testing::TempDir;

CommandLine Flags(std::vector<std::string> args) {
    auto r = ParseCommandLine(args);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? *r : CommandLine{};
}

std::string LoadError(const CommandLine& cl, const std::map<std::string, std::string>& env = {}) {
    auto r = LoadConfig(cl, env, /*check_files=*/false);
    EXPECT_FALSE(r.has_value());
    return r ? "" : r.error().message;
}

const std::vector<std::string> kTls = {"--tls-cert", "c.pem", "--tls-key", "k.pem"};

std::vector<std::string> WithTls(std::vector<std::string> args) {
    args.insert(args.end(), kTls.begin(), kTls.end());
    return args;
}

TEST(ConfigParse, Durations) {
    EXPECT_EQ(*ParseDuration("250ms"), 250ms);
    EXPECT_EQ(*ParseDuration("30s"), 30s);
    EXPECT_EQ(*ParseDuration("2m"), 120s);
    EXPECT_EQ(*ParseDuration("1h"), 3600s);
    EXPECT_EQ(*ParseDuration("1500"), 1500ms);
    EXPECT_FALSE(ParseDuration("0s"));
    EXPECT_FALSE(ParseDuration("-1s"));
    EXPECT_FALSE(ParseDuration("10 parsecs"));
    EXPECT_FALSE(ParseDuration(""));
    EXPECT_FALSE(ParseDuration("25h"));
}

TEST(ConfigParse, Sizes) {
    EXPECT_EQ(*ParseSize("4096"), 4096u);
    EXPECT_EQ(*ParseSize("16KiB"), 16u * 1024);
    EXPECT_EQ(*ParseSize("8MiB"), 8u * 1024 * 1024);
    EXPECT_EQ(*ParseSize("2KB"), 2000u);
    EXPECT_FALSE(ParseSize("lots"));
    EXPECT_FALSE(ParseSize("12XB"));
}

TEST(ConfigParse, Listen) {
    auto a = ParseListen("localhost:8443");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->first, "localhost");
    EXPECT_EQ(a->second, 8443);
    auto b = ParseListen("[::1]:0");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->first, "::1");
    EXPECT_EQ(b->second, 0);
    EXPECT_FALSE(ParseListen("localhost"));
    EXPECT_FALSE(ParseListen(":80"));
    EXPECT_FALSE(ParseListen("host:65536"));
    EXPECT_FALSE(ParseListen("host:http"));
    EXPECT_FALSE(ParseListen("::1:80"));
}

TEST(ConfigLoad, DefaultsNeedOnlyTlsFiles) {
    auto r = LoadConfig(Flags(kTls), {}, false);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->listen_host, "localhost");
    EXPECT_EQ(r->listen_port, 8443);
    EXPECT_EQ(r->io_threads, 2);
    EXPECT_EQ(r->db_path, "var/renewmatch.db");
    EXPECT_FALSE(r->enable_test_routes);
}

TEST(ConfigLoad, MissingTlsCertNamesAllThreeWaysToSetIt) {
    const std::string e = LoadError(Flags({"--tls-key", "k.pem"}));
    EXPECT_NE(e.find("tls_cert"), std::string::npos) << e;
    EXPECT_NE(e.find("--tls-cert"), std::string::npos) << e;
    EXPECT_NE(e.find("RENEWMATCH_TLS_CERT"), std::string::npos) << e;
}

TEST(ConfigLoad, FlagErrorsNameSettingAndSource) {
    std::string e = LoadError(Flags(WithTls({"--io-threads", "0"})));
    EXPECT_NE(e.find("io_threads"), std::string::npos) << e;
    EXPECT_NE(e.find("flag --io-threads"), std::string::npos) << e;
    e = LoadError(Flags(WithTls({"--idle-timeout=forever"})));
    EXPECT_NE(e.find("idle_timeout"), std::string::npos) << e;
    e = LoadError(Flags(WithTls({"--listen", "nowhere"})));
    EXPECT_NE(e.find("listen"), std::string::npos) << e;
}

TEST(ConfigLoad, UnknownFlagAndMissingValueAreErrors) {
    auto a = ParseCommandLine({"--no-such-thing", "1"});
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message.find("--no-such-thing"), std::string::npos);
    auto b = ParseCommandLine({"--db"});
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().message.find("--db"), std::string::npos);
    auto c = ParseCommandLine({"positional"});
    ASSERT_FALSE(c);
}

TEST(ConfigLoad, BooleanFlagMayStandAlone) {
    auto cl = Flags(WithTls({"--enable-test-routes"}));
    auto r = LoadConfig(cl, {}, false);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->enable_test_routes);
    auto off = LoadConfig(Flags(WithTls({"--enable-test-routes=false"})), {}, false);
    ASSERT_TRUE(off);
    EXPECT_FALSE(off->enable_test_routes);
}

TEST(ConfigLoad, PrecedenceFlagsOverEnvOverFileOverDefaults) {
    TempDir dir;
    const auto file = dir / "renewmatch.conf";
    {
        std::ofstream out(file);
        out << "# test config\n"
               "listen = 0.0.0.0:9000\n"
               "db = \"/from/file.db\"   # quoted\n"
               "io_threads = 3\n"
               "work_threads = 5\n"
               "tls_cert = file-cert.pem\n"
               "tls_key = file-key.pem\n";
    }
    std::map<std::string, std::string> env = {{"RENEWMATCH_CONFIG", file.string()},
                                              {"RENEWMATCH_DB", "/from/env.db"},
                                              {"RENEWMATCH_IO_THREADS", "4"}};
    auto r = LoadConfig(Flags({"--io-threads", "6"}), env, false);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->io_threads, 6);            // flag beats env and file
    EXPECT_EQ(r->db_path, "/from/env.db");  // env beats file
    EXPECT_EQ(r->work_threads, 5);          // file beats default
    EXPECT_EQ(r->listen_host, "0.0.0.0");
    EXPECT_EQ(r->listen_port, 9000);
    EXPECT_EQ(r->tls_cert, "file-cert.pem");
    EXPECT_EQ(r->idle_timeout, 60s);  // default

    // --config beats RENEWMATCH_CONFIG.
    const auto other = dir / "other.conf";
    {
        std::ofstream out(other);
        out << "tls_cert = a\ntls_key = b\nwork_threads = 7\n";
    }
    auto r2 = LoadConfig(Flags({"--config", other.string()}), env, false);
    ASSERT_TRUE(r2) << r2.error().message;
    EXPECT_EQ(r2->work_threads, 7);
}

TEST(ConfigLoad, FileErrorsNameFileAndLine) {
    TempDir dir;
    const auto file = dir / "bad.conf";
    {
        std::ofstream out(file);
        out << "tls_cert = a\n\nidle_timeot = 5s\n";
    }
    std::string e = LoadError(Flags({"--config", file.string()}));
    EXPECT_NE(e.find(file.string() + ":3"), std::string::npos) << e;
    EXPECT_NE(e.find("idle_timeot"), std::string::npos) << e;

    {
        std::ofstream out(file);
        out << "tls_cert = a\ntls_key = b\nmax_connections = many\n";
    }
    e = LoadError(Flags({"--config", file.string()}));
    EXPECT_NE(e.find("max_connections"), std::string::npos) << e;
    EXPECT_NE(e.find(file.string()), std::string::npos) << e;

    {
        std::ofstream out(file);
        out << "just some words\n";
    }
    e = LoadError(Flags({"--config", file.string()}));
    EXPECT_NE(e.find(":1"), std::string::npos) << e;

    e = LoadError(Flags({"--config", (dir / "missing.conf").string()}));
    EXPECT_NE(e.find("missing.conf"), std::string::npos) << e;
}

TEST(ConfigLoad, EnvErrorsNameTheVariable) {
    std::string e = LoadError(Flags(kTls), {{"RENEWMATCH_HEADER_LIMIT", "10"}});
    EXPECT_NE(e.find("RENEWMATCH_HEADER_LIMIT"), std::string::npos) << e;
    EXPECT_NE(e.find("header_limit"), std::string::npos) << e;
    auto typo = LoadConfig(Flags(kTls), {{"RENEWMATCH_IDLE_TIMOUT", "5s"}}, false);
    ASSERT_TRUE(typo);
    ASSERT_EQ(typo->warnings.size(), 1u);
    EXPECT_NE(typo->warnings[0].find("RENEWMATCH_IDLE_TIMOUT"), std::string::npos);
}

TEST(ConfigLoad, CheckFilesReportsUnreadableTlsFiles) {
    TempDir dir;
    const auto cert = dir / "cert.pem";
    std::ofstream(cert) << "x";
    auto r = LoadConfig(
        Flags({"--tls-cert", cert.string(), "--tls-key", (dir / "nokey.pem").string()}), {},
        /*check_files=*/true);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("tls_key"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("nokey.pem"), std::string::npos) << r.error().message;
}

TEST(ConfigUsage, ListsEverySettingWithFlagAndEnv) {
    const std::string usage = DaemonUsage();
    for (const char* needle :
         {"--listen", "RENEWMATCH_LISTEN", "--tls-cert", "--db", "--data-dir", "--io-threads",
          "--work-threads", "--max-connections", "--header-limit", "--idle-timeout",
          "--shutdown-timeout", "--enable-test-routes", "--config"}) {
        EXPECT_NE(usage.find(needle), std::string::npos) << needle;
    }
}

}  // namespace
}  // namespace renewmatch::server
