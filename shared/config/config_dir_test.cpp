#include "shared/config/config_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace sluice;
using namespace sluice::config;

namespace {

// In-memory ConfigIo: files by full path, directories implied by the files in them.
class FakeIo final : public ConfigIo {
public:
    std::map<std::string, std::string> files;
    std::set<std::string> executables;
    std::set<std::string> unreadable;
    std::map<std::string, std::string> env;
    std::optional<std::string> host_name = "node-a.example";

    Result<std::optional<std::string>> read_file(const std::string& path) const override {
        if (unreadable.contains(path)) return fail("cannot read {}: Permission denied", path);
        auto it = files.find(path);
        if (it == files.end()) return std::optional<std::string>();
        return std::optional<std::string>(it->second);
    }
    Result<std::optional<std::vector<std::string>>> list_directory(const std::string& path) const override {
        std::set<std::string> names;
        const std::string prefix = path + "/";
        for (const auto& [file, text] : files) {
            if (!file.starts_with(prefix)) continue;
            std::string rest = file.substr(prefix.size());
            names.insert(rest.substr(0, rest.find('/')));
        }
        if (names.empty()) return std::optional<std::vector<std::string>>();
        return std::optional<std::vector<std::string>>(
            std::vector<std::string>(names.rbegin(), names.rend()));
    }
    FileStatus status(const std::string& path) const override {
        if (files.contains(path)) return FileStatus{true, true, executables.contains(path)};
        auto dir = list_directory(path);
        if (dir && *dir) return FileStatus{true, false, false};
        return {};
    }
    std::optional<std::string> environment(const std::string& name) const override {
        auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    Result<std::string> hostname() const override {
        if (!host_name) return fail("Operation not permitted");
        return *host_name;
    }
};

constexpr std::string_view dir = "/etc/sluice/lab";

std::string at(std::string_view name) {
    return std::string(dir) + "/" + std::string(name);
}

FakeIo minimal() {
    FakeIo io;
    io.files[at("tinc.conf")] = "Name = alpha\nConnectTo = beta\n";
    io.files[at("hosts/alpha")] = "Port = 655\nSubnet = 198.19.1.0/24\n";
    io.files[at("hosts/beta")] = "Address = 198.18.0.2 655\nSubnet = 198.19.2.0/24\n";
    return io;
}

std::vector<std::string> lines(const Diagnostics& diagnostics) {
    std::vector<std::string> out;
    for (const auto& d : diagnostics) out.push_back(d.to_string());
    return out;
}

Entry name_entry(std::string value) {
    return Entry{"Name", std::move(value), "tinc.conf", 1};
}

}  // namespace

TEST_CASE("netname_dir") {
    CHECK(netname_dir("lab").value() == "/etc/sluice/lab");
    CHECK(netname_dir("my_net-2").value() == "/etc/sluice/my_net-2");
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"", R"(invalid netname "": empty)"},
        {"a/b", R"(invalid netname "a/b": must not contain "/" or "\")"},
        {"/abs", R"(invalid netname "/abs": must not contain "/" or "\")"},
        {"a\\b", R"(invalid netname "a\\b": must not contain "/" or "\")"},
        {".", R"(invalid netname ".": must not start with ".")"},
        {"..", R"(invalid netname "..": must not start with ".")"},
        {".hidden", R"(invalid netname ".hidden": must not start with ".")"},
        {"a\nb", R"(invalid netname "a\x0ab": control character)"},
    };
    for (const auto& [netname, message] : bad) {
        CAPTURE(netname);
        auto result = netname_dir(netname);
        REQUIRE_FALSE(result);
        CHECK(result.error().message == message);
    }
}

