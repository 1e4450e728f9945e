#include "controlplane/io/process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string_view>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sluice::io {

namespace {

// Raw syscalls: glibc 2.36's <sys/pidfd.h> lacks extern "C", so its wrappers do not link
// from C++ (fixed in 2.37).
int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> result;
    for (char** entry = ::environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        if (!extra.contains(std::string(text.substr(0, text.find('='))))) result.emplace_back(text);
    }
    for (const auto& [key, value] : extra) result.push_back(key + "=" + value);
    return result;
}

std::vector<char*> c_array(std::vector<std::string>& strings) {
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (auto& s : strings) result.push_back(s.data());
    result.push_back(nullptr);
    return result;
}

// RAII for the two posix_spawn attribute objects.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&actions);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

Result<ChildProcess> spawn_process(const SpawnRequest& request) {
    if (request.argv.empty()) return fail("spawn: empty command");
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail("pipe2: {}", std::strerror(errno));
    Fd read_end(pipe_fds[0]);
    Fd write_end(pipe_fds[1]);
    // Only our end is non-blocking; the child gets an ordinary blocking stdout.
    ::fcntl(read_end.get(), F_SETFL, ::fcntl(read_end.get(), F_GETFL) | O_NONBLOCK);

    SpawnSetup setup;
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), 1);
    posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), 2);
    // Belt and braces: every descriptor of ours is close-on-exec, but a library's may not be.
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
    if (!request.working_directory.empty()) {
        posix_spawn_file_actions_addchdir_np(&setup.actions, request.working_directory.c_str());
    }
    sigset_t empty;
    sigset_t all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&setup.attr, &empty);
    posix_spawnattr_setsigdefault(&setup.attr, &all);
    posix_spawnattr_setpgroup(&setup.attr, 0);
    posix_spawnattr_setflags(&setup.attr,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    std::vector<std::string> args = request.argv;
    std::vector<std::string> env = merged_environment(request.environment);
    std::vector<char*> argv = c_array(args);
    std::vector<char*> envp = c_array(env);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), envp.data());
    if (rc == ENOEXEC) {
        args.insert(args.begin(), "/bin/sh");
        argv = c_array(args);
        rc = ::posix_spawn(&pid, "/bin/sh", &setup.actions, &setup.attr, argv.data(), envp.data());
    }
    if (rc != 0) return fail("{}: {}", request.argv[0], std::strerror(rc));
    write_end.reset();

    ChildProcess child;
    child.pid = pid;
    child.output = std::move(read_end);
    child.pidfd.reset(pidfd_open(pid));
    if (!child.pidfd) {
        const int error = errno;
        kill_process_group(child);
        (void)wait_for_exit(pid);
        return fail("pidfd_open: {}", std::strerror(error));
    }
    return child;
}

void kill_process_group(const ChildProcess& child) {
    if (child.pid <= 0) return;
    ::kill(-child.pid, SIGKILL);
    // The child may have left its group (setsid); the pidfd reaches it wherever it is.
    if (child.pidfd) ::syscall(SYS_pidfd_send_signal, child.pidfd.get(), SIGKILL, nullptr, 0);
}

Result<int> wait_for_exit(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return fail("waitpid {}: {}", pid, std::strerror(errno));
    }
    return status;
}

}  // namespace sluice::io
