#include "store/objstore/s3_storage.h"

#include <curl/curl.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <thread>

namespace hubmirror {
namespace {

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string AmzDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// The text of the first <tag>...</tag> of an S3 answer; "" when absent.
std::string XmlText(const std::string& xml, const std::string& tag) {
  const std::string open = "<" + tag + ">";
  const std::string close = "</" + tag + ">";
  size_t a = xml.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  size_t b = xml.find(close, a);
  if (b == std::string::npos) return "";
  std::string text = xml.substr(a, b - a);
  // The five XML entities S3 escapes keys with.
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      static const std::pair<const char*, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
      bool done = false;
      for (const auto& [entity, c] : kEntities) {
        if (text.compare(i, std::strlen(entity), entity) == 0) {
          out += c;
          i += std::strlen(entity) - 1;
          done = true;
          break;
        }
      }
      if (!done) out += '&';
    } else {
      out += text[i];
    }
  }
  return out;
}

size_t CollectBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t CollectHeader(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.pop_back();
    }
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    static_cast<std::vector<std::pair<std::string, std::string>>*>(user)->emplace_back(name, value);
  }
  return size * n;
}

// [offset, offset + n) of a local file.
Status ReadLocal(const RandomAccessFile& file, uint64_t offset, uint64_t n, std::string* out) {
  out->resize(n);
  uint64_t done = 0;
  while (done < n) {
    HM_ASSIGN_OR_RETURN(size_t got, file.ReadAt(offset + done, out->data() + done, n - done));
    if (got == 0) return Status::DataLoss("local file ended before its size");
    done += got;
  }
  return Status::Ok();
}

}  // namespace

std::string S3Storage::Response::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

Status ResolveS3Options(S3Options* o) {
  if (o->bucket.empty()) {
    return Status::InvalidArgument("[store.s3] bucket is empty: name the bucket xorbs go to");
  }
  if (o->region.empty()) o->region = EnvOr("AWS_REGION", EnvOr("AWS_DEFAULT_REGION", "us-east-1"));
  if (o->endpoint.empty()) {
    o->endpoint = EnvOr("AWS_ENDPOINT_URL", "https://s3." + o->region + ".amazonaws.com");
  }
  while (!o->endpoint.empty() && o->endpoint.back() == '/') o->endpoint.pop_back();
  if (o->endpoint.rfind("http://", 0) != 0 && o->endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("[store.s3] endpoint '" + o->endpoint +
                                   "' must start with http:// or https://");
  }
  if (o->credentials.access_key_id.empty()) {
    o->credentials.access_key_id = EnvOr("AWS_ACCESS_KEY_ID", "");
    o->credentials.secret_access_key = EnvOr("AWS_SECRET_ACCESS_KEY", "");
    o->credentials.session_token = EnvOr("AWS_SESSION_TOKEN", "");
  }
  if (o->credentials.access_key_id.empty() || o->credentials.secret_access_key.empty()) {
    return Status::InvalidArgument(
        "[store.s3] has no credentials: set access_key_id and secret_access_key, or "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  if (o->part_bytes < (uint64_t{5} << 20)) {
    return Status::InvalidArgument("[store.s3] part size must be at least 5 MiB (S3's minimum)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<S3Storage>> S3Storage::Open(Env* env, S3Options options) {
  HM_RETURN_IF_ERROR(ResolveS3Options(&options));
  return std::unique_ptr<S3Storage>(new S3Storage(env, std::move(options)));
}

S3Storage::S3Storage(Env* env, S3Options options) : env_(env), options_(std::move(options)) {
  const size_t scheme_end = options_.endpoint.find("://") + 3;
  const std::string scheme = options_.endpoint.substr(0, scheme_end);
  std::string host = options_.endpoint.substr(scheme_end);
  if (size_t slash = host.find('/'); slash != std::string::npos) host.resize(slash);
  host_ = options_.path_style ? host : options_.bucket + "." + host;
  scheme_host_ = scheme + host_;
  where_ = "s3://" + options_.bucket + "/" + options_.prefix + " at " + options_.endpoint;
}

S3Storage::~S3Storage() {
  for (void* h : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(h));
}

Result<S3Storage::Response> S3Storage::SendOnce(const Request& request) {
  std::string path = "/";
  if (options_.path_style) path += options_.bucket + (request.key.empty() ? "" : "/");
  if (!request.key.empty()) path += options_.prefix + request.key;

  SigV4Request sig;
  sig.method = request.method;
  sig.path = path;
  sig.query = request.query;
  sig.region = options_.region;
  sig.amz_date = AmzDate(env_->NowMicros() / 1000000);
  sig.payload_sha256 = request.body != nullptr ? Sha256Hex(*request.body) : kEmptySha256;
  sig.headers = request.headers;
  sig.headers.emplace_back("host", host_);
  sig.headers.emplace_back("x-amz-date", sig.amz_date);
  sig.headers.emplace_back("x-amz-content-sha256", sig.payload_sha256);
  if (!options_.credentials.session_token.empty()) {
    sig.headers.emplace_back("x-amz-security-token", options_.credentials.session_token);
  }
  const std::string authorization = SigV4Authorization(sig, options_.credentials);

  std::string url = scheme_host_ + AwsUriEncode(path, true);
  for (size_t i = 0; i < request.query.size(); ++i) {
    url += (i == 0 ? "?" : "&") + AwsUriEncode(request.query[i].first, false) + "=" +
           AwsUriEncode(request.query[i].second, false);
  }

  CURL* curl = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_handles_.empty()) {
      curl = static_cast<CURL*>(idle_handles_.back());
      idle_handles_.pop_back();
    }
  }
  if (curl == nullptr) curl = curl_easy_init();
  if (curl == nullptr) return Status::ResourceExhausted("s3: curl_easy_init failed");
  curl_easy_reset(curl);

  curl_slist* headers = nullptr;
  for (const auto& [n, v] : sig.headers) headers = curl_slist_append(headers, (n + ": " + v).c_str());
  headers = curl_slist_append(headers, ("Authorization: " + authorization).c_str());
  headers = curl_slist_append(headers, "Expect:");
  if (request.body != nullptr) {
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
  }

  Response response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body->size()));
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_handles_.size() < 32) {
      idle_handles_.push_back(curl);
      curl = nullptr;
    }
  }
  if (curl != nullptr) curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Status::Unavailable("s3: " + request.method + " " + url + ": " +
                               curl_easy_strerror(rc));
  }
  return response;
}

