// The checksum helpers against RFC 1071/1624's worked examples and, over random buffers,
// against the naive oracle in test_packets.hpp; the incremental update against a full
// recomputation at even and odd offsets.
#include "dataplane/packet/checksum.hpp"

#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "dataplane/packet/test_packets.hpp"

using namespace sluice::dataplane::packet;
using namespace sluice::dataplane::packet::testing;

TEST_CASE("RFC 1071 section 3 example") {
    const Bytes data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK(checksum_fold(checksum_add(0, data)) == 0xddf2);
    CHECK(internet_checksum(data) == 0x220d);
    CHECK(oracle_checksum(data) == 0x220d);
}

TEST_CASE("an odd last byte is the high half of a zero-padded word") {
    CHECK(checksum_add(0, Bytes{0x01}) == 0x0100);
    CHECK(internet_checksum(Bytes{0x12, 0x34, 0x56}) == static_cast<std::uint16_t>(~(0x1234 + 0x5600)));
    CHECK(internet_checksum(Bytes{}) == 0xffff);
}

TEST_CASE("RFC 1624 section 4 example: equation 3 gives 0x0000") {
    CHECK(checksum_update16(0xdd2f, 0x5555, 0x3285) == 0x0000);
}

TEST_CASE("big-endian loads and stores at unaligned offsets") {
    Bytes b(7, 0);
    store_be16(b, 1, 0xbeef);
    store_be32(b, 3, 0x01020304);
    CHECK(b == Bytes{0, 0xbe, 0xef, 1, 2, 3, 4});
    CHECK(load_be16(b, 1) == 0xbeef);
    CHECK(load_be32(b, 3) == 0x01020304);
}

TEST_CASE("full checksum equals the oracle over random buffers, summed whole or in pieces") {
    std::mt19937 rng(1071);
    for (int round = 0; round < 2000; ++round) {
        Bytes data(rng() % 1600);
        for (auto& b : data) b = static_cast<std::uint8_t>(rng());
        INFO("length " << data.size());
        REQUIRE(internet_checksum(data) == oracle_checksum(data));
        const std::size_t split = (data.size() / 2 == 0) ? 0 : (rng() % (data.size() / 2)) * 2;
        const std::span<const std::uint8_t> all(data);
        const std::uint64_t pieces = checksum_add(checksum_add(0, all.first(split)), all.subspan(split));
        REQUIRE(checksum_finish(pieces) == oracle_checksum(data));
    }
}

TEST_CASE("pseudo-header sums match the oracle over the spelled-out pseudo-header") {
    const V4 s4 = v4_sender, d4 = v4_target;
    Bytes p4{s4.begin(), s4.end()};
    p4.insert(p4.end(), d4.begin(), d4.end());
    p4.insert(p4.end(), {0, 6, 0x05, 0xdc});
    CHECK(checksum_finish(pseudo_header_sum_v4(s4, d4, 6, 1500)) == oracle_checksum(p4));

    const V6 s6 = v6_sender, d6 = v6_target;
    Bytes p6{s6.begin(), s6.end()};
    p6.insert(p6.end(), d6.begin(), d6.end());
    p6.insert(p6.end(), {0, 1, 0x00, 0x10, 0, 0, 0, 58});
    CHECK(checksum_finish(pseudo_header_sum_v6(s6, d6, 58, 0x10010)) == oracle_checksum(p6));
}

TEST_CASE("incremental update equals recomputation, at even and odd offsets (differential)") {
    std::mt19937 rng(1624);
    for (int round = 0; round < 5000; ++round) {
        Bytes data(4 + rng() % 200);
        for (auto& b : data) b = static_cast<std::uint8_t>(rng());
        const std::size_t offset = rng() % (data.size() - 1);
        // All-zero data is the one case where the two forms of zero differ (the full sum
        // gives 0xffff, the update 0x0000); no real header is all zero, so keep a bit set
        // outside the word that changes.
        data[(offset + 2) % data.size()] |= 1;
        const std::uint16_t old_value = load_be16(data, offset);
        // Sometimes make the new value extreme, where +0/-0 mistakes show up.
        std::uint16_t new_value = static_cast<std::uint16_t>(rng());
        if (round % 7 == 0) new_value = 0;
        if (round % 11 == 0) new_value = 0xffff;
        const std::uint16_t before = internet_checksum(data);
        store_be16(data, offset, new_value);
        INFO("offset " << offset << " old " << old_value << " new " << new_value);
        REQUIRE(checksum_update16_at(before, old_value, new_value, offset) == internet_checksum(data));
    }
}

TEST_CASE("the word-at-a-time sum equals the oracle: long, unaligned, carry-heavy and zero buffers") {
    std::mt19937 rng(8);
    for (int round = 0; round < 300; ++round) {
        const std::size_t length = round < 20 ? round : rng() % 70000;
        Bytes storage(length + 8);
        const std::uint8_t fill = round % 5 == 0 ? 0xff : (round % 5 == 1 ? 0x00 : 0x01);
        for (auto& b : storage) b = round % 5 < 2 ? fill : static_cast<std::uint8_t>(rng());
        const std::size_t skew = rng() % 8;  // the data at every alignment
        const std::span<const std::uint8_t> data =
            std::span<const std::uint8_t>(storage).subspan(skew, length);
        const Bytes copy(data.begin(), data.end());
        INFO("length " << length << " skew " << skew);
        REQUIRE(internet_checksum(data) == oracle_checksum(copy));
        // A running sum carried in, as the pseudo-header's is: 0x1fffe folds to 0xffff.
        Bytes prefixed{0xff, 0xff};
        prefixed.insert(prefixed.end(), copy.begin(), copy.end());
        REQUIRE(checksum_finish(checksum_add(0x1fffe, data)) == oracle_checksum(prefixed));
    }
    // Still usable at compile time (the byte-wise path): 0x0102 + 0x0300 = 0x0402.
    static_assert(internet_checksum(std::array<std::uint8_t, 20>{1, 2, 3}) == 0xfbfd);
}
