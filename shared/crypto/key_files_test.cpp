#include "shared/crypto/key_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "shared/crypto/ed25519_key.hpp"
#include "shared/crypto/rsa_key.hpp"
#include "shared/crypto/test_printing.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sluice::crypto;
using sluice::testing::read_file;
using sluice::testing::TempDir;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::size_t entries_in(const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("write_private_key_file creates 0600 and refuses to overwrite") {
    TempDir dir;
    const fs::path key = dir.path() / "rsa_key.priv";

    REQUIRE(write_private_key_file(key, "first\n", false));
    CHECK(read_file(key) == "first\n");
    CHECK(mode_of(key) == 0600);
    CHECK_FALSE(check_private_key_permissions(key));

    auto again = write_private_key_file(key, "second\n", false);
    REQUIRE_FALSE(again);
    CHECK(again.error().message ==
          key.string() + " exists; refusing to overwrite a private key without --force");
    CHECK(read_file(key) == "first\n");

    SECTION("force replaces the file atomically, still 0600, no temporary left behind") {
        ::chmod(key.c_str(), 0644);
        REQUIRE(write_private_key_file(key, "second\n", true));
        CHECK(read_file(key) == "second\n");
        CHECK(mode_of(key) == 0600);
        CHECK(entries_in(dir.path()) == 1);
    }
    SECTION("force also creates a missing file") {
        const fs::path other = dir.path() / "ed25519_key.priv";
        REQUIRE(write_private_key_file(other, "x", true));
        CHECK(mode_of(other) == 0600);
    }
    SECTION("a symlink in the key's place is not followed") {
        const fs::path link = dir.path() / "link.priv";
        fs::create_symlink(dir.path() / "elsewhere", link);
        CHECK_FALSE(write_private_key_file(link, "x", false));
        CHECK_FALSE(fs::exists(dir.path() / "elsewhere"));
    }
    SECTION("a missing directory is an error") {
        auto r = write_private_key_file(dir.path() / "no" / "key", "x", false);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::StartsWith("cannot create"));
    }
}

TEST_CASE("read_private_key_file and permission warnings") {
    TempDir dir;
    const fs::path key = dir.path() / "rsa_key.priv";
    REQUIRE(write_private_key_file(key, "\n-----BEGIN X-----\n", false));
    auto contents = read_private_key_file(key);
    REQUIRE(contents);
    CHECK(contents->view() == "\n-----BEGIN X-----\n");

    CHECK_FALSE(read_private_key_file(dir.path() / "missing"));
    CHECK_FALSE(read_private_key_file(dir.path()));  // a directory
    CHECK_FALSE(check_private_key_permissions(dir.path() / "missing"));

    for (unsigned mode : {0640u, 0604u, 0660u, 0700u}) {
        CAPTURE(mode);
        ::chmod(key.c_str(), mode);
        auto warning = check_private_key_permissions(key);
        if (mode == 0700u) {
            CHECK_FALSE(warning);
        } else {
            REQUIRE(warning);
            CHECK_THAT(*warning, Catch::Contains(fmt::format("{:04o}", mode)));
            CHECK_THAT(*warning, Catch::Contains("chmod 600"));
        }
    }
}

