#include "shared/abi/spsc_ring.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "shared/abi/region.hpp"

using namespace sluice::abi;

namespace {

// A ring in ordinary memory, laid out as in the region: control block, then the slots.
class LocalRing {
public:
    explicit LocalRing(std::uint32_t capacity) : slots_(capacity) {
        control_.info.capacity = capacity;
        control_.info.slot_size = kRingSlotSize;
    }
    [[nodiscard]] RingRef ref() {
        return {&control_, slots_.data(), static_cast<std::uint32_t>(slots_.size())};
    }
    RingControl& control() { return control_; }

private:
    RingControl control_{};
    std::vector<RingSlot> slots_;
};

// Payload bytes that depend on the message's sequence number and position, so a message
// read from the wrong slot or a stale one shows up as a mismatch.
void fill(std::span<std::uint8_t> bytes, std::uint64_t seq) {
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(seq * 131 + i * 7);
}

std::vector<std::uint8_t> pattern(std::size_t size, std::uint64_t seq) {
    std::vector<std::uint8_t> bytes(size);
    fill(bytes, seq);
    return bytes;
}

bool matches(std::span<const std::uint8_t> bytes, std::uint64_t seq) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] != static_cast<std::uint8_t>(seq * 131 + i * 7)) return false;
    }
    return true;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    return (h ^ v) * 0x100000001B3;
}

}  // namespace

TEST_CASE("an empty ring pops nothing and a full one takes nothing more") {
    LocalRing ring(4);
    RingProducer producer(ring.ref());
    RingConsumer consumer(ring.ref());
    RingMessage message;
    CHECK_FALSE(consumer.try_pop(message));
    CHECK_FALSE(consumer.try_peek().has_value());
    CHECK(consumer.size() == 0);

    const auto payload = pattern(10, 0);
    for (std::uint64_t i = 0; i < 4; ++i) CHECK(producer.try_push(payload, 1, i));
    CHECK(consumer.size() == 4);
    CHECK_FALSE(producer.try_push(payload, 1, 99));
    CHECK(producer.try_reserve().empty());
    CHECK(ring.control().tail.load(std::memory_order_relaxed) == 4);  // a refused push moves nothing

    REQUIRE(consumer.try_pop(message));
    CHECK(message.aux == 0);
    CHECK(producer.try_push(payload, 1, 4));
    CHECK_FALSE(producer.try_push(payload, 1, 5));
    for (std::uint64_t expected = 1; expected <= 4; ++expected) {
        REQUIRE(consumer.try_pop(message));
        CHECK(message.aux == expected);
    }
    CHECK_FALSE(consumer.try_pop(message));
}

TEST_CASE("messages come out in order across many wrap-arounds") {
    LocalRing ring(4);
    RingProducer producer(ring.ref());
    RingConsumer consumer(ring.ref());
    std::uint64_t pushed = 0;
    std::uint64_t popped = 0;
    RingMessage message;
    const auto pop_checked = [&] {
        REQUIRE(consumer.try_pop(message));
        CHECK(message.aux == popped);
        CHECK(message.type == 1 + popped % 5);
        CHECK(message.length == popped % 37);
        CHECK(matches(message.payload(), popped));
        ++popped;
    };
    // Uneven bursts and drains so that head and tail meet at every slot index, with the ring
    // empty, partly full and full.
    for (std::uint64_t round = 0; round < 60; ++round) {
        const std::uint64_t room = 4 - (pushed - popped);
        const std::uint64_t burst = std::min<std::uint64_t>(1 + round % 4, room);
        for (std::uint64_t i = 0; i < burst; ++i) {
            REQUIRE(producer.try_push(pattern(pushed % 37, pushed),
                                      static_cast<std::uint16_t>(1 + pushed % 5), pushed));
            ++pushed;
        }
        if (pushed - popped == 4) CHECK_FALSE(producer.try_push(pattern(1, 0), 1, 0));
        const std::uint64_t drain = round % 3 == 0 ? pushed - popped : (pushed - popped) / 2;
        for (std::uint64_t i = 0; i < drain; ++i) pop_checked();
    }
    while (pushed != popped) pop_checked();
    CHECK_FALSE(consumer.try_pop(message));
    CHECK(popped == pushed);
    CHECK(pushed > 10 * 4);
}

TEST_CASE("positions keep working when the 64-bit counters overflow") {
    LocalRing ring(8);
    const std::uint64_t start = std::numeric_limits<std::uint64_t>::max() - 5;
    ring.control().head.store(start, std::memory_order_relaxed);
    ring.control().tail.store(start, std::memory_order_relaxed);
    RingProducer producer(ring.ref());
    RingConsumer consumer(ring.ref());
    RingMessage message;
    for (std::uint64_t i = 0; i < 8; ++i) REQUIRE(producer.try_push(pattern(3, i), 2, i));
    CHECK_FALSE(producer.try_push(pattern(3, 8), 2, 8));
    CHECK(ring.control().tail.load(std::memory_order_relaxed) == start + 8);  // wrapped past zero
    for (std::uint64_t i = 0; i < 8; ++i) {
        REQUIRE(consumer.try_pop(message));
        CHECK(message.aux == i);
        CHECK(matches(message.payload(), i));
    }
    CHECK_FALSE(consumer.try_pop(message));
}

