// ServerOptions: everything `hubmirror serve` is configured with, parsed once
// at start-up (config file, then command-line flags, then HF_TOKEN) into this
// plain struct and passed by const reference. Every field has its default here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fetcher/sync_list.h"
#include "fetcher/upstream.h"
#include "server/access/access_policy.h"
#include "store/objstore/s3_storage.h"
#include "store/status.h"

namespace hubmirror {

// Mirror mode ([sync] in the config): repos kept stored ahead of time, by
// `hubmirror sync` and, on an interval, by `serve`.
struct SyncOptions {
  // `serve` runs the sync list every this many seconds; 0 = never.
  int64_t interval_seconds = 0;
  // Files downloaded at once by a sync.
  int concurrency = 4;
  // [[sync.repos]] entries, in order.
  std::vector<SyncRepoSpec> repos;
};

// [xet]: the Xet protocol (../shared/xet-protocol.md), served to clients.
struct XetOptions {
  // Offer stored LFS files over Xet (X-Xet-Hash, xet-read-token, the CAS
  // routes under /xet); off = every client downloads over plain HTTP.
  bool serve = true;
  // Lifetime of a read token; clients refresh it before it ends.
  int64_t token_ttl_seconds = 900;
  // Lifetime of a signed xorb range URL in a reconstruction.
  int64_t url_ttl_seconds = 3600;
  // Pull files the upstream offers over Xet through its CAS, fetching only
  // the chunks the store lacks; off = every pull is one HTTP download.
  bool pull = true;
};

// [publish]: repos teams publish on the mirror (server/publish/).
struct PublishOptions {
  // Namespaces the mirror owns (fnmatch patterns over the part of a repo id
  // before '/'): repos there are never asked upstream, and only there can
  // tokens with write rights create and push. Empty = no publishing.
  std::vector<std::string> namespaces;
  // LFS uploads larger than this go in parts of this size (multipart).
  uint64_t lfs_part_bytes = uint64_t{64} << 20;
  // Lifetime of a signed LFS upload URL.
  int64_t upload_url_ttl_seconds = 24 * 3600;
};

// Several nodes serving one store (docs/deployment.md): the index, catalog
// and retention data in PostgreSQL, sealed xorbs in an S3-compatible bucket
// with store_dir as this node's bounded cache. Empty = one node, everything
// under store_dir (the default).
struct ScaleOutOptions {
  std::string postgres;  // libpq connection string or URI
  bool use_s3 = false;
  S3Options s3;
  bool create_bucket = false;  // create the bucket at start when absent
  uint64_t cache_max_bytes = uint64_t{64} << 30;
  bool enabled() const { return !postgres.empty(); }
};

struct ServerOptions {
  // Address to listen on; port 0 picks a free port (printed at start-up).
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;
  // Where objects, the index and temp files live.
  std::string store_dir = "./data";
  // Size limit of the store's live chunk bytes; 0 = none. Above it, the
  // least recently served unpinned objects are evicted down to
  // low_water_percent of it (retention.h).
  uint64_t max_store_bytes = 0;
  int store_low_water_percent = 90;
  ScaleOutOptions scale_out;
  // Never contact the upstream; serve only what is stored.
  bool offline = false;
  // How long a branch or tag resolution is trusted before asking upstream again.
  int64_t revision_ttl_seconds = 300;
  // Threads running request handlers and producing response bodies.
  // Connections do not hold one: an idle, slow or waiting connection costs
  // only memory (server/http/event_server.h). Handlers that wait on the
  // upstream (a cold file's first bytes, metadata) hold theirs meanwhile.
  int worker_threads = 64;
  // An idle keep-alive connection is closed after this many seconds, and
  // after this many requests.
  int keep_alive_timeout_seconds = 5;
  int keep_alive_max_requests = 1000;
  // A request head must be complete this many seconds after the connection
  // opened (or its previous response ended and the next head began),
  // however slowly its bytes trickle in.
  int request_head_timeout_seconds = 15;
  // Limits of a request head (-> 431).
  size_t max_request_head_bytes = 64 * 1024;
  size_t max_request_headers = 100;
  // Open connections in total and per client address. Over a limit the
  // oldest idle connection is closed to make room; with none idle, the new
  // connection gets 503 with Retry-After. Mind the process's descriptor
  // limit (serve raises its soft limit to the hard one).
  size_t max_connections = 16384;
  size_t max_connections_per_client = 4096;
  // Concurrent upstream file transfers.
  int max_concurrent_fetches = 16;
  // Request limits: body size (paths-info), and how long a request body or
  // a response may make no progress.
  uint64_t max_request_body_bytes = 1 << 20;
  int read_timeout_seconds = 30;
  int write_timeout_seconds = 60;
  // After a transient upstream failure, metadata is answered from the store
  // without asking the upstream again for this long.
  int upstream_failure_hold_seconds = 10;
  // A new pull-through is refused (507) unless the store's filesystem keeps
  // this much free beyond the file itself, so a full disk never breaks a
  // download midway nor starves the index.
  uint64_t min_free_bytes = 256ull << 20;
  // Entries per page of a tree listing (the Hub uses 1000).
  int tree_page_size = 1000;
  // A client streaming a file still being fetched gives up when no new byte
  // arrived from upstream for this long.
  int fetch_stall_timeout_seconds = 120;
  // Base URL clients reach this server at, for pagination Links; empty means
  // "derive from the request's Host header".
  std::string public_url;
  // JSON-lines access log of every request (access_log.h); "" = none.
  std::string access_log_path;
  // The upstreams in the order they are asked ([upstream], or the
  // [[upstreams]] list): never empty. A request the first cannot answer
  // (unreachable, timeout, 5xx) goes to the next (UpstreamChain).
  std::vector<UpstreamOptions> upstreams = {UpstreamOptions{}};
  SyncOptions sync;
  // Who may read what, and the download audit log.
  AccessOptions access;
  XetOptions xet;
  PublishOptions publish;
};

// Reads a TOML config file into `options` (keys absent from the file keep
// their current value). Unknown keys are an error, so typos do not pass silently.
Status LoadConfigFile(const std::string& path, ServerOptions* options);
// Every key LoadConfigFile accepts, spelled "server.listen", "sync.repos",
// "sync.repos[].include", ... (docs/configuration.md documents each one).
std::vector<std::string> ConfigKeys();
// "1234", "512M", "10G", "1.5T" (binary units; a trailing "B"/"iB" is allowed)
// into bytes.
Result<uint64_t> ParseByteSize(std::string_view text);
// "HOST:PORT" or "[V6]:PORT" into listen_host / listen_port.
Status ParseListenAddress(const std::string& listen, ServerOptions* options);
// Range and consistency checks, run once after all sources were applied.
Status ValidateOptions(const ServerOptions& options);

}  // namespace hubmirror
