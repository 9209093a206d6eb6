// The Index's rows for repos published on this mirror (see index.h).

#include "store/index/index.h"
#include "store/index/index_rows.h"

namespace hubmirror {

using index_rows::EnsureRepoId;
using index_rows::LookupRepoId;
using sql::Stmt;
using sql::Transaction;

namespace {

Result<std::optional<int64_t>> HostedRepoId(sql::Db* db, const RepoKey& repo) {
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, LookupRepoId(db, repo));
  if (!id) return id;
  HM_ASSIGN_OR_RETURN(Stmt st, db->Prepare("SELECT 1 FROM hosted_repos WHERE repo_id = ?1"));
  st.Bind(1, *id);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<int64_t>();
  return id;
}

Status NotHosted(const RepoKey& repo) {
  return Status::NotFound(repo.ToString() + " is not a repo published on this mirror")
      .WithHubError(HubError::kRepoNotFound, 404);
}

// The commit a ref of the repo names, or "" when there is no such ref.
Result<std::string> RefCommit(sql::Db* db, int64_t repo_id, const std::string& ref) {
  HM_ASSIGN_OR_RETURN(Stmt st, db->Prepare("SELECT commit_sha FROM refs WHERE repo_id = ?1 "
                                             "AND ref = ?2"));
  st.Bind(1, repo_id).Bind(2, ref);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Text(0) : std::string();
}

Status WriteRef(sql::Db* db, int64_t repo_id, const HostedRef& ref, int64_t now) {
  HM_ASSIGN_OR_RETURN(Stmt st, db->Prepare("INSERT INTO refs (repo_id, ref, commit_sha, "
                                             "resolved_at, kind) VALUES (?1, ?2, ?3, ?4, ?5) "
                                             "ON CONFLICT (repo_id, ref) DO UPDATE SET "
                                             "commit_sha = excluded.commit_sha, "
                                             "resolved_at = excluded.resolved_at, "
                                             "kind = excluded.kind"));
  st.Bind(1, repo_id).Bind(2, ref.name).Bind(3, ref.commit).Bind(4, now).Bind(
      5, std::string_view(ref.is_tag ? "tag" : "branch"));
  return st.Run();
}

HostedRepoRecord ReadHostedRepo(const Stmt& st) {
  HostedRepoRecord r;
  r.repo.type = RepoTypeFromName(st.Text(0));
  r.repo.id = st.Text(1);
  r.is_private = st.Int(2) != 0;
  r.created_by = st.Text(3);
  r.created_at_micros = st.Int(4);
  return r;
}

constexpr const char* kHostedRepoSelect =
    "SELECT p.type, p.name, h.private, h.created_by, h.created_at FROM hosted_repos h "
    "JOIN repos p ON p.id = h.repo_id";

}  // namespace

Status Index::CreateHostedRepo(const HostedRepoRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> existing, LookupRepoId(db_.get(), record.repo));
  if (existing) {
    return Status::AlreadyExists("repo " + record.repo.ToString() + " already exists");
  }
  HM_ASSIGN_OR_RETURN(int64_t repo_id, EnsureRepoId(db_.get(), record.repo));
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO hosted_repos (repo_id, private, "
                                             "created_by, created_at) VALUES (?1, ?2, ?3, ?4)"));
  st.Bind(1, repo_id)
      .Bind(2, int64_t{record.is_private})
      .Bind(3, record.created_by)
      .Bind(4, record.created_at_micros);
  HM_RETURN_IF_ERROR(st.Run());
  return txn.Commit();
}

Result<std::optional<HostedRepoRecord>> Index::GetHostedRepo(const RepoKey& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string(kHostedRepoSelect) +
                                                      " WHERE p.type = ?1 AND p.name = ?2"));
  st.Bind(1, RepoTypeName(repo.type)).Bind(2, repo.id);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<HostedRepoRecord>();
  return std::optional<HostedRepoRecord>(ReadHostedRepo(st));
}

Result<std::vector<HostedRepoRecord>> Index::ListHostedRepos() {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare(std::string(kHostedRepoSelect) + " ORDER BY p.type, p.name"));
  std::vector<HostedRepoRecord> out;
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadHostedRepo(st));
  }
  return out;
}

Status Index::SetHostedRepoPrivate(const RepoKey& repo, bool is_private) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, HostedRepoId(db_.get(), repo));
  if (!id) return NotHosted(repo);
  HM_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("UPDATE hosted_repos SET private = ?2 WHERE repo_id = ?1"));
  st.Bind(1, *id).Bind(2, int64_t{is_private});
  return st.Run();
}

Status Index::DeleteHostedRepo(const RepoKey& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, HostedRepoId(db_.get(), repo));
  if (!id) return NotHosted(repo);
  // Every table keys on repos(id) with ON DELETE CASCADE.
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM repos WHERE id = ?1"));
  st.Bind(1, *id);
  HM_RETURN_IF_ERROR(st.Run());
  return txn.Commit();
}

