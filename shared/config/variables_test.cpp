#include "shared/config/variables.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "shared/config/values.hpp"
#include "shared/util/text.hpp"

using namespace sluice;
using namespace sluice::config;

TEST_CASE("the registry covers every variable tinc 1.0.36 reads") {
    // From tinc.conf(5) of 1.0.36 plus the lookups in the tincd binary that the manual does
    // not mention (MaxOutputBufferSize, MinTimeout, ScriptsInterpreter, Weight).
    const std::vector<std::string_view> tinc = {"AddressFamily",
                                                "BindToAddress",
                                                "BindToInterface",
                                                "Broadcast",
                                                "ConnectTo",
                                                "DecrementTTL",
                                                "Device",
                                                "DeviceType",
                                                "DirectOnly",
                                                "Forwarding",
                                                "GraphDumpFile",
                                                "Hostnames",
                                                "IffOneQueue",
                                                "Interface",
                                                "KeyExpire",
                                                "LocalDiscovery",
                                                "MACExpire",
                                                "MaxOutputBufferSize",
                                                "MaxTimeout",
                                                "MinTimeout",
                                                "Mode",
                                                "Name",
                                                "PingInterval",
                                                "PingTimeout",
                                                "PriorityInheritance",
                                                "PrivateKey",
                                                "PrivateKeyFile",
                                                "ProcessPriority",
                                                "Proxy",
                                                "ReplayWindow",
                                                "ScriptsInterpreter",
                                                "StrictSubnets",
                                                "TunnelServer",
                                                "UDPRcvBuf",
                                                "UDPSndBuf",
                                                "Address",
                                                "Cipher",
                                                "ClampMSS",
                                                "Compression",
                                                "Digest",
                                                "IndirectData",
                                                "MACLength",
                                                "PMTU",
                                                "PMTUDiscovery",
                                                "Port",
                                                "PublicKey",
                                                "PublicKeyFile",
                                                "Subnet",
                                                "TCPOnly",
                                                "Weight"};
    const std::vector<std::string_view> sluice = {
        "DataPlane",      "DataPlaneCPUs",    "DataPlaneProgram",     "DataPlaneWorkers",
        "MetricsAddress", "Ed25519PublicKey", "Ed25519PrivateKeyFile"};
    for (auto name : tinc) {
        CAPTURE(name);
        const Variable* v = find_variable(name);
        REQUIRE(v != nullptr);
        CHECK(v->name == name);
        CHECK_FALSE(v->sluice_only);
    }
    for (auto name : sluice) {
        CAPTURE(name);
        REQUIRE(find_variable(name) != nullptr);
        CHECK(find_variable(name)->sluice_only);
    }
    CHECK(variables().size() == tinc.size() + sluice.size());
}

TEST_CASE("registry lookups and invariants") {
    CHECK(find_variable("connectto") == find_variable("ConnectTo"));
    CHECK(find_variable("PMTUDISCOVERY")->name == "PMTUDiscovery");
    CHECK(find_variable("Foo") == nullptr);
    CHECK(find_variable("") == nullptr);

    std::set<std::string> seen;
    for (const Variable& v : variables()) {
        CAPTURE(v.name);
        CHECK(seen.insert(text::to_lower(v.name)).second);
        CHECK_FALSE(v.description.empty());
        CHECK(v.description.find('\n') == std::string_view::npos);
        CHECK(v.choices.empty() == (v.type != ValueType::choice));
        if (v.type == ValueType::integer) CHECK(v.min <= v.max);
        if (v.peer_only) CHECK(v.scope == Scope::host);
        // A default that names a value must itself be valid.
        if (v.type == ValueType::choice && v.default_text.find(' ') == std::string_view::npos &&
            v.name != "ProcessPriority") {
            CHECK(parse_choice(v.default_text, v.choices));
        }
        if (v.type == ValueType::boolean) CHECK(parse_bool(v.default_text));
        if (v.type == ValueType::integer && !v.default_text.empty() && v.default_text[0] >= '0' &&
            v.default_text[0] <= '9' && v.default_text.find(' ') == std::string_view::npos) {
            auto number = parse_tinc_int(v.default_text);
            REQUIRE(number);
            CHECK(check_int_range(number->value, v.min, v.max));
        }
    }
    CHECK(to_string(Scope::both) == "both");
    CHECK(to_string(Support::accepted) == "accepted");
    CHECK(to_string(ValueType::boolean) == "yes or no");
}

namespace {

// docs/configuration.md, found through SLUICE_SOURCE_ROOT (set by the build) or, failing
// that, next to this source file. __FILE__ is relative to the build directory under Meson,
// so that case is tried from the executable's directory and its parents as well.
std::optional<std::string> read_docs() {
    namespace fs = std::filesystem;
    std::vector<fs::path> candidates;
    if (const char* root = std::getenv("SLUICE_SOURCE_ROOT")) candidates.push_back(fs::path(root) / "docs");
    const fs::path source_docs = fs::path(__FILE__).parent_path() / ".." / ".." / "docs";
    candidates.push_back(source_docs);
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (fs::path dir = exe.parent_path(); !ec && dir.has_relative_path(); dir = dir.parent_path()) {
        candidates.push_back(dir / source_docs);
    }
    for (const auto& dir : candidates) {
        std::ifstream in(dir / "configuration.md");
        if (!in) continue;
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }
    return std::nullopt;
}

std::vector<std::string> cells(std::string_view row) {
    std::vector<std::string> out;
    row = text::trim(row);
    row.remove_prefix(1);  // leading '|'
    while (!row.empty()) {
        size_t bar = row.find('|');
        if (bar == std::string_view::npos) break;
        out.emplace_back(text::trim(row.substr(0, bar)));
        row.remove_prefix(bar + 1);
    }
    return out;
}

}  // namespace

TEST_CASE("docs/configuration.md lists every variable with its status, and nothing else") {
    auto docs = read_docs();
    REQUIRE(docs);
    // Table rows look like: | `Name` | type | default | status | description |
    std::map<std::string, std::string, std::less<>> documented;
    std::istringstream lines(*docs);
    bool in_variables = false;  // only the tables under "## Variables" list variables
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("## ")) in_variables = line == "## Variables";
        if (!in_variables || !line.starts_with("| `")) continue;
        auto row = cells(line);
        REQUIRE(row.size() == 5);
        std::string name = row[0];
        REQUIRE(name.size() > 2);
        name = name.substr(1, name.size() - 2);
        CAPTURE(name);
        CHECK(find_variable(name) != nullptr);
        CHECK(documented.emplace(name, row[3]).second);
    }
    for (const Variable& v : variables()) {
        CAPTURE(v.name);
        auto it = documented.find(v.name);
        REQUIRE(it != documented.end());
        CHECK(it->second == to_string(v.status));
    }
}
