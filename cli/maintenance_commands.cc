// `hubmirror pin`, `unpin`, `gc` and `ls`: what a store keeps and what it
// may let go (store/retention.h). All are safe while `hubmirror serve` runs
// on the same store.
//
// Exit codes: 0 success, 1 the operation failed, 2 bad command line.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/store_dir.h"
#include "fetcher/sync_list.h"
#include "store/chunked_object_store.h"
#include "store/entry_objects.h"
#include "store/env.h"
#include "store/human_format.h"
#include "store/index/index.h"
#include "store/index/repo_listing.h"
#include "store/index/retention_db.h"
#include "store/repo_key.h"
#include "store/upkeep/retention.h"

namespace hubmirror {
namespace {

int Fail(const char* command, const std::string& message) {
  std::fprintf(stderr, "hubmirror %s: %s\n", command, message.c_str());
  return 1;
}

// The store plus its retention database.
struct OpenStore {
  std::unique_ptr<Env> env;
  StoreHandles handles;
  std::unique_ptr<RetentionDb> retention;
};

Result<OpenStore> Open(const StoreTarget& target) {
  OpenStore s;
  s.env = NewPosixEnv();
  HM_ASSIGN_OR_RETURN(s.handles, OpenStoreTarget(s.env.get(), target));
  HM_ASSIGN_OR_RETURN(sql::DbLocation retention, RetentionLocation(target));
  HM_ASSIGN_OR_RETURN(s.retention, RetentionDb::Open(retention));
  return s;
}

// REPO[@rev] as `hubmirror sync` spells it; no revision pins every one.
Result<Pin> ParsePin(const std::string& text) {
  HM_ASSIGN_OR_RETURN(SyncRepoSpec spec, ParseSyncRepoSpec(text));
  if (spec.whole_author) {
    return Status::InvalidArgument("'" + text + "': pin one repo at a time, not a whole author");
  }
  Pin pin;
  pin.repo.type = spec.type;
  pin.repo.id = spec.id;
  if (!spec.revisions.empty()) pin.revision = spec.revisions.front();
  return pin;
}

std::string PinName(const Pin& pin) {
  return pin.repo.ToString() + (pin.revision.empty() ? " (every revision)" : "@" + pin.revision);
}

int RunPin(const StoreTarget& dir, const std::string& repo, bool pin_it) {
  const char* command = pin_it ? "pin" : "unpin";
  Result<Pin> pin = ParsePin(repo);
  if (!pin.ok()) {
    std::fprintf(stderr, "hubmirror %s: %s\n", command, pin.status().message().c_str());
    return 2;
  }
  Result<OpenStore> s = Open(dir);
  if (!s.ok()) return Fail(command, s.status().message());
  if (pin_it) {
    if (Status st = s->retention->AddPin(*pin); !st.ok()) return Fail(command, st.message());
    std::printf("pinned %s: kept when the store is over its size limit\n", PinName(*pin).c_str());
    return 0;
  }
  Result<bool> removed = s->retention->RemovePin(*pin);
  if (!removed.ok()) return Fail(command, removed.status().message());
  if (!*removed) {
    std::string pins;
    if (auto all = s->retention->ListPins(); all.ok()) {
      for (const Pin& p : *all) {
        if (p.repo == pin->repo) pins += " " + PinName(p);
      }
    }
    return Fail(command, PinName(*pin) + " is not pinned" +
                             (pins.empty() ? "" : "; pins of this repo:" + pins));
  }
  std::printf("unpinned %s\n", PinName(*pin).c_str());
  return 0;
}

int RunGc(const StoreTarget& dir, bool dry_run, int64_t min_age_seconds) {
  Result<OpenStore> s = Open(dir);
  if (!s.ok()) return Fail("gc", s.status().message());
  GcOptions options;
  options.now_micros = s->env->NowMicros();
  options.min_age_micros = min_age_seconds * 1'000'000;
  options.dry_run = dry_run;
  Result<GcReport> report = CollectGarbage(s->handles.index.get(), s->handles.objects.get(),
                                           s->retention.get(), options);
  if (!report.ok()) return Fail("gc", report.status().message());
  for (const ChunkedObjectRow& row : report->removed) {
    std::printf("%s %s (%s)\n", dry_run ? "would remove" : "removed", row.sha256.c_str(),
                FormatByteSize(row.size).c_str());
  }
  std::printf("%s%zu unreferenced objects (%s)", dry_run ? "dry run: " : "",
              report->removed.size(), FormatByteSize(report->removed_bytes).c_str());
  if (report->kept_too_young > 0) {
    std::printf(", %llu kept (younger than --min-age)",
                static_cast<unsigned long long>(report->kept_too_young));
  }
  if (!dry_run) {
    std::printf("; %llu xorbs compacted, %s freed on disk",
                static_cast<unsigned long long>(report->compaction.xorbs_compacted),
                FormatByteSize(report->compaction.freed()).c_str());
    if (report->compaction.xorbs_busy > 0) {
      std::printf(" (%llu xorbs in use by a writer left for next time)",
                  static_cast<unsigned long long>(report->compaction.xorbs_busy));
    }
  }
  std::printf("\n");
  return 0;
}

// The files of one revision of a stored repo, with their identities.
int RunLsFiles(const StoreTarget& dir, const std::string& spec_text, bool json) {
  Result<Pin> spec = ParsePin(spec_text);
  if (!spec.ok()) return Fail("ls", spec.status().message());
  const std::string revision = spec->revision.empty() ? "main" : spec->revision;
  Result<OpenStore> s = Open(dir);
  if (!s.ok()) return Fail("ls", s.status().message());
  Index* index = s->handles.index.get();
  std::string commit = revision;
  if (!IsCommitSha(revision)) {
    auto ref = index->GetRef(spec->repo, revision);
    if (!ref.ok()) return Fail("ls", ref.status().message());
    if (!ref->has_value()) {
      return Fail("ls", spec->repo.ToString() + "@" + revision + " is not in store " +
                            (dir.config.empty() ? dir.dir : "of " + dir.config) + "; run `hubmirror sync " + spec_text + "` first");
    }
    commit = (*ref)->commit;
  }
  auto entries = index->ListEntries(spec->repo, commit, "", /*recursive=*/true);
  if (!entries.ok()) return Fail("ls", entries.status().message());
  nlohmann::json files = nlohmann::json::array();
  std::string table;
  size_t stored_count = 0;
  for (const EntryRecord& e : *entries) {
    if (e.is_directory) continue;
    auto stored = FindStoredObject(index, s->handles.objects.get(), e);
    if (!stored.ok()) return Fail("ls", stored.status().message());
    std::string sha256 = e.is_lfs ? e.lfs_sha256 : (stored->has_value() ? **stored : "");
    std::string xet_hash;
    if (stored->has_value()) {
      ++stored_count;
      auto object = index->GetObject(**stored);
      if (object.ok() && object->has_value()) xet_hash = (*object)->xet_hash;
    }
    files.push_back({{"path", e.path},
                     {"size", e.size},
                     {"sha256", sha256},
                     {"git_oid", e.oid},
                     {"xet_hash", xet_hash},
                     {"stored", stored->has_value()}});
    table += std::string(stored->has_value() ? "  stored   " : "  missing  ") + e.path + "  " +
             FormatByteSize(e.size) + (xet_hash.empty() ? "" : "  xet " + xet_hash) + "\n";
  }
  if (json) {
    nlohmann::json doc = {{"type", RepoTypeName(spec->repo.type)},
                          {"id", spec->repo.id},
                          {"revision", revision},
                          {"commit", commit},
                          {"files", std::move(files)}};
    std::printf("%s\n", doc.dump().c_str());
  } else {
    std::printf("%s@%s (commit %s): %zu files, %zu stored\n%s", spec->repo.ToString().c_str(),
                revision.c_str(), commit.c_str(), files.size(), stored_count, table.c_str());
  }
  return 0;
}

int RunLs(const StoreTarget& dir, bool json) {
  Result<OpenStore> s = Open(dir);
  if (!s.ok()) return Fail("ls", s.status().message());
  Result<std::vector<RepoListing>> repos =
      ListStoredRepos(s->handles.index.get(), s->handles.objects.get(), s->retention.get());
  if (!repos.ok()) return Fail("ls", repos.status().message());
  std::string out = json ? RepoListingJson(*repos) + "\n"
                         : RepoListingTable(*repos, s->env->NowMicros());
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

void AddMaintenanceCommands(CLI::App* app, CommandRegistry* registry) {
  auto dir = std::make_shared<StoreTarget>();
  auto repo = std::make_shared<std::string>();
  const char* config_help =
      "a node's config file: its store, also on PostgreSQL and a bucket (instead of --store)";
  for (bool pin_it : {true, false}) {
    CLI::App* cmd = app->add_subcommand(
        pin_it ? "pin" : "unpin",
        pin_it ? "Keep a repo (or one revision) when the store is over its size limit"
               : "Let a pinned repo or revision be evicted again");
    cmd->add_option("--store", dir->dir, "store directory")->capture_default_str();
    cmd->add_option("--config", dir->config, config_help);
    cmd->add_option("repo", *repo, "org/name[@rev] or datasets/org/name[@rev]")->required();
    cmd->callback([registry, dir, repo, pin_it] {
      registry->selected = [dir, repo, pin_it] { return RunPin(*dir, *repo, pin_it); };
    });
  }

  auto dry_run = std::make_shared<bool>(false);
  auto min_age = std::make_shared<int64_t>(3600);
  CLI::App* gc = app->add_subcommand(
      "gc", "Remove stored files no revision references and compact xorbs (safe while serving)");
  gc->add_option("--store", dir->dir, "store directory")->capture_default_str();
  gc->add_option("--config", dir->config, config_help);
  gc->add_flag("--dry-run", *dry_run, "only list what would be removed");
  gc->add_option("--min-age", *min_age,
                 "spare objects stored less than this many seconds ago (a server may be about "
                 "to index them)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  gc->callback([registry, dir, dry_run, min_age] {
    registry->selected = [dir, dry_run, min_age] { return RunGc(*dir, *dry_run, *min_age); };
  });

  auto json = std::make_shared<bool>(false);
  auto ls_repo = std::make_shared<std::string>();
  CLI::App* ls = app->add_subcommand(
      "ls",
      "List stored repos (revisions, files stored, size, pinned, last access), or with REPO[@rev] "
      "the files of one revision (path, size, sha256, Xet hash, stored or not)");
  ls->add_option("--store", dir->dir, "store directory")->capture_default_str();
  ls->add_option("--config", dir->config, config_help);
  ls->add_flag("--json", *json, "print JSON");
  ls->add_option("repo", *ls_repo, "org/name[@rev] or datasets/org/name[@rev] (rev: main)");
  ls->callback([registry, dir, json, ls_repo] {
    registry->selected = [dir, json, ls_repo] {
      return ls_repo->empty() ? RunLs(*dir, *json) : RunLsFiles(*dir, *ls_repo, *json);
    };
  });
}

}  // namespace hubmirror
