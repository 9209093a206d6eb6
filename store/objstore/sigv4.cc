#include "store/objstore/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace hubmirror {
namespace {

std::string Hex(const unsigned char* data, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return Hex(digest, sizeof(digest));
}

std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Trim(const std::string& v) {
  size_t a = v.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  size_t b = v.find_last_not_of(" \t");
  // Sequential spaces inside a value become one.
  std::string out;
  bool space = false;
  for (size_t i = a; i <= b; ++i) {
    if (v[i] == ' ' || v[i] == '\t') {
      if (!space) out += ' ';
      space = true;
    } else {
      out += v[i];
      space = false;
    }
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Sorted lower-case names with their trimmed values; a repeated name's
// values joined by commas in the order given.
std::vector<std::pair<std::string, std::string>> CanonicalHeaders(const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : r.headers) {
    std::string n = Lower(name);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& h) { return h.first == n; });
    if (it != out.end()) {
      it->second += "," + Trim(value);
    } else {
      out.emplace_back(n, Trim(value));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string SignedHeaderNames(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  for (const auto& h : headers) {
    if (!out.empty()) out += ';';
    out += h.first;
  }
  return out;
}

}  // namespace

std::string AwsUriEncode(const std::string& text, bool keep_slash) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string SigV4CanonicalRequest(const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : r.query) query.emplace_back(AwsUriEncode(k, false), AwsUriEncode(v, false));
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query) {
    if (!canonical_query.empty()) canonical_query += '&';
    canonical_query += k + "=" + v;
  }
  const auto headers = CanonicalHeaders(r);
  std::string canonical_headers;
  for (const auto& [n, v] : headers) canonical_headers += n + ":" + v + "\n";
  return r.method + "\n" + AwsUriEncode(r.path.empty() ? "/" : r.path, true) + "\n" +
         canonical_query + "\n" + canonical_headers + "\n" + SignedHeaderNames(headers) + "\n" +
         r.payload_sha256;
}

std::string SigV4Authorization(const SigV4Request& r, const AwsCredentials& credentials) {
  const std::string date = r.amz_date.substr(0, 8);
  const std::string scope = date + "/" + r.region + "/" + r.service + "/aws4_request";
  const std::string string_to_sign = "AWS4-HMAC-SHA256\n" + r.amz_date + "\n" + scope + "\n" +
                                     Sha256Hex(SigV4CanonicalRequest(r));
  std::string key = Hmac("AWS4" + credentials.secret_access_key, date);
  key = Hmac(key, r.region);
  key = Hmac(key, r.service);
  key = Hmac(key, "aws4_request");
  const std::string mac = Hmac(key, string_to_sign);
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
         ",SignedHeaders=" + SignedHeaderNames(CanonicalHeaders(r)) +
         ",Signature=" + Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

}  // namespace hubmirror
