// Helpers shared by the unit tests of the control socket's views (not linked into sluiced):
// published tables built from a short description, kept alive beside their view.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "shared/tables/tables.hpp"

namespace sluice::daemon::testing {

// 198.18.0.HOST:655
inline tables::Endpoint endpoint(std::uint8_t host) {
    tables::Endpoint e{};
    e.family = tables::EndpointFamily::ipv4;
    e.port = 655;
    e.address[0] = 198;
    e.address[1] = 18;
    e.address[3] = host;
    return e;
}

inline tables::LegacyKeyRecord key(std::uint64_t id) {
    tables::LegacyKeyRecord k{};
    k.key_id = id;
    k.cipher_nid = 427;
    k.key_length = 32;
    return k;
}

// One node of the published tables, described briefly (designated initializers).
struct Peer {
    std::string name{};
    std::uint32_t flags = 0;  // tables::peer_flags
    std::string via{};        // empty: the node itself
    std::string nexthop{};    // empty: the node itself
    std::uint16_t mtu = 1518;
    std::uint16_t min_mtu = 0;
    std::uint16_t max_mtu = 0;
    std::uint8_t host = 0;  // endpoint 198.18.0.HOST:655; 0: none
    std::uint64_t in_key = 0;
    std::uint64_t out_key = 0;
};

// Tables for `self` and `peers`, node ids in the order given.
inline tables::TablesInput tables_input(const std::string& self, const std::vector<Peer>& peers) {
    tables::TablesInput in;
    in.self_name = self;
    std::uint32_t id = 1;
    for (const Peer& p : peers) {
        tables::NodeInput n;
        n.name = p.name;
        n.node_id = id++;
        n.flags = p.flags;
        n.via = p.via;
        n.nexthop = p.nexthop;
        n.mtu = p.mtu;
        n.min_mtu = p.min_mtu;
        n.max_mtu = p.max_mtu;
        if (p.host != 0) n.endpoint = endpoint(p.host);
        if (p.in_key != 0) n.in_key = key(p.in_key);
        if (p.out_key != 0) n.out_key = key(p.out_key);
        in.nodes.push_back(std::move(n));
    }
    return in;
}

// Encoded tables and a view on them; not movable, as the view points into the bytes.
class Published {
public:
    explicit Published(const tables::TablesInput& input) : bytes_(1 << 16) {
        auto used = tables::encode_tables(input, bytes_);
        if (!used) throw std::logic_error("test tables: " + used.error().message);
        bytes_.resize(*used);
        auto view = tables::TablesView::open(bytes_);
        if (!view) throw std::logic_error("test tables: " + view.error().message);
        view_ = *view;
    }
    Published(const Published&) = delete;
    Published& operator=(const Published&) = delete;

    [[nodiscard]] const tables::TablesView& view() const { return view_; }
    [[nodiscard]] const std::vector<std::uint8_t>& bytes() const { return bytes_; }

private:
    std::vector<std::uint8_t> bytes_;
    tables::TablesView view_;
};

}  // namespace sluice::daemon::testing
