// LfsUploads: the Git LFS side of publishing (hub-upload-protocol.md §2.5):
// the batch API that tells a client where to upload, the uploads themselves
// to signed URLs on the mirror's own host, and the optional verify call.
//
//   POST /{[datasets/]repo}.git/info/lfs/objects/batch   (write token)
//       objects the store already has get no actions (the client skips
//       them); others get a signed basic PUT URL, or, over
//       `lfs_part_bytes`, part URLs ("chunk_size", "1".."N") and a
//       completion URL; and a verify URL.
//   PUT  /_hubmirror/lfs/object?<signed>      the whole object, streamed
//       into the store (RequestBodySink) and committed only when its size
//       and sha256 match the URL's promise
//   PUT  /_hubmirror/lfs/part?<signed>        one part, to a temp file;
//       answers its ETag (the part's sha256)
//   POST /_hubmirror/lfs/complete?<signed>    {"oid","parts":[{partNumber,
//       etag}]}: the parts, in order and matching their ETags, streamed into
//       the store and verified like a whole object; the parts are removed
//   POST /_hubmirror/lfs/verify?<signed>      200 when the object is stored
//
// A committed upload is an object row in the index; no repo references it
// until a commit does (gc spares objects younger than its min_age).
// Thread-safe; every pointer must outlive the object.
#pragma once

#include <memory>
#include <string>

#include "server/access/access_policy.h"
#include "server/access/audit_log.h"
#include "server/http/http_message.h"
#include "server/options.h"
#include "server/publish/upload_signer.h"
#include "store/env.h"
#include "store/index/index.h"
#include "store/object_store.h"

namespace hubmirror {

class LfsUploads {
 public:
  // `uploads_dir`: where parts wait for their completion.
  LfsUploads(const PublishOptions& options, Env* env, Index* index, ObjectStore* store,
             const UploadSigner* signer, std::string uploads_dir, AuditLog* audit);

  // The batch answer for `repo` (the caller may write to it).
  void Batch(const RepoKey& repo, const Caller& caller, const std::string& base_url,
             const HttpRequest& req, HttpResponse& res);
  // A sink for PUT /_hubmirror/lfs/{object,part}; nullptr for other requests.
  std::unique_ptr<RequestBodySink> SinkFor(const HttpRequest& head);
  // POST /_hubmirror/lfs/{complete,verify}; false for other requests.
  bool Handle(const HttpRequest& req, HttpResponse& res);

  // Stores `bytes` (a regular file of a commit) as an object, checked
  // against both digests (the git blob id is what maps the file's entry to
  // its object).
  Result<ObjectInfo> StoreBytes(const std::string& bytes, const std::string& sha256,
                                const std::string& git_sha1);
  // Whether the store holds the object (an upload a commit may name).
  bool HasObject(const std::string& sha256) { return store_->Contains(sha256); }

 private:
  class ObjectSink;
  class PartSink;

  void Complete(const UploadGrant& grant, const HttpRequest& req, HttpResponse& res);
  std::string PartsDir(const UploadGrant& grant) const;
  // Commits a verified writer and records the object row.
  Result<ObjectInfo> CommitObject(ObjectWriter* writer);
  void Audit(const UploadGrant& grant, const HttpRequest& req, int status, uint64_t bytes);

  const PublishOptions& options_;
  Env* env_;
  Index* index_;
  ObjectStore* store_;
  const UploadSigner* signer_;
  const std::string uploads_dir_;
  AuditLog* audit_;
};

}  // namespace hubmirror
