#include "controlplane/io/pidfile.hpp"

#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace sluice::io;
using sluice::testing::TempDir;

namespace {

void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

// A pid that is certainly not running: a child that has exited and been reaped.
pid_t dead_pid() {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return pid;
}

}  // namespace

TEST_CASE("the pid file holds our pid and goes away with its owner") {
    TempDir dir("pidfile");
    const std::string path = (dir.path() / "sluiced.pid").string();
    {
        auto pid_file = PidFile::create(path);
        REQUIRE(pid_file.has_value());
        CHECK(sluice::testing::read_file(path) == std::to_string(::getpid()) + "\n");
        auto read = read_pid_file(path);
        REQUIRE(read.has_value());
        CHECK(*read == ::getpid());
        PidFile moved = std::move(*pid_file);
        CHECK(std::filesystem::exists(path));
    }
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 0);  // no temporaries left
}

TEST_CASE("a pid file naming a live process is refused") {
    TempDir dir("pidfile");
    const std::string path = (dir.path() / "sluiced.pid").string();
    const pid_t parent = ::getppid();  // alive: it is running us
    write_text(path, std::to_string(parent) + "\n");
    auto pid_file = PidFile::create(path);
    REQUIRE_FALSE(pid_file.has_value());
    CHECK(pid_file.error().message ==
          "sluiced is already running with pid " + std::to_string(parent) + " (" + path + ")");
    CHECK(sluice::testing::read_file(path) == std::to_string(parent) + "\n");
}

TEST_CASE("a stale or garbled pid file is replaced") {
    TempDir dir("pidfile");
    const std::string path = (dir.path() / "sluiced.pid").string();
    write_text(path, std::to_string(dead_pid()) + "\n");
    CHECK(PidFile::create(path).has_value());

    write_text(path, "not a pid\n");
    CHECK_FALSE(read_pid_file(path).has_value());
    CHECK(PidFile::create(path).has_value());
}

TEST_CASE("the pid file is left alone if someone else took it over") {
    TempDir dir("pidfile");
    const std::string path = (dir.path() / "sluiced.pid").string();
    {
        auto pid_file = PidFile::create(path);
        REQUIRE(pid_file.has_value());
        write_text(path, "1\n");
    }
    CHECK(std::filesystem::exists(path));
    auto missing = read_pid_file((dir.path() / "none.pid").string());
    REQUIRE(missing.has_value());
    CHECK_FALSE(missing->has_value());
}
