"""Publishing (issue 15): teams push their own repos to the mirror with the
real clients, and any client reads them back byte for byte.

Uploads take the path this venv's client takes by itself: huggingface_hub >=
1.20 with hf_xet pushes every LFS-sized file over Xet (write token, dedup
queries, xorbs, shards, then the commit), with HF_HUB_DISABLE_XET=1 (the
no-xet lines) over the LFS batch API (basic and multipart); the 0.36 client
asks the LFS batch API and is answered "basic". Downloads use the same
client, so both read paths see the pushed repos.
"""

import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import Mirror, run_hf, sha256_of

WRITER = "hm-writer-secret"
READER = "hm-reader-secret"
PART = 5 * 1024 * 1024


def publish_config(path, upstream, namespaces, write, audit_log=None, part=None, reader=True):
    """Writes a mirror config at `path`: upstream `upstream`, owning
    `namespaces`, the writer token allowed `write` (and to read all), the
    reader token (read only) unless `reader` is False."""
    lines = [f'[upstream]\nurl = "{upstream}"', "[publish]",
             "namespaces = " + json.dumps(namespaces)]
    if part:
        lines.append(f"lfs_part_bytes = {part}")
    lines.append("[access]")
    if audit_log:
        lines.append(f'audit_log = "{audit_log}"')
    lines.append(f'[[access.tokens]]\nname = "writer"\ntoken = "{WRITER}"\nrepos = ["*"]\n'
                 "write = " + json.dumps(write))
    if reader:
        lines.append(f'[[access.tokens]]\nname = "reader"\ntoken = "{READER}"\nrepos = ["*"]')
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def pub(tmp_path_factory, fakehub):
    d = tmp_path_factory.mktemp("publish")
    cfg = publish_config(d / "hubmirror.toml", fakehub.url, ["acme-internal", "team-*"],
                         ["acme-internal/*", "team-*/*", "datasets/team-*/*"],
                         audit_log=d / "audit.jsonl", part=PART)
    m = Mirror(d, d / "store", (), "--config", str(cfg), name="publish-mirror")
    m.dir = d
    yield m
    assert m.alive(), "the mirror exited during the tests" + m.logs()
    m.stop()


def uploads_over_xet():
    """Whether this venv's client pushes over Xet: >= 1.20 with hf_xet and
    Xet not disabled (older clients ask the LFS batch API, which answers
    "basic")."""
    import huggingface_hub

    major, minor = (int(x) for x in huggingface_hub.__version__.split(".")[:2])
    return (major, minor) >= (1, 20) and os.environ.get("HF_HUB_DISABLE_XET") != "1"


