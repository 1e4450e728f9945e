// `sluicectl init` and `sluicectl generate-keys`.
#include <charconv>
#include <fstream>
#include <ostream>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "shared/config/config_dir.hpp"
#include "shared/util/text.hpp"
#include "tools/sluicectl/commands.hpp"
#include "tools/sluicectl/key_setup.hpp"

namespace sluice::ctl {

namespace fs = std::filesystem;

namespace {

Status write_new_file(const fs::path& path, std::string_view contents) {
    std::ofstream out(path, std::ios::out | std::ios::trunc);
    out << contents;
    out.close();
    if (!out) return fail("cannot write {}", path.string());
    return {};
}

Status make_directory(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fail("cannot create {}: {}", dir.string(), ec.message());
    return {};
}

}  // namespace

int cmd_init(Context& c) {
    if (c.args.size() != 1) {
        fmt::print(c.err, "sluicectl init: expected exactly one NAME (see sluicectl init --help)\n");
        return exit_usage;
    }
    const std::string& name = c.args[0];
    if (!text::is_valid_node_name(name)) {
        fmt::print(c.err, "sluicectl init: invalid node name {}: only letters, digits and _ are allowed\n",
                   text::quote(name));
        return exit_usage;
    }
    const fs::path dir = c.globals.confdir;
    const fs::path conf = dir / "tinc.conf";
    std::error_code ec;
    if (fs::exists(conf, ec)) {
        fmt::print(c.err, "sluicectl init: {} already exists; not touching an existing configuration\n",
                   conf.string());
        return exit_failure;
    }
    for (const auto& d : {dir, dir / "hosts"}) {
        if (auto s = make_directory(d); !s) {
            fmt::print(c.err, "sluicectl init: {}\n", s.error().message);
            return exit_failure;
        }
    }
    if (auto s = write_new_file(conf, fmt::format("Name = {}\n", name)); !s) {
        fmt::print(c.err, "sluicectl init: {}\n", s.error().message);
        return exit_failure;
    }
    fmt::print(c.out, "wrote {}\n", conf.string());

    const KeyPaths paths{dir / "rsa_key.priv", dir / "ed25519_key.priv", dir / "hosts" / name};
    auto written = generate_and_store_keys(paths, KeyKinds{}, default_rsa_bits, /*force=*/false);
    if (!written) {
        fmt::print(c.err, "sluicectl init: {}\n", written.error().message);
        return exit_failure;
    }
    for (const auto& line : *written) fmt::print(c.out, "{}\n", line);
    fmt::print(c.out, "node {} is ready in {}; add Address and Subnet lines to hosts/{}\n", name,
               dir.string(), name);
    return exit_ok;
}

namespace {

int generate(Context& c, std::string_view command, KeyKinds kinds) {
    bool force = false;
    int bits = default_rsa_bits;
    bool have_bits = false;
    for (const auto& a : c.args) {
        if (a == "--force" || a == "-f") {
            force = true;
            continue;
        }
        int value = 0;
        if (!kinds.rsa) {
            fmt::print(c.err, "sluicectl {}: unexpected argument {} (see --help)\n", command, text::quote(a));
            return exit_usage;
        }
        auto [ptr, err] = std::from_chars(a.data(), a.data() + a.size(), value);
        if (have_bits || err != std::errc() || ptr != a.data() + a.size()) {
            fmt::print(c.err, "sluicectl {}: unexpected argument {} (see --help)\n", command, text::quote(a));
            return exit_usage;
        }
        bits = value;
        have_bits = true;
    }
    if (bits < 1024 || bits > 8192 || bits % 8 != 0) {
        fmt::print(c.err, "sluicectl {}: BITS must be 1024..8192 and a multiple of 8, not {}\n", command,
                   bits);
        return exit_usage;
    }

    auto config = config::load_config_dir(c.globals.confdir.string());
    if (!config) {
        fmt::print(c.err, "sluicectl {}: {}\n", command, config.error().message);
        return exit_failure;
    }
    const KeyPaths paths{config->private_key_file, config->ed25519_private_key_file,
                         c.globals.confdir / "hosts" / config->name};
    auto written = generate_and_store_keys(paths, kinds, bits, force);
    if (!written) {
        fmt::print(c.err, "sluicectl {}: {}\n", command, written.error().message);
        return exit_failure;
    }
    for (const auto& line : *written) fmt::print(c.out, "{}\n", line);
    return exit_ok;
}

}  // namespace

int cmd_generate_keys(Context& c) {
    return generate(c, "generate-keys", KeyKinds{});
}
int cmd_generate_rsa_keys(Context& c) {
    return generate(c, "generate-rsa-keys", KeyKinds{.rsa = true, .ed25519 = false});
}
int cmd_generate_ed25519_keys(Context& c) {
    return generate(c, "generate-ed25519-keys", KeyKinds{.rsa = false, .ed25519 = true});
}

}  // namespace sluice::ctl
