#include "controlplane/io/script_runner.hpp"

#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <stdlib.h>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include "controlplane/io/loop_test_support.hpp"
#include "shared/log/log.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sluice;
using namespace sluice::io;
using namespace sluice::io::testing;
using sluice::testing::TempDir;

namespace {

// Scripts start processes: allow more time than the io default.
bool run_until_scripts(EventLoop& loop, const std::function<bool()>& done) {
    return run_until(loop, done, seconds(10));
}

void write_script(const std::filesystem::path& dir, const std::string& name, const std::string& body,
                  mode_t mode = 0755) {
    const auto path = dir / name;
    std::filesystem::create_directories(path.parent_path());
    {
        std::ofstream out(path);
        out << body;
    }
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// Captures the log for one test.
struct LogCapture {
    std::ostringstream out;
    LogCapture() {
        sluice::log::set_sink_for_tests(std::make_shared<spdlog::sinks::ostream_sink_st>(out));
        sluice::log::set_debug_level(2);
    }
    [[nodiscard]] bool contains(const std::string& text) const {
        return out.str().find(text) != std::string::npos;
    }
};

}  // namespace

TEST_CASE("a missing script is fine") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    ScriptRunner runner(*loop, {dir.path().string(), "", seconds(5)});
    const ScriptResult result = runner.run_sync("tinc-up", {});
    CHECK(result.outcome == ScriptOutcome::not_present);
    CHECK(result.ok());
    CHECK(result.message == "script tinc-up not present");
}

TEST_CASE("a script sees the daemon's environment plus the given variables, in the config directory") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    // The loop blocks SIGUSR1; the script must not inherit the blocked mask.
    REQUIRE(loop->on_signal(SIGUSR1, [](int) {}).has_value());
    REQUIRE(::setenv("SLUICE_TEST_INHERITED", "from-daemon", 1) == 0);
    REQUIRE(::setenv("SLUICE_TEST_OVERRIDDEN", "old", 1) == 0);
    write_script(dir.path(), "hosts/beta-up",
                 "#!/bin/sh\n"
                 "echo \"node=$NODE subnet=$SUBNET weight=$WEIGHT netname=[$NETNAME]\"\n"
                 "echo \"inherited=$SLUICE_TEST_INHERITED overridden=$SLUICE_TEST_OVERRIDDEN\"\n"
                 "echo \"cwd=$(pwd)\"\n"
                 "echo \"stdin=$(readlink /proc/self/fd/0)\"\n"
                 "grep SigBlk /proc/self/status\n"
                 "echo 'on stderr' >&2\n"
                 "printf 'no newline at the end'\n");
    ScriptRunner runner(*loop, {dir.path().string(), "", seconds(5)});
    const ScriptResult result = runner.run_sync("hosts/beta-up", {{"NODE", "beta"},
                                                                  {"SUBNET", "198.19.0.2/32"},
                                                                  {"WEIGHT", "7"},
                                                                  {"NETNAME", ""},
                                                                  {"SLUICE_TEST_OVERRIDDEN", "new"}});
    ::unsetenv("SLUICE_TEST_INHERITED");
    ::unsetenv("SLUICE_TEST_OVERRIDDEN");
    INFO(log.out.str());
    CHECK(result.outcome == ScriptOutcome::exited);
    CHECK(result.code == 0);
    CHECK(result.ok());
    CHECK(log.contains("executing script hosts/beta-up"));
    CHECK(log.contains("script hosts/beta-up: node=beta subnet=198.19.0.2/32 weight=7 netname=[]"));
    CHECK(log.contains("script hosts/beta-up: inherited=from-daemon overridden=new"));
    CHECK(
        log.contains("script hosts/beta-up: cwd=" + std::filesystem::canonical(dir.path()).string() + "\n"));
    CHECK(log.contains("script hosts/beta-up: stdin=/dev/null"));
    CHECK(log.contains("SigBlk:\t0000000000000000"));
    CHECK(log.contains("script hosts/beta-up: on stderr"));
    CHECK(log.contains("script hosts/beta-up: no newline at the end"));
    CHECK(log.contains("script hosts/beta-up exited successfully"));
}

