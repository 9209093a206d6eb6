"""Downloads through the mirror with the upstream up: hf_hub_download at every
kind of revision, snapshot_download, the `hf download` CLI, and the errors
the client maps from the mirror's answers. Every byte is compared with the
fake hub's manifest."""

import os
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download, snapshot_download
from huggingface_hub.utils import (
    EntryNotFoundError,
    GatedRepoError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from conftest import assert_tree_matches, run_hf, sha256_of

REVISIONS = ["main", "v1", "refs/pr/1", "COMMIT_OF_V1"]


@pytest.mark.parametrize("revision", REVISIONS)
def test_hf_hub_download_at_branch_tag_pr_and_commit(mirror, manifest, hf_home, revision):
    if revision == "COMMIT_OF_V1":
        revision = manifest.commit("model", "acme/tiny-model", "v1")
    files = manifest.files("model", "acme/tiny-model", revision)
    commit = manifest.commit("model", "acme/tiny-model", revision)
    for name in ["config.json", "model.safetensors"] + (
        ["notes.txt"] if revision == "refs/pr/1" else []
    ):
        path = hf_hub_download(
            "acme/tiny-model", name, revision=revision, endpoint=mirror.url, cache_dir=hf_home
        )
        assert sha256_of(path) == files[name]["sha256"], (revision, name)
        # The cache layout the client keeps: snapshots/<commit>/<path> -> blobs/<etag>
        # (which huggingface_hub >= 2 links on to a store shared by Xet hash).
        assert Path(path).parent.name == commit
        assert Path(os.readlink(path)).name == files[name]["etag"]


def test_snapshot_download_of_a_model_a_dataset_and_a_space(mirror, manifest, hf_home):
    for repo_type, repo_id in [
        ("model", "acme/tiny-model"),
        ("dataset", "acme/tiny-dataset"),
        ("space", "acme/tiny-space"),
        ("model", "gpt-mini"),
    ]:
        folder = snapshot_download(
            repo_id, repo_type=repo_type, endpoint=mirror.url, cache_dir=hf_home
        )
        assert Path(folder).name == manifest.commit(repo_type, repo_id)
        assert_tree_matches(folder, manifest.files(repo_type, repo_id))


def test_snapshot_download_with_patterns_at_a_tag(mirror, manifest, hf_home):
    folder = snapshot_download(
        "acme/tiny-model",
        revision="v1",
        allow_patterns=["*.json", "tokenizer/*"],
        ignore_patterns=["tokenizer/vocab.txt"],
        endpoint=mirror.url,
        cache_dir=hf_home,
    )
    assert_tree_matches(
        folder,
        manifest.files("model", "acme/tiny-model", "v1"),
        subset={"config.json", "tokenizer/tokenizer.json"},
    )


def test_hf_cli_download_whole_repo_single_files_and_filters(mirror, manifest, hf_home):
    files = manifest.files("model", "acme/tiny-model")
    whole = run_hf(["download", "acme/tiny-model"], mirror.url, hf_home)
    assert whole.returncode == 0, whole.stderr
    folder = whole.stdout.strip().splitlines()[-1].split()[-1]
    assert_tree_matches(folder, files)

    single = run_hf(
        ["download", "acme/tiny-model", "config.json", "--local-dir", str(hf_home / "one")],
        mirror.url,
        hf_home,
    )
    assert single.returncode == 0, single.stderr
    assert_tree_matches(hf_home / "one", files, subset={"config.json"})

    # One pattern per flag: 0.36 takes `--include a b`, 1.x repeats the flag.
    filtered = run_hf(
        ["download", "acme/tiny-model", "--include", "tokenizer/*", "--exclude",
         "tokenizer/vocab.txt", "--local-dir", str(hf_home / "filtered")],
        mirror.url,
        hf_home,
    )
    assert filtered.returncode == 0, filtered.stderr
    assert_tree_matches(hf_home / "filtered", files, subset={"tokenizer/tokenizer.json"})


def test_hf_cli_download_of_a_dataset_to_a_local_dir(mirror, manifest, hf_home):
    done = run_hf(
        [
            "download",
            "acme/tiny-dataset",
            "--repo-type",
            "dataset",
            "--local-dir",
            str(hf_home / "ds"),
        ],
        mirror.url,
        hf_home,
    )
    assert done.returncode == 0, done.stderr
    assert_tree_matches(hf_home / "ds", manifest.files("dataset", "acme/tiny-dataset"))
    # --local-dir keeps the client's metadata (commit and etag) per file.
    assert (hf_home / "ds" / ".cache" / "huggingface" / "download").is_dir()


def test_hub_errors_arrive_as_the_clients_own_exceptions(mirror, hf_home):
    kwargs = dict(endpoint=mirror.url, cache_dir=hf_home)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("acme/tiny-model", "no-such-file.txt", **kwargs)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("acme/tiny-model", "config.json", revision="no-such-branch", **kwargs)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("acme/no-such-model", "config.json", **kwargs)
    # Gated upstream, and the mirror has no token that may read it.
    with pytest.raises(GatedRepoError):
        hf_hub_download("acme/gated-model", "config.json", **kwargs)