TEST_CASE("every payload size from 0 to the slot's maximum round-trips; larger ones are refused") {
    LocalRing ring(8);
    RingProducer producer(ring.ref());
    RingConsumer consumer(ring.ref());
    auto message = std::make_unique<RingMessage>();
    for (std::size_t size = 0; size <= kRingPayloadMax; ++size) {
        const auto payload = pattern(size, size);
        REQUIRE(producer.try_push(payload, 3, size));
        REQUIRE(consumer.try_pop(*message));
        REQUIRE(message->length == size);
        REQUIRE(matches(message->payload(), size));
    }
    const auto too_big = pattern(kRingPayloadMax + 1, 0);
    CHECK_FALSE(RingProducer::fits(too_big.size()));
    CHECK_FALSE(producer.try_push(too_big, 3));
    CHECK(consumer.size() == 0);
}

TEST_CASE("peek leaves the message in place until pop; reserve and commit push in place") {
    LocalRing ring(2);
    RingProducer producer(ring.ref());
    RingConsumer consumer(ring.ref());

    const std::span<std::uint8_t> area = producer.try_reserve();
    REQUIRE(area.size() == kRingPayloadMax);
    CHECK_FALSE(consumer.try_peek().has_value());  // nothing is visible before commit
    fill(area.first(100), 7);
    producer.commit(4, 100, 77);

    const auto first = consumer.try_peek();
    REQUIRE(first.has_value());
    const auto again = consumer.try_peek();
    REQUIRE(again.has_value());
    CHECK(again->payload.data() == first->payload.data());
    CHECK(first->type == 4);
    CHECK(first->aux == 77);
    CHECK(matches(first->payload, 7));
    consumer.pop();
    CHECK_FALSE(consumer.try_peek().has_value());
}

TEST_CASE("a fresh producer or consumer carries on where the previous one stopped") {
    LocalRing ring(4);
    RingMessage message;
    {
        RingProducer producer(ring.ref());
        for (std::uint64_t i = 0; i < 3; ++i) REQUIRE(producer.try_push(pattern(5, i), 1, i));
        RingConsumer consumer(ring.ref());
        REQUIRE(consumer.try_pop(message));
    }
    // As after a control-plane restart: both sides rebuilt from the shared positions.
    RingProducer producer(ring.ref());
    RingConsumer consumer(ring.ref());
    CHECK(producer.try_push(pattern(5, 3), 1, 3));
    CHECK(producer.try_push(pattern(5, 4), 1, 4));
    CHECK_FALSE(producer.try_push(pattern(5, 5), 1, 5));
    for (std::uint64_t i = 1; i <= 4; ++i) {
        REQUIRE(consumer.try_pop(message));
        CHECK(message.aux == i);
    }
}

// Two threads, two mappings of one memfd: the producer writes through one, the consumer reads
// through the other, as sluice-dp and sluiced will.
TEST_CASE("a million messages of seeded sizes cross between two threads intact") {
    constexpr std::uint64_t kMessages = 1'000'000;
    constexpr std::uint64_t kSeed = 0x5eed;
    auto layout = compute_layout({1, 64, 256});
    REQUIRE(layout.has_value());
    auto created = create_region(*layout);
    REQUIRE(created.has_value());
    auto attached = attach_region(created->fd());
    REQUIRE(attached.has_value());

    // Mostly small messages (events, ACK-sized frames), one in eight up to a full slot.
    const auto size_of = [](std::mt19937_64& rng) {
        const std::uint64_t r = rng();
        return static_cast<std::size_t>((r & 7) == 0 ? (r >> 8) % (kRingPayloadMax + 1) : (r >> 8) % 160);
    };

    const auto started = std::chrono::steady_clock::now();
    std::uint64_t produced_sum = 0;
    std::thread producer_thread([&] {
        RingProducer producer(created->event_ring(0));
        std::mt19937_64 rng(kSeed);
        std::array<std::uint8_t, kRingPayloadMax> buffer{};
        for (std::uint64_t seq = 0; seq < kMessages; ++seq) {
            const std::size_t size = size_of(rng);
            fill(std::span(buffer).first(size), seq);
            while (!producer.try_push(std::span(buffer).first(size), static_cast<std::uint16_t>(seq), seq)) {
                std::this_thread::yield();
            }
            produced_sum = mix(mix(produced_sum, seq), size);
        }
    });

    RingConsumer consumer(attached->event_ring(0));
    std::mt19937_64 rng(kSeed);
    std::uint64_t consumed_sum = 0;
    std::uint64_t bad = 0;
    for (std::uint64_t seq = 0; seq < kMessages; ++seq) {
        std::optional<RingEntry> entry;
        while (!(entry = consumer.try_peek())) std::this_thread::yield();
        const std::size_t size = size_of(rng);
        if (entry->aux != seq || entry->type != static_cast<std::uint16_t>(seq) ||
            entry->payload.size() != size || !matches(entry->payload, seq)) {
            ++bad;
        }
        consumed_sum = mix(mix(consumed_sum, entry->aux), entry->payload.size());
        consumer.pop();
    }
    producer_thread.join();
    const auto elapsed = std::chrono::steady_clock::now() - started;

    CHECK(bad == 0);
    CHECK(consumed_sum == produced_sum);
    CHECK(consumer.size() == 0);
    CHECK(created->event_ring(0).control->tail.load(std::memory_order_acquire) == kMessages);
    INFO("elapsed " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    // Sanitizers slow memory access several-fold; the time bound is for ordinary builds.
    CHECK(elapsed < std::chrono::seconds(3));
#endif
}
