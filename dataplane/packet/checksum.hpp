// The Internet checksum (RFC 1071) and its incremental update (RFC 1624), plus the
// big-endian field accessors every packet helper here needs.
//
// Header-only so the hot path inlines it. Fields are read and written byte by byte: packets
// sit at any offset in a receive buffer (a TUN read lands the IP header at offset 14, which
// is not 4-aligned), so casting to uint16_t/uint32_t pointers would be undefined behaviour.
//
// A running sum is kept unfolded in 64 bits: no carry can be lost for any packet size, and
// the fold happens once at the end.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace sluice::dataplane::packet {

[[nodiscard]] constexpr std::uint16_t load_be16(std::span<const std::uint8_t> bytes,
                                                std::size_t offset) noexcept {
    return static_cast<std::uint16_t>((bytes[offset] << 8) | bytes[offset + 1]);
}

[[nodiscard]] constexpr std::uint32_t load_be32(std::span<const std::uint8_t> bytes,
                                                std::size_t offset) noexcept {
    return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
           (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}

constexpr void store_be16(std::span<std::uint8_t> bytes, std::size_t offset, std::uint16_t value) noexcept {
    bytes[offset] = static_cast<std::uint8_t>(value >> 8);
    bytes[offset + 1] = static_cast<std::uint8_t>(value);
}

constexpr void store_be32(std::span<std::uint8_t> bytes, std::size_t offset, std::uint32_t value) noexcept {
    bytes[offset] = static_cast<std::uint8_t>(value >> 24);
    bytes[offset + 1] = static_cast<std::uint8_t>(value >> 16);
    bytes[offset + 2] = static_cast<std::uint8_t>(value >> 8);
    bytes[offset + 3] = static_cast<std::uint8_t>(value);
}

namespace checksum_detail {

// The sum of bytes as 64-bit words in the host's order with end-around carry, folded to 16
// bits and brought to network order. This is the sum of the big-endian 16-bit words modulo
// 0xffff (2^16 = 1 there, and RFC 1071 section 2(B): the sum commutes with byte swapping),
// and never 0 unless every byte is 0, so it can stand in for them in a running sum. Eight
// bytes per add instead of two: TCP segmentation offload sums 64 KB per super-frame.
[[nodiscard]] inline std::uint16_t sum_words(const std::uint8_t* data, std::size_t words) noexcept {
    // Two independent add-with-carry chains: one chain waits on its own carry flag every
    // word, two keep the adder busy (about twice as fast as one on the CPUs we run on).
    std::uint64_t even = 0;
    std::uint64_t odd = 0;
    std::uint64_t carries = 0;
    std::size_t i = 0;
    for (; i + 2 <= words; i += 2) {
        std::uint64_t a;
        std::uint64_t b;
        std::memcpy(&a, data + 8 * i, 8);  // any alignment
        std::memcpy(&b, data + 8 * i + 8, 8);
        carries += __builtin_add_overflow(even, a, &even);
        carries += __builtin_add_overflow(odd, b, &odd);
    }
    if (i < words) {
        std::uint64_t a;
        std::memcpy(&a, data + 8 * i, 8);
        carries += __builtin_add_overflow(even, a, &even);
    }
    std::uint64_t sum = (even & 0xffffffff) + (even >> 32) + (odd & 0xffffffff) + (odd >> 32);
    // Each carry out of bit 63 is worth 1 (2^64 = 1 modulo 0xffff).
    sum += carries;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    const auto folded = static_cast<std::uint16_t>(sum);
    if constexpr (std::endian::native == std::endian::little)
        return static_cast<std::uint16_t>((folded << 8) | (folded >> 8));
    else
        return folded;
}

}  // namespace checksum_detail

// Adds bytes to a running ones'-complement sum as big-endian 16-bit words. An odd last byte
// counts as the high half of a word padded with zero, so when a message is summed in pieces
// only the last piece may have odd length.
[[nodiscard]] constexpr std::uint64_t checksum_add(std::uint64_t sum,
                                                   std::span<const std::uint8_t> bytes) noexcept {
    std::size_t i = 0;
    if (!std::is_constant_evaluated() && bytes.size() >= 16) {
        const std::size_t words = bytes.size() / 8;
        sum += checksum_detail::sum_words(bytes.data(), words);
        i = words * 8;
    }
    for (; i + 1 < bytes.size(); i += 2) sum += load_be16(bytes, i);
    if (i < bytes.size()) sum += std::uint64_t{bytes[i]} << 8;
    return sum;
}

// Folds the carries back in (end-around carry), giving the 16-bit ones'-complement sum.
[[nodiscard]] constexpr std::uint16_t checksum_fold(std::uint64_t sum) noexcept {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

// The value for a checksum field: the complement of the folded sum of everything it covers
// (with the field itself zero). Verifying a received message: the sum including the field
// folds to 0xffff.
[[nodiscard]] constexpr std::uint16_t checksum_finish(std::uint64_t sum) noexcept {
    return static_cast<std::uint16_t>(~checksum_fold(sum));
}

[[nodiscard]] constexpr std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) noexcept {
    return checksum_finish(checksum_add(0, bytes));
}

// The IPv4 pseudo-header that TCP and UDP checksums cover (RFC 793 section 3.1).
[[nodiscard]] constexpr std::uint64_t pseudo_header_sum_v4(std::span<const std::uint8_t, 4> source,
                                                           std::span<const std::uint8_t, 4> destination,
                                                           std::uint8_t protocol,
                                                           std::uint16_t upper_length) noexcept {
    std::uint64_t sum = checksum_add(0, source);
    sum = checksum_add(sum, destination);
    return sum + protocol + upper_length;
}

// The IPv6 pseudo-header (RFC 8200 section 8.1): addresses, 32-bit upper-layer length, next
// header. ICMPv6 checksums cover it too, unlike ICMPv4's.
[[nodiscard]] constexpr std::uint64_t pseudo_header_sum_v6(std::span<const std::uint8_t, 16> source,
                                                           std::span<const std::uint8_t, 16> destination,
                                                           std::uint8_t next_header,
                                                           std::uint32_t upper_length) noexcept {
    std::uint64_t sum = checksum_add(0, source);
    sum = checksum_add(sum, destination);
    return sum + (upper_length >> 16) + (upper_length & 0xffff) + next_header;
}

// RFC 1624 equation 3: the new checksum after one 16-bit word it covers changes from
// old_word to new_word, HC' = ~(~HC + ~m + m'). It always agrees with a full recomputation;
// RFC 1141's HC' = HC + m + ~m' can give 0xffff where recomputing gives 0x0000.
[[nodiscard]] constexpr std::uint16_t checksum_update16(std::uint16_t old_checksum, std::uint16_t old_word,
                                                        std::uint16_t new_word) noexcept {
    const std::uint64_t sum = std::uint64_t{static_cast<std::uint16_t>(~old_checksum)} +
                              std::uint64_t{static_cast<std::uint16_t>(~old_word)} + new_word;
    return checksum_finish(sum);
}

// The same for a 16-bit value stored at an odd offset from the start of the checksummed
// data: its two bytes straddle two words, high byte in the low half of one and low byte in
// the high half of the next. The ones'-complement sum commutes with byte swapping (RFC 1071
// section 2(B)), so the update is the aligned one applied to the byte-swapped values.
[[nodiscard]] constexpr std::uint16_t checksum_update16_at(std::uint16_t old_checksum,
                                                           std::uint16_t old_value, std::uint16_t new_value,
                                                           std::size_t offset) noexcept {
    if (offset % 2 == 0) return checksum_update16(old_checksum, old_value, new_value);
    auto swap = [](std::uint16_t v) { return static_cast<std::uint16_t>((v << 8) | (v >> 8)); };
    return checksum_update16(old_checksum, swap(old_value), swap(new_value));
}

}  // namespace sluice::dataplane::packet
