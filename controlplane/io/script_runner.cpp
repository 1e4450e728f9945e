#include "controlplane/io/script_runner.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <poll.h>
#include <signal.h>
#include <string_view>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "shared/log/log.hpp"

namespace sluice::io {

namespace {

// Bounds on how much output is read per wake-up, so a script that prints without end
// cannot starve the loop, and on the length of one logged line.
constexpr std::size_t output_read_budget = 64 * 1024;
constexpr std::size_t max_output_line = 4096;

std::vector<std::string> split_blanks(std::string_view text) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
        if (i > start) words.emplace_back(text.substr(start, i - start));
    }
    return words;
}

std::string describe(Duration d) {
    const auto ms = std::chrono::duration_cast<milliseconds>(d).count();
    return ms % 1000 == 0 ? fmt::format("{} s", ms / 1000) : fmt::format("{} ms", ms);
}

}  // namespace

ScriptRunner::ScriptRunner(EventLoop& loop, ScriptRunnerOptions options)
    : loop_(loop), options_(std::move(options)) {}

ScriptRunner::~ScriptRunner() {
    if (kick_timer_ != no_timer) loop_.cancel_timer(kick_timer_);
    if (!running_) return;
    unwatch(*running_);
    kill_process_group(running_->child.process);
    (void)wait_for_exit(running_->child.process.pid);
    log::warn("script {} was still running at shutdown and was killed", running_->job.name);
}

std::string ScriptRunner::path_of(const std::string& name) const {
    std::error_code ec;
    auto dir = std::filesystem::absolute(options_.config_dir, ec);
    if (ec) dir = options_.config_dir;
    return (dir / name).string();
}

std::optional<ScriptResult> ScriptRunner::check(const std::string& name, const std::string& path) const {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return ScriptResult{name, ScriptOutcome::not_present, 0,
                                fmt::format("script {} not present", name)};
        }
        return ScriptResult{
            name, ScriptOutcome::spawn_failed, 0,
            fmt::format("cannot run script {}: stat {}: {}", name, path, std::strerror(errno))};
    }
    if (!S_ISREG(st.st_mode)) {
        return ScriptResult{name, ScriptOutcome::not_executable, 0,
                            fmt::format("script {} is not a regular file ({})", name, path)};
    }
    if (options_.interpreter.empty() && ::access(path.c_str(), X_OK) != 0) {
        return ScriptResult{name, ScriptOutcome::not_executable, 0,
                            fmt::format("script {} is not executable ({})", name, path)};
    }
    return std::nullopt;
}

ScriptResult ScriptRunner::report(ScriptResult result) {
    switch (result.outcome) {
        case ScriptOutcome::not_present:
            log::at(log::Level::status, "{}", result.message);
            break;
        case ScriptOutcome::exited:
            if (result.code == 0) {
                log::at(log::Level::status, "{}", result.message);
                break;
            }
            [[fallthrough]];
        default:
            log::error("{}", result.message);
            break;
    }
    return result;
}

void ScriptRunner::run_async(std::string name, ScriptEnvironment environment, ScriptDone done) {
    queue_.push_back(Job{std::move(name), std::move(environment), std::move(done)});
    kick();
}

void ScriptRunner::kick() {
    if (running_ || kick_timer_ != no_timer) return;
    // Started from a timer, so `done` never runs inside run_async.
    kick_timer_ = loop_.add_timer_after(Duration::zero(), [this] {
        kick_timer_ = no_timer;
        start_next();
    });
}

std::variant<ScriptRunner::Running, ScriptResult> ScriptRunner::launch(Job job) {
    const std::string path = path_of(job.name);
    if (auto immediate = check(job.name, path)) return report(std::move(*immediate));
    log::at(log::Level::status, "executing script {}", job.name);
    // tincd: "INTERPRETER SCRIPT" through the shell, so the interpreter may carry arguments.
    SpawnRequest request{split_blanks(options_.interpreter), job.environment, options_.config_dir};
    request.argv.push_back(path);
    auto process = spawn_process(request);
    if (!process) {
        return report(
            ScriptResult{job.name, ScriptOutcome::spawn_failed, 0,
                         fmt::format("cannot run script {}: {}", job.name, process.error().message)});
    }
    Child child{job.name, std::move(*process), {}, Clock::now() + options_.timeout, false};
    return Running{std::move(job), std::move(child), no_timer};
}

bool ScriptRunner::launch_next() {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    ScriptDone done = job.done;
    auto launched = launch(std::move(job));
    if (auto* result = std::get_if<ScriptResult>(&launched)) {
        if (done) done(*result);
        return false;
    }
    running_.emplace(std::move(std::get<Running>(launched)));
    return true;
}

void ScriptRunner::start_next() {
    while (!running_ && !queue_.empty()) {
        if (launch_next()) watch();
    }
}

void ScriptRunner::watch() {
    Child& child = running_->child;
    auto on_exit =
        loop_.add(child.process.pidfd.get(), Interest::read, [this](IoEvents) { finish_running(); });
    auto on_output = loop_.add(child.process.output.get(), Interest::read, [this](IoEvents) {
        if (running_) read_output(running_->child, false);
    });
    if (!on_exit || !on_output) {
        log::error("script {}: cannot watch it in the event loop: {}", running_->job.name,
                   (!on_exit ? on_exit : on_output).error().message);
        // Still correct, only blocking.
        complete_blocking();
        kick();
        return;
    }
    running_->timer = loop_.add_timer(child.deadline, [this] {
        if (!running_) return;
        running_->timer = no_timer;
        kill_child(running_->child);
    });
}

