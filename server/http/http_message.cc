#include "server/http/http_message.h"

#include <algorithm>

namespace hubmirror {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

template <typename Headers>
std::string FirstValue(const Headers& headers, std::string_view name, const char* fallback) {
  auto it = headers.find(name);
  return it == headers.end() ? std::string(fallback) : it->second;
}

}  // namespace

bool HeaderNameLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return Lower(x) < Lower(y); });
}

bool HttpRequest::has_header(std::string_view name) const {
  return headers.find(name) != headers.end();
}

std::string HttpRequest::get_header_value(std::string_view name, const char* fallback) const {
  return FirstValue(headers, name, fallback);
}

void HttpResponse::set_header(std::string_view name, std::string_view value) {
  if (name.find_first_of("\r\n:") != std::string_view::npos) return;
  if (value.find_first_of("\r\n") != std::string_view::npos) return;
  headers.emplace(std::string(name), std::string(value));
}

bool HttpResponse::has_header(std::string_view name) const {
  return headers.find(name) != headers.end();
}

std::string HttpResponse::get_header_value(std::string_view name, const char* fallback) const {
  return FirstValue(headers, name, fallback);
}

void HttpResponse::set_content(std::string content, std::string_view content_type) {
  body = std::move(content);
  producer = nullptr;
  readiness = nullptr;
  content_length = 0;
  headers.erase("Content-Type");
  set_header("Content-Type", content_type);
}

void HttpResponse::set_content_provider(uint64_t length, std::string_view content_type,
                                        BodyProducer body_producer,
                                        BodyReadiness body_readiness) {
  body.clear();
  producer = std::move(body_producer);
  readiness = std::move(body_readiness);
  content_length = length;
  headers.erase("Content-Type");
  set_header("Content-Type", content_type);
}

const char* HttpReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "";
  }
}

}  // namespace hubmirror
