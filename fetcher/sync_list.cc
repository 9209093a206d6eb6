#include "fetcher/sync_list.h"

#include <algorithm>
#include <utility>

namespace hubmirror {
namespace {

constexpr char kForms[] =
    "expected org/name[@rev], datasets/org/name[@rev], spaces/org/name[@rev] or org/* "
    "(datasets/org/*, spaces/org/*)";

void AppendUnique(const std::vector<std::string>& from, std::vector<std::string>* to) {
  for (const std::string& s : from) {
    if (std::find(to->begin(), to->end(), s) == to->end()) to->push_back(s);
  }
}

// One target per repo and filter; revisions of equal keys are united.
void AddTarget(const RepoKey& repo, const SyncRepoSpec& spec, std::vector<SyncTarget>* targets,
               std::vector<const SyncRepoSpec*>* target_specs) {
  std::vector<std::string> revisions = spec.revisions;
  if (revisions.empty()) revisions.push_back("main");
  for (size_t i = 0; i < targets->size(); ++i) {
    const SyncRepoSpec& other = *(*target_specs)[i];
    if ((*targets)[i].repo == repo && other.include == spec.include &&
        other.exclude == spec.exclude) {
      AppendUnique(revisions, &(*targets)[i].revisions);
      (*targets)[i].pin = (*targets)[i].pin || spec.pin;
      return;
    }
  }
  SyncTarget target;
  target.repo = repo;
  target.revisions.clear();
  AppendUnique(revisions, &target.revisions);
  target.filter = PathFilter(spec.include, spec.exclude);
  target.pin = spec.pin;
  targets->push_back(std::move(target));
  target_specs->push_back(&spec);
}

}  // namespace

std::string SyncRepoSpec::ToString() const {
  return RepoKey{type, id}.DisplayId() + (whole_author ? "/*" : "");
}

Result<SyncRepoSpec> ParseSyncRepoSpec(std::string_view text) {
  auto bad = [text](const std::string& why) {
    return Status::InvalidArgument("repo '" + std::string(text) + "': " + why + "; " + kForms);
  };
  SyncRepoSpec spec;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    std::string revision(rest.substr(at + 1));
    if (revision.empty()) return bad("empty revision after '@'");
    if (Status st = ValidateRevision(revision); !st.ok()) return bad(st.message());
    spec.revisions.push_back(std::move(revision));
    rest = rest.substr(0, at);
  }
  spec.type = TakeRepoTypePrefix(&rest);
  if (rest.size() >= 2 && rest.substr(rest.size() - 2) == "/*") {
    spec.whole_author = true;
    rest.remove_suffix(2);
    if (rest.empty() || rest.find('/') != std::string_view::npos) return bad("bad author");
  }
  if (rest.empty()) return bad("no repo id");
  if (Status st = ValidateRepoId(rest); !st.ok()) return bad(st.message());
  spec.id = std::string(rest);
  return spec;
}

std::vector<SyncTarget> ExpandSyncList(const std::vector<SyncRepoSpec>& specs, Upstream* upstream,
                                       std::vector<Status>* errors) {
  std::vector<SyncTarget> targets;
  std::vector<const SyncRepoSpec*> target_specs;  // parallel to targets
  for (const SyncRepoSpec& spec : specs) {
    if (!spec.whole_author) {
      AddTarget(RepoKey{spec.type, spec.id}, spec, &targets, &target_specs);
      continue;
    }
    Result<std::vector<std::string>> ids = upstream->ListRepos(spec.type, spec.id);
    if (!ids.ok()) {
      errors->emplace_back(ids.status().code(), "sync " + spec.ToString() +
                                                    ": cannot list the repos of '" + spec.id +
                                                    "': " + ids.status().message() + " (" +
                                                    SyncFixHint(ids.status()) + ")");
      continue;
    }
    if (ids->empty()) {
      errors->push_back(Status::NotFound("sync " + spec.ToString() + ": the upstream lists no " +
                                         RepoTypePlural(spec.type) + " of author '" + spec.id +
                                         "' (check the author name)"));
      continue;
    }
    for (const std::string& id : *ids) {
      AddTarget(RepoKey{spec.type, id}, spec, &targets, &target_specs);
    }
  }
  return targets;
}

uint64_t SyncListReport::files_transferred() const {
  uint64_t n = 0;
  for (const SyncReport& repo : repos) {
    for (const RevisionSyncReport& r : repo.revisions) n += r.files_transferred;
  }
  return n;
}

uint64_t SyncListReport::bytes_transferred() const {
  uint64_t n = 0;
  for (const SyncReport& repo : repos) {
    for (const RevisionSyncReport& r : repo.revisions) n += r.bytes_transferred;
  }
  return n;
}

SyncListReport RunSyncList(const std::vector<SyncRepoSpec>& specs, Upstream* upstream,
                           RepoSyncer* syncer, TransferProgress* progress, RetentionDb* pins) {
  SyncListReport report;
  std::vector<SyncTarget> targets = ExpandSyncList(specs, upstream, &report.errors);
  if (progress != nullptr) {
    uint64_t revisions = 0;
    for (const SyncTarget& target : targets) revisions += target.revisions.size();
    progress->AddPlannedRevisions(revisions);
  }
  for (const SyncTarget& target : targets) {
    Result<SyncReport> repo_report = syncer->Sync(target, progress);
    if (!repo_report.ok()) {
      report.errors.push_back(std::move(repo_report).status());
      for (size_t i = 0; progress != nullptr && i < target.revisions.size(); ++i) {
        progress->RevisionFinished();  // refused as a whole: none will come
      }
      continue;
    }
    for (const RevisionSyncReport& r : repo_report->revisions) {
      if (!r.status.ok()) {
        report.errors.push_back(r.status);
      } else if (pins != nullptr && target.pin) {
        Status pinned = pins->AddPin(Pin{target.repo, r.revision});
        if (!pinned.ok()) report.errors.push_back(std::move(pinned));
      }
    }
    report.repos.push_back(std::move(repo_report).value());
  }
  return report;
}

}  // namespace hubmirror
