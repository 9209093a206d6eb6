"""Every HfApi read the clients' scripts use, through the mirror with the
upstream up. Each answer is compared with the same call made straight to the
fake hub (the control), so the mirror must pass on exactly what the hub
holds; gated repos are the one difference (the mirror shows them only to
tokens allowed them)."""

import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils import RepositoryNotFoundError, RevisionNotFoundError


@pytest.fixture(scope="module")
def api(mirror):
    return HfApi(endpoint=mirror.url)


@pytest.fixture(scope="module")
def hub_api(fakehub):
    return HfApi(endpoint=fakehub.url)


def refs_view(refs):
    def names(items):
        return sorted((r.name, r.ref, r.target_commit) for r in (items or []))

    return (names(refs.branches), names(refs.tags), names(refs.converts),
            None if refs.pull_requests is None else names(refs.pull_requests))


def commits_view(commits):
    return [(c.commit_id, c.title, c.authors, c.created_at, c.formatted_title) for c in commits]


def test_repo_info_of_a_model_a_dataset_and_a_space(api, hub_api, manifest):
    model = api.model_info("acme/tiny-model")
    assert model.sha == manifest.commit("model", "acme/tiny-model")
    assert model.id == hub_api.model_info("acme/tiny-model").id
    assert sorted(s.rfilename for s in model.siblings) == sorted(
        manifest.files("model", "acme/tiny-model"))
    dataset = api.dataset_info("acme/tiny-dataset", revision="main")
    assert dataset.sha == manifest.commit("dataset", "acme/tiny-dataset")
    space = api.space_info("acme/tiny-space")
    assert space.sha == manifest.commit("space", "acme/tiny-space")
    assert space.sdk == "gradio"
    assert api.repo_info("acme/tiny-space", repo_type="space").sha == space.sha
    detailed = api.model_info("acme/tiny-model", revision="v1", files_metadata=True)
    sizes = {s.rfilename: s.size for s in detailed.siblings}
    files = manifest.files("model", "acme/tiny-model", "v1")
    assert sizes == {path: f["size"] for path, f in files.items()}


def test_list_repo_refs(api, hub_api):
    for repo_id, repo_type in [("acme/tiny-model", "model"), ("acme/tiny-dataset", "dataset")]:
        for prs in (False, True):
            got = api.list_repo_refs(repo_id, repo_type=repo_type, include_pull_requests=prs)
            want = hub_api.list_repo_refs(repo_id, repo_type=repo_type, include_pull_requests=prs)
            assert refs_view(got) == refs_view(want), (repo_id, prs)
    refs = api.list_repo_refs("acme/tiny-model", include_pull_requests=True)
    assert [t.name for t in refs.tags] == ["v1"]
    assert [p.ref for p in refs.pull_requests] == ["refs/pr/1"]
    converts = api.list_repo_refs("acme/tiny-dataset", repo_type="dataset").converts
    assert [(c.name, c.ref) for c in converts] == [("parquet", "refs/convert/parquet")]


def test_list_repo_commits(api, hub_api):
    for revision in ["main", "refs/pr/1", "v1"]:
        got = api.list_repo_commits("acme/tiny-model", revision=revision)
        assert commits_view(got) == commits_view(
            hub_api.list_repo_commits("acme/tiny-model", revision=revision))
    titles = [c.title for c in api.list_repo_commits("acme/tiny-model", revision="refs/pr/1")]
    assert titles == ["Add notes", "Update weights", "Initial commit"]
    formatted = api.list_repo_commits("acme/tiny-model", formatted=True)
    assert [c.formatted_title for c in formatted] == ["<p>Update weights</p>", "<p>Initial commit</p>"]
    with pytest.raises(RevisionNotFoundError):
        api.list_repo_commits("acme/tiny-model", revision="no-such-branch")
    with pytest.raises(RepositoryNotFoundError):
        api.list_repo_commits("acme/no-such-model")


