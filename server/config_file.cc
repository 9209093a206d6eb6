#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <span>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "server/options.h"
#include "store/hash.h"

namespace hubmirror {
namespace {

// Every key the parser reads, per table; an unknown key is an error.
constexpr std::string_view kRootKeys[] = {"server", "store", "upstream", "upstreams", "sync",
                                          "access", "xet", "publish"};
constexpr std::string_view kServerKeys[] = {
    "listen", "offline", "revision_ttl_seconds", "worker_threads", "max_concurrent_fetches",
    "max_request_body_bytes", "read_timeout_seconds", "write_timeout_seconds",
    "keep_alive_timeout_seconds", "keep_alive_max_requests", "tree_page_size",
    "fetch_stall_timeout_seconds", "public_url", "min_free_bytes", "access_log",
    "request_head_timeout_seconds", "max_request_head_bytes", "max_request_headers",
    "max_connections", "max_connections_per_client"};
constexpr std::string_view kStoreKeys[] = {"dir", "max_bytes", "low_water_percent", "postgres",
                                           "cache_max_bytes"};
// Keys of [store] plus its sub-table [store.s3].
constexpr std::string_view kStoreKeysAndTables[] = {
    "dir", "max_bytes", "low_water_percent", "postgres", "cache_max_bytes", "s3"};
constexpr std::string_view kStoreS3Keys[] = {"endpoint",      "bucket",           "region",
                                             "prefix",        "addressing",       "access_key_id",
                                             "secret_access_key", "create_bucket"};
constexpr std::string_view kUpstreamKeys[] = {
    "url", "token", "connect_timeout_ms", "low_speed_bytes_per_sec", "low_speed_time_sec",
    "metadata_timeout_ms", "max_attempts", "backoff_initial_ms", "backoff_max_ms",
    "hold_off_seconds"};
constexpr std::string_view kSyncKeys[] = {"interval_seconds", "concurrency", "repos"};
constexpr std::string_view kSyncRepoKeys[] = {"repo", "revisions", "include", "exclude", "pin"};
constexpr std::string_view kAccessKeys[] = {"anonymous", "audit_log", "tokens"};
constexpr std::string_view kAccessTokenKeys[] = {"name", "token", "token_sha256", "repos",
                                                 "write"};
constexpr std::string_view kPublishKeys[] = {"namespaces", "lfs_part_bytes",
                                             "upload_url_ttl_seconds"};
constexpr std::string_view kXetKeys[] = {"serve", "token_ttl_seconds", "url_ttl_seconds", "pull"};

// Copies `table[key]` into `*out` when present; a value of the wrong type is an
// error naming the key.
template <typename T>
Status Read(const toml::table& table, const std::string& prefix, const char* key, T* out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::Ok();
  std::optional<T> value = node->value<T>();
  if (!value) {
    return Status::InvalidArgument("config key '" + prefix + key + "' has the wrong type");
  }
  *out = *value;
  return Status::Ok();
}

Status CheckKnownKeys(const toml::table& table, const std::string& prefix,
                      std::span<const std::string_view> known) {
  for (const auto& [key, node] : table) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
      return Status::InvalidArgument("unknown config key '" + prefix + std::string(key.str()) +
                                     "'");
    }
  }
  return Status::Ok();
}

// A byte count, as an integer or as text ("500G", "1.5T"), when present.
Status ReadByteSize(const toml::table& table, const std::string& prefix, const char* key,
                    uint64_t* out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::Ok();
  if (std::optional<int64_t> n = node->value<int64_t>()) {
    if (*n < 0) return Status::InvalidArgument("config key '" + prefix + key + "' must be >= 0");
    *out = static_cast<uint64_t>(*n);
    return Status::Ok();
  }
  if (std::optional<std::string> text = node->value<std::string>()) {
    Result<uint64_t> parsed = ParseByteSize(*text);
    if (!parsed.ok()) {
      return Status::InvalidArgument("config key '" + prefix + key + "': " +
                                     parsed.status().message());
    }
    *out = *parsed;
    return Status::Ok();
  }
  return Status::InvalidArgument("config key '" + prefix + key + "' has the wrong type");
}

