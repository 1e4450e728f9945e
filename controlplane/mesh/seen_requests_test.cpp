#include "controlplane/mesh/seen_requests.hpp"

#include <catch2/catch.hpp>

using namespace sluice;
using sluice::mesh::SeenRequests;

TEST_CASE("a flooded line is processed once, until it ages out") {
    SeenRequests seen;
    const TimePoint t0{};
    CHECK_FALSE(seen.seen_before("12 55691a94 alpha beta 198.18.0.2 655 c 3", t0));
    CHECK(seen.seen_before("12 55691a94 alpha beta 198.18.0.2 655 c 3", t0 + seconds(30)));
    // Same change, new nonce: a new origination, processed again.
    CHECK_FALSE(seen.seen_before("12 1a alpha beta 198.18.0.2 655 c 3", t0 + seconds(30)));

    CHECK(seen.age(t0 + seconds(59), seconds(60)) == 0);
    CHECK(seen.age(t0 + seconds(60), seconds(60)) == 1);
    CHECK(seen.size() == 1);
    CHECK_FALSE(seen.seen_before("12 55691a94 alpha beta 198.18.0.2 655 c 3", t0 + seconds(61)));
}

TEST_CASE("a node that connects afresh may repeat its old lines") {
    SeenRequests seen;
    const TimePoint t0{};
    CHECK_FALSE(seen.seen_before("10 262c2e84 beta 198.19.0.2/32#10", t0));
    CHECK_FALSE(seen.seen_before("12 2ab0c76a beta alpha 198.18.1.1 655 b 1", t0));
    CHECK_FALSE(seen.seen_before("12 1b alpha beta 198.18.1.2 655 b 1", t0));
    CHECK_FALSE(seen.seen_before("14 5 beta", t0));
    CHECK(seen.forget_originated_by("beta") == 3);
    CHECK_FALSE(seen.seen_before("10 262c2e84 beta 198.19.0.2/32#10", t0));
    CHECK(seen.seen_before("12 1b alpha beta 198.18.1.2 655 b 1", t0));
}
