// XetUploads: the mirror as the Xet CAS that clients push to
// (../shared/xet-protocol.md (f)). huggingface_hub >= 1.20 with hf_xet (the
// default install) uploads every LFS-sized file this way and has no LFS
// fallback; the commit that follows names each file by its SHA-256 only.
//
//   write token  GET /api/{type}s/{repo}/xet-write-token/{rev}: for a caller
//                allowed to write the (hosted, existing) repo; JSON
//                {casUrl, accessToken, exp} and the X-Xet-* headers
//   dedup query  GET /xet/v1/chunks/{prefix}/{chunk}: 404, or a shard of the
//                stored xorb holding that chunk (chunk hashes keyed with a
//                fresh HMAC key), so bytes a mirrored base or an earlier
//                push already holds never cross the wire again
//   xorb         POST /xet/v1/xorbs/{prefix}/{xorb}: every chunk decoded and
//                hashed, the xorb's hash must be the one in the path;
//                {"was_inserted": bool}
//   shard        POST /xet/v1/shards, /xet/v2/shards, /xet/shards: every file
//                of the shard is read back from the stored xorbs its terms
//                name and must match its SHA-256 (the metadata extension)
//                and its Xet hash before it is committed to the store (and
//                recorded in the index, so that a commit may name it); v1
//                answers {"result": 1}, v2 one NDJSON result line
//
// The CAS routes take a write token (401 without one, 403 for a read
// token); the prefix is not checked (hf_xet sends "default"). A refused
// upload stores nothing. Uploaded files belong to no repo until a commit
// (PublishRoutes) names them; until then they are garbage to `gc` like any
// unreferenced object. Request bodies are held in memory while they are
// checked: at most kMaxBufferedBytes across all uploads at once, beyond that
// 503 with Retry-After, which Xet clients retry.
//
// Thread-safe; every pointer must outlive the object.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "server/access/access_policy.h"
#include "server/access/audit_log.h"
#include "server/http/http_message.h"
#include "server/options.h"
#include "server/xet/xet_signer.h"
#include "store/chunked_object_store.h"
#include "store/env.h"
#include "store/index/index.h"

namespace hubmirror {

class XetUploads {
 public:
  // `audit` may be null.
  XetUploads(const XetOptions& options, Env* env, const XetSigner* signer, Index* index,
             ChunkedObjectStore* store, AuditLog* audit);

  // For a caller already allowed to write `repo`.
  void AnswerWriteToken(const RepoKey& repo, const Caller& caller, const std::string& base_url,
                        HttpResponse& res) const;

  // True for the CAS upload routes (then SinkFor or Handle answers them).
  static bool IsUploadRoute(const HttpRequest& head);
  // The dedup query (a GET); false for anything else.
  bool HandleDedupQuery(const HttpRequest& req, HttpResponse& res);
  // For xorb and shard POSTs; nullptr otherwise.
  std::unique_ptr<RequestBodySink> SinkFor(const HttpRequest& head);

  static constexpr uint64_t kMaxBufferedBytes = uint64_t{1} << 30;
  // How long a client may keep using a dedup shard.
  static constexpr int64_t kDedupShardTtlSeconds = 3600;

 private:
  class UploadSink;

  // The write grant of a CAS request; an error status to answer otherwise.
  Result<XetReadGrant> CheckToken(const HttpRequest& req) const;
  void StoreXorb(const XetReadGrant& grant, const HttpRequest& req, std::string body,
                 HttpResponse& res);
  void RegisterShard(const XetReadGrant& grant, const HttpRequest& req, std::string body,
                     HttpResponse& res);
  Status CommitShard(std::string_view body, uint64_t* files, uint64_t* bytes);
  void Audit(const XetReadGrant& grant, const HttpRequest& req, const std::string& action,
             const std::string& what, uint64_t bytes, int status);
  int64_t NowSeconds() const;

  const XetOptions& options_;
  Env* env_;
  const XetSigner* signer_;
  Index* index_;
  ChunkedObjectStore* store_;
  AuditLog* audit_;
  std::atomic<uint64_t> buffered_bytes_{0};
};

}  // namespace hubmirror