// Copies an array of strings at `table[key]` into `*out` when present.
Status ReadStrings(const toml::table& table, const std::string& prefix, const char* key,
                   std::vector<std::string>* out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::Ok();
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return Status::InvalidArgument("config key '" + prefix + key + "' must be a list of strings");
  }
  std::vector<std::string> values;
  for (const toml::node& element : *array) {
    std::optional<std::string> value = element.value<std::string>();
    if (!value) {
      return Status::InvalidArgument("config key '" + prefix + key + "' must be a list of strings");
    }
    values.push_back(std::move(*value));
  }
  *out = std::move(values);
  return Status::Ok();
}

// [upstream] or one [[upstreams]] table, keys spelled `prefix` + key.
Status ReadUpstream(const toml::table& table, const std::string& prefix, UpstreamOptions* up) {
  HM_RETURN_IF_ERROR(CheckKnownKeys(table, prefix, kUpstreamKeys));
  HM_RETURN_IF_ERROR(Read(table, prefix, "url", &up->endpoint));
  while (!up->endpoint.empty() && up->endpoint.back() == '/') up->endpoint.pop_back();
  HM_RETURN_IF_ERROR(Read(table, prefix, "token", &up->token));
  HM_RETURN_IF_ERROR(Read(table, prefix, "connect_timeout_ms", &up->connect_timeout_ms));
  HM_RETURN_IF_ERROR(
      Read(table, prefix, "low_speed_bytes_per_sec", &up->low_speed_bytes_per_sec));
  HM_RETURN_IF_ERROR(Read(table, prefix, "low_speed_time_sec", &up->low_speed_time_sec));
  HM_RETURN_IF_ERROR(Read(table, prefix, "metadata_timeout_ms", &up->metadata_timeout_ms));
  HM_RETURN_IF_ERROR(Read(table, prefix, "max_attempts", &up->max_attempts));
  HM_RETURN_IF_ERROR(Read(table, prefix, "backoff_initial_ms", &up->backoff_initial_ms));
  HM_RETURN_IF_ERROR(Read(table, prefix, "backoff_max_ms", &up->backoff_max_ms));
  HM_RETURN_IF_ERROR(Read(table, prefix, "hold_off_seconds", &up->hold_off_seconds));
  return Status::Ok();
}

// One [[sync.repos]] table: repo (required), revisions, include, exclude.
Result<SyncRepoSpec> ReadSyncRepo(const toml::table& table, size_t index) {
  const std::string prefix = "sync.repos[" + std::to_string(index) + "].";
  HM_RETURN_IF_ERROR(CheckKnownKeys(table, prefix, kSyncRepoKeys));
  std::string repo;
  HM_RETURN_IF_ERROR(Read(table, prefix, "repo", &repo));
  if (repo.empty()) return Status::InvalidArgument("config key '" + prefix + "repo' is required");
  Result<SyncRepoSpec> spec = ParseSyncRepoSpec(repo);
  if (!spec.ok()) {
    return Status::InvalidArgument("config key '" + prefix + "repo': " + spec.status().message());
  }
  std::vector<std::string> revisions;
  HM_RETURN_IF_ERROR(ReadStrings(table, prefix, "revisions", &revisions));
  for (const std::string& revision : revisions) {
    if (Status st = ValidateRevision(revision); !st.ok()) {
      return Status::InvalidArgument("config key '" + prefix + "revisions': '" + revision +
                                     "': " + st.message());
    }
    spec->revisions.push_back(revision);
  }
  HM_RETURN_IF_ERROR(ReadStrings(table, prefix, "include", &spec->include));
  HM_RETURN_IF_ERROR(ReadStrings(table, prefix, "exclude", &spec->exclude));
  HM_RETURN_IF_ERROR(Read(table, prefix, "pin", &spec->pin));
  return spec;
}

