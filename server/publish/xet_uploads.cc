#include "server/publish/xet_uploads.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "server/error_response.h"
#include "server/xet/xet_routes.h"
#include "store/xet/shard_format.h"
#include "store/xet/xorb_format.h"

namespace hubmirror {
namespace {

using json = nlohmann::json;

constexpr std::string_view kChunksPrefix = "/xet/v1/chunks/";
constexpr std::string_view kXorbsPrefix = "/xet/v1/xorbs/";
// A xorb's records: its raw bytes at most, plus a header per chunk.
constexpr uint64_t kMaxXorbBodyBytes = kXorbMaxRawBytes + (uint64_t{1} << 20);

bool IsShardPath(const std::string& path) {
  return path == "/xet/v1/shards" || path == "/xet/v2/shards" || path == "/xet/shards";
}

// The hash that ends "/xet/v1/{chunks|xorbs}/{prefix}/{hash}", if well formed.
std::optional<XetHash> HashAfterPrefix(const std::string& path, std::string_view route) {
  if (path.rfind(route, 0) != 0) return std::nullopt;
  std::string_view rest(path);
  rest.remove_prefix(route.size());
  const size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos || rest.find('/', slash + 1) != rest.npos) {
    return std::nullopt;
  }
  return XetHash::FromHex(rest.substr(slash + 1));
}

Status BadUpload(const std::string& message) {
  return Status::InvalidArgument(message).WithHubError(HubError::kNone, 400);
}

}  // namespace

// Holds an upload's body (within its limit and the shared budget) until it
// can be checked whole.
class XetUploads::UploadSink : public RequestBodySink {
 public:
  explicit UploadSink(XetUploads* uploads) : uploads_(uploads) {}
  ~UploadSink() override { uploads_->buffered_bytes_ -= reserved_; }

  Status Open(const HttpRequest& head) override {
    HM_ASSIGN_OR_RETURN(grant_, uploads_->CheckToken(head));
    limit_ = IsShardPath(head.path) ? kMaxShardBytes : kMaxXorbBodyBytes;
    if (!IsShardPath(head.path) && !HashAfterPrefix(head.path, kXorbsPrefix)) {
      return BadUpload("a xorb is uploaded to /v1/xorbs/{prefix}/{64 hex digits of its hash}");
    }
    uint64_t declared = limit_;
    if (head.has_header("Content-Length")) {
      const std::string text = head.get_header_value("Content-Length");
      declared = std::strtoull(text.c_str(), nullptr, 10);
    }
    if (declared > limit_) {
      return Status::InvalidArgument("a " + std::string(IsShardPath(head.path) ? "shard" : "xorb") +
                                     " body holds at most " + std::to_string(limit_) + " bytes")
          .WithHubError(HubError::kNone, 413);
    }
    if (uploads_->buffered_bytes_.fetch_add(declared) + declared > kMaxBufferedBytes) {
      uploads_->buffered_bytes_ -= declared;
      return Status::Unavailable("too many uploads in progress; retry shortly")
          .WithHubError(HubError::kNone, 503);
    }
    reserved_ = declared;
    body_.reserve(declared);
    return Status::Ok();
  }

  Status Write(std::string_view piece) override {
    if (body_.size() + piece.size() > reserved_) {
      return Status::InvalidArgument("the body is longer than its Content-Length or " +
                                     std::to_string(limit_) + " bytes")
          .WithHubError(HubError::kNone, 413);
    }
    body_.append(piece);
    return Status::Ok();
  }

  void Finish(const HttpRequest& head, HttpResponse& res) override {
    if (IsShardPath(head.path)) {
      uploads_->RegisterShard(grant_, head, std::move(body_), res);
    } else {
      uploads_->StoreXorb(grant_, head, std::move(body_), res);
    }
  }

 private:
  XetUploads* uploads_;
  XetReadGrant grant_;
  uint64_t limit_ = 0;
  uint64_t reserved_ = 0;
  std::string body_;
};

XetUploads::XetUploads(const XetOptions& options, Env* env, const XetSigner* signer, Index* index,
                       ChunkedObjectStore* store, AuditLog* audit)
    : options_(options),
      env_(env),
      signer_(signer),
      index_(index),
      store_(store),
      audit_(audit) {}

