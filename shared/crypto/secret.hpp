// SecretBuffer: owned bytes that must not outlive their use (private keys, session keys,
// decrypted METAKEY material).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace sluice::crypto {

// A move-only, fixed-size byte buffer that wipes its contents with sodium_memzero (which
// the optimiser may not elide) when it is destroyed, cleared or overwritten by a move.
// Copying is deleted so a secret exists in exactly one place unless the owner asks for a
// copy explicitly with copy_of().
//
// The memory is ordinary heap memory, not mlock()ed: guarded sodium_malloc pages cost
// several pages per buffer, and sluice holds many short-lived session keys.
class SecretBuffer {
public:
    SecretBuffer() noexcept = default;
    // size zero-filled bytes.
    explicit SecretBuffer(std::size_t size);
    [[nodiscard]] static SecretBuffer copy_of(std::span<const std::uint8_t> bytes);
    [[nodiscard]] static SecretBuffer copy_of(std::string_view text);

    ~SecretBuffer();
    SecretBuffer(SecretBuffer&& other) noexcept;
    SecretBuffer& operator=(SecretBuffer&& other) noexcept;
    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::uint8_t* data() noexcept { return bytes_.get(); }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes_.get(); }
    [[nodiscard]] std::span<std::uint8_t> span() noexcept { return {bytes_.get(), size_}; }
    [[nodiscard]] std::span<const std::uint8_t> span() const noexcept { return {bytes_.get(), size_}; }
    // The bytes as text, for secrets that are text (PEM files). Valid while *this lives.
    [[nodiscard]] std::string_view view() const noexcept;

    // Shrinks the logical size to new_size (<= size()), wiping the bytes cut off.
    void truncate(std::size_t new_size) noexcept;
    // Wipes and releases the memory; the buffer becomes empty.
    void clear() noexcept;

    // Constant-time comparison (sodium_memcmp) so that comparing secrets leaks no timing.
    [[nodiscard]] bool equals(std::span<const std::uint8_t> other) const noexcept;

private:
    std::unique_ptr<std::uint8_t[]> bytes_;
    std::size_t size_ = 0;
};

}  // namespace sluice::crypto