Status ReadSyncSection(const toml::table& sync, SyncOptions* options) {
  HM_RETURN_IF_ERROR(CheckKnownKeys(sync, "sync.", kSyncKeys));
  HM_RETURN_IF_ERROR(Read(sync, "sync.", "interval_seconds", &options->interval_seconds));
  HM_RETURN_IF_ERROR(Read(sync, "sync.", "concurrency", &options->concurrency));
  const toml::node* repos = sync.get("repos");
  if (repos == nullptr) return Status::Ok();
  const toml::array* array = repos->as_array();
  if (array == nullptr) {
    return Status::InvalidArgument(
        "config key 'sync.repos' must be a list of [[sync.repos]] tables");
  }
  options->repos.clear();
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::table* table = array->get(i)->as_table();
    if (table == nullptr) {
      return Status::InvalidArgument("config key 'sync.repos[" + std::to_string(i) +
                                     "]' must be a table");
    }
    HM_ASSIGN_OR_RETURN(SyncRepoSpec spec, ReadSyncRepo(*table, i));
    options->repos.push_back(std::move(spec));
  }
  return Status::Ok();
}

// One [[access.tokens]] table: name, token or token_sha256, repos.
Result<AccessToken> ReadAccessToken(const toml::table& table, size_t index) {
  const std::string prefix = "access.tokens[" + std::to_string(index) + "].";
  HM_RETURN_IF_ERROR(CheckKnownKeys(table, prefix, kAccessTokenKeys));
  AccessToken token;
  std::string plain;
  HM_RETURN_IF_ERROR(Read(table, prefix, "name", &token.name));
  HM_RETURN_IF_ERROR(Read(table, prefix, "token", &plain));
  HM_RETURN_IF_ERROR(Read(table, prefix, "token_sha256", &token.token_sha256));
  HM_RETURN_IF_ERROR(ReadStrings(table, prefix, "repos", &token.repos));
  HM_RETURN_IF_ERROR(ReadStrings(table, prefix, "write", &token.write));
  if (token.name.empty()) return Status::InvalidArgument("config key '" + prefix + "name' is required");
  if (plain.empty() == token.token_sha256.empty()) {
    return Status::InvalidArgument("config: " + prefix + " needs exactly one of 'token' or "
                                   "'token_sha256' (sha256sum of the token, lower-case hex)");
  }
  if (!plain.empty()) token.token_sha256 = Sha256Hex(plain);
  if (!IsLowerHex(token.token_sha256, 64)) {
    return Status::InvalidArgument("config key '" + prefix + "token_sha256' must be 64 lower-case hex");
  }
  if (token.repos.empty() && token.write.empty()) {
    return Status::InvalidArgument("config key '" + prefix +
                                   "repos' (or 'write') must list at least one pattern");
  }
  return token;
}

// [access]: anonymous, audit_log, [[access.tokens]].
Status ReadAccessSection(const toml::table& table, AccessOptions* options) {
  HM_RETURN_IF_ERROR(CheckKnownKeys(table, "access.", kAccessKeys));
  HM_RETURN_IF_ERROR(Read(table, "access.", "anonymous", &options->anonymous));
  HM_RETURN_IF_ERROR(Read(table, "access.", "audit_log", &options->audit_log_path));
  const toml::node* tokens = table.get("tokens");
  if (tokens == nullptr) return Status::Ok();
  const toml::array* array = tokens->as_array();
  if (array == nullptr) {
    return Status::InvalidArgument("config key 'access.tokens' must be an array of tables");
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::table* entry = (*array)[i].as_table();
    if (entry == nullptr) {
      return Status::InvalidArgument("config key 'access.tokens[" + std::to_string(i) +
                                     "]' must be a table");
    }
    HM_ASSIGN_OR_RETURN(AccessToken token, ReadAccessToken(*entry, i));
    options->tokens.push_back(std::move(token));
  }
  return Status::Ok();
}

}  // namespace