TEST_CASE("exit status and death by signal are reported") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    write_script(dir.path(), "tinc-up", "#!/bin/sh\nexit 3\n");
    write_script(dir.path(), "tinc-down", "#!/bin/sh\nkill -9 $$\n");
    ScriptRunner runner(*loop, {dir.path().string(), "", seconds(5)});

    const ScriptResult up = runner.run_sync("tinc-up", {});
    CHECK(up.outcome == ScriptOutcome::exited);
    CHECK(up.code == 3);
    CHECK_FALSE(up.ok());
    CHECK(up.message == "script tinc-up exited with status 3");
    CHECK(log.contains("error: script tinc-up exited with status 3"));

    const ScriptResult down = runner.run_sync("tinc-down", {});
    CHECK(down.outcome == ScriptOutcome::killed);
    CHECK(down.code == 9);
    CHECK(down.message == "script tinc-down was killed by signal 9 (Killed)");
}

TEST_CASE("a script without the execute bit is reported, unless an interpreter runs it") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    write_script(dir.path(), "host-up", "echo interpreted $0\n", 0644);
    {
        ScriptRunner runner(*loop, {dir.path().string(), "", seconds(5)});
        const ScriptResult result = runner.run_sync("host-up", {});
        CHECK(result.outcome == ScriptOutcome::not_executable);
        CHECK_FALSE(result.ok());
        CHECK(result.message ==
              "script host-up is not executable (" + (dir.path() / "host-up").string() + ")");
        CHECK(log.contains("error: script host-up is not executable"));
    }
    {
        ScriptRunner runner(*loop, {dir.path().string(), "/bin/sh -e", seconds(5)});
        const ScriptResult result = runner.run_sync("host-up", {});
        CHECK(result.ok());
        CHECK(log.contains("script host-up: interpreted " + (dir.path() / "host-up").string()));
    }
}

TEST_CASE("a script without a #! line runs under /bin/sh") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    write_script(dir.path(), "subnet-up", "echo plain shell $SUBNET\n");
    ScriptRunner runner(*loop, {dir.path().string(), "", seconds(5)});
    CHECK(runner.run_sync("subnet-up", {{"SUBNET", "198.19.1.0/24"}}).ok());
    CHECK(log.contains("script subnet-up: plain shell 198.19.1.0/24"));
}

TEST_CASE("an interpreter that does not exist is a spawn failure") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    write_script(dir.path(), "tinc-up", "exit 0\n");
    ScriptRunner runner(*loop, {dir.path().string(), "/nonexistent/interpreter", seconds(5)});
    const ScriptResult result = runner.run_sync("tinc-up", {});
    CHECK(result.outcome == ScriptOutcome::spawn_failed);
    CHECK(result.message == "cannot run script tinc-up: /nonexistent/interpreter: No such file or directory");
}

TEST_CASE("a script that runs too long is killed with everything it started") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    // The background sleep keeps the output pipe open: the runner must not wait for it.
    write_script(dir.path(), "tinc-up",
                 "#!/bin/sh\necho started\nsleep 30 &\necho $! > child.pid\nsleep 30\n");
    ScriptRunner runner(*loop, {dir.path().string(), "", milliseconds(300)});
    const TimePoint start = Clock::now();
    const ScriptResult result = runner.run_sync("tinc-up", {});
    CHECK(Clock::now() - start < seconds(10));
    CHECK(result.outcome == ScriptOutcome::timed_out);
    CHECK(result.message == "script tinc-up timed out after 300 ms and was killed");
    CHECK(log.contains("script tinc-up: started"));

    // The background sleep was in the script's process group, so it was killed too.
    std::ifstream pid_file(dir.path() / "child.pid");
    pid_t grandchild = 0;
    pid_file >> grandchild;
    REQUIRE(grandchild > 0);
    const TimePoint deadline = Clock::now() + seconds(5);
    bool gone = false;
    while (!gone && Clock::now() < deadline) {
        // Killed but maybe not yet reaped by init: a zombie counts as gone.
        std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
        std::string pid_field, comm, state;
        gone = !(stat >> pid_field >> comm >> state) || state == "Z";
    }
    CHECK(gone);
}

