#include "controlplane/dataplane/link.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "shared/abi/events.hpp"
#include "shared/handover/channel.hpp"
#include "shared/log/log.hpp"

namespace sluice::dataplane_link {

namespace {

using namespace std::chrono_literals;
using handover::Message;

// Table bytes per snapshot slot: about 10k nodes with 20k subnets; sluiced says so in the
// log if a mesh ever outgrows it.
constexpr std::uint64_t kSnapshotPayload = 8ULL << 20;
constexpr std::uint32_t kRingCapacity = 1024;

bool child_alive(const io::ChildProcess& child) {
    pollfd p{child.pidfd.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

}  // namespace

DataPlaneLink::DataPlaneLink(io::EventLoop& loop, LinkSettings settings, LinkCallbacks callbacks)
    : loop_(loop), settings_(std::move(settings)), callbacks_(std::move(callbacks)) {}

DataPlaneLink::~DataPlaneLink() {
    if (retry_timer_ != 0) loop_.cancel_timer(retry_timer_);
    if (control_) loop_.remove(control_.get());
    if (doorbell_) loop_.remove(doorbell_.get());
    if (child_ && child_->output) loop_.remove(child_->output.get());
}

Result<std::unique_ptr<DataPlaneLink>> DataPlaneLink::start(io::EventLoop& loop, LinkSettings settings,
                                                            LinkCallbacks callbacks) {
    std::unique_ptr<DataPlaneLink> link(new DataPlaneLink(loop, std::move(settings), std::move(callbacks)));
    if (auto s = link->connect_or_spawn(); !s) return fail(s.error());
    return link;
}

Status DataPlaneLink::connect_or_spawn() {
    if (auto fd = handover::connect_to(settings_.socket_path)) return handover(io::Fd(*fd));
    if (settings_.mode == DataPlaneMode::external) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(200ms);
            if (auto fd = handover::connect_to(settings_.socket_path)) return handover(io::Fd(*fd));
        }
        return fail(
            "DataPlane = external, but no sluice-dp listens on {} (start it with: sluice-dp --socket {})",
            settings_.socket_path, settings_.socket_path);
    }
    io::SpawnRequest request;
    request.argv = {settings_.program, "--socket", settings_.socket_path, "-d",
                    std::to_string(settings_.debug_level)};
    if (!settings_.logfile.empty()) {
        request.argv.push_back("--logfile");
        request.argv.push_back(settings_.logfile);
    } else {
        request.argv.push_back("--log-relay");  // we log its lines again, with their severity
    }
    auto child = io::spawn_process(request);
    if (!child) return fail("starting the data plane: {}", child.error().message);
    log::info("Started sluice-dp ({}), pid {}", settings_.program, child->pid);
    child_.emplace(std::move(*child));
    // Its output (start-up errors before its log is open, or everything when sluiced logs to
    // stderr) goes into our log, line by line.
    const int out = child_->output.get();
    (void)loop_.add(out, io::Interest::read, [this, out](io::IoEvents) {
        char chunk[4096];
        for (;;) {
            const ssize_t n = ::read(out, chunk, sizeof chunk);
            if (n <= 0) {
                if (n == 0 || (errno != EAGAIN && errno != EINTR)) loop_.remove(out);
                break;
            }
            relay_buffer_.append(chunk, static_cast<std::size_t>(n));
        }
        for (auto nl = relay_buffer_.find('\n'); nl != std::string::npos; nl = relay_buffer_.find('\n')) {
            // sluice-dp filtered by the debug level already: every line it wrote is logged.
            const log::RelayedLine line =
                log::parse_relayed_line(std::string_view(relay_buffer_).substr(0, nl));
            spdlog::log(line.severity, "sluice-dp: {}", line.message);
            relay_buffer_.erase(0, nl + 1);
        }
    });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto fd = handover::connect_to(settings_.socket_path)) return handover(io::Fd(*fd));
        if (!child_alive(*child_)) {
            auto status = io::wait_for_exit(child_->pid);
            std::string output;
            char chunk[4096];
            ssize_t n;
            while ((n = ::read(out, chunk, sizeof chunk)) > 0)
                output.append(chunk, static_cast<std::size_t>(n));
            loop_.remove(out);
            child_.reset();
            while (!output.empty() && output.back() == '\n') output.pop_back();
            return fail("sluice-dp exited at start-up (status {}){}{}", status ? *status : -1,
                        output.empty() ? "" : ": ", output);
        }
        std::this_thread::sleep_for(20ms);
    }
    io::kill_process_group(*child_);
    return fail("sluice-dp did not open {} within 10 s", settings_.socket_path);
}

