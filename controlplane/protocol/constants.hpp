// tinc 1.0.36 meta-protocol constants (reference: tinc-1.0.36-protocol.md, sections 1-2).
// Protocol facts only; tuning values live in controlplane/tuning.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::protocol {

inline constexpr int protocol_major = 17;

// MAXBUFSIZE of tincd 1.0.36 with MTU 1518: a line (newline included) or a PACKET body
// that does not fit makes tincd drop the connection, so sluice never sends more and
// refuses more.
inline constexpr std::size_t max_line_bytes = 2176;
// The longest string token tinc's sscanf accepts (MAX_STRING_SIZE - 1).
inline constexpr std::size_t max_token_chars = 2048;
// MAXSIZE: the largest PACKET body tincd accepts (MTU 1518 + seqno + cipher/digest room).
inline constexpr std::size_t max_packet_body = 1661;
// The largest frame (MTU): 1500 + 14 Ethernet + 4 VLAN.
inline constexpr std::size_t max_frame = 1518;

// ACK / ADD_EDGE option bits (connection.h).
inline constexpr std::uint32_t option_indirect = 0x1;
inline constexpr std::uint32_t option_tcponly = 0x2;
inline constexpr std::uint32_t option_pmtu_discovery = 0x4;
inline constexpr std::uint32_t option_clamp_mss = 0x8;
// tinc 1.1 puts its protocol minor in bits 24-31; a 1.0-compatible node keeps them zero.
inline constexpr std::uint32_t option_version_mask = 0xff000000u;

// The third field of a REQ_KEY that carries sluice's native key exchange (docs/protocol.md
// 2.1); native::kx_token_tag is the same string.
inline constexpr std::string_view req_key_kx_tag = "SLUICE-KX1";

// OpenSSL NIDs tinc sends in METAKEY and ANS_KEY.
inline constexpr int nid_aes_128_cfb = 421;
inline constexpr int nid_aes_192_cfb = 425;
inline constexpr int nid_aes_256_cfb = 429;
inline constexpr int nid_aes_256_cbc = 427;
inline constexpr int nid_sha256 = 672;

inline constexpr int max_compression_level = 11;

}  // namespace sluice::protocol
