// sluiced: the control-plane daemon. Thin: parse options, hand over to the library.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "controlplane/daemon_options.hpp"
#include "shared/version.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    auto options = sluice::controlplane::parse_daemon_options(args);
    if (!options) {
        fmt::print(stderr, "sluiced: {}\n", options.error().message);
        return 2;
    }
    if (options->help) {
        fmt::print("{}", sluice::controlplane::daemon_usage());
        return 0;
    }
    if (options->show_version) {
        fmt::print("sluiced {} (tinc meta protocol 17, compatible with tinc 1.0.36)\n", sluice::version);
        return 0;
    }
    fmt::print(stderr, "sluiced: the meta protocol is not implemented in this build yet\n");
    return 1;
}
