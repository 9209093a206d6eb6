#include "fetcher/http_exchange.h"

#include <algorithm>
#include <cctype>
#include <exception>

#include "fetcher/curl_handle.h"
#include "fetcher/http_error.h"

namespace hubmirror {
namespace {

struct TransferContext {
  CURL* curl = nullptr;
  Response* response = nullptr;
  StreamTarget* target = nullptr;  // null: buffer 2xx bodies (capped)
  std::string what;
  size_t header_bytes = 0;
  bool body_started = false;
  bool streaming = false;  // this answer's body goes to target
  bool aborted = false;
  Status abort_status;
};

void Abort(TransferContext* ctx, Status st) {
  ctx->aborted = true;
  ctx->abort_status = std::move(st);
}

size_t OnHeader(char* data, size_t size, size_t nitems, void* userdata) {
  auto* ctx = static_cast<TransferContext*>(userdata);
  const size_t n = size * nitems;
  try {
    ctx->header_bytes += n;
    if (ctx->header_bytes > kMaxHeaderBytes) {
      Abort(ctx, Status::InvalidArgument(ctx->what + ": upstream response headers too large"));
      return 0;
    }
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.substr(0, 5) == "HTTP/") {  // a new response (after 1xx)
      ctx->response->headers.clear();
      return n;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return n;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    ctx->response->headers.emplace_back(std::move(name), std::string(value));
    return n;
  } catch (const std::exception& e) {
    Abort(ctx, Status::Internal(ctx->what + ": " + e.what()));
    return 0;
  }
}

Status StartBody(TransferContext* ctx) {
  ctx->body_started = true;
  long code = 0;
  curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &code);
  ctx->response->status = static_cast<int>(code);
  ctx->streaming = ctx->target != nullptr && ctx->response->IsSuccess();
  if (ctx->streaming) return ctx->target->Begin(*ctx->response);
  return Status::Ok();
}

size_t OnBody(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* ctx = static_cast<TransferContext*>(userdata);
  const size_t n = size * nmemb;
  try {
    if (!ctx->body_started) {
      Status st = StartBody(ctx);
      if (!st.ok()) {
        Abort(ctx, std::move(st));
        return 0;
      }
    }
    if (ctx->streaming) {
      Status st = ctx->target->Write(data, n);
      if (!st.ok()) {
        Abort(ctx, std::move(st));
        return 0;
      }
      return n;
    }
    std::string& body = ctx->response->body;
    if (ctx->response->IsSuccess()) {
      if (body.size() + n > kMaxMetadataBody) {
        Abort(ctx, Status::InvalidArgument(ctx->what + ": upstream response body exceeds " +
                                           std::to_string(kMaxMetadataBody) + " bytes"));
        return 0;
      }
      body.append(data, n);
    } else if (body.size() < kMaxErrorBody) {  // keep a prefix of error bodies
      body.append(data, std::min(n, kMaxErrorBody - body.size()));
    }
    return n;
  } catch (const std::exception& e) {
    Abort(ctx, Status::Internal(ctx->what + ": " + e.what()));
    return 0;
  }
}

}  // namespace

const char* MethodName(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
  }
  return "GET";
}

const std::string* Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string Response::HeaderOr(std::string_view name) const {
  const std::string* v = Header(name);
  return v ? *v : std::string();
}

std::string Response::JoinedHeader(std::string_view name) const {
  std::string out;
  for (const auto& [k, v] : headers) {
    if (k != name) continue;
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

namespace {

// The mirror's own upstream token, should an upstream echo it in an error.
std::string Redact(std::string text, const std::string& token) {
  if (token.empty()) return text;
  for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
    text.replace(at, token.size(), "<redacted>");
  }
  return text;
}

}  // namespace

Status ErrorAnswerToStatus(Response response, const UpstreamOptions& options,
                           const std::string& what) {
  HttpErrorInfo info{response.status, response.HeaderOr("x-error-code"),
                     Redact(response.HeaderOr("x-error-message"), options.token),
                     Redact(std::move(response.body), options.token)};
  return HttpErrorToStatus(info, what);
}

bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

Result<Response> PerformExchange(CURL* curl, const Request& req, const UpstreamOptions& options,
                                 StreamTarget* target) {
  const std::string what = DescribeRequest(MethodName(req.method), req.url);
  curl_easy_reset(curl);
  Response response;
  TransferContext ctx;
  ctx.curl = curl;
  ctx.response = &response;
  ctx.target = target;
  ctx.what = what;
  char errbuf[CURL_ERROR_SIZE];
  errbuf[0] = '\0';

  CurlHeaderList headers;
  bool ok = true;
  if (!req.bearer.empty()) {
    // A credential of another service (a Xet CAS token): checked like ours.
    for (char c : req.bearer) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return Status::InvalidArgument("a Xet token contains control characters");
      }
    }
    ok &= headers.Append("Authorization: Bearer " + req.bearer);
  } else if (!req.anonymous && !options.token.empty() && SameOrigin(req.url, options.endpoint)) {
    for (char c : options.token) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return Status::InvalidArgument("the upstream token contains control characters");
      }
    }
    ok &= headers.Append("Authorization: Bearer " + options.token);
  }
  if (!req.range.empty()) ok &= headers.Append("Range: " + req.range);
  if (!req.metadata || req.method == Method::kHead) {
    ok &= headers.Append("Accept-Encoding: identity");
  }
  ok &= headers.Append("Expect:");  // no 100-continue round trip for POST
  if (!ok) return Status::Internal(what + ": out of memory building headers");

  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_bytes_per_sec);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.low_speed_time_sec);
  if (req.metadata) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options.metadata_timeout_ms);
    if (req.method != Method::kHead) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  }
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
  // File bodies arrive in pieces of up to this size (curl's default is
  // 16 KiB): every piece costs the store's pipeline a lock and a wake-up of
  // its stages and of the clients streaming the file.
  if (!req.metadata) curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
  switch (req.method) {
    case Method::kGet:
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      break;
    case Method::kHead:
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
      break;
    case Method::kPost:
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(req.post_body.size()));
      curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, req.post_body.c_str());
      break;
  }

  CURLcode rc = curl_easy_perform(curl);
  // Drop our pointers into this stack frame from the reusable handle.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (ctx.aborted) return std::move(ctx.abort_status);
  if (rc != CURLE_OK) return CurlCodeToStatus(rc, errbuf, what);

  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  response.status = static_cast<int>(code);
  if (response.IsRedirect()) {
    char* location = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
      response.redirect_url = location;
    }
  }
  if (target != nullptr && response.IsSuccess() && !ctx.body_started) {
    HM_RETURN_IF_ERROR(StartBody(&ctx));
  }
  return response;
}

}  // namespace hubmirror
