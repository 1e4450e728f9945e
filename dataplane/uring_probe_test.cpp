// Real io_uring on this kernel. Exits 77 (skip) only when io_uring is unavailable here;
// in CI that skip counts as a failure.
#include "dataplane/uring_probe.hpp"

#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>

using namespace sluice::dataplane;

TEST_CASE("the kernel offers what the data plane's workers need") {
    auto features = probe_uring();
    if (!features) {
        std::fprintf(stderr, "SKIP: %s\n", features.error().message.c_str());
        std::exit(77);
    }
    INFO(describe(*features));
    // The workers need these on every supported kernel (6.1+); the flags have fallbacks.
    CHECK(features->recvmsg);
    CHECK(features->sendmsg);
    CHECK(features->read);
    CHECK(features->write);
    CHECK(features->provided_buffer_ring);
    if (!features->single_issuer_defer_taskrun) CHECK_FALSE(features->fallback_reason.empty());
}