Status LoadConfigFile(const std::string& path, ServerOptions* options) {
  // toml++ is built with exceptions; they stop here.
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "cannot read config " << path << ": " << e.description() << " (line "
        << e.source().begin.line << ")";
    return Status::InvalidArgument(msg.str());
  }
  HM_RETURN_IF_ERROR(CheckKnownKeys(root, "", kRootKeys));

  if (const toml::table* server = root["server"].as_table()) {
    HM_RETURN_IF_ERROR(CheckKnownKeys(*server, "server.", kServerKeys));
    std::string listen;
    HM_RETURN_IF_ERROR(Read(*server, "server.", "listen", &listen));
    if (!listen.empty()) HM_RETURN_IF_ERROR(ParseListenAddress(listen, options));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "offline", &options->offline));
    HM_RETURN_IF_ERROR(
        Read(*server, "server.", "revision_ttl_seconds", &options->revision_ttl_seconds));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "worker_threads", &options->worker_threads));
    HM_RETURN_IF_ERROR(
        Read(*server, "server.", "max_concurrent_fetches", &options->max_concurrent_fetches));
    HM_RETURN_IF_ERROR(
        Read(*server, "server.", "max_request_body_bytes", &options->max_request_body_bytes));
    HM_RETURN_IF_ERROR(
        Read(*server, "server.", "read_timeout_seconds", &options->read_timeout_seconds));
    HM_RETURN_IF_ERROR(
        Read(*server, "server.", "write_timeout_seconds", &options->write_timeout_seconds));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "keep_alive_timeout_seconds",
                            &options->keep_alive_timeout_seconds));
    HM_RETURN_IF_ERROR(
        Read(*server, "server.", "keep_alive_max_requests", &options->keep_alive_max_requests));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "tree_page_size", &options->tree_page_size));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "fetch_stall_timeout_seconds",
                            &options->fetch_stall_timeout_seconds));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "public_url", &options->public_url));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "min_free_bytes", &options->min_free_bytes));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "access_log", &options->access_log_path));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "request_head_timeout_seconds",
                            &options->request_head_timeout_seconds));
    HM_RETURN_IF_ERROR(
        Read(*server, "server.", "max_request_head_bytes", &options->max_request_head_bytes));
    HM_RETURN_IF_ERROR(
        Read(*server, "server.", "max_request_headers", &options->max_request_headers));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "max_connections", &options->max_connections));
    HM_RETURN_IF_ERROR(Read(*server, "server.", "max_connections_per_client",
                            &options->max_connections_per_client));
  }
  if (const toml::table* store = root["store"].as_table()) {
    HM_RETURN_IF_ERROR(CheckKnownKeys(*store, "store.", kStoreKeysAndTables));
    HM_RETURN_IF_ERROR(Read(*store, "store.", "dir", &options->store_dir));
    HM_RETURN_IF_ERROR(ReadByteSize(*store, "store.", "max_bytes", &options->max_store_bytes));
    HM_RETURN_IF_ERROR(
        Read(*store, "store.", "low_water_percent", &options->store_low_water_percent));
    HM_RETURN_IF_ERROR(Read(*store, "store.", "postgres", &options->scale_out.postgres));
    HM_RETURN_IF_ERROR(
        ReadByteSize(*store, "store.", "cache_max_bytes", &options->scale_out.cache_max_bytes));
    if (const toml::node* s3 = store->get("s3")) {
      const toml::table* table = s3->as_table();
      if (table == nullptr) return Status::InvalidArgument("config key 'store.s3' must be a table");
      HM_RETURN_IF_ERROR(CheckKnownKeys(*table, "store.s3.", kStoreS3Keys));
      S3Options& o = options->scale_out.s3;
      HM_RETURN_IF_ERROR(Read(*table, "store.s3.", "endpoint", &o.endpoint));
      HM_RETURN_IF_ERROR(Read(*table, "store.s3.", "bucket", &o.bucket));
      HM_RETURN_IF_ERROR(Read(*table, "store.s3.", "region", &o.region));
      HM_RETURN_IF_ERROR(Read(*table, "store.s3.", "prefix", &o.prefix));
      HM_RETURN_IF_ERROR(Read(*table, "store.s3.", "access_key_id", &o.credentials.access_key_id));
      HM_RETURN_IF_ERROR(Read(*table, "store.s3.", "secret_access_key",
                              &o.credentials.secret_access_key));
      HM_RETURN_IF_ERROR(
          Read(*table, "store.s3.", "create_bucket", &options->scale_out.create_bucket));
      std::string addressing = "path";
      HM_RETURN_IF_ERROR(Read(*table, "store.s3.", "addressing", &addressing));
      if (addressing != "path" && addressing != "virtual") {
        return Status::InvalidArgument("config key 'store.s3.addressing' must be \"path\" "
                                       "(endpoint/bucket/key) or \"virtual\" "
                                       "(bucket.endpoint/key), not '" + addressing + "'");
      }
      o.path_style = addressing == "path";
      if (o.bucket.empty()) {
        return Status::InvalidArgument("config key 'store.s3.bucket' is required in [store.s3]");
      }
      options->scale_out.use_s3 = true;
    }
  }
  if (root.contains("upstream") && root.contains("upstreams")) {
    return Status::InvalidArgument(
        "config has both [upstream] and [[upstreams]]: use [upstream] for one upstream, or "
        "list every upstream, in order, as [[upstreams]] tables");
  }
  if (const toml::node* upstream = root.get("upstream")) {
    const toml::table* table = upstream->as_table();
    if (table == nullptr) return Status::InvalidArgument("config key 'upstream' must be a table");
    HM_RETURN_IF_ERROR(ReadUpstream(*table, "upstream.", &options->upstreams.front()));
  }
  if (const toml::node* upstreams = root.get("upstreams")) {
    const toml::array* array = upstreams->as_array();
    if (array == nullptr || array->empty()) {
      return Status::InvalidArgument(
          "config key 'upstreams' must be a non-empty list of [[upstreams]] tables");
    }
    options->upstreams.clear();
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::table* table = (*array)[i].as_table();
      const std::string prefix = "upstreams[" + std::to_string(i) + "].";
      if (table == nullptr) {
        return Status::InvalidArgument("config key '" + prefix.substr(0, prefix.size() - 1) +
                                       "' must be a table");
      }
      UpstreamOptions up;
      HM_RETURN_IF_ERROR(ReadUpstream(*table, prefix, &up));
      if (!table->contains("url")) {
        return Status::InvalidArgument("config key '" + prefix + "url' is required");
      }
      options->upstreams.push_back(std::move(up));
    }
  }
  if (const toml::node* sync = root.get("sync")) {
    const toml::table* table = sync->as_table();
    if (table == nullptr) return Status::InvalidArgument("config key 'sync' must be a table");
    HM_RETURN_IF_ERROR(ReadSyncSection(*table, &options->sync));
  }
  if (const toml::node* access = root.get("access")) {
    const toml::table* table = access->as_table();
    if (table == nullptr) return Status::InvalidArgument("config key 'access' must be a table");
    HM_RETURN_IF_ERROR(ReadAccessSection(*table, &options->access));
  }
  if (const toml::node* xet = root.get("xet")) {
    const toml::table* table = xet->as_table();
    if (table == nullptr) return Status::InvalidArgument("config key 'xet' must be a table");
    HM_RETURN_IF_ERROR(CheckKnownKeys(*table, "xet.", kXetKeys));
    HM_RETURN_IF_ERROR(Read(*table, "xet.", "serve", &options->xet.serve));
    HM_RETURN_IF_ERROR(
        Read(*table, "xet.", "token_ttl_seconds", &options->xet.token_ttl_seconds));
    HM_RETURN_IF_ERROR(Read(*table, "xet.", "url_ttl_seconds", &options->xet.url_ttl_seconds));
    HM_RETURN_IF_ERROR(Read(*table, "xet.", "pull", &options->xet.pull));
  }
  if (const toml::node* publish = root.get("publish")) {
    const toml::table* table = publish->as_table();
    if (table == nullptr) return Status::InvalidArgument("config key 'publish' must be a table");
    HM_RETURN_IF_ERROR(CheckKnownKeys(*table, "publish.", kPublishKeys));
    HM_RETURN_IF_ERROR(
        ReadStrings(*table, "publish.", "namespaces", &options->publish.namespaces));
    HM_RETURN_IF_ERROR(
        Read(*table, "publish.", "lfs_part_bytes", &options->publish.lfs_part_bytes));
    HM_RETURN_IF_ERROR(Read(*table, "publish.", "upload_url_ttl_seconds",
                            &options->publish.upload_url_ttl_seconds));
  }
  return ValidateOptions(*options);
}

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> keys;
  const auto add = [&keys](const std::string& prefix, std::span<const std::string_view> names) {
    for (std::string_view name : names) keys.push_back(prefix + std::string(name));
  };
  add("server.", kServerKeys);
  add("store.", kStoreKeys);
  add("store.s3.", kStoreS3Keys);
  add("upstream.", kUpstreamKeys);
  keys.push_back("upstreams");
  add("upstreams[].", kUpstreamKeys);
  add("sync.", kSyncKeys);
  add("sync.repos[].", kSyncRepoKeys);
  add("access.", kAccessKeys);
  add("access.tokens[].", kAccessTokenKeys);
  add("xet.", kXetKeys);
  add("publish.", kPublishKeys);
  return keys;
}