Result<S3Storage::Response> S3Storage::Send(const Request& request) {
  Status last = Status::Ok();
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
    Result<Response> r = SendOnce(request);
    if (!r.ok()) {
      last = r.status();
      continue;
    }
    if (r->status >= 500 || r->status == 429) {
      last = ErrorOf(request, *r);
      continue;
    }
    return r;
  }
  return last;
}

Status S3Storage::ErrorOf(const Request& request, const Response& response) const {
  std::string code = XmlText(response.body, "Code");
  std::string message = XmlText(response.body, "Message");
  std::string what = "s3: " + request.method + " " + (request.key.empty() ? "bucket" : request.key) +
                     " in " + where_ + ": HTTP " + std::to_string(response.status) +
                     (code.empty() ? "" : " " + code) + (message.empty() ? "" : " (" + message + ")");
  if (response.status == 404) return Status::NotFound(std::move(what));
  if (response.status == 403 || response.status == 401) {
    return Status::PermissionDenied(what + "; check the credentials, region and clock");
  }
  if (response.status >= 500 || response.status == 429) return Status::Unavailable(std::move(what));
  return Status::Internal(std::move(what));
}

Status S3Storage::PutFile(const std::string& key, const std::string& local_path) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env_->NewRandomAccessFile(local_path));
  HM_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size >= options_.multipart_from_bytes) return PutMultipart(key, *file, size);
  std::string body;
  HM_RETURN_IF_ERROR(ReadLocal(*file, 0, size, &body));
  Request req{"PUT", key, {}, {}, &body};
  HM_ASSIGN_OR_RETURN(Response r, Send(req));
  if (r.status != 200) return ErrorOf(req, r);
  return Status::Ok();
}

