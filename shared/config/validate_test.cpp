#include "shared/config/validate.hpp"

#include <random>

#include <catch2/catch.hpp>

#include "shared/net/address.hpp"
#include "shared/net/subnet.hpp"

using namespace sluice;
using namespace sluice::config;

namespace {

// Each diagnostic as "error: FILE:LINE: message" or "warning: ...".
std::vector<std::string> check(std::string_view text, Scope scope = Scope::server,
                               std::string_view label = "tinc.conf") {
    auto entries = parse(text, label);
    REQUIRE(entries);
    std::vector<std::string> out;
    for (const Diagnostic& d : validate(Config(std::move(*entries)), scope)) {
        out.push_back((d.severity == Severity::error ? "error: " : "warning: ") + d.to_string());
    }
    return out;
}

std::string error(std::string_view line) {
    return "error: tinc.conf:1: " + std::string(line);
}
std::string warning(std::string_view line) {
    return "warning: tinc.conf:1: " + std::string(line);
}

std::string net_reason(std::string_view subnet) {
    return net::Subnet::parse(subnet).error().message;
}

}  // namespace

TEST_CASE("valid values of every type pass silently") {
    const std::vector<std::string> lines = {
        "AddressFamily = IPv6",
        "BindToAddress = * 656",
        "BindToAddress = 2001:db8::1",
        "BindToInterface = eth0",
        "Broadcast = direct",
        "Broadcast = yes",
        "ConnectTo = beta_2",
        "DecrementTTL = No",
        "Device = /dev/net/tun",
        "DeviceType = raw_socket",
        "Forwarding = KERNEL",
        "Interface = sluice0",
        "KeyExpire = 7200",
        "MaxOutputBufferSize = 0",
        "Mode = hub",
        "Name = alpha_1",
        "Name = $HOST",
        "Name = $SLUICE_NAME",
        "PingInterval = 30",
        "PrivateKey = 0123456789abcdefABCDEF",
        "PrivateKeyFile = /etc/sluice/net/rsa_key.priv",
        "ProcessPriority = High",
        "Proxy = none",
        "Proxy = socks5 198.18.0.1 1080 user secret",
        "Proxy = http proxy.example 3128",
        "Proxy = exec /usr/bin/nc %h %p",
        "ReplayWindow = 0",
        "Address = 198.18.0.2 655",
        "Address = 2001:db8::2",
        "Address = node-b.example.",
        "Cipher = aes-256-cbc",
        "Cipher = none",
        "Compression = 11",
        "Digest = sha512",
        "MACLength = 0",
        "Port = 0",
        "Port = 65535",
        "Port = tinc",
        "Subnet = 198.19.0.0/16#5",
        "Subnet = 2001:db8::/32",
        "Subnet = 0:1a:2b:3c:4d:5e",
        "Weight = 0",
        "DataPlane = External",
        "DataPlaneWorkers = 8",
        "MetricsAddress = 198.18.0.1:9100",
        "MetricsAddress = [2001:db8::1]:9100",
        "MetricsAddress = off",
        "Ed25519PublicKey = Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyMTI=",
        "Ed25519PublicKey = Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyMTI",
        "Ed25519PrivateKeyFile = /etc/sluice/net/ed25519_key.priv",
    };
    for (const auto& line : lines) {
        CAPTURE(line);
        auto diagnostics = check(line, Scope::both);
        CHECK(diagnostics.empty());
    }
}