Status ParseListenAddress(const std::string& listen, ServerOptions* options) {
  // HOST:PORT, with [v6]:PORT for IPv6.
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Status::InvalidArgument("listen address '" + listen + "' must be HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = -1;
  const char* digits = listen.data() + colon + 1;
  const char* end = listen.data() + listen.size();
  auto [ptr, ec] = std::from_chars(digits, end, port);
  if (ec != std::errc() || ptr != end || port < 0 || port > 65535) {
    return Status::InvalidArgument("listen address '" + listen + "' has an invalid port");
  }
  options->listen_host = host;
  options->listen_port = port;
  return Status::Ok();
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  const std::string original(text);
  auto bad = [&] {
    return Status::InvalidArgument("'" + original +
                                   "' is not a size (e.g. 1073741824, 512M, 10G, 1.5T)");
  };
  if (text.ends_with("iB")) {
    text.remove_suffix(2);
  } else if (text.ends_with("B")) {
    text.remove_suffix(1);
  }
  uint64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K': case 'k': unit = uint64_t{1} << 10; break;
      case 'M': case 'm': unit = uint64_t{1} << 20; break;
      case 'G': case 'g': unit = uint64_t{1} << 30; break;
      case 'T': case 't': unit = uint64_t{1} << 40; break;
      default: break;
    }
    if (unit != 1) text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 32) return bad();
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '.')) return bad();
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0) return bad();
  const double bytes = value * static_cast<double>(unit);
  if (bytes >= 1.8e19) return bad();
  return static_cast<uint64_t>(bytes);
}

