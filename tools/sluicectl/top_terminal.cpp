#include "tools/sluicectl/top_terminal.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace sluice::ctl::top {

namespace {

// Signal handlers only write the signal number into this pipe; wait() polls its read end,
// so a signal that arrives just before poll() still wakes it.
int signal_pipe[2] = {-1, -1};

constexpr std::array caught_signals{SIGINT, SIGTERM, SIGWINCH};
struct sigaction saved_actions[caught_signals.size()];

extern "C" void on_signal(int signo) {
    const int saved_errno = errno;
    const char byte = static_cast<char>(signo);
    [[maybe_unused]] const ssize_t n = ::write(signal_pipe[1], &byte, 1);
    errno = saved_errno;
}

void write_all(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a closed terminal: nothing left to draw on
        done += static_cast<std::size_t>(n);
    }
}

struct winsize window() {
    struct winsize ws {};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0) return {};
    return ws;
}

}  // namespace

Terminal::Terminal(bool interactive) : interactive_(interactive) {
    if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) signal_pipe[0] = signal_pipe[1] = -1;
    struct sigaction action {};
    action.sa_handler = on_signal;
    ::sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < caught_signals.size(); ++i)
        ::sigaction(caught_signals[i], &action, &saved_actions[i]);
    if (interactive_ && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
        struct termios raw = saved_;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        keys_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    if (interactive_) write_all("\x1b[?25l");  // hide the cursor while drawing
}

Terminal::~Terminal() {
    restore();
}

void Terminal::restore() {
    if (restored_) return;
    restored_ = true;
    if (keys_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    // Leave the last screen in place and put the prompt below it.
    if (interactive_) write_all(std::string("\n") + restore_sequence);
    for (std::size_t i = 0; i < caught_signals.size(); ++i)
        ::sigaction(caught_signals[i], &saved_actions[i], nullptr);
    for (int& fd : signal_pipe) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
}

Wake Terminal::wait(int milliseconds, char& key) {
    struct pollfd fds[2] = {{signal_pipe[0], POLLIN, 0}, {keys_ ? STDIN_FILENO : -1, POLLIN, 0}};
    for (;;) {
        const int n = ::poll(fds, 2, milliseconds);
        if (n < 0 && errno == EINTR) continue;  // the handler wrote to the pipe: poll again
        if (n <= 0) return Wake::timeout;
        if (fds[0].revents & POLLIN) {
            char signo = 0;
            if (::read(signal_pipe[0], &signo, 1) == 1)
                return signo == SIGWINCH ? Wake::resize : Wake::interrupt;
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t got = ::read(STDIN_FILENO, &key, 1);
            if (got == 1) return Wake::key;
            fds[1].fd = -1;  // the terminal hung up: keys are gone, signals still count
        }
    }
}

std::size_t Terminal::width() const {
    return window().ws_col;
}

std::size_t Terminal::height() const {
    return window().ws_row;
}

void Terminal::draw(const std::string& screen) {
    // Home, then each line followed by erase-to-end-of-line, then erase below: no flicker
    // from clearing the whole screen every second. The first frame clears it once.
    std::string out = first_draw_ ? "\x1b[H\x1b[2J" : "\x1b[H";
    first_draw_ = false;
    std::size_t start = 0;
    while (start <= screen.size()) {
        const std::size_t end = screen.find('\n', start);
        out += screen.substr(start, end == std::string::npos ? std::string::npos : end - start);
        out += "\x1b[K";
        if (end == std::string::npos) break;
        out += '\n';
        start = end + 1;
    }
    out += "\x1b[J";
    write_all(out);
}

}  // namespace sluice::ctl::top
