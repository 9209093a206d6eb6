"""Published repos travel like mirrored ones (issue 15): a second mirror
syncs one from the first over the Hub API, a bundle carries one across an
air gap, and `du` counts them. Commit ids stay git's own on the way.
"""

import json
import os
import random
import subprocess

import pytest

from conftest import HUBMIRROR, Mirror
from test_publish import publish_config, READER, WRITER, client, download, request

REPO = "acme-internal/travel"


def run(*args, token=None):
    env = dict(os.environ)
    env.pop("HF_TOKEN", None)
    if token:
        env["HF_TOKEN"] = token
    r = subprocess.run([HUBMIRROR, *args], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, f"{args}\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def source(tmp_path_factory, fakehub):
    d = tmp_path_factory.mktemp("travel")
    cfg = publish_config(d / "hubmirror.toml", fakehub.url, ["acme-internal"],
                         ["acme-internal/*"])
    m = Mirror(d, d / "store", (), "--config", str(cfg), name="travel-source")
    m.dir = d
    folder = d / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(random.Random(3).randbytes(3 * 1024 * 1024 + 1))
    (folder / "config.json").write_text('{"travel": true}\n')
    out = client(
        f"""
api.create_repo({REPO!r})
first = api.upload_folder(repo_id={REPO!r}, folder_path={str(folder)!r})
api.create_tag({REPO!r}, tag="v1")
api.upload_file(path_or_fileobj=b"later\\n", path_in_repo="later.txt", repo_id={REPO!r})
print(json.dumps({{"v1": first.oid, "main": api.repo_info({REPO!r}).sha}}))
""",
        m.url,
        d / "push-home",
    )
    m.commits = json.loads(out.strip().splitlines()[-1])
    m.files = {rev: download(m.url, d / f"h-{rev}", REPO, rev, d / f"src-{rev}", token=READER)
               for rev in ("v1", "main")}
    yield m
    m.stop()


def served_offline(store, workdir, name):
    return Mirror(workdir, store, (), name=name, offline=True)


def check_copy(copy, source, tmp_path):
    for rev in ("v1", "main"):
        status, headers, _ = request(f"{copy.url}/{REPO}/resolve/{rev}/config.json")
        assert status == 200 and headers["X-Repo-Commit"] == source.commits[rev]
        got = download(copy.url, tmp_path / f"c-{rev}", REPO, rev, tmp_path / f"copy-{rev}")
        assert got == source.files[rev]


def test_a_second_mirror_syncs_a_published_repo(source, tmp_path):
    store = tmp_path / "second"
    run("sync", "--store", str(store), "--upstream", source.url, f"{REPO}@main", f"{REPO}@v1",
        token=READER)
    copy = served_offline(store, tmp_path, "travel-second")
    try:
        check_copy(copy, source, tmp_path)
    finally:
        copy.stop()


def test_a_bundle_carries_a_published_repo_across_an_air_gap(source, tmp_path):
    bundle = tmp_path / "travel.hmb"
    run("export", "--store", str(source.dir / "store"), "--output", str(bundle), REPO)
    store = tmp_path / "far-side"
    run("import", "--store", str(store), str(bundle))
    run("verify", "--store", str(store))
    copy = served_offline(store, tmp_path, "travel-far")
    try:
        check_copy(copy, source, tmp_path)
    finally:
        copy.stop()


def test_du_counts_published_repos(source):
    doc = json.loads(run("du", "--store", str(source.dir / "store"), "--json"))
    row = {r["id"]: r for r in doc["repos"]}[REPO]
    assert row["published"] and row["files"] >= 5
    assert row["own_bytes"] == row["stored_bytes"] > 3 * 1024 * 1024  # shares nothing
    assert f"{REPO} (published)" in run("du", "--store", str(source.dir / "store"))
