#include "shared/crypto/secret.hpp"

#include <algorithm>
#include <utility>

#include <sodium.h>

namespace sluice::crypto {

SecretBuffer::SecretBuffer(std::size_t size)
    // Value-initialised (zeroed) so that a buffer filled only partially never exposes
    // stale heap contents.
    : bytes_(size == 0 ? nullptr : std::make_unique<std::uint8_t[]>(size)), size_(size) {}

SecretBuffer SecretBuffer::copy_of(std::span<const std::uint8_t> bytes) {
    SecretBuffer out(bytes.size());
    std::copy(bytes.begin(), bytes.end(), out.data());
    return out;
}

SecretBuffer SecretBuffer::copy_of(std::string_view text) {
    SecretBuffer out(text.size());
    std::transform(text.begin(), text.end(), out.data(), [](char c) { return static_cast<std::uint8_t>(c); });
    return out;
}

SecretBuffer::~SecretBuffer() {
    clear();
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : bytes_(std::move(other.bytes_)), size_(std::exchange(other.size_, 0)) {}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
    if (this != &other) {
        clear();  // our old secret must not linger in freed heap memory
        bytes_ = std::move(other.bytes_);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

std::string_view SecretBuffer::view() const noexcept {
    // uint8_t and char may alias each other; reinterpret_cast is the only spelling.
    return {reinterpret_cast<const char*>(bytes_.get()), size_};
}

void SecretBuffer::truncate(std::size_t new_size) noexcept {
    if (new_size >= size_) return;
    sodium_memzero(bytes_.get() + new_size, size_ - new_size);
    size_ = new_size;
}

void SecretBuffer::clear() noexcept {
    if (bytes_ != nullptr) {
        // Wipe the whole allocation: truncate() may have shrunk size_, but it already
        // wiped the tail, so size_ bytes are all that can still hold secret data.
        sodium_memzero(bytes_.get(), size_);
        bytes_.reset();
    }
    size_ = 0;
}

bool SecretBuffer::equals(std::span<const std::uint8_t> other) const noexcept {
    if (other.size() != size_) return false;
    if (size_ == 0) return true;
    return sodium_memcmp(bytes_.get(), other.data(), size_) == 0;
}

}  // namespace sluice::crypto
