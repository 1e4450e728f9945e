#include "controlplane/graph/graph.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "shared/net/address.hpp"

namespace sluice::graph {

namespace {

const EdgeMap no_edges;
const OwnedSubnets no_subnets;

bool is_decimal_port(std::string_view port) {
    if (port.empty() || port.size() > 5) return false;
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    int value = 0;
    for (char c : port) value = value * 10 + (c - '0');
    return value <= 65535;
}

}  // namespace

bool Edge::has_numeric_address() const {
    if (!is_decimal_port(port)) return false;
    return net::Ipv4Address::parse(address).has_value() || net::Ipv6Address::parse(address).has_value();
}

bool EdgeWeightOrder::operator()(const Edge* a, const Edge* b) const noexcept {
    if (a->weight != b->weight) return a->weight < b->weight;
    if (const int c = a->from.compare(b->from); c != 0) return c < 0;
    return a->to < b->to;
}

Graph::Graph(std::string self_name) : self_name_(std::move(self_name)) {
    if (self_name_.empty()) throw std::invalid_argument("graph: empty name for myself");
    Node& me = ensure_node(self_name_);
    me.reachable = true;
    me.nexthop = self_name_;
    me.via = self_name_;
}

const Node& Graph::self() const {
    return nodes_.find(self_name_)->second;
}

Node& Graph::self() {
    return nodes_.find(self_name_)->second;
}

Node& Graph::ensure_node(std::string_view name) {
    auto it = nodes_.find(name);
    if (it == nodes_.end()) {
        it = nodes_.emplace(std::string(name), Node{}).first;
        it->second.name = it->first;
    }
    return it->second;
}

const Node* Graph::find_node(std::string_view name) const {
    const auto it = nodes_.find(name);
    return it == nodes_.end() ? nullptr : &it->second;
}

Node* Graph::find_node(std::string_view name) {
    const auto it = nodes_.find(name);
    return it == nodes_.end() ? nullptr : &it->second;
}

bool Graph::remove_node(std::string_view name) {
    const auto it = nodes_.find(name);
    if (it == nodes_.end() || name == self_name_) return false;
    if (!edges_of(name).empty() || !subnets_of(name).empty()) return false;
    const bool pointed_at =
        std::any_of(by_weight_.begin(), by_weight_.end(), [&](const Edge* e) { return e->to == name; });
    if (pointed_at) return false;
    if (const auto e = edges_.find(name); e != edges_.end()) edges_.erase(e);
    if (const auto s = owned_subnets_.find(name); s != owned_subnets_.end()) owned_subnets_.erase(s);
    nodes_.erase(it);
    return true;
}

bool Graph::add_edge(const Edge& edge) {
    if (edge.from.empty() || edge.to.empty() || edge.from == edge.to) return false;
    if (find_edge(edge.from, edge.to) != nullptr) return false;
    ensure_node(edge.from);
    ensure_node(edge.to);
    auto from_it = edges_.find(edge.from);
    if (from_it == edges_.end()) from_it = edges_.emplace(edge.from, EdgeMap{}).first;
    const Edge& stored = from_it->second.emplace(edge.to, edge).first->second;
    by_weight_.insert(&stored);
    return true;
}

bool Graph::update_edge(const Edge& edge) {
    const auto from_it = edges_.find(edge.from);
    if (from_it == edges_.end()) return false;
    const auto it = from_it->second.find(edge.to);
    if (it == from_it->second.end()) return false;
    Edge& stored = it->second;
    // The weight is part of the index key: take the edge out while it changes.
    by_weight_.erase(&stored);
    stored.address = edge.address;
    stored.port = edge.port;
    stored.options = edge.options;
    stored.weight = edge.weight;
    by_weight_.insert(&stored);
    return true;
}

bool Graph::remove_edge(std::string_view from, std::string_view to) {
    const auto from_it = edges_.find(from);
    if (from_it == edges_.end()) return false;
    const auto it = from_it->second.find(to);
    if (it == from_it->second.end()) return false;
    by_weight_.erase(&it->second);
    from_it->second.erase(it);
    if (from_it->second.empty()) edges_.erase(from_it);
    return true;
}

const Edge* Graph::find_edge(std::string_view from, std::string_view to) const {
    const auto from_it = edges_.find(from);
    if (from_it == edges_.end()) return nullptr;
    const auto it = from_it->second.find(to);
    return it == from_it->second.end() ? nullptr : &it->second;
}

const Edge* Graph::reverse_of(const Edge& edge) const {
    return find_edge(edge.to, edge.from);
}

const EdgeMap& Graph::edges_of(std::string_view from) const {
    const auto it = edges_.find(from);
    return it == edges_.end() ? no_edges : it->second;
}

bool Graph::add_subnet(std::string_view owner, const net::Subnet& subnet) {
    if (owner.empty()) return false;
    Node& node = ensure_node(owner);
    auto it = owned_subnets_.find(owner);
    if (it == owned_subnets_.end()) it = owned_subnets_.emplace(std::string(owner), OwnedSubnets{}).first;
    if (!it->second.insert(subnet).second) return false;
    subnet_table_.insert(subnet, node);
    return true;
}

bool Graph::remove_subnet(std::string_view owner, const net::Subnet& subnet) {
    const auto it = owned_subnets_.find(owner);
    if (it == owned_subnets_.end() || it->second.erase(subnet) == 0) return false;
    subnet_table_.erase(subnet, *find_node(owner));
    if (it->second.empty()) owned_subnets_.erase(it);
    return true;
}

bool Graph::has_subnet(std::string_view owner, const net::Subnet& subnet) const {
    return subnets_of(owner).contains(subnet);
}

const OwnedSubnets& Graph::subnets_of(std::string_view owner) const {
    const auto it = owned_subnets_.find(owner);
    return it == owned_subnets_.end() ? no_subnets : it->second;
}

}  // namespace sluice::graph