Status S3Storage::PutMultipart(const std::string& key, const RandomAccessFile& file,
                               uint64_t size) {
  Request create{"POST", key, {{"uploads", ""}}, {}, nullptr};
  HM_ASSIGN_OR_RETURN(Response created, Send(create));
  if (created.status != 200) return ErrorOf(create, created);
  const std::string upload_id = XmlText(created.body, "UploadId");
  if (upload_id.empty()) return Status::Internal("s3: no UploadId in the answer for " + key);
  auto abort = [&] {
    Request req{"DELETE", key, {{"uploadId", upload_id}}, {}, nullptr};
    (void)Send(req);
  };
  std::string complete = "<CompleteMultipartUpload>";
  int part = 1;
  std::string body;
  for (uint64_t off = 0; off < size; off += options_.part_bytes, ++part) {
    if (Status s = ReadLocal(file, off, std::min(options_.part_bytes, size - off), &body);
        !s.ok()) {
      abort();
      return s;
    }
    Request req{"PUT", key, {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}}, {},
                &body};
    Result<Response> r = Send(req);
    if (!r.ok() || r->status != 200) {
      abort();
      return r.ok() ? ErrorOf(req, *r) : r.status();
    }
    complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" +
                r->Header("etag") + "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  Request done{"POST", key, {{"uploadId", upload_id}}, {}, &complete};
  Result<Response> r = Send(done);
  // S3 may answer 200 with an <Error> body when completion fails late.
  if (!r.ok() || r->status != 200 || r->body.find("<Error>") != std::string::npos) {
    abort();
    return r.ok() ? ErrorOf(done, *r) : r.status();
  }
  return Status::Ok();
}

Status S3Storage::GetRange(const std::string& key, uint64_t offset, uint64_t n, std::string* out) {
  out->clear();
  if (n == 0) return Status::Ok();
  Request req{"GET", key, {}, {{"range", "bytes=" + std::to_string(offset) + "-" +
                                             std::to_string(offset + n - 1)}},
              nullptr};
  HM_ASSIGN_OR_RETURN(Response r, Send(req));
  if (r.status == 416) return Status::Ok();  // at or past the end
  if (r.status != 206 && r.status != 200) return ErrorOf(req, r);
  if (r.status == 200) {
    // A server that ignores Range sends the whole object.
    r.body = offset < r.body.size() ? r.body.substr(offset, n) : std::string();
  }
  if (r.body.size() > n) {
    return Status::Internal("s3: GET " + key + " answered " + std::to_string(r.body.size()) +
                            " bytes for a range of " + std::to_string(n));
  }
  *out = std::move(r.body);
  return Status::Ok();
}

Result<std::optional<uint64_t>> S3Storage::Size(const std::string& key) {
  Request req{"HEAD", key, {}, {}, nullptr};
  HM_ASSIGN_OR_RETURN(Response r, Send(req));
  if (r.status == 404) return std::optional<uint64_t>();
  if (r.status != 200) return ErrorOf(req, r);
  return std::optional<uint64_t>(std::strtoull(r.Header("content-length").c_str(), nullptr, 10));
}

Status S3Storage::Delete(const std::string& key) {
  Request req{"DELETE", key, {}, {}, nullptr};
  HM_ASSIGN_OR_RETURN(Response r, Send(req));
  if (r.status != 204 && r.status != 200 && r.status != 404) return ErrorOf(req, r);
  return Status::Ok();
}

Status S3Storage::CheckBucket(bool create) {
  Request head{"HEAD", "", {}, {}, nullptr};
  HM_ASSIGN_OR_RETURN(Response r, Send(head));
  if (r.status == 200) return Status::Ok();
  if (r.status == 404 && create) {
    std::string body;
    if (options_.region != "us-east-1") {
      body = "<CreateBucketConfiguration><LocationConstraint>" + options_.region +
             "</LocationConstraint></CreateBucketConfiguration>";
    }
    Request put{"PUT", "", {}, {}, &body};
    HM_ASSIGN_OR_RETURN(Response c, Send(put));
    if (c.status == 200) return Status::Ok();
    return ErrorOf(put, c);
  }
  return ErrorOf(head, r);
}

}  // namespace hubmirror