int64_t XetUploads::NowSeconds() const { return env_->NowMicros() / 1000000; }

void XetUploads::AnswerWriteToken(const RepoKey& repo, const Caller& caller,
                                  const std::string& base_url, HttpResponse& res) const {
  const int64_t exp = NowSeconds() + options_.token_ttl_seconds;
  const std::string token = signer_->IssueWriteToken(XetReadGrant{repo, caller.name, exp});
  WriteXetTokenAnswer(XetCasUrl(base_url), token, exp, &res);
}

Result<XetReadGrant> XetUploads::CheckToken(const HttpRequest& req) const {
  const std::string token = XetBearerToken(req);
  Result<XetReadGrant> grant = signer_->CheckWriteToken(token, NowSeconds());
  if (grant.ok()) return grant;
  if (signer_->CheckReadToken(token, NowSeconds()).ok()) {
    return Status::PermissionDenied(
        "a Xet read token cannot upload; ask .../xet-write-token/{revision} with a token "
        "that may write the repo");
  }
  return grant.status();
}

bool XetUploads::IsUploadRoute(const HttpRequest& head) {
  return head.method == "POST" &&
         (IsShardPath(head.path) || head.path.rfind(kXorbsPrefix, 0) == 0);
}

std::unique_ptr<RequestBodySink> XetUploads::SinkFor(const HttpRequest& head) {
  if (!IsUploadRoute(head)) return nullptr;
  return std::make_unique<UploadSink>(this);
}

bool XetUploads::HandleDedupQuery(const HttpRequest& req, HttpResponse& res) {
  if (req.method != "GET" || req.path.rfind(kChunksPrefix, 0) != 0) return false;
  Result<XetReadGrant> grant = CheckToken(req);
  if (!grant.ok()) {
    WriteError(grant.status(), req.has_header("Authorization"), &res);
    return true;
  }
  const std::optional<XetHash> chunk = HashAfterPrefix(req.path, kChunksPrefix);
  if (!chunk) {
    WriteError(BadUpload("a dedup query is /v1/chunks/{prefix}/{64 hex digits}"), true, &res);
    return true;
  }
  Result<std::pair<XetHash, std::vector<XetNode>>> held = store_->XorbHoldingChunk(*chunk);
  if (!held.ok()) {
    // Not stored (the usual answer) or not readable now: either way the
    // client uploads the chunk itself.
    WriteError(Status::NotFound("chunk " + chunk->ToHex() + " is not stored"), true, &res);
    return true;
  }
  ShardXorb xorb;
  xorb.hash = held->first;
  uint64_t raw = 0;
  for (const XetNode& node : held->second) {
    xorb.chunks.push_back(ShardXorbChunk{node.hash, static_cast<uint32_t>(raw),
                                         static_cast<uint32_t>(node.size)});
    raw += node.size;
  }
  xorb.raw_bytes = static_cast<uint32_t>(raw);
  // A fresh key per answer: the client learns which chunks it already has,
  // not the hashes of the others.
  XetHash key;
  if (RAND_bytes(key.bytes.data(), static_cast<int>(key.bytes.size())) != 1) {
    WriteError(Status::Internal("no random bytes for a dedup key"), true, &res);
    return true;
  }
  const int64_t now = NowSeconds();
  res.set_header("Cache-Control", "no-store");
  res.set_content(SerializeDedupShard({xorb}, key, static_cast<uint64_t>(now),
                                      static_cast<uint64_t>(now + kDedupShardTtlSeconds)),
                  "application/octet-stream");
  return true;
}

void XetUploads::Audit(const XetReadGrant& grant, const HttpRequest& req,
                       const std::string& action, const std::string& what, uint64_t bytes,
                       int status) {
  if (audit_ == nullptr) return;
  AuditRecord r = AuditRecord::About(grant.who, req.remote_addr, req.method, grant.repo);
  r.file = what;
  r.bytes = bytes;
  r.status = status;
  r.complete = status < 400;
  r.action = action;
  audit_->Write(r);
}

