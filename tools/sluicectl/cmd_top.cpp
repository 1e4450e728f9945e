// `sluicectl top`: asks the running sluiced for its counters every DELAY seconds and shows
// the rates, in place on a terminal or as one plain snapshot per interval into a pipe.
#include <charconv>
#include <ctime>
#include <ostream>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "controlplane/io/unix_socket.hpp"
#include "shared/util/text.hpp"
#include "tools/sluicectl/commands.hpp"
#include "tools/sluicectl/top_model.hpp"
#include "tools/sluicectl/top_sources.hpp"
#include "tools/sluicectl/top_terminal.hpp"

namespace sluice::ctl {

namespace {

struct TopOptions {
    double delay = 1;
    bool once = false;
};

std::optional<double> parse_delay(const std::string& text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0.1) || value > 3600)
        return std::nullopt;
    return value;
}

// Returns an error message for a usage error.
std::optional<std::string> parse_options(const std::vector<std::string>& args, TopOptions& o) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::optional<std::string> value;
        if (a == "--once") {
            o.once = true;
            continue;
        }
        if (a == "-d" || a == "--delay") {
            if (i + 1 >= args.size()) return fmt::format("option {} needs SECONDS", a);
            value = args[++i];
        } else if (a.starts_with("--delay=")) {
            value = a.substr(8);
        } else if (a.starts_with("-d") && a.size() > 2) {
            value = a.substr(2);
        } else {
            return fmt::format("unexpected argument {}", text::quote(a));
        }
        const auto delay = parse_delay(*value);
        if (!delay)
            return fmt::format("delay {} is not a number of seconds from 0.1 to 3600", text::quote(*value));
        o.delay = *delay;
    }
    return std::nullopt;
}

std::string wall_time() {
    const std::time_t t = std::time(nullptr);
    struct tm local {};
    char text[16] = "";
    if (::localtime_r(&t, &local) != nullptr) std::strftime(text, sizeof text, "%H:%M:%S", &local);
    return text;
}

// One round of requests. Fails only when sluiced does not answer; a request it refuses (no
// data plane) leaves that source's part of the sample empty.
Result<top::Sample> take_sample(const std::string& socket) {
    top::Sample sample = top::empty_sample();
    for (const auto& source : top::sources()) {
        auto response = io::control_request(socket, source.request);
        if (!response) return fail(response.error());
        if (response->ok) source.merge(top::Table(response->lines), sample);
    }
    sample.at = Clock::now();
    sample.wall_time = wall_time();
    return sample;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
    return out;
}

void handle_key(char key, top::View& view) {
    switch (key) {
        case 't':
            view.sort = top::SortBy::total;
            break;
        case 'n':
            view.sort = top::SortBy::name;
            break;
        case 's':
            view.sort = view.sort == top::SortBy::total ? top::SortBy::name : top::SortBy::total;
            break;
        case 'b':
            view.bytes = view.bytes == top::ByteUnit::bits ? top::ByteUnit::bytes : top::ByteUnit::bits;
            break;
        default:
            break;
    }
}

int milliseconds_until(TimePoint deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

int run_view(Context& c, const std::string& socket, const TopOptions& options, top::Sample first);

}  // namespace

int cmd_top(Context& c) {
    TopOptions options;
    if (auto error = parse_options(c.args, options)) {
        fmt::print(c.err, "sluicectl top: {}\n", *error);
        return exit_usage;
    }
    const std::string socket = control_socket_path(c);

    auto first = take_sample(socket);
    if (!first) {
        fmt::print(c.err, "sluicectl top: {}\n", first.error().message);
        return exit_failure;
    }
    try {
        return run_view(c, socket, options, std::move(*first));
    } catch (const std::exception& e) {
        // The Terminal inside run_view has put the terminal back while unwinding.
        fmt::print(c.err, "sluicectl top: {}\n", e.what());
        return exit_failure;
    }
}

namespace {

int run_view(Context& c, const std::string& socket, const TopOptions& options, top::Sample first) {
    const bool interactive = !options.once && ::isatty(STDOUT_FILENO) == 1;
    top::View view;
    view.delay_seconds = options.delay;
    top::Terminal terminal(interactive);
    top::Sample now = std::move(first);
    std::optional<top::Sample> before;
    const auto delay = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(options.delay));
    TimePoint deadline = now.at + delay;

    auto show = [&] {
        const top::Sample* previous = before ? &*before : nullptr;
        if (interactive) {
            terminal.draw(joined(top::render(now, previous, view, terminal.width(), terminal.height())));
            return;
        }
        if (previous == nullptr) return;  // a snapshot without rates says nothing in a pipe
        fmt::print(c.out, "{}\n\n", joined(top::render(now, previous, view, 0, 0)));
        c.out.flush();
    };
    show();
    for (;;) {
        char key = 0;
        switch (terminal.wait(milliseconds_until(deadline), key)) {
            case top::Wake::interrupt:
                return exit_ok;
            case top::Wake::key:
                if (key == 'q' || key == 'Q') return exit_ok;
                handle_key(key, view);
                show();
                break;
            case top::Wake::resize:
                show();
                break;
            case top::Wake::timeout: {
                auto next = take_sample(socket);
                if (!next) {
                    terminal.restore();
                    fmt::print(c.err, "sluicectl top: sluiced went away: {}\n", next.error().message);
                    return exit_failure;
                }
                before = std::move(now);
                now = std::move(*next);
                deadline += delay;
                if (deadline < now.at) deadline = now.at + delay;  // fell behind: no burst
                show();
                if (options.once) return exit_ok;
                break;
            }
        }
    }
}

}  // namespace

}  // namespace sluice::ctl
