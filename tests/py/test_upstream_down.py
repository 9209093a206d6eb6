"""The upstream goes away: every read the clients make is answered from what
the mirror stored, marked X-Hubmirror-Stale: 1, first with the upstream
stopped and then from `serve --offline` on the same store. The revision TTL
is 0, so the mirror asks the (dead) upstream every time and must fall back."""

from pathlib import Path

import pytest
from huggingface_hub import HfApi, HfFileSystem, hf_hub_download, snapshot_download

from conftest import FakeHub, Mirror, assert_tree_matches, http_get, sha256_of

WARM = [("model", "acme/tiny-model", "main"), ("model", "acme/tiny-model", "v1"),
        ("model", "acme/tiny-model", "refs/pr/1"), ("dataset", "acme/tiny-dataset", "main"),
        ("space", "acme/tiny-space", "main")]


def reads(api):
    """The answers a script asks for, in a comparable form."""
    refs = api.list_repo_refs("acme/tiny-model", include_pull_requests=True)
    return {
        "info": api.model_info("acme/tiny-model").sha,
        "info_v1": api.model_info("acme/tiny-model", revision="v1").sha,
        "space": (api.space_info("acme/tiny-space").sha, api.space_info("acme/tiny-space").sdk),
        "branches": [(r.name, r.target_commit) for r in refs.branches],
        "tags": [(r.name, r.target_commit) for r in refs.tags],
        "prs": [(r.ref, r.target_commit) for r in refs.pull_requests],
        "commits": [(c.commit_id, c.title) for c in api.list_repo_commits("acme/tiny-model")],
        "datasets": [d.id for d in api.list_datasets(search="tiny")],
        "files": sorted(api.list_repo_files("acme/tiny-model", revision="refs/pr/1")),
        "exists": (api.repo_exists("acme/tiny-model"), api.file_exists("acme/tiny-model", "config.json"),
                   api.revision_exists("acme/tiny-model", "v1")),
    }


@pytest.fixture(scope="module")
def warmed(tmp_path_factory):
    work = tmp_path_factory.mktemp("upstream-down")
    hub = FakeHub(work, "--page-size", "3", name="fakehub-down")
    mirror = Mirror(work, work / "store", [hub.url], "--revision-ttl", "0", name="mirror-down")
    cache = work / "warm-cache"
    for repo_type, repo_id, revision in WARM:
        snapshot_download(repo_id, repo_type=repo_type, revision=revision, endpoint=mirror.url,
                          cache_dir=cache)
    online = reads(HfApi(endpoint=mirror.url))
    hub.stop()
    yield work, mirror, online
    mirror.stop()


def check_store_answers(url, online, manifest, tmp_path):
    api = HfApi(endpoint=url)
    offline = reads(api)
    assert offline == online
    # A listing now holds what is stored (online it held every repo upstream).
    assert [m.id for m in api.list_models(author="acme")] == ["acme/tiny-model"]
    assert [m.id for m in api.list_models(search="TINY", sort="downloads", limit=5)] == ["acme/tiny-model"]
    assert [s.id for s in api.list_spaces()] == ["acme/tiny-space"]
    # Marked as answers the upstream did not confirm.
    for path in ["/api/models/acme/tiny-model/refs", "/api/models/acme/tiny-model/commits/main",
                 "/api/models?author=acme", "/api/models/acme/tiny-model"]:
        status, headers, _ = http_get(url + path)
        assert status == 200, path
        assert headers.get("X-Hubmirror-Stale") == "1", path
    # Downloads of what is stored, into a fresh cache.
    for repo_type, repo_id, revision in WARM:
        folder = snapshot_download(repo_id, repo_type=repo_type, revision=revision, endpoint=url,
                                   cache_dir=tmp_path / "cache")
        assert_tree_matches(folder, manifest.files(repo_type, repo_id, revision))
    path = hf_hub_download("acme/tiny-model", "notes.txt", revision="refs/pr/1", endpoint=url,
                           cache_dir=tmp_path / "single")
    assert sha256_of(path) == manifest.files("model", "acme/tiny-model", "refs/pr/1")["notes.txt"]["sha256"]
    fs = HfFileSystem(endpoint=url, skip_instance_cache=True)
    assert "acme/tiny-model/model.safetensors" in fs.ls("acme/tiny-model", detail=False)
    assert fs.read_bytes("datasets/acme/tiny-dataset/README.md").startswith(b"# tiny-dataset")


def test_reads_with_the_upstream_stopped(warmed, manifest, tmp_path):
    _, mirror, online = warmed
    check_store_answers(mirror.url, online, manifest, tmp_path)


def test_reads_from_an_offline_mirror(warmed, manifest, tmp_path):
    work, mirror, online = warmed
    mirror.stop()
    offline = Mirror(work, mirror.store, name="mirror-offline", offline=True)
    try:
        check_store_answers(offline.url, online, manifest, tmp_path)
    finally:
        offline.stop()
