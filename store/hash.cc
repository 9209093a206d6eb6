#include "store/hash.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace hubmirror {
namespace {

// RAII for an OpenSSL digest context.
struct EvpCtx {
  explicit EvpCtx(const EVP_MD* md) : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1) std::abort();
  }
  ~EvpCtx() { EVP_MD_CTX_free(ctx); }
  EvpCtx(const EvpCtx&) = delete;
  EvpCtx& operator=(const EvpCtx&) = delete;

  void Update(const char* data, size_t n) { EVP_DigestUpdate(ctx, data, n); }
  std::string FinishHex() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, out, &len);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex(len * 2, '0');
    for (unsigned int i = 0; i < len; ++i) {
      hex[2 * i] = kHex[out[i] >> 4];
      hex[2 * i + 1] = kHex[out[i] & 0xf];
    }
    return hex;
  }

  EVP_MD_CTX* ctx;
};

}  // namespace

struct Sha256Hasher::Impl {
  EvpCtx ctx{EVP_sha256()};
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {}
Sha256Hasher::~Sha256Hasher() = default;
void Sha256Hasher::Update(const char* data, size_t n) { impl_->ctx.Update(data, n); }
std::string Sha256Hasher::FinishHex() { return impl_->ctx.FinishHex(); }

struct GitBlobHasher::Impl {
  EvpCtx ctx{EVP_sha1()};
};

GitBlobHasher::GitBlobHasher(uint64_t size) : impl_(std::make_unique<Impl>()) {
  std::string header = "blob " + std::to_string(size);
  header.push_back('\0');
  impl_->ctx.Update(header.data(), header.size());
}
GitBlobHasher::~GitBlobHasher() = default;
void GitBlobHasher::Update(const char* data, size_t n) { impl_->ctx.Update(data, n); }
std::string GitBlobHasher::FinishHex() { return impl_->ctx.FinishHex(); }

std::string Sha256Hex(std::string_view data) {
  Sha256Hasher h;
  h.Update(data.data(), data.size());
  return h.FinishHex();
}

std::string GitBlobSha1Hex(std::string_view data) {
  GitBlobHasher h(data.size());
  h.Update(data.data(), data.size());
  return h.FinishHex();
}

std::string GitObjectSha1Hex(std::string_view type, std::string_view content) {
  EvpCtx ctx(EVP_sha1());
  std::string header = std::string(type) + " " + std::to_string(content.size());
  header.push_back('\0');
  ctx.Update(header.data(), header.size());
  ctx.Update(content.data(), content.size());
  return ctx.FinishHex();
}

bool IsLowerHex(std::string_view s, size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace hubmirror
