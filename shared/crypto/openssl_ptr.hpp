// Owning handles for OpenSSL objects: one deleter template for every *_free function, so each
// module does not grow its own.
#pragma once

#include <memory>

#include <openssl/evp.h>

namespace sluice::crypto {

template <auto Free>
struct OpensslDeleter {
    template <typename T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};

template <typename T, auto Free>
using OpensslPtr = std::unique_ptr<T, OpensslDeleter<Free>>;

using EvpCipherPtr = OpensslPtr<EVP_CIPHER, &EVP_CIPHER_free>;
using EvpMdPtr = OpensslPtr<EVP_MD, &EVP_MD_free>;
using EvpMacPtr = OpensslPtr<EVP_MAC, &EVP_MAC_free>;
// The contexts' free functions wipe the key schedules they hold.
using EvpCipherCtxPtr = OpensslPtr<EVP_CIPHER_CTX, &EVP_CIPHER_CTX_free>;
using EvpMacCtxPtr = OpensslPtr<EVP_MAC_CTX, &EVP_MAC_CTX_free>;

}  // namespace sluice::crypto
