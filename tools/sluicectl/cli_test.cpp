// sluicectl run in-process against temporary directories: what a user sees and what lands
// on disk.
#include "tools/sluicectl/cli.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using sluice::ctl::run;
using sluice::testing::read_file;
using sluice::testing::TempDir;

namespace {

struct Outcome {
    int code;
    std::string out;
    std::string err;
};

Outcome ctl(std::vector<std::string> args) {
    args.insert(args.begin(), "sluicectl");
    std::ostringstream out, err;
    int code = run(args, out, err);
    return {code, out.str(), err.str()};
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("help, version and usage errors use exit codes 0 and 2") {
    auto help = ctl({"--help"});
    CHECK(help.code == 0);
    CHECK_THAT(help.out,
               Catch::Contains("init") && Catch::Contains("generate-keys") && Catch::Contains("fsck"));
    CHECK(ctl({"init", "--help"}).code == 0);
    CHECK_THAT(ctl({"generate-keys", "--help"}).out, Catch::Contains("--force"));
    CHECK(ctl({"--version"}).code == 0);

    struct Row {
        std::vector<std::string> args;
        const char* message;
    };
    const Row rows[] = {
        {{}, "no command given"},
        {{"frobnicate"}, "unknown command \"frobnicate\""},
        {{"--bogus", "fsck"}, "unknown option --bogus"},
        {{"-c"}, "option -c needs a value"},
        {{"-c", "/tmp/x", "-n", "y", "fsck"}, "not both"},
        {{"-n", "../etc", "fsck"}, "netname"},
        {{"-c", "/tmp/x", "init"}, "exactly one NAME"},
        {{"-c", "/tmp/x", "init", "bad-name"}, "invalid node name \"bad-name\""},
        {{"-c", "/tmp/x", "generate-keys", "100"}, "BITS must be 1024..8192"},
        {{"-c", "/tmp/x", "generate-keys", "2048", "4096"}, "unexpected argument \"4096\""},
    };
    for (const auto& row : rows) {
        INFO(row.message);
        auto r = ctl(row.args);
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(row.message));
    }
}

TEST_CASE("init makes a complete node that fsck accepts") {
    TempDir tmp;
    const fs::path dir = tmp.path() / "alpha";
    auto r = ctl({"-c", dir.string(), "init", "alpha"});
    INFO(r.err);
    REQUIRE(r.code == 0);

    CHECK(read_file(dir / "tinc.conf") == "Name = alpha\n");
    CHECK(mode_of(dir / "rsa_key.priv") == 0600);
    CHECK(mode_of(dir / "ed25519_key.priv") == 0600);
    CHECK_THAT(read_file(dir / "rsa_key.priv"), Catch::Contains("-----BEGIN RSA PRIVATE KEY-----"));
    const std::string host = read_file(dir / "hosts" / "alpha");
    CHECK_THAT(host, Catch::Contains("-----BEGIN RSA PUBLIC KEY-----"));
    CHECK_THAT(host, Catch::Contains("Ed25519PublicKey = "));

    auto fsck = ctl({"-c", dir.string(), "fsck"});
    INFO(fsck.out << fsck.err);
    CHECK(fsck.code == 0);
    CHECK_THAT(fsck.out, Catch::Contains("matches hosts/alpha"));

    SECTION("a second init refuses to touch it") {
        auto again = ctl({"-c", dir.string(), "init", "alpha"});
        CHECK(again.code == 1);
        CHECK_THAT(again.err, Catch::Contains("already exists"));
    }
    SECTION("generate-keys refuses to overwrite without --force, replaces with it") {
        const std::string old_key = read_file(dir / "rsa_key.priv");
        auto refused = ctl({"-c", dir.string(), "generate-keys"});
        CHECK(refused.code == 1);
        CHECK_THAT(refused.err, Catch::Contains("refusing to overwrite a private key without --force"));
        CHECK(read_file(dir / "rsa_key.priv") == old_key);

        auto forced = ctl({"-c", dir.string(), "generate-keys", "1024", "--force"});
        INFO(forced.err);
        REQUIRE(forced.code == 0);
        CHECK(read_file(dir / "rsa_key.priv") != old_key);
        CHECK(mode_of(dir / "rsa_key.priv") == 0600);
        CHECK_THAT(read_file(dir / "hosts" / "alpha"), Catch::Contains("-----BEGIN OLD RSA PUBLIC KEY-----"));
        auto fsck2 = ctl({"-c", dir.string(), "fsck"});
        INFO(fsck2.out << fsck2.err);
        CHECK(fsck2.code == 0);
        CHECK_THAT(fsck2.out, Catch::Contains("1024 bits"));
    }
    SECTION("fsck names file and line of a bad value, and exits 1") {
        std::ofstream(dir / "hosts" / "alpha", std::ios::app) << "Subnet = 198.19.0.0/33\n";
        auto bad = ctl({"-c", dir.string(), "fsck"});
        CHECK(bad.code == 1);
        CHECK_THAT(
            bad.out + bad.err,
            Catch::Matches(
                R"([\s\S]*hosts/alpha:\d+: invalid Subnet "198\.19\.0\.0/33": prefix longer than 32[\s\S]*)"));
    }
    SECTION("fsck reports a private key that does not match hosts/NAME") {
        TempDir other;
        REQUIRE(ctl({"-c", (other.path() / "x").string(), "init", "alpha"}).code == 0);
        fs::copy_file(other.path() / "x" / "rsa_key.priv", dir / "rsa_key.priv",
                      fs::copy_options::overwrite_existing);
        auto bad = ctl({"-c", dir.string(), "fsck"});
        CHECK(bad.code == 1);
        CHECK_THAT(bad.out + bad.err, Catch::Contains("does not match"));
    }
}

TEST_CASE("fsck without a configuration says where it looked") {
    TempDir tmp;
    auto r = ctl({"-c", (tmp.path() / "nothing").string(), "fsck"});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("tinc.conf"));
}

