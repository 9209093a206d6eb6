// RAII owners for libcurl handles, and the origin comparison that decides
// whether a URL may receive the upstream token.
//
// No global state: curl_global_init() is the program's job (main() or a test
// environment), before the first handle is made.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>

namespace hubmirror {

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlUrlPtr = std::unique_ptr<CURLU, CurlUrlDeleter>;

// A header list built up with Append(); owns every node.
class CurlHeaderList {
 public:
  CurlHeaderList() = default;
  CurlHeaderList(CurlHeaderList&&) = default;
  CurlHeaderList& operator=(CurlHeaderList&&) = default;

  // Adds "Name: value" (or "Name:" to suppress a default curl header).
  // Returns false when curl could not allocate.
  bool Append(const std::string& line);
  curl_slist* get() const { return list_.get(); }

 private:
  std::unique_ptr<curl_slist, CurlSlistDeleter> list_;
};

// A fresh easy handle, or nullptr when curl cannot allocate one.
CurlEasyPtr NewCurlEasy();

// scheme://host:port of an absolute http(s) URL, lower-cased, with the
// default port made explicit ("https://hf.co:443"); nullopt when the URL is
// not an absolute http or https URL.
std::optional<std::string> UrlOrigin(const std::string& url);

// True when both URLs are absolute http(s) URLs with the same origin.
bool SameOrigin(const std::string& a, const std::string& b);

}  // namespace hubmirror
