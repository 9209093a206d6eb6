#include "server/publish/lfs_uploads.h"

#include <nlohmann/json.hpp>

#include <atomic>

#include "server/error_response.h"
#include "store/hash.h"

namespace hubmirror {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxBatchObjects = 10'000;
constexpr size_t kCopyBytes = 1 << 20;

std::string QueryOf(const HttpRequest& req) {
  const size_t q = req.target.find('?');
  return q == std::string::npos ? std::string() : req.target.substr(q + 1);
}

bool IsLowerSha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

uint64_t PartCount(uint64_t size, uint64_t part_bytes) {
  return size == 0 ? 1 : (size + part_bytes - 1) / part_bytes;
}

uint64_t PartLength(uint64_t size, uint64_t part_bytes, int part) {
  const uint64_t start = static_cast<uint64_t>(part - 1) * part_bytes;
  return start >= size ? 0 : std::min(part_bytes, size - start);
}

// The bytes did not match what the client promised: its error, not ours.
Status AsClientError(Status status) {
  if (status.code() == StatusCode::kDataLoss) {
    return Status::InvalidArgument("the uploaded bytes do not match their oid or size: " +
                                   status.message());
  }
  return status;
}

std::string Unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

}  // namespace

// PUT of a whole object: straight into a store writer.
class LfsUploads::ObjectSink : public RequestBodySink {
 public:
  explicit ObjectSink(LfsUploads* uploads) : uploads_(uploads) {}

  Status Open(const HttpRequest& head) override {
    HM_ASSIGN_OR_RETURN(grant_, uploads_->signer_->Verify(QueryOf(head),
                                                          uploads_->env_->NowMicros() / 1'000'000));
    if (grant_.part != 0) return Status::InvalidArgument("this URL is for a part, not an object");
    HM_ASSIGN_OR_RETURN(writer_,
                        uploads_->store_->NewWriter(ObjectPromise{grant_.size, grant_.sha256, ""}));
    return Status::Ok();
  }
  Status Write(std::string_view piece) override {
    return AsClientError(writer_->Append(piece.data(), piece.size()));
  }
  void Finish(const HttpRequest& req, HttpResponse& res) override {
    Result<ObjectInfo> info = uploads_->CommitObject(writer_.get());
    if (!info.ok()) {
      WriteError(AsClientError(info.status()), true, &res);
    } else {
      res.set_content("", "text/plain");
    }
    uploads_->Audit(grant_, req, res.status, writer_->bytes_written());
  }

 private:
  LfsUploads* uploads_;
  UploadGrant grant_;
  std::unique_ptr<ObjectWriter> writer_;
};

// PUT of one part: to a temp file, renamed into place once complete.
class LfsUploads::PartSink : public RequestBodySink {
 public:
  explicit PartSink(LfsUploads* uploads) : uploads_(uploads) {}
  ~PartSink() override {
    file_.reset();
    if (!temp_path_.empty()) (void)uploads_->env_->RemoveFile(temp_path_);
  }

  Status Open(const HttpRequest& head) override {
    HM_ASSIGN_OR_RETURN(grant_, uploads_->signer_->Verify(QueryOf(head),
                                                          uploads_->env_->NowMicros() / 1'000'000));
    const uint64_t part_bytes = uploads_->options_.lfs_part_bytes;
    if (grant_.part < 1 ||
        static_cast<uint64_t>(grant_.part) > PartCount(grant_.size, part_bytes)) {
      return Status::InvalidArgument("this URL is for no part of the object");
    }
    expected_ = PartLength(grant_.size, part_bytes, grant_.part);
    const std::string dir = uploads_->PartsDir(grant_);
    HM_RETURN_IF_ERROR(uploads_->env_->CreateDirs(dir));
    static_assert(sizeof(uintptr_t) <= sizeof(uint64_t));
    temp_path_ = dir + "/part-" + std::to_string(grant_.part) + ".tmp-" +
                 std::to_string(uploads_->env_->MonotonicMicros()) + "-" +
                 std::to_string(reinterpret_cast<uintptr_t>(this));
    HM_ASSIGN_OR_RETURN(file_, uploads_->env_->NewWritableFile(temp_path_));
    return Status::Ok();
  }
  Status Write(std::string_view piece) override {
    if (received_ + piece.size() > expected_) {
      return Status::InvalidArgument("part " + std::to_string(grant_.part) + " is longer than " +
                                     std::to_string(expected_) + " bytes");
    }
    received_ += piece.size();
    hasher_.Update(piece.data(), piece.size());
    return file_->Append(piece.data(), piece.size());
  }
  void Finish(const HttpRequest& req, HttpResponse& res) override {
    Status done = received_ == expected_
                      ? Status::Ok()
                      : Status::InvalidArgument("part " + std::to_string(grant_.part) + " has " +
                                                std::to_string(received_) + " bytes, not " +
                                                std::to_string(expected_));
    if (done.ok()) done = file_->Close();
    const std::string final_path =
        uploads_->PartsDir(grant_) + "/part-" + std::to_string(grant_.part);
    if (done.ok()) done = uploads_->env_->RenameFile(temp_path_, final_path);
    if (!done.ok()) {
      WriteError(done, true, &res);
      return;
    }
    temp_path_.clear();
    res.set_header("ETag", "\"" + hasher_.FinishHex() + "\"");
    res.set_content("", "text/plain");
  }

