#include "fetcher/curl_handle.h"

#include <cctype>

namespace hubmirror {
namespace {

// Returns the URL part as a std::string, or nullopt if curl has none.
std::optional<std::string> UrlPart(CURLU* u, CURLUPart part, unsigned int flags) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool CurlHeaderList::Append(const std::string& line) {
  curl_slist* head = list_.release();
  curl_slist* next = curl_slist_append(head, line.c_str());
  if (next == nullptr) {
    list_.reset(head);  // curl leaves the old list untouched on failure
    return false;
  }
  list_.reset(next);
  return true;
}

CurlEasyPtr NewCurlEasy() { return CurlEasyPtr(curl_easy_init()); }

std::optional<std::string> UrlOrigin(const std::string& url) {
  CurlUrlPtr u(curl_url());
  if (!u) return std::nullopt;
  // Without CURLU_GUESS_SCHEME / CURLU_DEFAULT_SCHEME a URL lacking a scheme
  // is rejected, which is what we want.
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  auto scheme = UrlPart(u.get(), CURLUPART_SCHEME, 0);
  auto host = UrlPart(u.get(), CURLUPART_HOST, 0);
  auto port = UrlPart(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port) return std::nullopt;
  std::string s = Lower(*scheme);
  if (s != "http" && s != "https") return std::nullopt;
  return s + "://" + Lower(*host) + ":" + *port;
}

bool SameOrigin(const std::string& a, const std::string& b) {
  auto oa = UrlOrigin(a);
  auto ob = UrlOrigin(b);
  return oa && ob && *oa == *ob;
}

}  // namespace hubmirror
