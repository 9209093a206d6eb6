"""The mirror pulls over Xet: from an upstream that offers Xet (the fake hub's
CAS, or another hubmirror), a fine-tune of a model the mirror stores costs
only its new chunks on the wire; each CAS fault ends with the right bytes
(or a visibly broken transfer, never a wrong file) and nothing wrong
stored. Then the real hf_xet reads what was pulled over Xet from the mirror.
"""

import hashlib
import http.client
import json
import re
import subprocess
import time
import urllib.request

import pytest
from huggingface_hub import hf_hub_download

from conftest import HUBMIRROR, FakeHub, Mirror, wait_stored, xet_disabled

hf_xet = pytest.importorskip("hf_xet")
# The mirror's side does not depend on the client line: once per line with
# hf_xet is enough.
pytestmark = pytest.mark.skipif(xet_disabled(), reason="runs with hf_xet enabled only")

BASE = "acme/eight-base"
FINETUNE = "acme/eight-finetune"
BIG = "acme/big-model"
WEIGHTS = "model.safetensors"
# The fine-tune must cost at most this much more than its new bytes
# (issue: <= 1.15x; record headers add 8 bytes per ~64 KiB chunk).
MAX_COST_RATIO = 1.15


def get(url, headers=None):
    """(status, body, complete) of one GET; a body cut short is incomplete."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            try:
                return r.status, r.read(), True
            except http.client.IncompleteRead as e:
                return r.status, e.partial, False
    except urllib.error.HTTPError as e:
        return e.code, e.read(), True
    except (ConnectionError, http.client.HTTPException):
        return 0, b"", False


def metrics(mirror):
    with urllib.request.urlopen(mirror.url + "/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def file_entry(manifest, repo_id, path=WEIGHTS):
    return manifest.files("model", repo_id)[path]


def fetch_through(mirror, repo_id, path=WEIGHTS):
    return get(f"{mirror.url}/{repo_id}/resolve/main/{path}")


def stored(mirror, repo_id, path=WEIGHTS):
    return wait_stored(mirror.url, "model", repo_id, path)


@pytest.fixture
def hub(tmp_path):
    h = FakeHub(tmp_path, name="fakehub-pull")
    yield h
    h.stop()


def test_a_finetune_costs_only_its_new_chunks_from_the_hub_and_from_a_parent_mirror(
        hub, manifest, tmp_path):
    base = file_entry(manifest, BASE)
    tuned = file_entry(manifest, FINETUNE)
    new_bytes = tuned["xet_new_bytes"]
    assert 0 < new_bytes < tuned["size"] / 2  # the fixture is a fine-tune

    parent = Mirror(tmp_path, tmp_path / "parent", [hub.url], name="parent")
    child = Mirror(tmp_path, tmp_path / "child", [parent.url], name="child")
    try:
        # Parent <- hub: the base whole, then the fine-tune's new chunks only.
        status, body, _ = fetch_through(parent, BASE)
        assert status == 200 and hashlib.sha256(body).hexdigest() == base["sha256"]
        stored(parent, BASE)
        hub.reset_stats()
        status, body, _ = fetch_through(parent, FINETUNE)
        assert status == 200 and hashlib.sha256(body).hexdigest() == tuned["sha256"]
        stats = hub.stats()
        assert stats["cdn_bytes"] == 0, "nothing over plain HTTP"
        assert stats["xet_bytes"] <= MAX_COST_RATIO * new_bytes, (stats["xet_bytes"], new_bytes)
        stored(parent, FINETUNE)
        pulled = metrics(parent)
        assert pulled["hubmirror_xet_pull_files"] == 2
        assert pulled["hubmirror_xet_pull_saved_bytes"] >= tuned["size"] - MAX_COST_RATIO * new_bytes
        # `hubmirror du` keeps the same account, across restarts.
        du = subprocess.run([HUBMIRROR, "du", "--store", str(tmp_path / "parent"), "--json"],
                            capture_output=True, text=True, timeout=60)
        assert du.returncode == 0, du.stderr
        account = json.loads(du.stdout)["xet_pull"]
        assert account["files"] == 2
        assert account["saved_bytes"] == pulled["hubmirror_xet_pull_saved_bytes"]
        assert account["fetched_bytes"] == pulled["hubmirror_xet_pull_fetched_bytes"]

        # Child <- parent: the same, over the parent's own Xet.
        status, body, _ = fetch_through(child, BASE)
        assert status == 200 and hashlib.sha256(body).hexdigest() == base["sha256"]
        stored(child, BASE)
        served = metrics(parent)['hubmirror_served_bytes_total{source="xet"}']
        status, body, _ = fetch_through(child, FINETUNE)
        assert status == 200 and hashlib.sha256(body).hexdigest() == tuned["sha256"]
        cost = metrics(parent)['hubmirror_served_bytes_total{source="xet"}'] - served
        assert 0 < cost <= MAX_COST_RATIO * new_bytes, (cost, new_bytes)
        assert metrics(child)["hubmirror_xet_pull_fallbacks"] == 0

        # What the child pulled over Xet, the real hf_xet reads from it over Xet.
        stored(child, FINETUNE)
        path = hf_hub_download(FINETUNE, WEIGHTS, endpoint=child.url, cache_dir=tmp_path / "c")
        with open(path, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == tuned["sha256"]
        assert metrics(child)['hubmirror_http_requests_total{route="xet_xorb",method="GET",status="206"}'] > 0
    finally:
        child.stop()
        parent.stop()


@pytest.mark.parametrize(
    "fault,count,over_xet",
    [
        ("xet-expired-url", 1, True),    # 403 -> a fresh reconstruction, still Xet
        ("xet-truncated", 3, True),      # short ranges are resumed
        ("xet-down", 50, False),         # the CAS stays down: plain HTTP
        ("xet-corrupt-chunk", 1, False), # the file hash fails: never served whole
    ],
)
def test_cas_faults_never_serve_or_store_a_wrong_byte(hub, manifest, tmp_path, fault, count,
                                                      over_xet):
    want = file_entry(manifest, BIG)
    mirror = Mirror(tmp_path, tmp_path / "store", [hub.url], name="mirror-" + fault)
    try:
        urllib.request.urlopen(urllib.request.Request(
            f"{hub.url}/_fake/fault?kind={fault}&count={count}", method="POST"), timeout=10).read()
        status, body, complete = fetch_through(mirror, BIG)
        correct = status == 200 and complete and hashlib.sha256(body).hexdigest() == want["sha256"]
        if fault == "xet-corrupt-chunk":
            # Streamed while it arrived, so the client has bytes; the
            # transfer must not end as if it were whole.
            assert not (status == 200 and complete and len(body) == want["size"]), \
                "a wrong file was served whole"
            status, body, complete = fetch_through(mirror, BIG)  # next attempt: HTTP
            correct = status == 200 and complete and hashlib.sha256(body).hexdigest() == want["sha256"]
        assert correct, (fault, status, len(body), complete)
        stored(mirror, BIG)
        # What was stored reads back right (the store verified it on commit).
        status, body, complete = fetch_through(mirror, BIG)
        assert status == 200 and complete and hashlib.sha256(body).hexdigest() == want["sha256"]
        got = metrics(mirror)
        if over_xet:
            assert got["hubmirror_xet_pull_files"] == 1 and got["hubmirror_xet_pull_fallbacks"] == 0
        else:
            assert got["hubmirror_xet_pull_fallbacks"] >= 1
    finally:
        mirror.stop()
