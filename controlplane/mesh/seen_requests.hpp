// tinc's past-request cache (spec 1.3): a flooded request is processed and forwarded once;
// the identical line (nonce included) arriving again within about PingInterval is dropped.
// Keyed on the whole line, so two originations of the same change with different nonces
// are both processed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "shared/util/clock.hpp"

namespace sluice::mesh {

class SeenRequests {
public:
    // True when `line` was seen before (and is still remembered); otherwise remembers it.
    [[nodiscard]] bool seen_before(std::string_view line, TimePoint now);

    // Forgets entries first seen at least `lifetime` ago (tinc: PingInterval, checked
    // every PingTimeout). Returns how many were forgotten.
    std::size_t age(TimePoint now, Duration lifetime);

    // Forgets the lines `node` originated (ADD/DEL_SUBNET and KEY_CHANGED it owns, ADD/DEL_EDGE
    // from it). Called when a node connects afresh: tincd seeds rand() with the time, so a
    // tincd restarted within the same second floods byte-identical lines (same nonces), which
    // the cache would otherwise drop for a minute and leave the node unreachable.
    std::size_t forget_originated_by(std::string_view node);

    [[nodiscard]] std::size_t size() const { return first_seen_.size(); }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, TimePoint, Hash, std::equal_to<>> first_seen_;
};

}  // namespace sluice::mesh