TEST_CASE("every type rejects bad values with one exact line") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        // booleans
        {"DecrementTTL = maybe", R"(invalid DecrementTTL "maybe": expected yes or no)"},
        {"ClampMSS = true", R"(invalid ClampMSS "true": expected yes or no)"},
        {"tcponly = 1", R"(invalid TCPOnly "1": expected yes or no)"},
        // integers
        {"KeyExpire = soon", R"(invalid KeyExpire "soon": expected an integer)"},
        {"KeyExpire = 0", R"(invalid KeyExpire "0": must be at least 1)"},
        {"Compression = 12", R"(invalid Compression "12": must be between 0 and 11)"},
        {"Compression = -1", R"(invalid Compression "-1": must be between 0 and 11)"},
        {"MACLength = 65", R"(invalid MACLength "65": must be between 0 and 64)"},
        {"PingInterval = 99999999999",
         R"(invalid PingInterval "99999999999": out of range for a 32-bit integer)"},
        {"MaxTimeout = 0", R"(invalid MaxTimeout "0": must be at least 1)"},
        {"MinTimeout = -5", R"(invalid MinTimeout "-5": must be at least 0)"},
        {"UDPRcvBuf = 0", R"(invalid UDPRcvBuf "0": must be at least 1)"},
        {"UDPSndBuf = -1", R"(invalid UDPSndBuf "-1": must be at least 1)"},
        {"ReplayWindow = -1", R"(invalid ReplayWindow "-1": must be between 0 and 1048576)"},
        {"PMTU = 0", R"(invalid PMTU "0": must be at least 1)"},
        {"Weight = -3", R"(invalid Weight "-3": must be at least 0)"},
        {"DataPlaneWorkers = 0", R"(invalid DataPlaneWorkers "0": must be between 1 and 256)"},
        {"MACExpire = +", R"(invalid MACExpire "+": expected an integer)"},
        // choices
        {"Mode = bridge", R"(invalid Mode "bridge": expected router, switch or hub)"},
        {"AddressFamily = ipv5", R"(invalid AddressFamily "ipv5": expected ipv4, ipv6 or any)"},
        {"Broadcast = all", R"(invalid Broadcast "all": expected no, mst, direct or yes)"},
        {"Forwarding = on", R"(invalid Forwarding "on": expected off, internal or kernel)"},
        {"DeviceType = utun",
         R"(invalid DeviceType "utun": expected tun, tap, dummy, raw_socket, multicast, uml or vde)"},
        {"ProcessPriority = realtime", R"(invalid ProcessPriority "realtime": expected low, normal or high)"},
        {"DataPlane = dpdk", R"(invalid DataPlane "dpdk": expected managed, external or none)"},
        // names
        {"ConnectTo = beta-1",
         R"(invalid ConnectTo "beta-1": node names may only contain letters, digits and "_")"},
        {"Name = alpha.example",
         R"(invalid Name "alpha.example": node names may only contain letters, digits and "_")"},
        {"Name = $", R"(invalid Name "$": "$" must be followed by an environment variable name)"},
        // subnets
        {"Subnet = 198.19.0.0/33", R"(invalid Subnet "198.19.0.0/33": prefix longer than 32)"},
        {"Subnet = 198.19.0.1/24",
         R"(invalid Subnet "198.19.0.1/24": network address and prefix length do not match)"},
        {"Subnet = 2001:db8::/129", R"(invalid Subnet "2001:db8::/129": )" + net_reason("2001:db8::/129")},
        {"Subnet = 198.19.0.0/24#x", R"(invalid Subnet "198.19.0.0/24#x": )" + net_reason("198.19.0.0/24#x")},
        {"Subnet = 2:0:0:0:0:a/48", R"(invalid Subnet "2:0:0:0:0:a/48": )" + net_reason("2:0:0:0:0:a/48")},
        // addresses and ports
        {"Address = [2001:db8::1] 655",
         R"(invalid Address "[2001:db8::1] 655": IPv6 addresses are written without brackets, with the port after a space)"},
        {"Address = 198.18.0.2 70000", R"(invalid Address "198.18.0.2 70000": port out of range 0..65535)"},
        {"Address = 198.18.0.2 655 tcp",
         R"(invalid Address "198.18.0.2 655 tcp": expected an address and an optional port)"},
        {"Address = bad!host", R"(invalid Address "bad!host": "bad!host" is not an IP address or host name)"},
        {"Address = 198.18.0.300",
         R"(invalid Address "198.18.0.300": )" + net::Ipv4Address::parse("198.18.0.300").error().message},
        {"Address = 2001:db8::g1",
         R"(invalid Address "2001:db8::g1": )" + net::Ipv6Address::parse("2001:db8::g1").error().message},
        {"BindToAddress = * 65536", R"(invalid BindToAddress "* 65536": port out of range 0..65535)"},
        {"Port = 65536", R"(invalid Port "65536": port out of range 0..65535)"},
        {"Port = -1", R"(invalid Port "-1": expected a port number 0..65535 or a service name)"},
        {"Port = 655 # comment",
         R"(invalid Port "655 # comment": expected a port number 0..65535 or a service name)"},
        // interfaces
        {"Interface = sluice_interface0",
         R"(invalid Interface "sluice_interface0": interface names are at most 15 characters on Linux)"},
        {"BindToInterface = eth0/1",
         R"(invalid BindToInterface "eth0/1": interface names may not contain "/", ":" or whitespace)"},
        // ciphers and digests
        {"Cipher = aes 256", R"(invalid Cipher "aes 256": not an OpenSSL algorithm name)"},
        {"Digest = sha*", R"(invalid Digest "sha*": not an OpenSSL algorithm name)"},
        // proxies
        {"Proxy = socks6 198.18.0.1 1080",
         R"(invalid Proxy "socks6 198.18.0.1 1080": unknown proxy type "socks6": expected none, socks4, socks4a, socks5, http or exec)"},
        {"Proxy = socks5 198.18.0.1", R"(invalid Proxy "socks5 198.18.0.1": socks5 needs a host and a port)"},
        {"Proxy = HTTP 198.18.0.1 99999",
         R"(invalid Proxy "HTTP 198.18.0.1 99999": port out of range 0..65535)"},
        {"Proxy = exec", R"(invalid Proxy "exec": exec needs a command)"},
        // keys
        {"PublicKey = 0xABCD", R"(invalid PublicKey "0xABCD": expected hexadecimal digits)"},
        {"Ed25519PublicKey = c2hvcnQ=",
         R"(invalid Ed25519PublicKey "c2hvcnQ=": expected 32 bytes in base64 (43 or 44 characters))"},
        // metrics
        {"MetricsAddress = 198.18.0.1", R"(invalid MetricsAddress "198.18.0.1": expected HOST:PORT or off)"},
        {"MetricsAddress = 2001:db8::1:9100",
         R"(invalid MetricsAddress "2001:db8::1:9100": IPv6 addresses need brackets: [ADDRESS]:PORT)"},
        {"MetricsAddress = [2001:db8::1]:0",
         R"(invalid MetricsAddress "[2001:db8::1]:0": expected a port number 1..65535 after ":")"},
        {"MetricsAddress = [2001:db8::1]9100",
         R"(invalid MetricsAddress "[2001:db8::1]9100": expected ":PORT" after "]")"},
        // a value that cannot even be quoted plainly stays on one line
        {"Mode = rout\xc3\xa9r", R"(invalid Mode "rout\xc3\xa9r": expected router, switch or hub)"},
    };
    for (const auto& [line, message] : cases) {
        CAPTURE(line);
        CHECK(check(line, Scope::both) == std::vector<std::string>{error(message)});
    }
}

