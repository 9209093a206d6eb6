#include "server/ops/health_endpoints.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "store/human_format.h"

namespace hubmirror {

void HealthEndpoints::HandleHealthz(const HttpRequest&, HttpResponse& res) const {
  res.set_header("Cache-Control", "no-store");
  res.set_content("ok\n", "text/plain");
}

Status HealthEndpoints::ProbeStoreWritable() {
  const std::string dir = store_dir_ + "/tmp";
  HM_RETURN_IF_ERROR(env_->CreateDirs(dir));
  // A name the stores' temp-file cleanup removes too (*.tmp), should the
  // process die between create and remove.
  const std::string path = dir + "/readyz-" + std::to_string(getpid()) + "-" +
                           std::to_string(probe_counter_.fetch_add(1)) + ".tmp";
  Result<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(path);
  if (!file.ok()) return file.status();
  Status written = (*file)->Append("ready\n", 6);
  if (written.ok()) written = (*file)->Sync();
  Status closed = (*file)->Close();
  Status removed = env_->RemoveFile(path);
  if (!written.ok()) return written;
  if (!closed.ok()) return closed;
  return removed;
}

void HealthEndpoints::HandleReadyz(const HttpRequest&, HttpResponse& res) {
  nlohmann::json body;
  bool ready = true;
  Status store = ProbeStoreWritable();
  body["store"] = store.ok() ? "ok" : "not writable: " + store.ToString();
  ready = ready && store.ok();

  RepoKey probe;
  probe.type = RepoType::kModel;
  probe.id = "hubmirror/readyz";
  Result<bool> index = index_->HasRepo(probe);
  body["index"] = index.ok() ? "ok" : "failing: " + index.status().ToString();
  ready = ready && index.ok();

  if (upstream_ == nullptr) {
    body["upstream"] = "offline";
  } else {
    UpstreamReachability r = upstream_->reachability();
    switch (r.state) {
      case UpstreamReachability::State::kUnknown: body["upstream"] = "unknown"; break;
      case UpstreamReachability::State::kReachable: body["upstream"] = "reachable"; break;
      case UpstreamReachability::State::kUnreachable: body["upstream"] = "unreachable"; break;
    }
    if (r.at_micros != 0) body["upstream_checked_at"] = FormatUtcMillis(r.at_micros);
  }
  body["ready"] = ready;
  res.status = ready ? 200 : 503;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(2) + "\n", "application/json");
}

}  // namespace hubmirror
