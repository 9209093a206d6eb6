// S3Storage: ObjectStorage on an S3-compatible service (AWS S3, MinIO, Ceph
// RGW, ...) over HTTP(S) with libcurl, every request signed with SigV4
// (sigv4.h, payloads signed by their SHA-256). Large objects go up as
// multipart uploads; transient failures (connection errors, 5xx, 429) are
// retried a bounded number of times with backoff.
//
// Thread-safe; curl handles are pooled for keep-alive.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/objstore/object_storage.h"
#include "store/objstore/sigv4.h"

namespace hubmirror {

struct S3Options {
  // "http://127.0.0.1:9000" or "https://s3.eu-west-1.amazonaws.com"; empty
  // = AWS_ENDPOINT_URL, else https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string bucket;
  std::string region;  // empty = AWS_REGION / AWS_DEFAULT_REGION, else us-east-1
  // Keys are prefix + name ("hubmirror/xorbs/00/42.xorb").
  std::string prefix;
  // Path style (endpoint/bucket/key: MinIO, Ceph, most self-hosted) or
  // virtual-host style (bucket.endpoint/key: AWS).
  bool path_style = true;
  AwsCredentials credentials;  // empty = AWS_ACCESS_KEY_ID etc.
  uint64_t multipart_from_bytes = uint64_t{32} << 20;
  uint64_t part_bytes = uint64_t{16} << 20;
  int max_attempts = 4;
  int64_t timeout_seconds = 300;
};

// Fills what the options leave empty from the AWS_* environment variables
// and defaults; InvalidArgument when bucket or credentials are missing.
Status ResolveS3Options(S3Options* options);

class S3Storage final : public ObjectStorage {
 public:
  // `env` reads the files uploaded and dates requests; it must outlive this.
  static Result<std::unique_ptr<S3Storage>> Open(Env* env, S3Options options);
  ~S3Storage() override;

  Status PutFile(const std::string& key, const std::string& local_path) override;
  Status GetRange(const std::string& key, uint64_t offset, uint64_t n, std::string* out) override;
  Result<std::optional<uint64_t>> Size(const std::string& key) override;
  Status Delete(const std::string& key) override;
  const std::string& where() const override { return where_; }

  // Checks the bucket answers (a HEAD of the bucket); creates it with
  // `create` when absent.
  Status CheckBucket(bool create);

  struct Response {
    long status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
    std::string Header(const std::string& name) const;
  };
  struct Request {
    std::string method;
    std::string key;  // "" = the bucket itself
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;
    const std::string* body = nullptr;
  };

 private:
  S3Storage(Env* env, S3Options options);
  // One signed request, retried while transient; the last response.
  Result<Response> Send(const Request& request);
  Result<Response> SendOnce(const Request& request);
  Status PutMultipart(const std::string& key, const RandomAccessFile& file, uint64_t size);
  Status ErrorOf(const Request& request, const Response& response) const;

  Env* const env_;
  const S3Options options_;
  std::string scheme_host_;  // "http://127.0.0.1:9000"
  std::string host_;         // Host header
  std::string where_;
  std::mutex mu_;
  std::vector<void*> idle_handles_;  // CURL*, guarded by mu_
};

}  // namespace hubmirror
