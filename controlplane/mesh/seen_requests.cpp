#include "controlplane/mesh/seen_requests.hpp"

namespace sluice::mesh {

bool SeenRequests::seen_before(std::string_view line, TimePoint now) {
    if (first_seen_.find(line) != first_seen_.end()) return true;
    first_seen_.emplace(std::string(line), now);
    return false;
}

std::size_t SeenRequests::age(TimePoint now, Duration lifetime) {
    std::size_t removed = 0;
    for (auto it = first_seen_.begin(); it != first_seen_.end();) {
        if (it->second + lifetime <= now) {
            it = first_seen_.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

}  // namespace sluice::mesh