TEST_CASE("commands for a running daemon say clearly when none runs") {
    TempDir tmp;
    for (const char* command : {"pid", "reload", "stop", "stats"}) {
        auto r = ctl({"-c", tmp.path().string(), command});
        CHECK(r.code == 1);
        CHECK_THAT(r.err, Catch::Contains("no daemon is running") && Catch::Contains("sluiced.socket"));
    }
    auto dump = ctl({"-c", tmp.path().string(), "dump", "nodes"});
    CHECK(dump.code == 1);
    CHECK_THAT(dump.err, Catch::Contains("no daemon is running"));
    CHECK(ctl({"-c", tmp.path().string(), "dump", "things"}).code == 2);
    CHECK(ctl({"-c", tmp.path().string(), "dump", "graph"}).code == 1);
    CHECK_THAT(ctl({"-c", tmp.path().string(), "info", "alpha"}).err,
               Catch::Contains("no daemon is running"));
    CHECK_THAT(ctl({"-c", tmp.path().string(), "metrics"}).err, Catch::Contains("no daemon is running"));
    CHECK(ctl({"-c", tmp.path().string(), "metrics", "extra"}).code == 2);
}

TEST_CASE("dump graph and info: usage errors before asking the daemon") {
    TempDir tmp;
    const auto json = ctl({"-c", tmp.path().string(), "dump", "graph", "--json"});
    CHECK(json.code == 2);
    CHECK_THAT(json.err, Catch::Contains("DOT"));
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"info"}, {"info", "a", "b"}, {"info", ""}, {"info", "a\nstop"}}) {
        std::vector<std::string> full{"-c", tmp.path().string()};
        full.insert(full.end(), args.begin(), args.end());
        CHECK(ctl(full).code == 2);
    }
    CHECK_THAT(ctl({"--help"}).out, Catch::Contains("info") && Catch::Contains("dump"));
    CHECK_THAT(ctl({"info", "--help"}).out, Catch::Contains("NODE|SUBNET|ADDRESS"));
    CHECK_THAT(ctl({"dump", "--help"}).out, Catch::Contains("dot -Tsvg"));
}

TEST_CASE("top: options, help, and no daemon") {
    TempDir tmp;
    const std::string dir = tmp.path().string();
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{{"top", "-d"},
                                                                                      {"top", "-d", "0"},
                                                                                      {"top", "--delay=abc"},
                                                                                      {"top", "-d", "1s"},
                                                                                      {"top", "extra"}}) {
        std::vector<std::string> full{"-c", dir};
        full.insert(full.end(), args.begin(), args.end());
        const auto r = ctl(full);
        INFO(r.err);
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::StartsWith("sluicectl top: "));
    }
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"top", "--once"}, {"top", "-d", "0.5", "--once"}, {"top", "-d2"}, {"top", "--delay=0.1"}}) {
        std::vector<std::string> full{"-c", dir};
        full.insert(full.end(), args.begin(), args.end());
        const auto r = ctl(full);
        CHECK(r.code == 1);
        CHECK_THAT(r.err, Catch::Contains("no daemon is running"));
    }
    CHECK_THAT(ctl({"--help"}).out, Catch::Contains("top"));
    CHECK_THAT(ctl({"top", "--help"}).out, Catch::Contains("q quits") && Catch::Contains("--once"));
}

TEST_CASE("stats: --json is its only option") {
    TempDir tmp;
    CHECK(ctl({"-c", tmp.path().string(), "stats", "--yaml"}).code == 2);
    CHECK(ctl({"-c", tmp.path().string(), "stats", "--json"}).code == 1);  // no daemon
    CHECK_THAT(ctl({"stats", "--help"}).out, Catch::Contains("survive a restart of sluiced"));
}
