// What this kernel's io_uring offers the data plane, probed once at start-up. The workers
// pick their ring setup from this, and `sluice-dp --probe` prints it so an operator can see
// why a fallback was taken.
#pragma once

#include <string>

#include "shared/util/result.hpp"

namespace sluice::dataplane {

struct UringFeatures {
    bool single_issuer_defer_taskrun = false;  // IORING_SETUP_SINGLE_ISSUER|DEFER_TASKRUN (6.1)
    bool coop_taskrun = false;                 // IORING_SETUP_COOP_TASKRUN (5.19)
    bool provided_buffer_ring = false;         // io_uring_register_buf_ring (5.19)
    bool recvmsg = false;
    bool sendmsg = false;
    bool read = false;
    bool write = false;
    bool read_multishot = false;  // IORING_OP_READ_MULTISHOT (6.7): the workers' TUN read
    std::string fallback_reason;  // empty when the preferred setup works
};

// Creates short-lived rings to find out what works. Fails only when io_uring itself is
// unavailable (old kernel, or disabled by sysctl kernel.io_uring_disabled / seccomp).
[[nodiscard]] Result<UringFeatures> probe_uring();

[[nodiscard]] std::string describe(const UringFeatures& features);

}  // namespace sluice::dataplane