Status DataPlaneLink::handover(io::Fd socket) {
    auto hello = handover::receive_message(socket.get(), 5s);
    if (!hello) return fail("data plane at {}: {}", settings_.socket_path, hello.error().message);
    if (hello->message.name == "ERROR")
        return fail("data plane at {}: {}", settings_.socket_path, hello->message.get("message"));
    if (hello->message.name != "HELLO")
        return fail("data plane at {}: expected HELLO, got {}", settings_.socket_path, hello->message.name);
    const auto version = hello->message.get_number("version");
    const auto abi_version = hello->message.get_number("abi");
    if (!version || *version != handover::kHandoverVersion || !abi_version ||
        *abi_version != abi::kAbiVersion) {
        return fail(
            "the sluice-dp at {} speaks handover {} / shared-memory ABI {}, this sluiced {} / {}: run "
            "matching builds",
            settings_.socket_path, hello->message.get("version", "?"), hello->message.get("abi", "?"),
            handover::kHandoverVersion, abi::kAbiVersion);
    }
    const bool dp_has_region = hello->message.get("region") == "1";
    bool send_region = false;
    if (dp_has_region) {
        const int memfd = hello->fds.take(0);
        auto region = abi::attach_region(memfd);
        if (memfd >= 0) ::close(memfd);
        if (!region) return fail("the running sluice-dp's shared memory: {}", region.error().message);
        if (region_) {
            log::warn("The data plane brought its own shared memory; taking it over");
        }
        region_.emplace(std::move(*region));
        reattached_ = true;
        log::info("Taking over the running data plane (pid {}, interface {})", hello->message.get("pid", "?"),
                  hello->message.get("interface", "?"));
    } else if (!region_) {
        auto layout = abi::compute_layout({settings_.workers, kSnapshotPayload, kRingCapacity});
        if (!layout) return fail("shared memory layout: {}", layout.error().message);
        auto region = abi::create_region(*layout);
        if (!region) return fail("shared memory: {}", region.error().message);
        region_.emplace(std::move(*region));
        send_region = true;
    } else {
        send_region = true;  // a restarted sluice-dp gets the region we kept
    }
    const int bell = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (bell < 0) return fail("eventfd: {}", std::strerror(errno));
    io::Fd doorbell(bell);
    Message attach{"ATTACH",
                   {{"port", settings_.port},
                    {"family", settings_.family},
                    {"replay_window", std::to_string(settings_.replay_window)},
                    {"pid", std::to_string(::getpid())}}};
    // A restarted sluice-dp joins the device its predecessor made (it persists, with its
    // addresses), even when the kernel picked the name.
    const std::string interface = !settings_.interface.empty() ? settings_.interface : interface_;
    if (!interface.empty()) attach.fields["interface"] = interface;
    if (settings_.cpus == "none") {
        attach.fields["pin"] = "no";
    } else if (!settings_.cpus.empty()) {
        attach.fields["cpus"] = settings_.cpus;
    }
    std::vector<int> fds;
    if (send_region) fds.push_back(region_->fd());
    fds.push_back(doorbell.get());
    if (auto s = handover::send_message(socket.get(), attach, fds); !s)
        return fail("data plane: {}", s.error().message);
    auto ready = handover::receive_message(socket.get(), 15s);
    if (!ready) return fail("data plane did not get ready: {}", ready.error().message);
    if (ready->message.name == "ERROR") return fail("sluice-dp: {}", ready->message.get("message"));
    if (ready->message.name != "READY")
        return fail("data plane: expected READY, got {}", ready->message.name);
    wake_.clear();
    for (std::size_t i = 0; i < ready->fds.fds.size(); ++i) wake_.emplace_back(ready->fds.take(i));
    interface_ = ready->message.get("interface");
    if (wake_.size() != region_->layout().params.worker_count)
        return fail("data plane: {} wake descriptors for {} workers", wake_.size(),
                    region_->layout().params.worker_count);
    region_->header().controlplane_pid.store(static_cast<std::uint64_t>(::getpid()));
    publisher_.emplace(region_->header().published, abi::kSnapshotSlotCount,
                       Workers(region_->workers(), &abi::WorkerRecord::quiescent_generation));
    control_ = std::move(socket);
    doorbell_ = std::move(doorbell);
    (void)loop_.add(doorbell_.get(), io::Interest::read, [this](io::IoEvents) { on_doorbell(); });
    (void)loop_.add(control_.get(), io::Interest::read, [this](io::IoEvents) { on_control_readable(); });
    log::info("Data plane attached: interface {}, {} workers, UDP port {}", interface_, wake_.size(),
              ready->message.get("port", "?"));
    return {};
}