TEST_CASE("expand_name follows tinc's $HOST and $VAR rules") {
    FakeIo io;
    io.env["SLUICE_NODE"] = "lab-node.1";
    io.env["EMPTY"] = "";
    CHECK(expand_name(name_entry("alpha"), io).value() == "alpha");
    CHECK(expand_name(name_entry("$SLUICE_NODE"), io).value() == "lab_node_1");
    CHECK(expand_name(name_entry("$HOST"), io).value() == "node_a_example");
    io.env["HOST"] = "from-env";
    CHECK(expand_name(name_entry("$HOST"), io).value() == "from_env");
    io.env.erase("HOST");
    io.host_name = "a-very-long-host-name-that-goes-past-31.example";
    CHECK(expand_name(name_entry("$HOST"), io).value() == "a_very_long_host_name_that_goes");
    io.host_name = "h\xc3\xa9te";
    CHECK(expand_name(name_entry("$HOST"), io).value() == "h__te");

    const std::vector<std::pair<std::string, std::string>> bad = {
        {"al-pha",
         R"(tinc.conf:1: invalid Name "al-pha": node names may only contain letters, digits and "_")"},
        {"$", R"(tinc.conf:1: invalid Name "$": "$" must be followed by an environment variable name)"},
        {"$NOPE", R"(tinc.conf:1: invalid Name "$NOPE": environment variable NOPE does not exist)"},
        {"$EMPTY", R"(tinc.conf:1: invalid Name "$EMPTY": EMPTY is empty)"},
    };
    for (const auto& [value, message] : bad) {
        auto result = expand_name(name_entry(value), io);
        REQUIRE_FALSE(result);
        CHECK(result.error().message == message);
    }
    io.host_name.reset();
    CHECK(expand_name(name_entry("$HOST"), io).error().message ==
          R"(tinc.conf:1: invalid Name "$HOST": cannot get the host name: Operation not permitted)");
}

TEST_CASE("load_config_dir merges the own host file and reads every peer") {
    FakeIo io = minimal();
    io.files[at("tinc.conf")] = "Name = alpha\nConnectTo = beta\nConnectTo = gamma\nPort = 700\n";
    io.files[at("conf.d/10-mode.conf")] = "Mode = switch\n";
    io.files[at("conf.d/README")] = "Mode = hub\n";  // not *.conf: tinc skips it
    io.files[at("hosts/gamma")] = "Address = 198.18.0.3\nSubnet = 2001:db8:3::/48\n";
    io.files[at("hosts/beta-up")] = "#!/bin/sh\n";
    io.files[at("hosts/beta~")] = "Subnet = 198.19.99.0/24\n";
    io.files[at("hosts/README.txt")] = "not a host\n";
    io.files[at("tinc-up")] = "#!/bin/sh\n";
    io.files[at("subnet-up")] = "#!/bin/sh\n";
    io.executables.insert(at("tinc-up"));
    io.executables.insert(at("hosts/beta-up"));

    auto loaded = load_config_dir(std::string(dir) + "/", io);
    REQUIRE(loaded);
    const ConfigDir& c = *loaded;
    CHECK(c.directory == dir);
    CHECK(c.name == "alpha");

    // tinc.conf, conf.d, then hosts/alpha; Port on line 1 of hosts/alpha beats line 4 of tinc.conf.
    CHECK(c.server.entries().front().file == "tinc.conf");
    CHECK(c.server.entries().back().file == "hosts/alpha");
    CHECK(c.server.get_string("Mode", "router").value() == "switch");
    CHECK(c.server.first("Port")->location() == "hosts/alpha:1");
    CHECK(c.server.get_subnets().value().size() == 1);

    CHECK(c.hosts.size() == 3);
    REQUIRE(c.host("beta") != nullptr);
    CHECK(c.host("beta")->first("Address")->value == "198.18.0.2 655");
    REQUIRE(c.host("alpha") != nullptr);
    CHECK(c.host("alpha")->entries().size() == 2);
    CHECK(c.host("beta~") == nullptr);
    CHECK(c.host("delta") == nullptr);

    REQUIRE(c.scripts.size() == 3);
    REQUIRE(c.script("tinc-up") != nullptr);
    CHECK(c.script("tinc-up")->executable);
    CHECK(c.script("tinc-up")->path == at("tinc-up"));
    CHECK(c.script("hosts/beta-up")->executable);
    CHECK_FALSE(c.script("subnet-up")->executable);
    CHECK(c.script("tinc-down") == nullptr);

    CHECK(c.private_key_file == at("rsa_key.priv"));
    CHECK(c.ed25519_private_key_file == at("ed25519_key.priv"));

    CHECK(lines(c.diagnostics) == std::vector<std::string>{
                                      "tinc.conf:4: Port repeated; the value at hosts/alpha:1 is used",
                                      "subnet-up: script exists but is not executable, so it cannot run",
                                  });
}