TEST_CASE("warnings for values tinc accepts but probably misreads") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"PingInterval = 30s",
         R"(PingInterval "30s": the text after the number is ignored, as tinc does, so it is 30)"},
        {"PingInterval = 0", "PingInterval 0 is below 1, which tinc takes as 86400 seconds"},
        {"PingTimeout = 61", "PingTimeout 61 is not within 1..60 (PingInterval), so 60 is used"},
        {"MinTimeout = 1000", "MinTimeout 1000 is larger than MaxTimeout (900), so 900 is used"},
        {"PrivateKeyFile = rsa_key.priv",
         R"(PrivateKeyFile "rsa_key.priv" is a relative path; sluice reads it relative to the configuration directory)"},
        {"Cipher = blowfish",
         R"(Cipher "blowfish" needs OpenSSL's legacy provider, which OpenSSL 3 does not load: tinc 1.0.36 peers on OpenSSL 3 accept it but cannot use it (the default is aes-256-cbc))"},
        {"Digest = md4",
         R"(Digest "md4" needs OpenSSL's legacy provider, which OpenSSL 3 does not load: tinc 1.0.36 peers on OpenSSL 3 accept it but cannot use it (the default is sha256))"},
        {"Foo = bar", R"(unknown variable "Foo", kept and ignored)"},
        {"= bar", R"(line has no variable name before "=", ignored)"},
    };
    for (const auto& [line, message] : cases) {
        CAPTURE(line);
        CHECK(check(line, Scope::both) == std::vector<std::string>{warning(message)});
    }
    CHECK(check("PingInterval = 10\nPingTimeout = 20\n") ==
          std::vector<std::string>{
              "warning: tinc.conf:2: PingTimeout 20 is not within 1..10 (PingInterval), so 10 is used"});
    CHECK(check("MaxTimeout = 60\nMinTimeout = 120\n") ==
          std::vector<std::string>{
              "warning: tinc.conf:2: MinTimeout 120 is larger than MaxTimeout (60), so 60 is used"});
}

TEST_CASE("unknown variables are kept in the Config") {
    auto entries = parse("Name = alpha\nFooBar = 1\n", "tinc.conf");
    REQUIRE(entries);
    Config config(std::move(*entries));
    CHECK(check("Name = alpha\nFooBar = 1\n") ==
          std::vector<std::string>{R"(warning: tinc.conf:2: unknown variable "FooBar", kept and ignored)"});
    REQUIRE(config.first("foobar") != nullptr);
    CHECK(config.first("foobar")->value == "1");
}

TEST_CASE("MACLength must fit the digest") {
    CHECK(
        check("MACLength = 33") ==
        std::vector<std::string>{error(R"(invalid MACLength "33": longer than the 32-byte sha256 digest)")});
    CHECK(check("Digest = SHA1\nMACLength = 21\n") ==
          std::vector<std::string>{
              "error: tinc.conf:2: invalid MACLength \"21\": longer than the 20-byte sha1 digest"});
    CHECK(check("Digest = sha512\nMACLength = 64\n").empty());
    CHECK(check("Digest = none\nMACLength = 64\n").empty());
    CHECK(check("Digest = whatever-ossl-knows\nMACLength = 40\n").empty());
}

