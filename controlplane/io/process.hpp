// Starting and stopping the children sluiced runs (tinc scripts): posix_spawn with a clean
// slate, a pidfd to watch for the exit in the event loop, and one pipe for the output.
#pragma once

#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

#include "controlplane/io/fd.hpp"
#include "shared/util/result.hpp"

namespace sluice::io {

struct SpawnRequest {
    // argv[0] is looked up on PATH unless it contains a '/'. A file without a "#!" line
    // (ENOEXEC) is run with /bin/sh, as system() and execvp() would.
    std::vector<std::string> argv{};
    // Added to this process's environment; these win over variables of the same name.
    std::map<std::string, std::string> environment{};
    std::string working_directory{};  // empty: this process's
};

// The child runs with stdin from /dev/null, stdout and stderr into one pipe, only fds 0-2
// open, an empty signal mask and default signal dispositions (the event loop blocks
// signals, and a child must not inherit that), in a new process group of its own.
struct ChildProcess {
    pid_t pid = -1;
    Fd pidfd;   // readable once the child has exited
    Fd output;  // read end of stdout+stderr, non-blocking
};

// Fails with "ARGV0: reason" ("/usr/bin/python9: No such file or directory").
[[nodiscard]] Result<ChildProcess> spawn_process(const SpawnRequest& request);

// SIGKILL to the child's process group (whatever it started) and to the child itself.
void kill_process_group(const ChildProcess& child);

// waitpid, retried on EINTR. The status, or an error naming the pid.
[[nodiscard]] Result<int> wait_for_exit(pid_t pid);

}  // namespace sluice::io
