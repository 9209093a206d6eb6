"""The real Python clients (huggingface_hub, hf, HfFileSystem, transformers)
against the real `hubmirror serve` in front of the project's fake hub.

Run through tests/py/run_pytest.sh (CTest `py_*`), which picks the venv and
passes the binaries in HUBMIRROR_BIN and FAKEHUB_BIN. Every client call names
its endpoint explicitly (or runs in a subprocess with HF_ENDPOINT), so that one
pytest run can talk to several servers; HF_ENDPOINT of this process points at
a closed port, so a call that forgot its endpoint fails instead of reaching
huggingface.co.
"""

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

# Before huggingface_hub is imported anywhere: it reads these once.
_HOME = tempfile.mkdtemp(prefix="hubmirror-py-home-")
os.environ["HF_HOME"] = _HOME
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"
os.environ["HF_HUB_DISABLE_UPDATE_CHECK"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ.pop("HF_TOKEN", None)

HUBMIRROR = os.environ.get("HUBMIRROR_BIN", "")
FAKEHUB = os.environ.get("FAKEHUB_BIN", "")
STARTUP_TIMEOUT_S = 30
GATED_TOKEN = "hf_fake_gated_token"


def xet_disabled():
    return os.environ.get("HF_HUB_DISABLE_XET", "") not in ("", "0")


class Server:
    """A binary started on a free loopback port, stopped with SIGTERM."""

    def __init__(self, name, argv, ready_pattern, workdir, env=None):
        self.name = name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = self.workdir / f"{name}.out"
        self.stderr_path = self.workdir / f"{name}.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            text = self.stdout_path.read_text(errors="replace")
            match = re.search(ready_pattern, text, re.M)
            if match:
                self.match = match
                self.stdout = text
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{name} did not start: {self.logs()}")

    def logs(self):
        out = self.stdout_path.read_text(errors="replace")[-2000:]
        err = self.stderr_path.read_text(errors="replace")[-4000:]
        return f"\n--- {self.name} stdout ---\n{out}\n--- {self.name} stderr ---\n{err}"

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        return self.proc.returncode


class FakeHub(Server):
    def __init__(self, workdir, *args, name="fakehub"):
        super().__init__(
            name,
            [FAKEHUB, "--listen", "127.0.0.1:0", "--cdn-listen", "127.0.0.1:0", *args],
            r"^ready$",
            workdir,
        )
        self.url = re.search(r"^api (\S+)$", self.stdout, re.M).group(1)

    def get_json(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.load(r)

    def stats(self):
        return self.get_json("/_fake/stats")

    def reset_stats(self):
        req = urllib.request.Request(self.url + "/_fake/reset-stats", method="POST")
        urllib.request.urlopen(req, timeout=10).read()


class Mirror(Server):
    """`hubmirror serve` on a free port: `upstreams` in order (none: those
    of a --config in `args`), or `offline`."""

    def __init__(self, workdir, store, upstreams=(), *args, name="mirror", offline=False,
                 env=None, listen="127.0.0.1:0"):
        argv = [HUBMIRROR, "serve", "--listen", listen, "--store", str(store)]
        for url in upstreams:
            argv += ["--upstream", url]
        if offline:
            argv.append("--offline")
        argv += list(args)
        child_env = dict(os.environ)
        child_env.pop("HF_TOKEN", None)
        child_env.update(env or {})
        super().__init__(name, argv, r"^hubmirror listening on (http://\S+)", workdir, child_env)
        self.url = self.match.group(1)
        self.store = Path(store)


class Manifest:
    """The fake hub's ground truth: every file of every repo at every ref."""

    def __init__(self, doc):
        self.repos = {(r["type"], r["id"]): r for r in doc["repos"]}

    def commit(self, repo_type, repo_id, revision="main"):
        repo = self.repos[(repo_type, repo_id)]
        return repo["refs"].get(revision, revision)

    def files(self, repo_type, repo_id, revision="main"):
        repo = self.repos[(repo_type, repo_id)]
        commit = self.commit(repo_type, repo_id, revision)
        for c in repo["commits"]:
            if c["id"] == commit:
                return {f["path"]: f for f in c["files"]}
        raise KeyError(f"{repo_type} {repo_id}@{revision}")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def assert_tree_matches(root, expected, subset=None):
    """Every file of `expected` (path -> manifest entry), or of `subset`, is
    under `root` with the right bytes, and no other file is (metadata of the
    client, such as .cache/, aside)."""
    root = Path(root)
    want = {p: f for p, f in expected.items() if subset is None or p in subset}
    got = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(root).parts
    )
    assert got == sorted(want), f"files under {root}"
    for path, entry in want.items():
        assert sha256_of(root / path) == entry["sha256"], path


def http_get(url, headers=None):
    """(status, headers, body) of one GET, errors included."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def wait_stored(url, repo_type, repo_id, path, revision="main", token=None, timeout_s=30):
    """The Xet hash of a file once the mirror at `url` has it stored: its
    paths-info entry carries `xetHash` only then. (A resolve HEAD carries
    X-Xet-Hash earlier: a file not stored yet is offered under the
    upstream's hash.) A pull commits just after its last byte left."""
    target = f"{url}/api/{repo_type}s/{repo_id}/paths-info/{revision}"
    body = urllib.parse.urlencode({"paths": path}).encode()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        req = urllib.request.Request(target, data=body, method="POST")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=10) as r:
            entries = json.load(r)
        if entries and entries[0].get("xetHash"):
            return entries[0]["xetHash"]
        time.sleep(0.1)
    raise AssertionError(f"{repo_type} {repo_id}/{path} is not stored after {timeout_s} s")


def run_python(code, endpoint, hf_home, offline=False, timeout=180):
    """Runs `code` in a fresh interpreter of this venv with HF_ENDPOINT set
    (what transformers and HF_HUB_OFFLINE need); returns stdout."""
    env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HOME=str(hf_home))
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    r = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def run_hf(args, endpoint, hf_home, timeout=180):
    """The `hf` CLI of this venv; returns the completed process."""
    hf = Path(sys.executable).parent / "hf"
    env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HOME=str(hf_home))
    return subprocess.run(
        [str(hf), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def fakehub(workdir):
    # Small pages, so that clients and the mirror must follow Link: rel="next".
    hub = FakeHub(workdir, "--page-size", "3")
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def manifest(fakehub):
    return Manifest(fakehub.get_json("/_fake/manifest"))


@pytest.fixture(scope="session")
def scale_out(workdir):
    """With HUBMIRROR_TEST_SCALE_OUT=1 (CTest py_client_scale_out): a
    PostgreSQL server and an S3-compatible bucket for the session mirror to
    keep its store in (docs/deployment.md); otherwise None."""
    if os.environ.get("HUBMIRROR_TEST_SCALE_OUT") != "1":
        yield None
        return
    import cluster_services  # noqa: PLC0415 - only this mode needs the services
    missing = cluster_services.available()
    if missing:
        raise RuntimeError("scale-out client tests cannot run: " + missing)
    pg = cluster_services.Postgres(str(workdir)).start()
    s3 = cluster_services.S3Server(str(workdir)).start()
    yield pg, s3
    s3.stop()
    pg.stop()


@pytest.fixture(scope="session")
def mirror(workdir, fakehub, scale_out):
    if scale_out is None:
        m = Mirror(workdir, workdir / "store", [fakehub.url])
    else:
        pg, s3 = scale_out
        config = workdir / "scale-out.toml"
        config.write_text(
            f'[store]\ndir = "{workdir / "store"}"\npostgres = "{pg.conninfo()}"\n'
            f'cache_max_bytes = "8M"\n'
            f'[store.s3]\nendpoint = "{s3.endpoint()}"\nbucket = "client-tests"\n'
            f'access_key_id = "k"\nsecret_access_key = "s"\ncreate_bucket = true\n'
            f'[upstream]\nurl = "{fakehub.url}"\n')
        m = Mirror(workdir, workdir / "store", (), "--config", str(config))
    yield m
    assert m.alive(), "the mirror exited during the tests" + m.logs()
    m.stop()


@pytest.fixture
def hf_home(tmp_path):
    """A fresh client home (cache) per test."""
    home = tmp_path / "hf-home"
    home.mkdir()
    return home
