#include "tests/fakehub/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace fakehub {
namespace {

std::string ToHex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string DigestHex(const EVP_MD* md, std::string_view prefix, std::string_view data) {
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &out_len) != 1) {
    std::fprintf(stderr, "fakehub: OpenSSL digest failed\n");
    std::abort();
  }
  return ToHex(out, out_len);
}

}  // namespace

std::string Sha256Hex(std::string_view data) { return DigestHex(EVP_sha256(), "", data); }

std::string Sha1Hex(std::string_view data) { return DigestHex(EVP_sha1(), "", data); }

std::string GitBlobSha1Hex(std::string_view data) {
  std::string header = "blob " + std::to_string(data.size());
  header.push_back('\0');
  return DigestHex(EVP_sha1(), header, data);
}

std::optional<FileDigests> DigestContent(const BlobBytes& bytes) {
  MdCtxPtr sha256(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  MdCtxPtr sha1(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::string header = "blob " + std::to_string(bytes.size());
  header.push_back('\0');
  if (!sha256 || !sha1 || EVP_DigestInit_ex(sha256.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestInit_ex(sha1.get(), EVP_sha1(), nullptr) != 1 ||
      EVP_DigestUpdate(sha1.get(), header.data(), header.size()) != 1) {
    return std::nullopt;
  }
  std::vector<char> buf(4 << 20);
  for (uint64_t offset = 0; offset < bytes.size();) {
    size_t got = bytes.Read(offset, buf.data(), buf.size());
    if (got == 0) return std::nullopt;
    if (EVP_DigestUpdate(sha256.get(), buf.data(), got) != 1 ||
        EVP_DigestUpdate(sha1.get(), buf.data(), got) != 1) {
      return std::nullopt;
    }
    offset += got;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  FileDigests digests;
  if (EVP_DigestFinal_ex(sha256.get(), out, &out_len) != 1) return std::nullopt;
  digests.sha256 = ToHex(out, out_len);
  if (EVP_DigestFinal_ex(sha1.get(), out, &out_len) != 1) return std::nullopt;
  digests.git_sha1 = ToHex(out, out_len);
  return digests;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &out_len) == nullptr) {
    std::fprintf(stderr, "fakehub: OpenSSL HMAC failed\n");
    std::abort();
  }
  return ToHex(out, out_len);
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::fprintf(stderr, "fakehub: RAND_bytes failed\n");
    std::abort();
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace fakehub
