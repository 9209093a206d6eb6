"""Publishing a fine-tune of a mirrored base (issue 15): the base is pulled
through the mirror, then a team pushes the same checkpoint with 2 of its 8
tensors changed. Over Xet (huggingface_hub >= 1.20 with hf_xet) the client
asks the mirror which chunks it holds and sends only the new ones: at most
1.2x the new bytes reach the mirror. On every path (Xet or LFS) the store
grows by at most 1.1x the new bytes, and the pushed file reads back whole.
"""

import hashlib
import json
import random
import struct
import subprocess
import time

import pytest

from conftest import HUBMIRROR, FakeHub, Mirror
from test_publish import publish_config, WRITER, client, request, uploads_over_xet

TENSOR_BYTES = 2 * 1024 * 1024
TENSORS = 8


def safetensors(tensors):
    header, offset = {}, 0
    for i, t in enumerate(tensors):
        header[f"layer.{i}.weight"] = {"dtype": "U8", "shape": [len(t)],
                                       "data_offsets": [offset, offset + len(t)]}
        offset += len(t)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(tensors)


def xorb_bytes(store):
    return sum(p.stat().st_size for p in (store / "xet" / "xorbs").rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def dedup(tmp_path_factory):
    d = tmp_path_factory.mktemp("dedup")
    rng = random.Random(15)
    tensors = [rng.randbytes(TENSOR_BYTES) for _ in range(TENSORS)]
    base = safetensors(tensors)
    (d / "base.safetensors").write_bytes(base)
    tuned = list(tensors)
    tuned[2] = rng.randbytes(TENSOR_BYTES)
    tuned[5] = rng.randbytes(TENSOR_BYTES)
    hub = FakeHub(d, "--extra-file", f"acme/base-model:model.safetensors:{d / 'base.safetensors'}",
                  name="dedup-fakehub")
    cfg = publish_config(d / "hubmirror.toml", hub.url, ["acme-internal"], ["acme-internal/*"],
                         audit_log=d / "audit.jsonl", reader=False)
    m = Mirror(d, d / "store", (), "--config", str(cfg), name="dedup-mirror")
    m.dir = d
    m.base = base
    m.tuned = safetensors(tuned)
    yield m
    assert m.alive(), "the mirror exited during the tests" + m.logs()
    m.stop()
    hub.stop()


def test_a_fine_tune_sends_and_stores_only_its_new_tensors(dedup, tmp_path):
    # The base, pulled through the mirror and stored.
    status, _, body = request(f"{dedup.url}/acme/base-model/resolve/main/model.safetensors")
    assert status == 200 and body == dedup.base
    deadline = time.monotonic() + 10
    while json.loads(request(f"{dedup.url}/api/status")[2])["objects"] < 1:
        assert time.monotonic() < deadline, "the pulled base was never committed"
        time.sleep(0.05)
    stored_before = xorb_bytes(dedup.dir / "store")

    tuned_file = tmp_path / "model.safetensors"
    tuned_file.write_bytes(dedup.tuned)
    client(
        f"""
api.create_repo("acme-internal/tuned")
api.upload_file(path_or_fileobj={str(tuned_file)!r}, path_in_repo="model.safetensors",
                repo_id="acme-internal/tuned", commit_message="fine-tune of acme/base-model")
""",
        dedup.url,
        tmp_path / "push-home",
    )
    new_bytes = 2 * TENSOR_BYTES
    grown = xorb_bytes(dedup.dir / "store") - stored_before
    print(f"store grew by {grown} bytes for {new_bytes} new bytes ({grown / new_bytes:.3f}x)")
    assert grown <= 1.1 * new_bytes

    audit = [json.loads(l) for l in (dedup.dir / "audit.jsonl").read_text().splitlines()]
    # Xorb bodies (Xet) or whole files (LFS): what carried file data.
    received = sum(a.get("bytes", 0) for a in audit
                   if a.get("action") in ("xet-xorb", "lfs-upload"))
    print(f"the client sent {received} bytes of file data ({received / new_bytes:.3f}x)")
    if uploads_over_xet():
        assert received <= 1.2 * new_bytes
    else:
        assert received == len(dedup.tuned)  # LFS sends whole files

    # du: what was pushed (logical) against what it added (own bytes).
    r = subprocess.run([HUBMIRROR, "du", "--store", str(dedup.dir / "store"), "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)["repos"]}
    tuned = rows["acme-internal/tuned"]
    assert tuned["published"] and not rows["acme/base-model"]["published"]
    assert tuned["logical_bytes"] >= len(dedup.tuned)
    assert tuned["own_bytes"] <= 1.1 * new_bytes
    assert rows["acme/base-model"]["own_bytes"] <= 1.1 * new_bytes  # the 2 replaced tensors

    status, headers, body = request(
        f"{dedup.url}/acme-internal/tuned/resolve/main/model.safetensors", token=WRITER)
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(dedup.tuned).hexdigest()
