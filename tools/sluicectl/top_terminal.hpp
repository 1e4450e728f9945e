// The terminal under `sluicectl top`: keys without echo or line buffering, the window size,
// and the signals that end or resize the view, all undone when the Terminal goes away.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <termios.h>

namespace sluice::ctl::top {

// What woke wait() up.
enum class Wake { timeout, key, interrupt, resize };

// One at a time: the signal handlers it installs share one process-wide pipe.
class Terminal {
public:
    // `interactive`: stdout is a terminal we draw on; stdin, when it is a terminal too, goes
    // non-canonical without echo. Signals (SIGINT, SIGTERM, SIGWINCH) are caught either way.
    explicit Terminal(bool interactive);
    ~Terminal();
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    // Waits up to `milliseconds` for a key on stdin or a signal. For Wake::key, `key` holds it.
    Wake wait(int milliseconds, char& key);

    // Columns and rows from TIOCGWINSZ; 0 when unknown.
    [[nodiscard]] std::size_t width() const;
    [[nodiscard]] std::size_t height() const;

    // Draws `screen` (lines joined by "\n") from the top-left corner, erasing what was there.
    void draw(const std::string& screen);

    // Puts the terminal back as it was; also done by the destructor. Idempotent.
    void restore();

    // The sequence restore() writes last, for tests: it shows the cursor again.
    static constexpr const char* restore_sequence = "\x1b[?25h";

private:
    bool interactive_;
    bool keys_ = false;  // stdin is in non-canonical mode
    bool restored_ = false;
    bool first_draw_ = true;
    struct termios saved_ {};
};

}  // namespace sluice::ctl::top