std::optional<tables::TablesView> DataPlaneLink::inherited_tables() const {
    if (!region_ || !reattached_) return std::nullopt;
    const abi::Published p =
        abi::unpack_published(region_->header().published.load(std::memory_order_acquire));
    if (p.generation == 0) return std::nullopt;
    const auto slot = region_->snapshot_slot(p.slot);
    auto view = tables::TablesView::open(
        slot.payload.first(std::min<std::uint64_t>(slot.header->byte_length, slot.payload.size())));
    if (!view) return std::nullopt;
    return *view;
}

void DataPlaneLink::on_control_readable() {
    auto got = handover::receive_message(control_.get(), 0ms);
    if (!got) lost(got.error().message);
}

void DataPlaneLink::lost(const std::string& why) {
    if (!control_) return;
    loop_.remove(control_.get());
    loop_.remove(doorbell_.get());
    control_.reset();
    doorbell_.reset();
    wake_.clear();
    publisher_.reset();
    // Its workers are gone: none of them holds a snapshot any more.
    for (auto& w : region_->workers()) w.quiescent_generation.store(abi::kQuiescentOffline);
    if (child_) {
        (void)io::wait_for_exit(child_->pid);
        if (child_->output) loop_.remove(child_->output.get());
        child_.reset();
    }
    if (stopping_) return;
    log::error(
        "The data plane went away ({}); {}", why,
        settings_.mode == DataPlaneMode::managed ? "starting it again" : "waiting for it to come back");
    auto retry = std::make_shared<std::function<void()>>();
    *retry = [this, retry] {
        if (stopping_ || control_) return;
        if (auto s = connect_or_spawn(); !s) {
            log::error("Data plane: {}", s.error().message);
            loop_.add_timer_after(seconds(5), *retry);
            return;
        }
        if (callbacks_.attached) callbacks_.attached();
    };
    loop_.add_timer_after(seconds(1), *retry);
}