TEST_CASE("variables in the wrong file") {
    SECTION("server variables in another node's host file") {
        CHECK(check("Mode = switch\nPort = 655\n", Scope::host, "hosts/beta") ==
              std::vector<std::string>{"warning: hosts/beta:1: Mode is a tinc.conf variable; tinc ignores it "
                                       "in another node's host file"});
        // Variables of both scopes are read from peers' files too.
        CHECK(
            check("IndirectData = yes\nTCPOnly = no\nClampMSS = no\nWeight = 5\n", Scope::host, "hosts/beta")
                .empty());
    }
    SECTION("peer-only host variables in tinc.conf") {
        CHECK(check("Address = 198.18.0.2 655\n") ==
              std::vector<std::string>{"warning: tinc.conf:1: Address is ignored in tinc.conf; it belongs in "
                                       "hosts/NAME, where other nodes read it"});
        CHECK(check("Address = 198.18.0.2 655\n", Scope::server, "conf.d/links.conf").size() == 1);
        // In this node's own host file (merged into the server config) it is where it belongs.
        CHECK(check("Address = 198.18.0.2 655\n", Scope::server, "hosts/alpha").empty());
        // Host variables in tinc.conf apply to this node, as in tinc.
        CHECK(check("Port = 656\nSubnet = 198.19.1.0/24\nCipher = aes-128-cbc\n").empty());
    }
}

TEST_CASE("repeats of single-valued variables") {
    CHECK(check("Port = 655\nMode = router\nPort = 656\n") ==
          std::vector<std::string>{"warning: tinc.conf:3: Port repeated; the first value on line 1 is used"});
    CHECK(check("port = 655\nPORT = 656\n") ==
          std::vector<std::string>{"warning: tinc.conf:2: Port repeated; the first value on line 1 is used"});
    CHECK(check("Subnet = 198.19.1.0/24\nSubnet = 198.19.2.0/24\nConnectTo = a\nConnectTo = b\n").empty());

    SECTION("a bad value in an unused repeat is only a warning: tinc never reads it") {
        CHECK(
            check("Port = 655\nPort = x!\n") ==
            std::vector<std::string>{
                "warning: tinc.conf:2: Port repeated; the first value on line 1 is used",
                R"(warning: tinc.conf:2: invalid Port "x!": expected a port number 0..65535 or a service name)"});
        CHECK(
            check("Port = x!\nPort = 655\n") ==
            std::vector<std::string>{
                R"(error: tinc.conf:1: invalid Port "x!": expected a port number 0..65535 or a service name)",
                "warning: tinc.conf:2: Port repeated; the first value on line 1 is used"});
    }
    SECTION("across tinc.conf and the own host file, the lower line wins, as in tinc") {
        auto server = parse("Name = alpha\nMode = router\nPort = 656\n", "tinc.conf");
        auto own = parse("Port = 655\n", "hosts/alpha");
        REQUIRE(server);
        REQUIRE(own);
        Config config(std::move(*server));
        config.add(std::move(*own));
        auto diagnostics = validate(config, Scope::server);
        REQUIRE(diagnostics.size() == 1);
        CHECK(diagnostics[0].severity == Severity::warning);
        CHECK(diagnostics[0].to_string() == "tinc.conf:3: Port repeated; the value at hosts/alpha:1 is used");
    }
}

TEST_CASE("has_errors and Diagnostic::to_string") {
    CHECK_FALSE(has_errors({}));
    CHECK_FALSE(has_errors({Diagnostic{Severity::warning, "tinc.conf:1", "w"}}));
    CHECK(has_errors({Diagnostic{Severity::warning, "a", "w"}, Diagnostic{Severity::error, "b", "e"}}));
    CHECK(Diagnostic{Severity::error, "", "no location"}.to_string() == "no location");
    CHECK(Diagnostic{Severity::error, "hosts", "gone"}.to_string() == "hosts: gone");
}

TEST_CASE("validate is total: random and hostile input never crashes and stays one line per diagnostic") {
    std::mt19937 rng(20240611);
    const std::string alphabet = "aZ09 =#$-_.:/[]*+\t%!\"\\\x80\xff";
    std::vector<std::string_view> names;
    for (const Variable& v : variables()) names.push_back(v.name);
    names.push_back("Unknown");
    for (int round = 0; round < 3000; ++round) {
        std::string value;
        size_t length = 1 + rng() % 60;
        for (size_t i = 0; i < length; ++i) value += alphabet[rng() % alphabet.size()];
        const std::string line = std::string(names[rng() % names.size()]) + " = " + value + "\n";
        auto entries = parse(line, "hosts/fuzz");
        if (!entries) continue;  // e.g. only blanks after "="
        for (Scope scope : {Scope::server, Scope::host, Scope::both}) {
            for (const Diagnostic& d : validate(Config(*entries), scope)) {
                CHECK(d.to_string().find('\n') == std::string::npos);
            }
        }
    }
}
