// Test-only: lets Catch2 print a Result's error message when REQUIRE(result) fails,
// instead of the opaque "{?}".
#pragma once

#include <expected>
#include <string>

#include <catch2/catch.hpp>

#include "shared/util/result.hpp"

namespace Catch {

template <typename T>
struct StringMaker<std::expected<T, sluice::Error>> {
    static std::string convert(const std::expected<T, sluice::Error>& result) {
        return result ? std::string("ok") : "error: " + result.error().message;
    }
};

}  // namespace Catch
