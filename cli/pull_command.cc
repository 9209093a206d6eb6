// `hubmirror pull`: download a repo from a hubmirror (or any Hugging
// Face-compatible hub) into the huggingface_hub cache or a plain folder.
// Flag handling and messages only; the work is RepoPuller's.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/progress_display.h"
#include "fetcher/hf_client_defaults.h"
#include "fetcher/repo_puller.h"
#include "fetcher/upstream.h"
#include "store/env.h"

namespace hubmirror {
namespace {

struct PullFlags {
  std::string repo;
  std::string revision = "main";
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::string local_dir;
  std::string cache_dir;
  std::string endpoint;
  int jobs = kDefaultPullJobs;
};

// So that the printed snapshot path works from any folder.
std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) return path;
  std::string out = absolute.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// What to do about a failure, by its kind.
std::string Advice(const Status& status, const PullFlags& flags, const std::string& endpoint) {
  switch (status.hub_error()) {
    case HubError::kRepoNotFound:
      return "check the repo name (datasets need the datasets/ prefix) and that " + endpoint +
             " serves it; for a private repo set HF_TOKEN";
    case HubError::kRevisionNotFound:
      return "check the revision '" + flags.revision + "' (a branch, tag, refs/pr/N or commit)";
    case HubError::kGatedRepo:
      return "accept the repo's conditions on the hub and set HF_TOKEN";
    case HubError::kEntryNotFound:
      return "the hub listed a file it cannot serve; try again or pin --revision to a commit";
    default:
      break;
  }
  switch (status.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return "check that " + endpoint +
             " is reachable (--endpoint or HF_ENDPOINT), then run the same command again; "
             "finished files are kept and partial ones resume";
    case StatusCode::kDataLoss:
      return "the bytes did not match the hub's checksum and were deleted; run the same "
             "command again, and if it repeats the hub serves corrupt data";
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return "set HF_TOKEN to a token with access, or fix the permissions of the target folder";
    case StatusCode::kResourceExhausted:
      return "free disk space (or pick another --cache-dir / --local-dir) and run again";
    default:
      return "run the same command again after fixing the cause; finished files are kept";
  }
}

int RunPull(const PullFlags& flags) {
  const EnvLookup env_lookup = ProcessEnvLookup();
  Result<RepoKey> repo = ParseRepoSpec(flags.repo);
  Result<std::string> endpoint = ResolveEndpoint(flags.endpoint, env_lookup);
  if (!repo.ok() || !endpoint.ok()) {
    const Status& bad = repo.ok() ? endpoint.status() : repo.status();
    std::fprintf(stderr, "hubmirror pull: %s\n", bad.message().c_str());
    return 2;
  }
  PullOptions options;
  options.repo = *repo;
  options.revision = flags.revision;
  options.filter = PathFilter(flags.include, flags.exclude);
  options.local_dir = flags.local_dir.empty() ? "" : AbsolutePath(flags.local_dir);
  options.jobs = flags.jobs;
  if (flags.local_dir.empty()) {
    Result<std::string> cache_dir = ResolveHubCacheDir(flags.cache_dir, env_lookup);
    if (!cache_dir.ok()) {
      std::fprintf(stderr, "hubmirror pull: %s\n", cache_dir.status().message().c_str());
      return 2;
    }
    options.cache_dir = AbsolutePath(*cache_dir);
  }

  UpstreamOptions upstream_options;
  upstream_options.endpoint = *endpoint;
  upstream_options.token = ResolveToken(env_lookup);
  std::unique_ptr<Upstream> upstream = NewCurlUpstream(upstream_options);
  std::unique_ptr<Env> env = NewPosixEnv();
  ProgressDisplay progress(stderr, isatty(STDERR_FILENO) == 1, env.get());
  RepoPuller puller(upstream.get(), &progress, env.get());

  Result<PullResult> result = puller.Pull(options);
  progress.Finish();
  if (!result.ok()) {
    std::fprintf(stderr, "hubmirror pull: failed: %s\n  from %s\n  fix: %s\n",
                 result.status().message().c_str(), endpoint->c_str(),
                 Advice(result.status(), flags, *endpoint).c_str());
    return 1;
  }
  for (const std::string& path : result->discarded_partials) {
    std::fprintf(stderr,
                 "hubmirror pull: note: the earlier partial download of %s did not verify; it "
                 "was deleted and the file downloaded again\n",
                 path.c_str());
  }
  if (result->files_selected == 0) {
    std::fprintf(stderr, "hubmirror pull: warning: no file of %s at %s matches the filters\n",
                 options.repo.ToString().c_str(), result->commit.c_str());
  }
  std::fprintf(stderr, "hubmirror pull: %s at %s (commit %s): %llu files, %llu downloaded\n",
               options.repo.ToString().c_str(), options.revision.c_str(),
               result->commit.c_str(), static_cast<unsigned long long>(result->files_selected),
               static_cast<unsigned long long>(result->files_downloaded));
  std::printf("%s\n", result->snapshot_path.c_str());
  return 0;
}

}  // namespace

void AddPullCommand(CLI::App* app, CommandRegistry* registry) {
  auto flags = std::make_shared<PullFlags>();
  CLI::App* pull = app->add_subcommand(
      "pull", "Download a repo from a hubmirror (or any Hugging Face-compatible hub)");
  pull->add_option("repo", flags->repo, "org/name, datasets/org/name, or a legacy name")
      ->required();
  pull->add_option("--revision", flags->revision, "Branch, tag, refs/pr/N or commit (default main)");
  pull->add_option("--include", flags->include, "Only files matching this glob (repeatable)")
      ->allow_extra_args(false);
  pull->add_option("--exclude", flags->exclude, "Skip files matching this glob (repeatable)")
      ->allow_extra_args(false);
  pull->add_option("--local-dir", flags->local_dir,
                   "Write plain files under DIR instead of the huggingface_hub cache");
  pull->add_option("--cache-dir", flags->cache_dir,
                   "Hub cache (default HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub)");
  pull->add_option("--endpoint", flags->endpoint,
                   std::string("Hub URL (default HF_ENDPOINT, else ") + kDefaultPullEndpoint + ")");
  pull->add_option("--jobs,-j", flags->jobs, "Parallel downloads")
      ->check(CLI::Range(1, kMaxPullJobs));
  pull->footer(
      "The token is read from HF_TOKEN and sent only to the endpoint's host. Prints the "
      "snapshot folder on stdout; progress goes to stderr. Interrupted downloads resume.");
  pull->callback([flags, registry] {
    registry->selected = [flags] { return RunPull(*flags); };
  });
}

}  // namespace hubmirror