void ScriptRunner::complete_blocking() {
    Running current = std::move(*running_);
    running_.reset();
    unwatch(current);
    const ScriptResult result = report(wait_blocking(current.job.name, current.child));
    if (current.job.done) current.job.done(result);
}

void ScriptRunner::unwatch(Running& running) {
    if (running.child.process.pidfd) loop_.remove(running.child.process.pidfd.get());
    if (running.child.process.output) loop_.remove(running.child.process.output.get());
    if (running.timer != no_timer) loop_.cancel_timer(running.timer);
    running.timer = no_timer;
}

void ScriptRunner::finish_running() {
    if (!running_) return;
    Running finished = std::move(*running_);
    running_.reset();
    unwatch(finished);
    const ScriptResult result = report(reap(finished.job.name, finished.child));
    if (finished.job.done) finished.job.done(result);
    start_next();
}

void ScriptRunner::read_output(Child& child, bool drain) {
    char buffer[4096];
    std::size_t total = 0;
    // When draining after exit, a grandchild may still hold the pipe open and keep
    // writing: read what is there now, within a bound, and no more.
    const std::size_t budget = drain ? 16 * output_read_budget : output_read_budget;
    while (child.process.output && total < budget) {
        const ssize_t n = ::read(child.process.output.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                loop_.remove(child.process.output.get());
                child.process.output.reset();
            }
            break;
        }
        total += static_cast<std::size_t>(n);
        child.partial.append(buffer, static_cast<std::size_t>(n));
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t newline = child.partial.find('\n', start);
        const bool too_long = newline == std::string::npos && child.partial.size() - start >= max_output_line;
        if (newline == std::string::npos && !too_long) break;
        const std::size_t end = newline == std::string::npos ? start + max_output_line : newline;
        std::string_view line(child.partial.data() + start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        log::info("script {}: {}", child.name, line);
        start = newline == std::string::npos ? end : newline + 1;
    }
    child.partial.erase(0, start);
    if (drain && !child.partial.empty()) {
        log::info("script {}: {}", child.name, child.partial);
        child.partial.clear();
    }
}

void ScriptRunner::kill_child(Child& child) {
    if (child.timed_out) return;
    child.timed_out = true;
    kill_process_group(child.process);
}

ScriptResult ScriptRunner::wait_blocking(const std::string& name, Child& child) {
    while (true) {
        pollfd fds[2] = {{child.process.pidfd.get(), POLLIN, 0},
                         {child.process.output ? child.process.output.get() : -1, POLLIN, 0}};
        int timeout_ms = -1;
        if (!child.timed_out) {
            const auto left = std::chrono::ceil<milliseconds>(child.deadline - Clock::now()).count();
            timeout_ms = left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
        }
        const int ready = ::poll(fds, 2, timeout_ms);
        if (ready < 0 && errno != EINTR) {
            log::error("script {}: poll: {}", name, std::strerror(errno));
            kill_child(child);
            break;
        }
        if (ready > 0 && fds[1].revents != 0) read_output(child, false);
        if (ready > 0 && fds[0].revents != 0) break;
        if (!child.timed_out && Clock::now() >= child.deadline) kill_child(child);
    }
    return reap(name, child);
}

ScriptResult ScriptRunner::reap(const std::string& name, Child& child) {
    const auto waited = wait_for_exit(child.process.pid);
    read_output(child, true);
    if (child.process.output) loop_.remove(child.process.output.get());
    child.process.output.reset();
    const int status = waited.value_or(0);

    ScriptResult result{name, ScriptOutcome::exited, 0, {}};
    if (!waited) {
        result.outcome = ScriptOutcome::spawn_failed;
        result.message = fmt::format("script {}: {}", name, waited.error().message);
    } else if (child.timed_out) {
        result.outcome = ScriptOutcome::timed_out;
        result.code = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
        result.message =
            fmt::format("script {} timed out after {} and was killed", name, describe(options_.timeout));
    } else if (WIFEXITED(status)) {
        result.code = WEXITSTATUS(status);
        result.message = result.code == 0 ? fmt::format("script {} exited successfully", name)
                                          : fmt::format("script {} exited with status {}", name, result.code);
    } else {
        result.outcome = ScriptOutcome::killed;
        result.code = WTERMSIG(status);
        result.message =
            fmt::format("script {} was killed by signal {} ({})", name, result.code, strsignal(result.code));
    }
    return result;
}

ScriptResult ScriptRunner::run_sync(std::string name, ScriptEnvironment environment) {
    wait_idle();
    auto launched = launch(Job{std::move(name), std::move(environment), {}});
    if (auto* result = std::get_if<ScriptResult>(&launched)) return *result;
    Running& running = std::get<Running>(launched);
    return report(wait_blocking(running.job.name, running.child));
}

void ScriptRunner::wait_idle() {
    if (kick_timer_ != no_timer) loop_.cancel_timer(kick_timer_);
    kick_timer_ = no_timer;
    while (running_ || !queue_.empty()) {
        if (running_ || launch_next()) complete_blocking();
    }
}

}  // namespace sluice::io