TEST_CASE("reread_host picks up a host file added, changed or removed since loading, as tincd does") {
    FakeIo io = minimal();
    auto loaded = load_config_dir(dir, io);
    REQUIRE(loaded);
    REQUIRE(loaded->host("gamma") == nullptr);

    io.files[at("hosts/gamma")] = "Address = 198.18.0.3\nSubnet = 198.19.3.0/24\n";
    REQUIRE(reread_host(*loaded, "gamma", io));
    REQUIRE(loaded->host("gamma") != nullptr);
    CHECK(loaded->host("gamma")->first("Address")->value == "198.18.0.3");

    io.files[at("hosts/beta")] = "Address = 198.18.0.22 655\n";
    REQUIRE(reread_host(*loaded, "beta", io));
    CHECK(loaded->host("beta")->first("Address")->value == "198.18.0.22 655");

    SECTION("an error in the file refuses it, naming file and line, and keeps what was loaded") {
        io.files[at("hosts/beta")] = "Address = 198.18.0.2\nSubnet = 198.19.2.1/24\n";
        auto r = reread_host(*loaded, "beta", io);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::StartsWith("hosts/beta:2: invalid Subnet"));
        CHECK(loaded->host("beta")->first("Address")->value == "198.18.0.22 655");
        io.files[at("hosts/beta")] = "Port\n";
        auto parse = reread_host(*loaded, "beta", io);
        REQUIRE_FALSE(parse);
        CHECK_THAT(parse.error().message, Catch::StartsWith("hosts/beta:1:"));
    }
    SECTION("a file that is gone makes the node unknown") {
        io.files.erase(at("hosts/gamma"));
        REQUIRE(reread_host(*loaded, "gamma", io));
        CHECK(loaded->host("gamma") == nullptr);
    }
    SECTION("names that are no node names, and this node, are not read") {
        CHECK_FALSE(reread_host(*loaded, "../tinc.conf", io));
        io.files[at("hosts/alpha")] = "Port = 1\n";
        REQUIRE(reread_host(*loaded, "alpha", io));
        CHECK(loaded->host("alpha")->first("Port")->value == "655");
    }
}

TEST_CASE("load_config_dir diagnostics for other nodes' files") {
    FakeIo io = minimal();
    io.files[at("tinc.conf")] =
        "Name = alpha\nConnectTo = beta\nConnectTo = delta\nConnectTo = alpha\nConnectTo = zeta\n";
    io.files[at("hosts/zeta")] = "Subnet = 198.19.6.0/24\n";
    io.files[at("hosts/beta")] = "Address = 198.18.0.2 655\nMode = switch\nSubnet = 198.19.2.1/24\n";
    io.files[at("hosts/gamma")] = "Subnet = 198.19.3.0/24\nPort\n";
    io.files[at("hosts/eps")] = "Subnet = 198.19.5.0/24\n";
    io.unreadable.insert(at("hosts/eps"));

    auto loaded = load_config_dir(dir, io);
    REQUIRE(loaded);
    CHECK(loaded->hosts.size() == 3);  // alpha, beta and zeta; gamma and eps could not be read
    CHECK(
        lines(loaded->diagnostics) ==
        std::vector<std::string>{
            "hosts/eps: cannot read /etc/sluice/lab/hosts/eps: Permission denied",
            "hosts/gamma:2: no value for variable \"Port\"",
            "hosts/beta:2: Mode is a tinc.conf variable; tinc ignores it in another node's host file",
            "hosts/beta:3: invalid Subnet \"198.19.2.1/24\": network address and prefix length do not match",
            "tinc.conf:3: ConnectTo \"delta\": there is no hosts/delta file to connect with",
            "tinc.conf:4: ConnectTo names this node itself",
            "tinc.conf:5: ConnectTo \"zeta\": hosts/zeta has no Address to connect to",
        });
    CHECK(has_errors(loaded->diagnostics));
}