void XetUploads::StoreXorb(const XetReadGrant& grant, const HttpRequest& req, std::string body,
                           HttpResponse& res) {
  const XetHash hash = *HashAfterPrefix(req.path, kXorbsPrefix);  // checked in Open
  Result<bool> inserted = store_->PutXorb(hash, body);
  if (!inserted.ok()) {
    Status s = inserted.status();
    if (s.code() == StatusCode::kInvalidArgument) s = BadUpload("xorb " + hash.ToHex() + ": " + s.message());
    WriteError(s, true, &res);
  } else {
    res.set_content(json{{"was_inserted", *inserted}}.dump(), "application/json");
  }
  Audit(grant, req, "xet-xorb", "xorb " + hash.ToHex(), body.size(), res.status);
}

Status XetUploads::CommitShard(std::string_view body, uint64_t* files, uint64_t* bytes) {
  HM_ASSIGN_OR_RETURN(ParsedShard shard, ParseShard(body));
  // The xorbs this shard introduces: uploaded before it, and their chunk
  // lists as the client describes them hash to their names.
  for (const ShardXorb& xorb : shard.xorbs) {
    std::vector<XetNode> nodes;
    for (const ShardXorbChunk& c : xorb.chunks) nodes.push_back(XetNode{c.hash, c.raw_size});
    if (XetXorbHash(std::move(nodes)) != xorb.hash) {
      return BadUpload("shard: the chunk list of xorb " + xorb.hash.ToHex() +
                       " does not hash to its name");
    }
    Result<StoredXorb> stored = store_->OpenXorb(xorb.hash);
    if (!stored.ok()) {
      return BadUpload("shard: xorb " + xorb.hash.ToHex() + " was not uploaded first");
    }
  }
  for (const ShardFile& file : shard.files) {
    const std::string name = "file " + file.file_hash.ToHex();
    if (!file.sha256) {
      return BadUpload("shard: " + name + " has no SHA-256 (metadata extension); the mirror "
                       "checks every file against it");
    }
    ObjectPromise promise;
    promise.sha256 = file.sha256->ToHex();
    std::vector<XetTerm> terms;
    for (const ShardTerm& t : file.terms) {
      terms.push_back(XetTerm{t.xorb, t.chunk_start, t.chunk_end, t.unpacked_bytes});
      promise.size += t.unpacked_bytes;
    }
    HM_ASSIGN_OR_RETURN(std::optional<ObjectRecord> known, index_->GetObject(promise.sha256));
    const bool stored = store_->Contains(promise.sha256);
    if (known && stored) continue;  // pushed before, or mirrored
    ObjectRecord record;
    if (stored) {
      HM_ASSIGN_OR_RETURN(ChunkedObjectRow row, store_->GetObjectRow(promise.sha256));
      record = ObjectRecord{row.sha256, row.git_sha1, row.size, row.xet_hash};
    } else {
      Result<ObjectInfo> info = store_->CommitReconstruction(promise, terms);
      if (!info.ok()) {
        const Status& s = info.status();
        if (s.code() == StatusCode::kInternal || s.code() == StatusCode::kResourceExhausted) {
          return s;
        }
        return BadUpload("shard: " + name + " (sha256 " + promise.sha256 + "): " + s.message());
      }
      if (info->xet_hash != file.file_hash.ToHex()) {
        return BadUpload("shard: " + name + " is stored under the Xet hash " + info->xet_hash +
                         "; its chunks do not hash to the name the shard gives");
      }
      record = ObjectRecord{info->sha256, info->git_sha1, info->size, info->xet_hash};
      ++*files;
      *bytes += info->size;
    }
    // The index knows it from now on, so a commit may name it.
    HM_RETURN_IF_ERROR(index_->PutObject(record));
  }
  return Status::Ok();
}

void XetUploads::RegisterShard(const XetReadGrant& grant, const HttpRequest& req,
                               std::string body, HttpResponse& res) {
  uint64_t files = 0;
  uint64_t bytes = 0;
  const Status committed = CommitShard(body, &files, &bytes);
  if (!committed.ok()) {
    WriteError(committed, true, &res);
  } else if (req.path == "/xet/v2/shards") {
    res.set_content("{\"type\":\"result\",\"result\":1}\n", "application/x-ndjson");
  } else {
    res.set_content(json{{"result", 1}}.dump(), "application/json");
  }
  Audit(grant, req, "xet-shard", "shard: " + std::to_string(files) + " new files", bytes,
        res.status);
}

}  // namespace hubmirror