def listing(items):
    return [(m.id, m.downloads, m.likes) for m in items]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(author="acme"),
        dict(author="acme", sort="downloads"),
        dict(search="tiny", sort="likes"),
        dict(filter="fill-mask"),
        dict(author="acme", limit=2),
        dict(author="acme", expand=["downloads", "likes"]),
    ],
    ids=str,
)
def test_list_models(api, hub_api, kwargs):
    got = listing(api.list_models(**kwargs))
    want = [m for m in listing(hub_api.list_models(**kwargs)) if m[0] != "acme/gated-model"]
    assert got == want
    assert got, "the fake hub holds models that match"


def test_list_models_full_datasets_and_spaces(api, hub_api):
    full = {m.id: sorted(s.rfilename for s in m.siblings) for m in api.list_models(author="acme", full=True)}
    assert full["acme/tiny-bert"] == ["config.json", "tokenizer.json", "tokenizer_config.json"]
    assert "acme/gated-model" not in full
    datasets = [d.id for d in api.list_datasets(search="tiny")]
    assert datasets == [d.id for d in hub_api.list_datasets(search="tiny")] == ["acme/tiny-dataset"]
    spaces = [(s.id, s.sdk) for s in api.list_spaces(author="acme")]
    assert spaces == [("acme/tiny-space", "gradio")]


def test_exists_checks(api):
    assert api.repo_exists("acme/tiny-model")
    assert api.repo_exists("acme/tiny-dataset", repo_type="dataset")
    assert api.repo_exists("acme/tiny-space", repo_type="space")
    assert not api.repo_exists("acme/no-such-model")
    assert api.revision_exists("acme/tiny-model", "v1")
    assert api.revision_exists("acme/tiny-model", "refs/pr/1")
    assert not api.revision_exists("acme/tiny-model", "no-such-branch")
    assert api.file_exists("acme/tiny-model", "weights/part-00001.bin")
    assert not api.file_exists("acme/tiny-model", "weights/part-00001.bin", revision="v1")
    assert not api.file_exists("acme/tiny-model", "no-such-file")


def test_file_listings_and_paths_info(api, hub_api, manifest):
    for repo_id, repo_type, revision in [
        ("acme/tiny-model", "model", "main"),
        ("acme/tiny-model", "model", "refs/pr/1"),
        ("acme/tiny-dataset", "dataset", "main"),
        ("acme/tiny-space", "space", "main"),
    ]:
        files = api.list_repo_files(repo_id, repo_type=repo_type, revision=revision)
        assert sorted(files) == sorted(manifest.files(repo_type, repo_id, revision))
        tree = sorted((e.path, type(e).__name__) for e in api.list_repo_tree(
            repo_id, repo_type=repo_type, revision=revision, recursive=True))
        assert tree == sorted((e.path, type(e).__name__) for e in hub_api.list_repo_tree(
            repo_id, repo_type=repo_type, revision=revision, recursive=True))
    infos = api.get_paths_info("acme/tiny-model", ["model.safetensors", "tokenizer", "nope"])
    by_path = {i.path: i for i in infos}
    assert sorted(by_path) == ["model.safetensors", "tokenizer"]
    files = manifest.files("model", "acme/tiny-model")
    assert by_path["model.safetensors"].lfs.sha256 == files["model.safetensors"]["sha256"]


def test_head_array_style_keys_and_unknown_routes(mirror):
    import json
    import urllib.request

    from conftest import http_get

    for path in ["/api/models/acme/tiny-model", "/api/models?author=acme",
                 "/api/models/acme/tiny-model/refs", "/api/spaces/acme/tiny-space/revision/main"]:
        req = urllib.request.Request(mirror.url + path, method="HEAD")
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200, path
            assert r.read() == b"", path
    status, _, body = http_get(mirror.url + "/api/models/acme/tiny-model?expand%5B%5D=sha")
    assert status == 200
    assert sorted(json.loads(body)) == ["_id", "id", "sha"]
    for path in ["/api/models/acme/tiny-model/discussions", "/api/collections", "/api/kernels/a/b"]:
        status, headers, _ = http_get(mirror.url + path)
        assert status == 404, path
        assert headers.get("X-Error-Code") == "NotFound", path