TEST_CASE("load_config_dir refuses unusable directories") {
    SECTION("no tinc.conf") {
        FakeIo io;
        auto loaded = load_config_dir(dir, io);
        REQUIRE_FALSE(loaded);
        CHECK(loaded.error().message ==
              "/etc/sluice/lab/tinc.conf does not exist; a configuration directory needs tinc.conf with "
              "\"Name = NODE\"");
    }
    SECTION("unreadable tinc.conf") {
        FakeIo io = minimal();
        io.unreadable.insert(at("tinc.conf"));
        CHECK(load_config_dir(dir, io).error().message ==
              "cannot read /etc/sluice/lab/tinc.conf: Permission denied");
    }
    SECTION("no Name") {
        FakeIo io = minimal();
        io.files[at("tinc.conf")] = "ConnectTo = beta\n";
        CHECK(load_config_dir(dir, io).error().message == "tinc.conf: Name is not set; add \"Name = NODE\"");
    }
    SECTION("bad Name") {
        FakeIo io = minimal();
        io.files[at("tinc.conf")] = "# node\nName = $MISSING\n";
        CHECK(load_config_dir(dir, io).error().message ==
              "tinc.conf:2: invalid Name \"$MISSING\": environment variable MISSING does not exist");
    }
    SECTION("syntax errors in tinc.conf, conf.d and the own host file") {
        FakeIo io = minimal();
        io.files[at("tinc.conf")] = "Name = alpha\nMode\n";
        CHECK(load_config_dir(dir, io).error().message == "tinc.conf:2: no value for variable \"Mode\"");
        io = minimal();
        io.files[at("conf.d/x.conf")] = "-----BEGIN RSA PUBLIC KEY-----\n";
        CHECK(load_config_dir(dir, io).error().message ==
              "conf.d/x.conf:1: PEM block has no \"-----END\" line");
        io = minimal();
        io.files[at("hosts/alpha")] =
            "Port = 6\x01"
            "55\n";
        CHECK(load_config_dir(dir, io).error().message == "hosts/alpha:1: control character 0x01 in line");
    }
}

TEST_CASE("load_config_dir tolerates what tinc tolerates") {
    FakeIo io;
    io.env["NODE"] = "alpha";
    io.files[at("tinc.conf")] =
        "Name = $NODE\nPrivateKeyFile = keys/rsa.priv\nEd25519PrivateKeyFile = /srv/k\n";
    auto loaded = load_config_dir(dir, io);
    REQUIRE(loaded);
    CHECK(loaded->name == "alpha");
    CHECK(loaded->hosts.empty());
    CHECK(loaded->private_key_file == at("keys/rsa.priv"));
    CHECK(loaded->ed25519_private_key_file == "/srv/k");
    CHECK(lines(loaded->diagnostics) ==
          std::vector<std::string>{
              "tinc.conf:2: PrivateKeyFile \"keys/rsa.priv\" is a relative path; sluice reads it relative to "
              "the "
              "configuration directory",
              "hosts/alpha: this node's host file does not exist; other nodes need a copy of it",
              "hosts: directory does not exist",
          });
    CHECK_FALSE(has_errors(loaded->diagnostics));
}

