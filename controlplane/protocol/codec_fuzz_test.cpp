// Runs the libFuzzer target (tests/fuzz/codec_fuzz_target.cpp) without libFuzzer: over the
// seed corpus, then over seeded random mutations of it. Deterministic, so a failure
// reproduces; the target aborts on a broken property, and this test checks that the
// mutations actually reached every request type and the reject paths.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/protocol/request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace sluice::protocol::fuzz {
std::array<std::size_t, 18>& accepted_by_type();
std::size_t& rejected_lines();
}  // namespace sluice::protocol::fuzz

namespace {

using Bytes = std::vector<std::uint8_t>;

std::vector<Bytes> load_seeds() {
    const char* root = std::getenv("SLUICE_SOURCE_ROOT");
    std::filesystem::path dir =
        std::filesystem::path(root != nullptr ? root : ".") / "tests/fuzz/corpus/codec";
    INFO("seed corpus " << dir << " (set SLUICE_SOURCE_ROOT to the source tree)");
    REQUIRE(std::filesystem::is_directory(dir));
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());  // directory order is not stable; the mutations must be
    std::vector<Bytes> seeds;
    for (const auto& path : paths) {
        std::ifstream in(path, std::ios::binary);
        seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return seeds;
}

void run(const Bytes& input) {
    LLVMFuzzerTestOneInput(input.data(), input.size());
}

class Mutator {
public:
    Mutator(const std::vector<Bytes>& seeds, std::uint64_t seed) : seeds_(seeds), rng_(seed) {}

    Bytes next() {
        Bytes out = seeds_[below(seeds_.size())];
        for (std::size_t n = 1 + below(4); n > 0; --n) mutate(out);
        return out;
    }

private:
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n); }

    // Bytes that sit on the codec's decision boundaries.
    std::uint8_t interesting_byte() {
        static constexpr std::array<std::uint8_t, 20> bytes = {' ', '\t', '\n', '\r', '\0', '0', '1',
                                                               '7', '9',  '-',  '+',  '.',  ':', '/',
                                                               '#', 'f',  'G',  '_',  0x7f, 0xff};
        return below(2) == 0 ? bytes[below(bytes.size())] : static_cast<std::uint8_t>(rng_());
    }

    // [begin, end) of a random blank-delimited token, or an empty range.
    std::pair<std::size_t, std::size_t> token(const Bytes& b) {
        if (b.empty()) return {0, 0};
        std::size_t begin = below(b.size());
        while (begin > 0 && b[begin - 1] != ' ' && b[begin - 1] != '\n') --begin;
        std::size_t end = begin;
        while (end < b.size() && b[end] != ' ' && b[end] != '\n') ++end;
        return {begin, end};
    }

    void mutate(Bytes& b) {
        switch (below(7)) {
            case 0:  // flip a bit
                if (!b.empty()) b[below(b.size())] ^= static_cast<std::uint8_t>(1u << below(8));
                break;
            case 1:  // overwrite a byte
                if (!b.empty()) b[below(b.size())] = interesting_byte();
                break;
            case 2:  // insert a byte
                b.insert(b.begin() + static_cast<std::ptrdiff_t>(below(b.size() + 1)), interesting_byte());
                break;
            case 3:  // truncate
                b.resize(below(b.size() + 1));
                break;
            case 4: {  // duplicate a token (an extra field, or a doubled one)
                auto [begin, end] = token(b);
                Bytes copy(b.begin() + static_cast<std::ptrdiff_t>(begin),
                           b.begin() + static_cast<std::ptrdiff_t>(end));
                copy.insert(copy.begin(), ' ');
                b.insert(b.begin() + static_cast<std::ptrdiff_t>(end), copy.begin(), copy.end());
                break;
            }
            case 5: {  // delete a token
                auto [begin, end] = token(b);
                b.erase(b.begin() + static_cast<std::ptrdiff_t>(begin),
                        b.begin() + static_cast<std::ptrdiff_t>(end));
                break;
            }
            default: {  // splice: a prefix of this input and a suffix of another seed
                const Bytes& other = seeds_[below(seeds_.size())];
                b.resize(below(b.size() + 1));
                b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(below(other.size() + 1)),
                         other.end());
                break;
            }
        }
    }

    const std::vector<Bytes>& seeds_;
    std::mt19937_64 rng_;
};

}  // namespace

TEST_CASE("the codec fuzz target holds its properties over the seeds and 200k mutations") {
    const std::vector<Bytes> seeds = load_seeds();
    REQUIRE(seeds.size() >= 12);

    auto& accepted = sluice::protocol::fuzz::accepted_by_type();
    auto& rejected = sluice::protocol::fuzz::rejected_lines();
    accepted.fill(0);
    rejected = 0;

    // The seeds alone are lines tinc really sends: all of them must parse.
    for (const auto& seed : seeds) run(seed);
    CHECK(rejected == 0);

    const auto start = std::chrono::steady_clock::now();
    Mutator mutator(seeds, 0xC0DECULL);
    for (int i = 0; i < 200'000; ++i) run(mutator.next());
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO("200000 mutations in " << elapsed << " s; " << rejected << " lines rejected");
    CHECK(elapsed < 10.0);  // the budget for this test, sanitizers included

    CHECK(rejected > 10'000);
    using sluice::protocol::RequestType;
    for (RequestType type :
         {RequestType::id, RequestType::metakey, RequestType::challenge, RequestType::chal_reply,
          RequestType::ack, RequestType::ping, RequestType::pong, RequestType::add_subnet,
          RequestType::del_subnet, RequestType::add_edge, RequestType::del_edge, RequestType::key_changed,
          RequestType::req_key, RequestType::ans_key, RequestType::packet}) {
        INFO(sluice::protocol::request_name(type));
        CHECK(accepted[static_cast<std::size_t>(type)] > 100);
    }
}