TEST_CASE("host_file_with_new_keys retires old keys and appends after one empty line") {
    const std::string rsa = "-----BEGIN RSA PUBLIC KEY-----\nTkVX\n-----END RSA PUBLIC KEY-----\n";
    const std::string ed = "Ed25519PublicKey = NEW";
    struct Row {
        std::string name;
        std::string existing;
        bool with_rsa;
        bool with_ed;
        std::string expected;
    };
    const std::vector<Row> rows = {
        {"new file", "", true, true, rsa + ed + "\n"},
        {"no trailing newline", "Address = a", true, false, "Address = a\n\n" + rsa},
        {"already ends with a blank line", "Address = a\n\n", false, true, "Address = a\n\n" + ed + "\n"},
        {"old RSA blocks of both kinds are renamed",
         "Port = 655\n-----BEGIN RSA PUBLIC KEY-----\nT0xE\n-----END RSA PUBLIC KEY-----\n"
         "-----BEGIN PUBLIC KEY-----\nU1BLSQ==\n-----END PUBLIC KEY-----\r\n"
         "-----BEGIN OLD RSA PUBLIC KEY-----\nb2xkZXI=\n-----END OLD RSA PUBLIC KEY-----\n",
         true, false,
         "Port = 655\n-----BEGIN OLD RSA PUBLIC KEY-----\nT0xE\n-----END OLD RSA PUBLIC KEY-----\n"
         "-----BEGIN OLD PUBLIC KEY-----\nU1BLSQ==\n-----END OLD PUBLIC KEY-----\r\n"
         "-----BEGIN OLD RSA PUBLIC KEY-----\nb2xkZXI=\n-----END OLD RSA PUBLIC KEY-----\n\n" +
             rsa},
        {"old Ed25519 line is commented out, any case and spacing",
         "ed25519publickey=OLD1\n  Ed25519PublicKey OLD2\nEd25519PublicKeyFile = keep\n", false, true,
         "# old: ed25519publickey=OLD1\n# old:   Ed25519PublicKey OLD2\nEd25519PublicKeyFile = keep\n\n" +
             ed + "\n"},
        {"only Ed25519: RSA blocks stay current",
         "-----BEGIN RSA PUBLIC KEY-----\nT0xE\n-----END RSA PUBLIC KEY-----\nEd25519PublicKey = OLD\n",
         false, true,
         "-----BEGIN RSA PUBLIC KEY-----\nT0xE\n-----END RSA PUBLIC KEY-----\n# old: Ed25519PublicKey = "
         "OLD\n\n" +
             ed + "\n"},
        {"only RSA: the Ed25519 line stays current", "Ed25519PublicKey = OLD\n", true, false,
         "Ed25519PublicKey = OLD\n\n" + rsa},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        std::optional<std::string_view> r, e;
        if (row.with_rsa) r = rsa;
        if (row.with_ed) e = ed;
        CHECK(host_file_with_new_keys(row.existing, r, e) == row.expected);
    }
}

TEST_CASE("append_public_keys_to_host_file writes atomically and readers take the new key") {
    TempDir dir;
    fs::create_directory(dir.path() / "hosts");
    const fs::path host = dir.path() / "hosts" / "alpha";

    static const RsaKey old_key = *RsaKey::generate(1024);
    static const RsaKey new_key = *RsaKey::generate(1024);
    auto ed_old = Ed25519KeyPair::generate();
    auto ed_new = Ed25519KeyPair::generate();
    REQUIRE(ed_old);
    REQUIRE(ed_new);

    SECTION("a new host file gets mode 0644") {
        REQUIRE(append_public_keys_to_host_file(host, *old_key.public_pem(),
                                                ed_old->public_key().host_file_line()));
        CHECK(mode_of(host) == 0644);
        auto parsed = RsaKey::parse_public_pem(read_file(host));
        REQUIRE(parsed);
        CHECK(parsed->matches(old_key));
    }
    SECTION("an existing file is rewritten keeping its mode") {
        write_file(host, "Address = 198.18.0.1\n");
        ::chmod(host.c_str(), 0640);
        REQUIRE(append_public_keys_to_host_file(host, *old_key.public_pem(),
                                                ed_old->public_key().host_file_line()));
        REQUIRE(append_public_keys_to_host_file(host, *new_key.public_pem(),
                                                ed_new->public_key().host_file_line()));
        CHECK(mode_of(host) == 0640);
        CHECK(entries_in(host.parent_path()) == 1);

        const std::string text = read_file(host);
        CHECK(text.starts_with("Address = 198.18.0.1\n\n-----BEGIN OLD RSA PUBLIC KEY-----\n"));
        CHECK_THAT(text, Catch::Contains("# old: " + ed_old->public_key().host_file_line() + "\n"));
        CHECK(text.ends_with("\n" + ed_new->public_key().host_file_line() + "\n"));
        auto parsed = RsaKey::parse_public_pem(text);
        REQUIRE(parsed);
        CHECK(parsed->matches(new_key));
        CHECK_FALSE(parsed->matches(old_key));
    }
    SECTION("a symlinked host file is updated at its target") {
        const fs::path real = dir.path() / "real_alpha";
        write_file(real, "Port = 655\n");
        fs::create_symlink(real, host);
        REQUIRE(append_public_keys_to_host_file(host, std::nullopt, ed_new->public_key().host_file_line()));
        CHECK(fs::is_symlink(host));
        CHECK(read_file(real) == "Port = 655\n\n" + ed_new->public_key().host_file_line() + "\n");
    }
    SECTION("nothing to add leaves the file alone") {
        REQUIRE(append_public_keys_to_host_file(host, std::nullopt, std::nullopt));
        CHECK_FALSE(fs::exists(host));
    }
    SECTION("a multi-line Ed25519 argument is refused") {
        CHECK_FALSE(append_public_keys_to_host_file(host, std::nullopt, "Ed25519PublicKey = A\nPort = 1"));
    }
}
