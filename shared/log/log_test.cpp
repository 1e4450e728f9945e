#include "shared/log/log.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>

using namespace sluice::log;

TEST_CASE("tinc debug levels map onto spdlog severities") {
    struct Row {
        Level level;
        spdlog::level::level_enum severity;
    };
    const Row rows[] = {
        {Level::always, spdlog::level::info},         {Level::connections, spdlog::level::debug},
        {Level::status, spdlog::level::debug},        {Level::requests, spdlog::level::trace},
        {Level::request_lines, spdlog::level::trace}, {Level::traffic, spdlog::level::trace},
        {Level::scary, spdlog::level::trace},
    };
    for (const auto& row : rows) CHECK(severity_for(row.level) == row.severity);
}

TEST_CASE("messages above the debug level are filtered, errors always pass") {
    std::ostringstream out;
    set_sink_for_tests(std::make_shared<spdlog::sinks::ostream_sink_st>(out));

    set_debug_level(1);
    at(Level::connections, "connected to {}", "beta");
    at(Level::requests, "got {}", "ADD_EDGE");
    error("hosts/alpha:3: bad");
    warn("careful");

    const std::string text = out.str();
    CHECK(text.find("debug: connected to beta") != std::string::npos);
    CHECK(text.find("ADD_EDGE") == std::string::npos);
    CHECK(text.find("error: hosts/alpha:3: bad") != std::string::npos);
    CHECK(text.find("warning: careful") != std::string::npos);

    set_debug_level(5);
    at(Level::requests, "got {}", "ADD_EDGE");
    CHECK(out.str().find("trace: got ADD_EDGE") != std::string::npos);
    set_debug_level(-3);
    CHECK(debug_level() == 0);
}

TEST_CASE("reopen starts a new file after the old one was moved away") {
    char pattern[] = "/tmp/sluice-log-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    const std::string dir = pattern;
    Options options;
    options.logfile = dir + "/sluiced.log";
    init(options);
    info("before rotation");
    REQUIRE(std::rename(options.logfile.c_str(), (options.logfile + ".1").c_str()) == 0);
    reopen();
    info("after rotation");
    std::ifstream fresh(options.logfile);
    const std::string text{std::istreambuf_iterator<char>(fresh), {}};
    CHECK(text.find("after rotation") != std::string::npos);
    CHECK(text.find("before rotation") == std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a child's relayed line keeps its severity; an unknown prefix is a warning") {
    const RelayedLine error = parse_relayed_line("error: worker 1: io_uring_submit_and_wait: Bad address");
    CHECK(error.severity == spdlog::level::err);
    CHECK(error.message == "worker 1: io_uring_submit_and_wait: Bad address");
    CHECK(parse_relayed_line("info: Data plane ready").severity == spdlog::level::info);
    CHECK(parse_relayed_line("trace: a packet").severity == spdlog::level::trace);
    CHECK(parse_relayed_line("warning: careful").severity == spdlog::level::warn);
    const RelayedLine bare = parse_relayed_line("sluice-dp: unknown option --x");
    CHECK(bare.severity == spdlog::level::warn);
    CHECK(bare.message == "sluice-dp: unknown option --x");
    CHECK(parse_relayed_line("").message.empty());
}

TEST_CASE("stderr styles: relay is level and message, plain is stamped") {
    const auto path = std::filesystem::temp_directory_path() / "sluice-log-style-test.log";
    std::filesystem::remove(path);
    // The file sink takes the plain style; relay and journal apply to stderr only.
    Options o;
    o.logfile = path.string();
    o.name = "sluiced";
    o.stderr_style = StderrStyle::relay;
    init(o);
    info("hello {}", 1);
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    CHECK_THAT(line, Catch::Matches(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} sluiced\[\d+\] info: hello 1)"));
    std::filesystem::remove(path);
}

namespace {

// What a child process writes to stderr after init(Options{}) and two messages; with
// `journal`, JOURNAL_STREAM names its stderr as systemd does for a service.
std::string stderr_of_child(bool journal) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        struct stat st {};
        ::fstat(2, &st);
        if (journal) {
            const std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
            ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
        } else {
            ::unsetenv("JOURNAL_STREAM");
        }
        Options o;
        o.name = "sluiced";
        init(o);
        error("boom {}", 1);
        info("ok");
        spdlog::default_logger()->flush();
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string out;
    char chunk[512];
    for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;)
        out.append(chunk, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return out;
}

}  // namespace

TEST_CASE("under systemd (JOURNAL_STREAM names stderr) lines carry journald's priority, not a stamp") {
    CHECK(stderr_of_child(true) == "<3>error: boom 1\n<6>info: ok\n");
    const std::string plain = stderr_of_child(false);
    CHECK_THAT(plain, Catch::Contains("sluiced["));
    CHECK_THAT(plain, Catch::Contains("] error: boom 1\n"));
}
