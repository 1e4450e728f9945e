// Runs tinc's scripts (tinc-up, tinc-down, host-up, host-down, hosts/NAME-up/-down,
// subnet-up, subnet-down) the way tincd does (spec 7.2), without blocking the event loop:
//
//   * the script is CONFIG_DIR/NAME; a missing script is fine ("not present");
//   * it must be executable, unless ScriptsInterpreter is set, which runs
//     `INTERPRETER [ARGS...] /abs/CONFIG_DIR/NAME` (found on PATH);
//   * a script without a "#!" line runs under /bin/sh, as tincd's system() would;
//   * working directory CONFIG_DIR; environment = the daemon's plus the given variables
//     (the given ones win); stdin /dev/null; stdout and stderr go to the log line by line
//     ("script tinc-up: ..."); signal mask and dispositions reset to defaults;
//   * each script runs in its own process group, so a timeout kills whatever it started,
//     and a Ctrl-C meant for a foreground sluiced does not hit it;
//   * the outcome is logged and reported: "script tinc-up exited with status 3",
//     "script host-up was killed by signal 9 (Killed)",
//     "script subnet-up timed out after 60 s and was killed".
//
// Ordering: asynchronous scripts run one at a time in the order they were requested, so a
// subnet-down never overtakes the subnet-up before it (tincd runs them one after another,
// synchronously). run_sync() first finishes everything queued, then runs its script while
// the loop waits: that is how tincd runs tinc-up at start and tinc-down at stop.
//
// Children are watched with a pidfd (Linux 5.3+) in the loop. SIGCHLD must not be set to
// SIG_IGN in the daemon, or the kernel reaps the children before their status is read.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "controlplane/io/event_loop.hpp"
#include "controlplane/io/fd.hpp"
#include "controlplane/io/process.hpp"
#include "shared/util/clock.hpp"

namespace sluice::io {

using ScriptEnvironment = std::map<std::string, std::string>;

struct ScriptRunnerOptions {
    std::string config_dir{};   // working directory; scripts are CONFIG_DIR/NAME
    std::string interpreter{};  // ScriptsInterpreter, split on blanks; empty for none
    // tincd has no limit; a hung tinc-up would hang it forever. This one kills the script's
    // process group after `timeout`.
    Duration timeout = seconds(60);
};

enum class ScriptOutcome {
    not_present,     // no such file: fine
    not_executable,  // exists but lacks the execute bit (and no interpreter) or not a file
    spawn_failed,    // could not start it (the message says why)
    exited,          // `code` is the exit status
    killed,          // `code` is the signal number
    timed_out,       // killed by the runner after the timeout
};

struct ScriptResult {
    std::string name{};
    ScriptOutcome outcome = ScriptOutcome::not_present;
    int code = 0;
    std::string message{};  // "script tinc-up exited with status 3"

    // Success, or nothing to run.
    [[nodiscard]] bool ok() const {
        return outcome == ScriptOutcome::not_present || (outcome == ScriptOutcome::exited && code == 0);
    }
};

using ScriptDone = std::function<void(const ScriptResult&)>;

class ScriptRunner {
public:
    ScriptRunner(EventLoop& loop, ScriptRunnerOptions options);
    // Kills a running script (SIGKILL to its group) and reaps it; queued scripts do not run
    // and their callbacks are not called.
    ~ScriptRunner();
    ScriptRunner(const ScriptRunner&) = delete;
    ScriptRunner& operator=(const ScriptRunner&) = delete;

    // Queues `name` ("host-up", "hosts/beta-down") behind every script queued before it.
    // `done` is called from the loop (never from inside run_async itself).
    void run_async(std::string name, ScriptEnvironment environment, ScriptDone done = {});

    // Finishes the queue, then runs `name` and waits for it. No other loop callbacks run
    // meanwhile, except the `done` callbacks of the queued scripts.
    ScriptResult run_sync(std::string name, ScriptEnvironment environment);

    // Runs the queued and running scripts to completion, blocking.
    void wait_idle();

    // Queued plus running.
    [[nodiscard]] std::size_t pending() const { return queue_.size() + (running_ ? 1 : 0); }

private:
    struct Job {
        std::string name;
        ScriptEnvironment environment;
        ScriptDone done;
    };
    struct Child {
        std::string name;
        ChildProcess process;
        std::string partial;  // output not yet ended by a newline
        TimePoint deadline;
        bool timed_out = false;
    };
    struct Running {
        Job job;
        Child child;
        TimerId timer = no_timer;
    };

    [[nodiscard]] std::optional<ScriptResult> check(const std::string& name, const std::string& path) const;
    // Checks and spawns; a script that does not start comes back as its (logged) result.
    [[nodiscard]] std::variant<Running, ScriptResult> launch(Job job);
    // Pops the next job and starts it into running_ (true), or completes it at once when
    // it cannot run (false; its callback has been called).
    bool launch_next();
    void start_next();
    void kick();
    void watch();              // running_ in the loop
    void complete_blocking();  // running_ waited for here, reported, callback called
    void unwatch(Running& running);
    void finish_running();
    void read_output(Child& child, bool drain);
    ScriptResult wait_blocking(const std::string& name, Child& child);
    ScriptResult reap(const std::string& name, Child& child);
    void kill_child(Child& child);
    [[nodiscard]] std::string path_of(const std::string& name) const;
    static ScriptResult report(ScriptResult result);

    EventLoop& loop_;
    ScriptRunnerOptions options_;
    std::deque<Job> queue_;
    std::optional<Running> running_;
    TimerId kick_timer_ = no_timer;
};

}  // namespace sluice::io