void DataPlaneLink::on_doorbell() {
    std::uint64_t value;
    while (::read(doorbell_.get(), &value, sizeof value) == sizeof value) {
    }
    if (!region_) return;
    for (std::uint32_t w = 0; w < region_->layout().params.worker_count; ++w) {
        abi::RingConsumer ring(region_->event_ring(w));
        for (int budget = 4096; budget > 0; --budget) {
            auto entry = ring.try_peek();
            if (!entry) break;
            const auto node = static_cast<std::uint32_t>(entry->aux);
            switch (static_cast<abi::EventType>(entry->type)) {
                case abi::EventType::key_needed:
                    if (callbacks_.key_needed) callbacks_.key_needed(node);
                    break;
                case abi::EventType::tcp_frame:
                    if (callbacks_.tcp_frame) callbacks_.tcp_frame(node, entry->payload);
                    break;
                case abi::EventType::broadcast_frame:
                    if (callbacks_.broadcast_frame) callbacks_.broadcast_frame(node, entry->payload);
                    break;
                case abi::EventType::unknown_source:
                    if (callbacks_.unknown_source) callbacks_.unknown_source(entry->payload);
                    break;
                case abi::EventType::pmtu_result:
                    if (callbacks_.pmtu_result && entry->payload.size() >= sizeof(abi::PmtuResult)) {
                        abi::PmtuResult r;
                        std::memcpy(&r, entry->payload.data(), sizeof r);
                        callbacks_.pmtu_result(node, r.min_mtu, r.max_mtu);
                    }
                    break;
                case abi::EventType::native_confirmed:
                    if (callbacks_.native_confirmed &&
                        entry->payload.size() >= sizeof(abi::NativeConfirmed)) {
                        abi::NativeConfirmed c;
                        std::memcpy(&c, entry->payload.data(), sizeof c);
                        callbacks_.native_confirmed(node, c.local_index);
                    }
                    break;
            }
            ring.pop();
        }
    }
}

void DataPlaneLink::publish(const tables::TablesInput& input) {
    pending_ = input;
    try_publish();
}

void DataPlaneLink::try_publish() {
    if (!pending_ || !publisher_) return;
    std::chrono::steady_clock clock;
    auto slot = publisher_->wait_for_free_slot(clock.now() + 5ms, clock, snapshot::SleepIdle{});
    if (!slot) {
        // A worker still holds every other slot (preempted mid-batch): try again soon, with
        // whatever the tables are by then.
        if (retry_timer_ == 0)
            retry_timer_ = loop_.add_timer_after(milliseconds(10), [this] {
                retry_timer_ = 0;
                try_publish();
            });
        return;
    }
    const auto ref = region_->snapshot_slot(static_cast<std::uint32_t>(*slot));
    auto used = tables::encode_tables(*pending_, ref.payload);
    if (!used) {
        log::error("Cannot publish tables to the data plane: {}", used.error().message);
        pending_.reset();
        return;
    }
    ref.header->generation = publisher_->next_generation();
    ref.header->byte_length = *used;
    ref.header->peer_count = static_cast<std::uint32_t>(pending_->nodes.size());
    ref.header->route_count = static_cast<std::uint32_t>(pending_->subnets.size());
    ref.header->key_count = 0;
    const std::uint64_t generation = publisher_->publish(*slot);
    region_->header().snapshot_generation.store(generation);
    ++publications_;
    pending_.reset();
}

void DataPlaneLink::inject(std::span<const std::uint8_t> frame) {
    if (!control_ || wake_.empty()) {
        ++injections_dropped_;
        return;
    }
    const std::uint32_t w = next_injection_worker_++ % static_cast<std::uint32_t>(wake_.size());
    abi::RingProducer ring(region_->injection_ring(w));
    if (!ring.try_push(frame, abi::type_code(abi::InjectionType::packet_frame))) {
        ++injections_dropped_;
        return;
    }
    const std::uint64_t one = 1;
    (void)!::write(wake_[w].get(), &one, sizeof one);
}

void DataPlaneLink::shutdown() {
    stopping_ = true;
    if (settings_.mode != DataPlaneMode::managed || !control_) return;
    (void)handover::send_message(control_.get(), Message{"STOP", {}});
    if (child_) {
        pollfd p{child_->pidfd.get(), POLLIN, 0};
        if (::poll(&p, 1, 5000) == 0) {
            log::warn("sluice-dp did not stop within 5 s; killing it");
            io::kill_process_group(*child_);
        }
        (void)io::wait_for_exit(child_->pid);
        child_.reset();
    } else {
        // Not our child (started by a previous sluiced): wait for its connection to close.
        pollfd p{control_.get(), POLLIN, 0};
        (void)::poll(&p, 1, 5000);
    }
    lost("stopped");
}

}  // namespace sluice::dataplane_link