TEST_CASE("asynchronous scripts run one at a time, in order, with callbacks from the loop") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    write_script(dir.path(), "subnet-up", "#!/bin/sh\nsleep 0.05\necho \"up $SUBNET\" >> order\n");
    write_script(dir.path(), "subnet-down", "#!/bin/sh\necho \"down $SUBNET\" >> order\nexit 1\n");
    ScriptRunner runner(*loop, {dir.path().string(), "", seconds(5)});

    std::vector<std::string> done;
    runner.run_async("subnet-up", {{"SUBNET", "a"}},
                     [&](const ScriptResult& r) { done.push_back(r.name + " a"); });
    runner.run_async("subnet-down", {{"SUBNET", "a"}},
                     [&](const ScriptResult& r) { done.push_back(r.name + " a " + std::to_string(r.code)); });
    runner.run_async("host-up", {}, [&](const ScriptResult& r) { done.push_back(r.name); });  // not present
    runner.run_async("subnet-up", {{"SUBNET", "b"}},
                     [&](const ScriptResult& r) { done.push_back(r.name + " b"); });
    CHECK(done.empty());  // never called from inside run_async
    CHECK(runner.pending() == 4);

    REQUIRE(run_until_scripts(*loop, [&] { return done.size() == 4; }));
    CHECK(done == std::vector<std::string>{"subnet-up a", "subnet-down a 1", "host-up", "subnet-up b"});
    CHECK(sluice::testing::read_file(dir.path() / "order") == "up a\ndown a\nup b\n");
    CHECK(runner.pending() == 0);
    CHECK(loop->registration_count() == 0);
}

TEST_CASE("an asynchronous script is killed after the timeout") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    write_script(dir.path(), "host-down", "#!/bin/sh\nexec sleep 30\n");
    ScriptRunner runner(*loop, {dir.path().string(), "", milliseconds(200)});
    std::optional<ScriptResult> result;
    runner.run_async("host-down", {}, [&](const ScriptResult& r) { result = r; });
    REQUIRE(run_until_scripts(*loop, [&] { return result.has_value(); }));
    CHECK(result->outcome == ScriptOutcome::timed_out);
    CHECK(result->code == SIGKILL);
}

TEST_CASE("run_sync finishes the queued scripts first") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    write_script(dir.path(), "host-down", "#!/bin/sh\nsleep 0.05\necho host-down >> order\n");
    write_script(dir.path(), "tinc-down", "#!/bin/sh\necho tinc-down >> order\n");
    ScriptRunner runner(*loop, {dir.path().string(), "", seconds(5)});
    int callbacks = 0;
    runner.run_async("host-down", {}, [&](const ScriptResult&) { ++callbacks; });
    REQUIRE(loop->run_once(milliseconds(0)).has_value());  // starts host-down in the background
    CHECK(runner.pending() == 1);
    CHECK(runner.run_sync("tinc-down", {}).ok());
    CHECK(callbacks == 1);
    CHECK(sluice::testing::read_file(dir.path() / "order") == "host-down\ntinc-down\n");
    CHECK(loop->registration_count() == 0);
    CHECK(loop->timer_count() == 0);
}

TEST_CASE("destroying the runner kills a running script") {
    LogCapture log;
    TempDir dir("scripts");
    auto loop = make_loop();
    write_script(dir.path(), "tinc-up", "#!/bin/sh\nexec sleep 30\n");
    {
        ScriptRunner runner(*loop, {dir.path().string(), "", seconds(60)});
        runner.run_async("tinc-up", {}, [](const ScriptResult&) { FAIL("callback after destruction"); });
        REQUIRE(loop->run_once(milliseconds(0)).has_value());
        CHECK(runner.pending() == 1);
    }
    CHECK(log.contains("script tinc-up was still running at shutdown and was killed"));
    CHECK(loop->registration_count() == 0);
}