 private:
  LfsUploads* uploads_;
  UploadGrant grant_;
  uint64_t expected_ = 0;
  uint64_t received_ = 0;
  Sha256Hasher hasher_;
  std::string temp_path_;
  std::unique_ptr<WritableFile> file_;
};

LfsUploads::LfsUploads(const PublishOptions& options, Env* env, Index* index, ObjectStore* store,
                       const UploadSigner* signer, std::string uploads_dir, AuditLog* audit)
    : options_(options),
      env_(env),
      index_(index),
      store_(store),
      signer_(signer),
      uploads_dir_(std::move(uploads_dir)),
      audit_(audit) {}

std::string LfsUploads::PartsDir(const UploadGrant& grant) const {
  return uploads_dir_ + "/" + grant.sha256 + "-" + std::to_string(grant.size);
}

Result<ObjectInfo> LfsUploads::CommitObject(ObjectWriter* writer) {
  HM_ASSIGN_OR_RETURN(ObjectInfo info, writer->Commit());
  HM_RETURN_IF_ERROR(
      index_->PutObject(ObjectRecord{info.sha256, info.git_sha1, info.size, info.xet_hash}));
  return info;
}

Result<ObjectInfo> LfsUploads::StoreBytes(const std::string& bytes, const std::string& sha256,
                                          const std::string& git_sha1) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer,
                      store_->NewWriter(ObjectPromise{bytes.size(), sha256, git_sha1}));
  HM_RETURN_IF_ERROR(writer->Append(bytes.data(), bytes.size()));
  return CommitObject(writer.get());
}

void LfsUploads::Audit(const UploadGrant& grant, const HttpRequest& req, int status,
                       uint64_t bytes) {
  if (audit_ == nullptr) return;
  AuditRecord r = AuditRecord::About(grant.who, req.remote_addr, req.method, grant.repo);
  r.file = grant.sha256;
  r.status = status;
  r.bytes = bytes;
  r.complete = status == 200;
  r.action = "lfs-upload";
  audit_->Write(r);
}

void LfsUploads::Batch(const RepoKey& repo, const Caller& caller, const std::string& base_url,
                       const HttpRequest& req, HttpResponse& res) {
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("objects") || !body["objects"].is_array()) {
    return WriteError(Status::InvalidArgument("the LFS batch request needs an 'objects' list"),
                      true, &res);
  }
  const std::string operation = body.value("operation", "");
  if (operation != "upload") {
    return WriteError(Status::InvalidArgument("only the 'upload' LFS operation is served here; "
                                              "downloads go through /resolve"),
                      true, &res);
  }
  const json& objects = body["objects"];
  if (objects.size() > kMaxBatchObjects) {
    return WriteError(Status::InvalidArgument("at most " + std::to_string(kMaxBatchObjects) +
                                              " objects per LFS batch"),
                      true, &res);
  }
  const int64_t expires = env_->NowMicros() / 1'000'000 + options_.upload_url_ttl_seconds;
  json answer_objects = json::array();
  for (const json& object : objects) {
    if (!object.is_object() || !object.contains("oid") || !object["oid"].is_string() ||
        !object.contains("size") || !object["size"].is_number_unsigned()) {
      return WriteError(Status::InvalidArgument("each LFS object needs an 'oid' and a 'size'"),
                        true, &res);
    }
    const std::string oid = object["oid"].get<std::string>();
    const uint64_t size = object["size"].get<uint64_t>();
    if (!IsLowerSha256(oid)) {
      return WriteError(Status::InvalidArgument("LFS oid '" + oid + "' is not a sha256"), true,
                        &res);
    }
    json answer = {{"oid", oid}, {"size", size}, {"authenticated", true}};
    if (!store_->Contains(oid)) {
      UploadGrant grant{repo, caller.name, oid, size, 0, expires};
      json upload;
      if (size > options_.lfs_part_bytes) {
        json header = {{"chunk_size", std::to_string(options_.lfs_part_bytes)}};
        const uint64_t parts = PartCount(size, options_.lfs_part_bytes);
        for (uint64_t part = 1; part <= parts; ++part) {
          grant.part = static_cast<int>(part);
          header[std::to_string(part)] = base_url + "/_hubmirror/lfs/part?" + signer_->Sign(grant);
        }
        grant.part = 0;
        upload = {{"href", base_url + "/_hubmirror/lfs/complete?" + signer_->Sign(grant)},
                  {"header", header},
                  {"expires_in", options_.upload_url_ttl_seconds}};
      } else {
        upload = {{"href", base_url + "/_hubmirror/lfs/object?" + signer_->Sign(grant)},
                  {"expires_in", options_.upload_url_ttl_seconds}};
      }
      answer["actions"] = {
          {"upload", upload},
          {"verify", {{"href", base_url + "/_hubmirror/lfs/verify?" + signer_->Sign(grant)}}}};
    }
    answer_objects.push_back(std::move(answer));
  }
  res.set_content(json{{"transfer", "basic"}, {"objects", answer_objects}, {"hash_algo", "sha256"}}
                      .dump(),
                  "application/vnd.git-lfs+json");
}