TEST_CASE("load_config_dir reads a real directory written by hand") {
    const sluice::testing::TempDir tmp("config");
    const std::filesystem::path& root = tmp.path();

    auto write = [&](const std::string& name, const std::string& text, bool executable = false) {
        std::filesystem::create_directories((root / name).parent_path());
        std::ofstream(root / name, std::ios::binary) << text;
        std::filesystem::permissions(
            root / name, executable ? std::filesystem::perms(0755) : std::filesystem::perms(0644));
    };
    write("tinc.conf",
          "# lab network\r\n"
          "Name = alpha\r\n"
          "ConnectTo = beta\r\n"
          "\r\n"
          "Mode=router\r\n"
          "AddressFamily\tipv4\r\n");
    write("hosts/alpha",
          "Address = 198.18.0.1\n"
          "Subnet = 198.19.1.0/24\n"
          "Subnet = 2001:db8:1::/48\n"
          "\n"
          "-----BEGIN RSA PUBLIC KEY-----\n"
          "MIIBCgKCAQEAwJ7JpW8Y4Fz0wq8O4kVv3d4rY0m7cU4m0N5p3uWl8bH1kq2Yz0pQ\n"
          "qz9x1f2u3Xl7Kp0V9mL0c4qZ6a2B3e4F5g6H7i8J9k0L1m2N3o4P5q6R7s8T9u0V\n"
          "-----END RSA PUBLIC KEY-----\n");
    write("hosts/beta",
          "Address = 198.18.0.2 655\n"
          "Subnet = 198.19.2.0/24\n"
          "-----BEGIN RSA PUBLIC KEY-----\n"
          "MIIBCgKCAQEAzq6Pp0Vb8C1mX2w7nR4kJ9tL3sQ5uY6vD0aF8gH2jK4lM6nP8qR0\n"
          "-----END RSA PUBLIC KEY-----\n");
    write("hosts/beta-up", "#!/bin/sh\nip route add 198.19.2.0/24 dev $INTERFACE\n", true);
    write("tinc-up", "#!/bin/sh\nip addr add 198.19.1.1/16 dev $INTERFACE\nip link set $INTERFACE up\n",
          true);
    write("tinc-down", "#!/bin/sh\nip link set $INTERFACE down\n", false);
    write("rsa_key.priv", "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n");

    auto loaded = load_config_dir(root.string());
    INFO((loaded ? "" : loaded.error().message));
    REQUIRE(loaded);
    const ConfigDir& c = *loaded;
    CHECK(c.name == "alpha");
    CHECK(c.server.get_choice("AddressFamily", "any", std::array<std::string_view, 3>{"ipv4", "ipv6", "any"})
              .value() == "ipv4");
    CHECK(c.server.get_subnets().value().size() == 2);
    REQUIRE(c.host("beta") != nullptr);
    CHECK(c.host("beta")->first("Address")->value == "198.18.0.2 655");
    CHECK(c.host("beta")->entries().size() == 2);  // the PEM block is skipped
    CHECK(c.private_key_file == (root / "rsa_key.priv").string());

    REQUIRE(c.script("tinc-up") != nullptr);
    CHECK(c.script("tinc-up")->executable);
    REQUIRE(c.script("hosts/beta-up") != nullptr);
    CHECK(c.script("hosts/beta-up")->executable);
    REQUIRE(c.script("tinc-down") != nullptr);
    CHECK_FALSE(c.script("tinc-down")->executable);
    CHECK(c.script("host-up") == nullptr);

    CHECK(lines(c.diagnostics) ==
          std::vector<std::string>{"tinc-down: script exists but is not executable, so it cannot run"});

    SECTION("a missing directory names the path") {
        auto missing = load_config_dir((root / "nope").string());
        REQUIRE_FALSE(missing);
        CHECK(missing.error().message ==
              (root / "nope/tinc.conf").string() +
                  " does not exist; a configuration directory needs tinc.conf with "
                  "\"Name = NODE\"");
    }
}