def client(code, endpoint, home, token=WRITER, timeout=300):
    """Runs `code` with this venv's huggingface_hub as a pushing client
    (`api` is an HfApi for the mirror); returns stdout."""
    env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HOME=str(home), HF_TOKEN=token)
    prelude = (
        "import os, json\nfrom huggingface_hub import HfApi\n"
        f"api = HfApi(endpoint={endpoint!r}, token={token!r})\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", prelude + code], env=env, capture_output=True, text=True,
        timeout=timeout,
    )
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def request(url, method="GET", token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def make_folder(root, seed):
    """A model folder: a multipart LFS file, a small LFS file, text files."""
    rnd = hashlib.sha256(seed.encode()).digest()
    files = {
        "config.json": json.dumps({"seed": seed}).encode(),
        "model.safetensors": (rnd * (12 * 1024 * 1024 // 32 + 1))[: 12 * 1024 * 1024 + 7],
        "weights/small.bin": bytes(range(256)) * 800,
        "sub/readme.txt": f"hello {seed}\n".encode(),
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}


def download(endpoint, home, repo, revision, dest, repo_type=None, token=None):
    code = (
        "from huggingface_hub import snapshot_download\n"
        f"print(snapshot_download({repo!r}, revision={revision!r}, local_dir={str(dest)!r},"
        f" repo_type={repo_type!r}, endpoint={endpoint!r}))\n"
    )
    env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HOME=str(home))
    env.pop("HF_TOKEN", None)
    if token:
        env["HF_TOKEN"] = token
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return {
        str(p.relative_to(dest)): sha256_of(p)
        for p in Path(dest).rglob("*")
        if p.is_file() and ".cache" not in p.parts
    }


def test_push_commits_branches_tags_then_download_every_revision(pub, tmp_path):
    folder = tmp_path / "model"
    expected = make_folder(folder, "one")
    out = client(
        f"""
api.create_repo("acme-internal/fine-tune")
first = api.upload_folder(repo_id="acme-internal/fine-tune", folder_path={str(folder)!r},
                          commit_message="first upload")
api.create_tag("acme-internal/fine-tune", tag="v1")
api.create_branch("acme-internal/fine-tune", branch="dev", revision=first.oid)
from huggingface_hub import CommitOperationAdd, CommitOperationDelete
second = api.create_commit("acme-internal/fine-tune", commit_message="swap the readme",
    operations=[CommitOperationDelete("sub/readme.txt"),
                CommitOperationAdd("notes.md", b"# notes\\n")], parent_commit=first.oid)
api.upload_file(path_or_fileobj=b"dev only", path_in_repo="dev.txt",
                repo_id="acme-internal/fine-tune", revision="dev")
refs = api.list_repo_refs("acme-internal/fine-tune")
commits = api.list_repo_commits("acme-internal/fine-tune")
print(json.dumps({{"first": first.oid, "second": second.oid,
    "branches": sorted(b.name for b in refs.branches), "tags": [t.name for t in refs.tags],
    "titles": [c.title for c in commits], "authors": [c.authors for c in commits]}}))
""",
        pub.url,
        tmp_path / "push-home",
    )
    doc = json.loads(out.strip().splitlines()[-1])
    assert len(doc["first"]) == 40 and len(doc["second"]) == 40
    assert doc["branches"] == ["dev", "main"]
    assert doc["tags"] == ["v1"]
    assert doc["titles"] == ["swap the readme", "first upload", "initial commit"]
    assert doc["authors"][0] == ["writer"]

    v1 = download(pub.url, tmp_path / "h1", "acme-internal/fine-tune", "v1", tmp_path / "v1")
    assert {k: v for k, v in v1.items() if k != ".gitattributes"} == expected
    main = download(pub.url, tmp_path / "h2", "acme-internal/fine-tune", "main", tmp_path / "main")
    want_main = dict(expected)
    del want_main["sub/readme.txt"]
    want_main["notes.md"] = hashlib.sha256(b"# notes\n").hexdigest()
    assert {k: v for k, v in main.items() if k != ".gitattributes"} == want_main
    dev = download(pub.url, tmp_path / "h3", "acme-internal/fine-tune", "dev", tmp_path / "dev")
    assert dev["dev.txt"] == hashlib.sha256(b"dev only").hexdigest()
    assert dev["model.safetensors"] == expected["model.safetensors"]
    # Git's own ids: the tree entry of a regular file is its blob id.
    status, _, body = request(f"{pub.url}/api/models/acme-internal/fine-tune/tree/main")
    tree = {e["path"]: e for e in json.loads(body)}
    assert tree["notes.md"]["oid"] == hashlib.sha1(b"blob 8\0# notes\n").hexdigest()
    assert tree["model.safetensors"]["lfs"]["oid"] == expected["model.safetensors"]
    # The UI shows who pushed what.
    status, _, page = request(f"{pub.url}/ui/repo/models/acme-internal/fine-tune", token=READER)
    assert status == 200 and b"published on this mirror" in page
    assert b"writer</td><td>swap the readme" in page
    # Completed multipart uploads leave nothing behind.
    assert list((pub.dir / "store" / "uploads").glob("*")) == []
    # Every write is audited, by token name.
    audit = [json.loads(l) for l in (pub.dir / "audit.jsonl").read_text().splitlines()]
    actions = {a.get("action") for a in audit if a["repo"] == "acme-internal/fine-tune"}
    assert {"create", "commit", "branch", "tag"} <= actions
    if uploads_over_xet():
        assert {"xet-xorb", "xet-shard"} <= actions
    else:
        assert "lfs-upload" in actions
    assert all(a["who"] == "writer" for a in audit if a.get("action"))


def test_hf_cli_upload_and_a_dataset(pub, tmp_path):
    folder = tmp_path / "cli"
    expected = make_folder(folder, "cli")
    env_home = tmp_path / "cli-home"
    env_home.mkdir()
    saved = {k: os.environ.get(k) for k in ("HF_TOKEN",)}
    os.environ["HF_TOKEN"] = WRITER
    try:
        r = run_hf(["upload", "team-vision/cli-model", str(folder), ".", "--commit-message",
                    "from the cli"], pub.url, env_home)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert r.returncode == 0, r.stdout + r.stderr
    got = download(pub.url, tmp_path / "h", "team-vision/cli-model", "main", tmp_path / "out")
    assert {k: v for k, v in got.items() if k != ".gitattributes"} == expected
    client(
        """
api.create_repo("team-data/eval-set", repo_type="dataset", private=True)
api.upload_file(path_or_fileobj=b"a,b\\n1,2\\n", path_in_repo="data/train.csv",
                repo_id="team-data/eval-set", repo_type="dataset")
""",
        pub.url,
        tmp_path / "ds-home",
    )
    # Private: anonymous readers are refused, a reading token is not.
    status, _, _ = request(f"{pub.url}/datasets/team-data/eval-set/resolve/main/data/train.csv")
    assert status == 401
    status, _, body = request(
        f"{pub.url}/datasets/team-data/eval-set/resolve/main/data/train.csv", token=READER)
    assert (status, body) == (200, b"a,b\n1,2\n")


def test_refused_writes_change_nothing(pub, tmp_path):
    create = {"name": "refused", "organization": "acme-internal"}
    assert request(f"{pub.url}/api/repos/create", "POST", None, create)[0] == 401
    status, headers, body = request(f"{pub.url}/api/repos/create", "POST", READER, create)
    assert status == 403 and b"write" in body
    # The upstream's namespaces are mirrored, never written, whatever the token.
    status, _, body = request(f"{pub.url}/api/repos/create", "POST", WRITER,
                              {"name": "tiny-model", "organization": "acme"})
    assert status == 403 and b"mirrored" in body
    commit = b'{"key":"header","value":{"summary":"x"}}\n'
    req = urllib.request.Request(f"{pub.url}/api/models/acme/tiny-model/commit/main", data=commit,
                                 method="POST", headers={"Authorization": f"Bearer {WRITER}",
                                                         "Content-Type": "application/x-ndjson"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 403
    assert request(f"{pub.url}/api/models/acme-internal/refused", token=WRITER)[0] == 404
    # A malformed commit to an existing repo: 400, the branch does not move.
    client('api.create_repo("acme-internal/guarded")', pub.url, tmp_path / "g")
    head = json.loads(request(f"{pub.url}/api/models/acme-internal/guarded")[2])["sha"]
    for bad in [b'{"key":"file","value":{"path":"a","content":"!!","encoding":"base64"}}\n',
                b'{"key":"header","value":{}}\n{"key":"file","value":{"path":"../x","content":"","encoding":"base64"}}\n',
                b'{"key":"header","value":{}}\n{"key":"lfsFile","value":{"path":"w.bin","algo":"sha256","oid":"' + b"0" * 64 + b'"}}\n']:
        req = urllib.request.Request(f"{pub.url}/api/models/acme-internal/guarded/commit/main",
                                     data=bad, method="POST",
                                     headers={"Authorization": f"Bearer {WRITER}"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=30)
        assert e.value.code == 400, bad
    assert json.loads(request(f"{pub.url}/api/models/acme-internal/guarded")[2])["sha"] == head


def test_stale_parent_and_racing_commits(pub, tmp_path):
    out = client(
        """
import threading
from huggingface_hub import CommitOperationAdd
from huggingface_hub.utils import HfHubHTTPError
api.create_repo("acme-internal/race")
base = api.list_repo_commits("acme-internal/race")[0].commit_id
results = {}
def push(name):
    try:
        api.create_commit("acme-internal/race", commit_message=name, parent_commit=base,
            operations=[CommitOperationAdd(name + ".txt", name.encode() * 100)])
        results[name] = "ok"
    except HfHubHTTPError as e:
        results[name] = e.response.status_code
threads = [threading.Thread(target=push, args=(n,)) for n in ("a", "b", "c", "d")]
for t in threads: t.start()
for t in threads: t.join()
files = sorted(api.list_repo_files("acme-internal/race"))
print(json.dumps({"results": results, "files": files}))
""",
        pub.url,
        tmp_path / "race-home",
    )
    doc = json.loads(out.strip().splitlines()[-1])
    winners = [n for n, r in doc["results"].items() if r == "ok"]
    assert len(winners) == 1, doc
    assert all(r == 412 for n, r in doc["results"].items() if n not in winners), doc
    assert doc["files"] == [".gitattributes", winners[0] + ".txt"]


def test_push_to_hub_of_a_dataset_then_load_dataset(pub, tmp_path):
    pytest.importorskip("datasets")  # the latest line's venv has it
    out = client(
        """
import datasets
ds = datasets.Dataset.from_dict({"text": [f"row {i}" for i in range(1000)],
                                 "label": [i % 3 for i in range(1000)]})
ds.push_to_hub("team-data/pushed", token=os.environ["HF_TOKEN"])
ds.push_to_hub("team-data/pushed", config_name="small", split="test",
               token=os.environ["HF_TOKEN"])
""",
        pub.url,
        tmp_path / "push-home",
    )
    # A second client, with its own cache, loads what the first pushed.
    code = (
        "import datasets, json\n"
        "ds = datasets.load_dataset('team-data/pushed', split='train')\n"
        "small = datasets.load_dataset('team-data/pushed', 'small', split='test')\n"
        "print(json.dumps({'n': len(ds), 'row': ds[999], 'small': len(small)}))\n"
    )
    env = dict(os.environ, HF_ENDPOINT=pub.url, HF_HOME=str(tmp_path / "load-home"),
               HF_TOKEN=READER)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert doc == {"n": 1000, "row": {"text": "row 999", "label": 0}, "small": 1000}
