#include "server/xet/xet_signer.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

namespace hubmirror {
namespace {

constexpr std::string_view kTokenPrefix = "hmx1_";
constexpr size_t kKeyBytes = 32;

std::string Hex(const unsigned char* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

bool Unhex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (ec != std::errc() || ptr != hex.data() + i + 2) return false;
    out->push_back(static_cast<char>(value));
  }
  return true;
}

bool SameMac(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

// Closes a POSIX descriptor on every path out.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

XetSigner::XetSigner(std::string key) : key_(std::move(key)) {}

std::string XetSigner::Mac(std::string_view message) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &n);
  return Hex(out, n);
}

std::string XetSigner::IssueToken(std::string_view scope, const XetReadGrant& grant) const {
  const std::string payload = std::string(scope) + "\n" + RepoTypeName(grant.repo.type) + "\n" +
                              grant.repo.id + "\n" + grant.who + "\n" +
                              std::to_string(grant.expires_at);
  const std::string body =
      Hex(reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  return std::string(kTokenPrefix) + body + "." + Mac(payload);
}

Result<XetReadGrant> XetSigner::CheckToken(std::string_view scope, std::string_view token,
                                           int64_t now_seconds) const {
  const Status refused = Status::Unauthenticated(
      "invalid or expired Xet token; ask .../xet-" + std::string(scope) +
      "-token/{revision} for a new one");
  if (!token.starts_with(kTokenPrefix)) return refused;
  token.remove_prefix(kTokenPrefix.size());
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos) return refused;
  std::string payload;
  if (!Unhex(token.substr(0, dot), &payload)) return refused;
  if (!SameMac(Mac(payload), token.substr(dot + 1))) return refused;
  // Signed by us, so well formed; parsed defensively all the same.
  std::vector<std::string_view> fields;
  std::string_view rest = payload;
  for (size_t nl; (nl = rest.find('\n')) != std::string_view::npos; rest.remove_prefix(nl + 1)) {
    fields.push_back(rest.substr(0, nl));
  }
  fields.push_back(rest);
  XetReadGrant grant;
  if (fields.size() != 5 || fields[0] != scope || !IsRepoTypeName(fields[1]) ||
      !ParseNumber(fields[4], &grant.expires_at)) {
    return refused;
  }
  grant.repo.type = RepoTypeFromName(fields[1]);
  grant.repo.id = std::string(fields[2]);
  grant.who = std::string(fields[3]);
  if (grant.expires_at <= now_seconds) return refused;
  return grant;
}

std::string XetSigner::IssueReadToken(const XetReadGrant& grant) const {
  return IssueToken("read", grant);
}

Result<XetReadGrant> XetSigner::CheckReadToken(std::string_view token,
                                               int64_t now_seconds) const {
  return CheckToken("read", token, now_seconds);
}

std::string XetSigner::IssueWriteToken(const XetReadGrant& grant) const {
  return IssueToken("write", grant);
}

Result<XetReadGrant> XetSigner::CheckWriteToken(std::string_view token,
                                                int64_t now_seconds) const {
  return CheckToken("write", token, now_seconds);
}

std::string XetSigner::SignRange(std::string_view xorb_hex, uint64_t first, uint64_t last,
                                 int64_t expires_at) const {
  const std::string range = std::to_string(first) + "-" + std::to_string(last);
  const std::string exp = std::to_string(expires_at);
  return "range=" + range + "&exp=" + exp +
         "&sig=" + Mac("range\n" + std::string(xorb_hex) + "\n" + range + "\n" + exp);
}

Status XetSigner::CheckRange(std::string_view xorb_hex, std::string_view range,
                             std::string_view exp, std::string_view sig, int64_t now_seconds,
                             uint64_t* first, uint64_t* last) const {
  const Status refused =
      Status::PermissionDenied("xorb URL signature invalid or expired; fetch the "
                               "reconstruction again for fresh URLs");
  if (!SameMac(Mac("range\n" + std::string(xorb_hex) + "\n" + std::string(range) + "\n" +
                   std::string(exp)),
               sig)) {
    return refused;
  }
  int64_t expires_at = 0;
  const size_t dash = range.find('-');
  if (!ParseNumber(exp, &expires_at) || dash == std::string_view::npos ||
      !ParseNumber(range.substr(0, dash), first) || !ParseNumber(range.substr(dash + 1), last) ||
      *first > *last) {
    return refused;
  }
  if (expires_at <= now_seconds) return refused;
  return Status::Ok();
}

Result<std::string> LoadOrCreateXetKey(Env* env, const std::string& path) {
  if (!env->FileExists(path)) {
    std::string key(kKeyBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) !=
        1) {
      return Status::Internal("no random bytes for the Xet key");
    }
    // Written with POSIX calls rather than the Env: the file must be created
    // 0600 (it lets whoever reads it mint tokens), which the Env cannot say.
    const std::string tmp = path + ".tmp";
    {
      ScopedFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (fd.get() < 0) {
        return Status::FromErrno(errno, "cannot create " + tmp);
      }
      if (::write(fd.get(), key.data(), key.size()) != static_cast<ssize_t>(key.size()) ||
          ::fsync(fd.get()) != 0) {
        return Status::FromErrno(errno, "cannot write " + tmp);
      }
    }
    HM_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  }
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  HM_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size < kKeyBytes || size > 1024) {
    return Status::InvalidArgument(path + " is not a Xet key (32 to 1024 bytes); delete it to "
                                          "make a new one");
  }
  std::string key(size, '\0');
  HM_RETURN_IF_ERROR(ReadExactlyAt(*file, 0, key.data(), key.size(), path + " shrank"));
  return key;
}

}  // namespace hubmirror