Status ValidateOptions(const ServerOptions& options) {
  auto bad = [](const std::string& m) { return Status::InvalidArgument("config: " + m); };
  if (options.store_dir.empty()) return bad("store directory must not be empty");
  if (options.store_low_water_percent < 1 || options.store_low_water_percent > 100) {
    return bad("store.low_water_percent must be in 1..100");
  }
  if (options.scale_out.enabled() && !options.scale_out.use_s3) {
    return bad("store.postgres is set but [store.s3] is not: nodes sharing one index must "
               "share their xorbs too (docs/deployment.md)");
  }
  if (options.upstreams.empty()) return bad("at least one upstream is needed");
  for (const UpstreamOptions& up : options.upstreams) {
    if (!options.offline && up.endpoint.rfind("http://", 0) != 0 &&
        up.endpoint.rfind("https://", 0) != 0) {
      return bad("upstream URL '" + up.endpoint + "' must start with http(s)://");
    }
    if (up.max_attempts < 1) return bad("upstream max_attempts must be >= 1");
    if (up.hold_off_seconds < 0) return bad("upstream hold_off_seconds must be >= 0");
  }
  if (options.revision_ttl_seconds < 0) return bad("revision_ttl_seconds must be >= 0");
  if (options.worker_threads < 1 || options.worker_threads > 4096) {
    return bad("worker_threads must be in 1..4096");
  }
  if (options.keep_alive_timeout_seconds < 1 || options.keep_alive_timeout_seconds > 3600) {
    return bad("keep_alive_timeout_seconds must be in 1..3600");
  }
  if (options.keep_alive_max_requests < 1) return bad("keep_alive_max_requests must be >= 1");
  if (options.request_head_timeout_seconds < 1 || options.request_head_timeout_seconds > 3600) {
    return bad("request_head_timeout_seconds must be in 1..3600");
  }
  if (options.max_request_head_bytes < 1024 || options.max_request_head_bytes > (1u << 24)) {
    return bad("max_request_head_bytes must be in 1024..16777216");
  }
  if (options.max_request_headers < 8 || options.max_request_headers > 10000) {
    return bad("max_request_headers must be in 8..10000");
  }
  if (options.max_connections < 16 || options.max_connections > 1000000) {
    return bad("max_connections must be in 16..1000000");
  }
  if (options.max_connections_per_client < 1 ||
      options.max_connections_per_client > options.max_connections) {
    return bad("max_connections_per_client must be in 1..max_connections");
  }
  if (options.max_concurrent_fetches < 1 || options.max_concurrent_fetches > 1024) {
    return bad("max_concurrent_fetches must be in 1..1024");
  }
  if (options.tree_page_size < 1 || options.tree_page_size > 100000) {
    return bad("tree_page_size must be in 1..100000");
  }
  if (options.sync.interval_seconds < 0) return bad("sync.interval_seconds must be >= 0");
  // hf_xet refreshes a token 30 s before it ends and treats a 401 as fatal.
  if (options.xet.token_ttl_seconds < 120 || options.xet.token_ttl_seconds > 86400) {
    return bad("xet.token_ttl_seconds must be in 120..86400");
  }
  if (options.xet.url_ttl_seconds < 60 || options.xet.url_ttl_seconds > 86400) {
    return bad("xet.url_ttl_seconds must be in 60..86400");
  }
  if (options.publish.lfs_part_bytes < (uint64_t{5} << 20) ||
      options.publish.lfs_part_bytes > (uint64_t{5} << 30)) {
    return bad("publish.lfs_part_bytes must be in 5 MiB..5 GiB");
  }
  if (options.publish.upload_url_ttl_seconds < 300 ||
      options.publish.upload_url_ttl_seconds > 7 * 86400) {
    return bad("publish.upload_url_ttl_seconds must be in 300..604800");
  }
  for (const std::string& ns : options.publish.namespaces) {
    if (ns.empty() || ns.find('/') != std::string::npos) {
      return bad("publish.namespaces entries are namespace patterns without '/' ('" + ns + "')");
    }
  }
  if (options.sync.concurrency < 1 || options.sync.concurrency > 64) {
    return bad("sync.concurrency must be in 1..64");
  }
  return Status::Ok();
}

}  // namespace hubmirror