std::unique_ptr<RequestBodySink> LfsUploads::SinkFor(const HttpRequest& head) {
  if (head.method != "PUT") return nullptr;
  if (head.path == "/_hubmirror/lfs/object") return std::make_unique<ObjectSink>(this);
  if (head.path == "/_hubmirror/lfs/part") return std::make_unique<PartSink>(this);
  return nullptr;
}

bool LfsUploads::Handle(const HttpRequest& req, HttpResponse& res) {
  const bool complete = req.path == "/_hubmirror/lfs/complete";
  const bool verify = req.path == "/_hubmirror/lfs/verify";
  if (!complete && !verify) return false;
  if (req.method != "POST") {
    WriteError(Status::NotFound(req.method + " " + req.path + " is not served"), true, &res);
    return true;
  }
  Result<UploadGrant> grant = signer_->Verify(QueryOf(req), env_->NowMicros() / 1'000'000);
  if (!grant.ok()) {
    WriteError(grant.status(), true, &res);
    return true;
  }
  if (complete) {
    Complete(*grant, req, res);
  } else if (store_->Contains(grant->sha256)) {
    res.set_content("{}", "application/json");
  } else {
    WriteError(Status::NotFound("LFS object " + grant->sha256 + " was not uploaded"), true, &res);
  }
  return true;
}

void LfsUploads::Complete(const UploadGrant& grant, const HttpRequest& req, HttpResponse& res) {
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || body.value("oid", "") != grant.sha256 || !body.contains("parts") ||
      !body["parts"].is_array()) {
    return WriteError(
        Status::InvalidArgument("the completion needs this object's 'oid' and its 'parts'"), true,
        &res);
  }
  const uint64_t parts = PartCount(grant.size, options_.lfs_part_bytes);
  std::vector<std::string> etags(parts);
  for (const json& part : body["parts"]) {
    if (!part.is_object() || !part.contains("partNumber") ||
        !part["partNumber"].is_number_unsigned() || !part.contains("etag") ||
        !part["etag"].is_string()) {
      return WriteError(Status::InvalidArgument("each part needs a 'partNumber' and an 'etag'"),
                        true, &res);
    }
    const uint64_t number = part["partNumber"].get<uint64_t>();
    if (number < 1 || number > parts) {
      return WriteError(Status::InvalidArgument("part " + std::to_string(number) +
                                                " is not a part of this object"),
                        true, &res);
    }
    etags[number - 1] = Unquote(part["etag"].get<std::string>());
  }
  const std::string dir = PartsDir(grant);
  Status status = Status::Ok();
  std::unique_ptr<ObjectWriter> writer;
  if (store_->Contains(grant.sha256)) {
    // Completed before (a retried completion): nothing more to store.
  } else {
    Result<std::unique_ptr<ObjectWriter>> opened =
        store_->NewWriter(ObjectPromise{grant.size, grant.sha256, ""});
    status = opened.status();
    if (status.ok()) writer = std::move(opened).value();
    std::string buffer(kCopyBytes, '\0');
    for (uint64_t part = 1; status.ok() && part <= parts; ++part) {
      if (etags[part - 1].empty()) {
        status = Status::InvalidArgument("part " + std::to_string(part) + " is missing");
        break;
      }
      Result<std::unique_ptr<RandomAccessFile>> file =
          env_->NewRandomAccessFile(dir + "/part-" + std::to_string(part));
      if (!file.ok()) {
        status = Status::InvalidArgument("part " + std::to_string(part) +
                                         " was not uploaded (or not completely)");
        break;
      }
      Sha256Hasher hasher;
      const uint64_t length = PartLength(grant.size, options_.lfs_part_bytes, static_cast<int>(part));
      for (uint64_t at = 0; status.ok() && at < length;) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(kCopyBytes, length - at));
        Result<size_t> got = (*file)->ReadAt(at, buffer.data(), want);
        if (!got.ok() || *got == 0) {
          status = got.ok() ? Status::InvalidArgument("part " + std::to_string(part) + " is short")
                            : got.status();
          break;
        }
        hasher.Update(buffer.data(), *got);
        status = writer->Append(buffer.data(), *got);
        at += *got;
      }
      if (status.ok() && hasher.FinishHex() != etags[part - 1]) {
        status = Status::InvalidArgument("part " + std::to_string(part) +
                                         " does not match its ETag");
      }
    }
    if (status.ok()) status = CommitObject(writer.get()).status();
  }
  if (status.ok()) {
    for (uint64_t part = 1; part <= parts; ++part) {
      (void)env_->RemoveFile(dir + "/part-" + std::to_string(part));
    }
    (void)env_->RemoveDir(dir);
    res.set_content("{}", "application/json");
  } else {
    WriteError(AsClientError(status), true, &res);
  }
  Audit(grant, req, res.status, grant.size);
}

}  // namespace hubmirror
