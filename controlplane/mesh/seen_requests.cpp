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

namespace {

// The third space-separated token: the owner, origin or "from" of a flooded request
// ("10 <nonce> <owner> ...", "12 <nonce> <from> <to> ...", "14 <nonce> <origin>").
std::string_view originator(std::string_view line) {
    for (int skip = 0; skip < 2; ++skip) {
        const auto space = line.find(' ');
        if (space == std::string_view::npos) return {};
        line.remove_prefix(space + 1);
    }
    return line.substr(0, line.find(' '));
}

}  // namespace

std::size_t SeenRequests::forget_originated_by(std::string_view node) {
    std::size_t removed = 0;
    for (auto it = first_seen_.begin(); it != first_seen_.end();) {
        if (originator(it->first) == node) {
            it = first_seen_.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

}  // namespace sluice::mesh
