// Key files on disk: the only file I/O in shared/crypto. The parsers and encoders work on
// text; these functions move that text to and from files with the care keys need
// (permissions, no accidental overwrite, atomic replacement).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "shared/crypto/secret.hpp"
#include "shared/util/result.hpp"

namespace sluice::crypto {

// Writes a private key file with mode 0600.
// Without force the file is created with O_CREAT|O_EXCL, so an existing file (or a
// symlink planted in its place) is never touched: "PATH exists; refusing to overwrite a
// private key without --force". With force the contents go to a 0600 temporary file in
// the same directory that is renamed over the old one, so readers see either the old
// or the new key, never half a file. Data (and the directory entry) are fsync'ed before
// returning.
[[nodiscard]] Status write_private_key_file(const std::filesystem::path& path, std::string_view contents,
                                            bool force);

// Reads a private key file into wiping memory (key files are small; over 1 MiB is
// refused as not a key file).
[[nodiscard]] Result<SecretBuffer> read_private_key_file(const std::filesystem::path& path);

// A warning when group or others have any access to the private key file (like tinc's
// "insecure file permissions" warning), otherwise nullopt. Also nullopt when the file
// cannot be inspected: reading it will then report the real problem.
[[nodiscard]] std::optional<std::string> check_private_key_permissions(const std::filesystem::path& path);

// The new text of a host file after adding keys, without touching the disk:
// * with rsa_public_pem, existing "-----BEGIN/END RSA PUBLIC KEY-----" and
//   "-----BEGIN/END PUBLIC KEY-----" lines become "-----BEGIN/END OLD ...-----", exactly
//   what tinc -K does, so every reader takes the new key;
// * with ed25519_public_line, existing "Ed25519PublicKey = ..." lines become
//   "# old: Ed25519PublicKey = ...";
// then an empty line and the new key material are appended (RSA block first).
[[nodiscard]] std::string host_file_with_new_keys(std::string_view existing,
                                                  std::optional<std::string_view> rsa_public_pem,
                                                  std::optional<std::string_view> ed25519_public_line);

// Applies host_file_with_new_keys to the file at path (created with mode 0644 if
// missing). The file is replaced atomically (temporary file + rename) keeping its
// permission bits; a symlinked host file is updated at its target. With neither key the
// file is left alone.
[[nodiscard]] Status append_public_keys_to_host_file(const std::filesystem::path& path,
                                                     std::optional<std::string_view> rsa_public_pem,
                                                     std::optional<std::string_view> ed25519_public_line);

}  // namespace sluice::crypto
