// Internal helpers for the OpenSSL-backed code in shared/crypto: owning pointers for
// OpenSSL objects and a readable rendering of OpenSSL's error queue.
#pragma once

#include <memory>
#include <string>

#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "shared/crypto/openssl_ptr.hpp"

namespace sluice::crypto::detail {

using crypto::OpensslDeleter;

using PkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<&EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslDeleter<&EVP_PKEY_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpensslDeleter<&OSSL_PARAM_BLD_free>>;
// OSSL_PARAM_BLD_to_param puts the digits of BIGNUMs flagged BN_FLG_SECURE (made with
// BN_secure_new) in a separate block that OSSL_PARAM_free wipes; everything else is freed
// without wiping. So private values must be pushed from secure BIGNUMs.
using ParamPtr = std::unique_ptr<OSSL_PARAM, OpensslDeleter<&OSSL_PARAM_free>>;
using EncoderCtxPtr = std::unique_ptr<OSSL_ENCODER_CTX, OpensslDeleter<&OSSL_ENCODER_CTX_free>>;
using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, OpensslDeleter<&OSSL_DECODER_CTX_free>>;
// BN_clear_free wipes the digits: these BIGNUMs may hold a private exponent.
using BignumPtr = std::unique_ptr<BIGNUM, OpensslDeleter<&BN_clear_free>>;

// Drains OpenSSL's thread-local error queue into one line ("reason; reason"), or
// "unknown OpenSSL error" when it is empty. Call it right after a failed OpenSSL call;
// call ERR_clear_error() before a sequence of calls so stale errors are not blamed.
[[nodiscard]] std::string take_openssl_errors();

}  // namespace sluice::crypto::detail
