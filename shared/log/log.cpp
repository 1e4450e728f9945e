#include "shared/log/log.hpp"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <sys/stat.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>

namespace sluice::log {

namespace {
std::atomic<int> g_debug_level{0};
Options g_options;  // what init() was last given, for reopen()

// systemd sets JOURNAL_STREAM=DEVICE:INODE for a service whose stderr goes to the journal.
bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) return false;
    struct stat st {};
    if (::fstat(2, &st) != 0) return false;
    return std::string(stream) == std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// "%*": the syslog priority as journald reads it at the start of a line (sd-daemon(3)).
class JournalPriority final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        const char* p = "<6>";
        switch (msg.level) {
            case spdlog::level::critical:
                p = "<2>";
                break;
            case spdlog::level::err:
                p = "<3>";
                break;
            case spdlog::level::warn:
                p = "<4>";
                break;
            case spdlog::level::info:
                p = "<6>";
                break;
            default:
                p = "<7>";
                break;
        }
        dest.append(p, p + 3);
    }
    [[nodiscard]] std::unique_ptr<spdlog::custom_flag_formatter> clone() const override {
        return std::make_unique<JournalPriority>();
    }
};

std::unique_ptr<spdlog::formatter> formatter_for(StderrStyle style) {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    switch (style) {
        case StderrStyle::journal:
            f->add_flag<JournalPriority>('*').set_pattern("%*%l: %v");
            break;
        case StderrStyle::relay:
            f->set_pattern("%l: %v");
            break;
        case StderrStyle::automatic:
        case StderrStyle::plain:
            f->set_pattern("%Y-%m-%d %H:%M:%S.%e %n[%P] %l: %v");
            break;
    }
    return f;
}
}  // namespace

RelayedLine parse_relayed_line(std::string_view line) {
    const auto colon = line.find(": ");
    if (colon != std::string_view::npos) {
        const std::string_view word = line.substr(0, colon);
        for (int l = spdlog::level::trace; l <= spdlog::level::critical; ++l) {
            const auto level = static_cast<spdlog::level::level_enum>(l);
            const spdlog::string_view_t name = spdlog::level::to_string_view(level);
            if (word == std::string_view(name.data(), name.size())) return {level, line.substr(colon + 2)};
        }
    }
    return {spdlog::level::warn, line};
}

void init(const Options& options) {
    g_options = options;
    set_debug_level(options.debug_level);
    spdlog::sink_ptr sink;
    if (!options.logfile.empty()) {
        sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.logfile, /*truncate=*/false);
    } else if (options.syslog) {
        sink = std::make_shared<spdlog::sinks::syslog_sink_mt>(options.name, LOG_PID, LOG_DAEMON, true);
    } else {
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    }
    auto logger = std::make_shared<spdlog::logger>(options.name, std::move(sink));
    // Filtering is by tinc debug level in enabled(); spdlog passes everything it is given.
    logger->set_level(spdlog::level::trace);
    // syslog stamps time, name and pid itself: the relay style's "level: message" is left.
    StderrStyle style = options.syslog && options.logfile.empty() ? StderrStyle::relay : StderrStyle::plain;
    if (options.logfile.empty() && !options.syslog) {
        style = options.stderr_style;
        if (style == StderrStyle::automatic)
            style = stderr_is_journal() ? StderrStyle::journal : StderrStyle::plain;
    }
    logger->set_formatter(formatter_for(style));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

void reopen() {
    if (g_options.logfile.empty()) return;
    Options options = g_options;
    options.debug_level = debug_level();
    init(options);
}

void set_sink_for_tests(spdlog::sink_ptr sink) {
    auto logger = std::make_shared<spdlog::logger>("test", std::move(sink));
    logger->set_level(spdlog::level::trace);
    logger->set_pattern("%l: %v");
    spdlog::set_default_logger(std::move(logger));
}

void set_debug_level(int level) {
    g_debug_level.store(level < 0 ? 0 : level, std::memory_order_relaxed);
}

int debug_level() {
    return g_debug_level.load(std::memory_order_relaxed);
}

spdlog::level::level_enum severity_for(Level level) {
    const int n = static_cast<int>(level);
    if (n <= 0) return spdlog::level::info;
    if (n <= 2) return spdlog::level::debug;
    return spdlog::level::trace;
}

}  // namespace sluice::log
