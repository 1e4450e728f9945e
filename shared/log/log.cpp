#include "shared/log/log.hpp"

#include <atomic>
#include <memory>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>

namespace sluice::log {

namespace {
std::atomic<int> g_debug_level{0};
Options g_options;  // what init() was last given, for reopen()
}  // namespace

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
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %n[%P] %l: %v");
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