Status Index::CommitHosted(const RepoKey& repo, const std::string& ref,
                           const std::string& expected, const HostedCommitRecord& commit,
                           const std::string& info_json, const std::vector<EntryRecord>& entries) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, HostedRepoId(db_.get(), repo));
  if (!id) return NotHosted(repo);
  HM_ASSIGN_OR_RETURN(std::string current, RefCommit(db_.get(), *id, ref));
  if (current != expected) {
    return Status::FailedPrecondition(
        "branch '" + ref + "' of " + repo.ToString() + " moved to " +
        (current.empty() ? std::string("nothing") : current) + " while the commit was made on " +
        (expected.empty() ? std::string("an empty branch") : expected));
  }
  {
    HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO commits (repo_id, commit_sha, "
                                               "info_json, tree_complete, fetched_at) VALUES "
                                               "(?1, ?2, ?3, 1, ?4) ON CONFLICT (repo_id, "
                                               "commit_sha) DO NOTHING"));
    st.Bind(1, *id).Bind(2, commit.commit).Bind(3, info_json).Bind(4, commit.at_micros);
    HM_RETURN_IF_ERROR(st.Run());
  }
  HM_RETURN_IF_ERROR(index_rows::UpsertEntries(db_.get(), *id, commit.commit, entries));
  {
    HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO hosted_commits (repo_id, commit_sha, "
                                               "parent_sha, tree_sha, author, summary, "
                                               "description, created_at) VALUES (?1, ?2, ?3, "
                                               "?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING"));
    st.Bind(1, *id)
        .Bind(2, commit.commit)
        .Bind(3, commit.parent)
        .Bind(4, commit.tree)
        .Bind(5, commit.author)
        .Bind(6, commit.summary)
        .Bind(7, commit.description)
        .Bind(8, commit.at_micros);
    HM_RETURN_IF_ERROR(st.Run());
  }
  HM_RETURN_IF_ERROR(WriteRef(db_.get(), *id, HostedRef{ref, false, commit.commit}, commit.at_micros));
  return txn.Commit();
}

Status Index::PutHostedRef(const RepoKey& repo, const HostedRef& ref, bool overwrite) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_.get());
  HM_RETURN_IF_ERROR(txn.Begin());
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, HostedRepoId(db_.get(), repo));
  if (!id) return NotHosted(repo);
  {
    HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT 1 FROM hosted_commits WHERE repo_id = ?1 "
                                               "AND commit_sha = ?2"));
    st.Bind(1, *id).Bind(2, ref.commit);
    HM_ASSIGN_OR_RETURN(bool known, st.Step());
    if (!known) {
      return Status::NotFound("no commit " + ref.commit + " in " + repo.ToString())
          .WithHubError(HubError::kRevisionNotFound, 404);
    }
  }
  HM_ASSIGN_OR_RETURN(std::string current, RefCommit(db_.get(), *id, ref.name));
  if (!current.empty() && !overwrite) {
    return Status::AlreadyExists("'" + ref.name + "' already exists in " + repo.ToString());
  }
  HM_RETURN_IF_ERROR(WriteRef(db_.get(), *id, ref, 0));
  return txn.Commit();
}

Status Index::DeleteHostedRef(const RepoKey& repo, const std::string& name, bool is_tag) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, HostedRepoId(db_.get(), repo));
  if (!id) return NotHosted(repo);
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM refs WHERE repo_id = ?1 AND ref = ?2 "
                                             "AND kind = ?3"));
  st.Bind(1, *id).Bind(2, name).Bind(3, std::string_view(is_tag ? "tag" : "branch"));
  HM_RETURN_IF_ERROR(st.Run());
  if (db_->Changes() == 0) {
    return Status::NotFound(std::string(is_tag ? "tag" : "branch") + " '" + name +
                            "' does not exist in " + repo.ToString())
        .WithHubError(HubError::kRevisionNotFound, 404);
  }
  return Status::Ok();
}

Result<std::vector<HostedRef>> Index::ListHostedRefs(const RepoKey& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, HostedRepoId(db_.get(), repo));
  std::vector<HostedRef> out;
  if (!id) return out;
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT ref, kind, commit_sha FROM refs WHERE "
                                             "repo_id = ?1 ORDER BY ref"));
  st.Bind(1, *id);
  while (true) {
    HM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(HostedRef{st.Text(0), st.Text(1) == "tag", st.Text(2)});
  }
  return out;
}

Result<std::optional<HostedCommitRecord>> Index::GetHostedCommit(const RepoKey& repo,
                                                                 const std::string& commit) {
  std::lock_guard<std::mutex> lock(mu_);
  HM_ASSIGN_OR_RETURN(std::optional<int64_t> id, LookupRepoId(db_.get(), repo));
  if (!id) return std::optional<HostedCommitRecord>();
  HM_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT parent_sha, tree_sha, author, summary, "
                                             "description, created_at FROM hosted_commits "
                                             "WHERE repo_id = ?1 AND commit_sha = ?2"));
  st.Bind(1, *id).Bind(2, commit);
  HM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<HostedCommitRecord>();
  HostedCommitRecord r;
  r.commit = commit;
  r.parent = st.Text(0);
  r.tree = st.Text(1);
  r.author = st.Text(2);
  r.summary = st.Text(3);
  r.description = st.Text(4);
  r.at_micros = st.Int(5);
  return std::optional<HostedCommitRecord>(std::move(r));
}

}  // namespace hubmirror
