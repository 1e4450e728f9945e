// sluice-dp: the data-plane process. Thin: parse options, hand over to the library.
#include <cstdio>
#include <string_view>

#include <fmt/format.h>

#include "dataplane/uring_probe.hpp"
#include "shared/version.hpp"

int main(int argc, char** argv) {
    std::string_view arg = argc > 1 ? argv[1] : "";
    if (arg == "--version") {
        fmt::print("sluice-dp {}\n", sluice::version);
        return 0;
    }
    if (arg == "--probe") {
        auto features = sluice::dataplane::probe_uring();
        if (!features) {
            fmt::print(stderr, "sluice-dp: {}\n", features.error().message);
            return 1;
        }
        fmt::print("{}\n", sluice::dataplane::describe(*features));
        return 0;
    }
    if (arg == "-h" || arg == "--help") {
        fmt::print(
            "Usage: sluice-dp --probe | --version\n"
            "  --probe    show which io_uring features this kernel offers the workers\n");
        return 0;
    }
    fmt::print(stderr, "sluice-dp: the packet engine is not implemented in this build yet (try --probe)\n");
    return 1;
}
