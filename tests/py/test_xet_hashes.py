"""The mirror's Xet identity is the Hub's: every file the mirror stores has,
in its index, the xetHash that hf_xet (`hash_files`, the reference chunker
and hasher) gives the same bytes. Over every file of every public fixture
repo, and over the sizes where chunkers go wrong: 0 and 1 byte, exactly one
maximal chunk, a pattern cutting at exactly the minimum, one byte more than
a xorb holds.
"""

import json
import os
import random
import subprocess
import urllib.request

import pytest

from conftest import HUBMIRROR, FakeHub, xet_disabled

hf_xet = pytest.importorskip("hf_xet")

# hash_files runs locally: once per client line is enough.
pytestmark = pytest.mark.skipif(xet_disabled(), reason="runs with hf_xet enabled only")

# Vector E's pattern (../shared/xet-protocol.md (g)) with 126 zero bytes:
# its first chunk ends at exactly 8192 bytes, the minimum.
PATTERN = bytes([
    154, 52, 42, 34, 159, 75, 126, 224, 70, 236, 12, 196, 79, 236, 178, 124,
    127, 50, 99, 178, 44, 176, 174, 126, 250, 235, 205, 174, 252, 122, 35, 10,
    20, 101, 214, 69, 193, 8, 115, 105, 158, 228, 120, 111, 136, 162, 198, 251,
    211, 183, 253, 252, 164, 147, 63, 16, 186, 162, 117, 23, 170, 36, 205, 187,
    174, 76, 210, 174, 211, 175, 12, 173, 145, 59, 2, 70, 222, 181, 159, 227,
    182, 156, 189, 51, 226, 106, 24, 50, 183, 157, 140, 10, 8, 23, 212, 70,
    10, 234, 23, 33, 219, 254, 39, 236, 70, 49, 191, 116, 9, 115, 15, 101,
    26, 159, 165, 220, 15, 170, 56, 125, 92, 163, 94, 235, 38, 40, 49, 81,
])


def edge_files():
    rng = random.Random(20261205)
    unit = PATTERN + bytes(126)
    return {
        "empty.bin": b"",
        "one-byte.bin": b"x",
        "one-max-chunk.bin": b"\x3b" * 131072,
        "min-cut.bin": (unit * (65536 // len(unit) + 1))[:65536],
        "xorb-plus-one.bin": rng.randbytes((64 << 20) + 1),
    }


def hubmirror(*args):
    r = subprocess.run([HUBMIRROR, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"hubmirror {' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r.stdout


def repo_arg(repo_type, repo_id):
    prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[repo_type]
    return prefix + repo_id


def test_every_stored_xet_hash_is_hf_xets(tmp_path):
    local = tmp_path / "edge"
    local.mkdir()
    extra = []
    for name, data in edge_files().items():
        (local / name).write_bytes(data)
        extra += ["--extra-file", f"acme/xet-edges:{name}:{local / name}"]
    hub = FakeHub(tmp_path, "--page-size", "3", *extra, name="fakehub-xet")
    try:
        manifest = hub.get_json("/_fake/manifest")
        public = [r for r in manifest["repos"] if not r.get("gated") and not r.get("private")]
        store = tmp_path / "store"
        hubmirror("sync", "--store", str(store), "--upstream", hub.url,
                  *[repo_arg(r["type"], r["id"]) for r in public])

        checked = 0
        for repo in public:
            listing = json.loads(hubmirror("ls", "--json", "--store", str(store),
                                           repo_arg(repo["type"], repo["id"]) + "@main"))
            for f in listing["files"]:
                assert f["stored"], f"{repo['id']}/{f['path']} was synced"
                prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[repo["type"]]
                url = f"{hub.url}/{prefix}{repo['id']}/resolve/main/{f['path']}"
                path = tmp_path / "bytes"
                with urllib.request.urlopen(url, timeout=60) as r:
                    path.write_bytes(r.read())
                reference = hf_xet.hash_files([str(path)])[0]
                assert f["xet_hash"] == reference.hash, (
                    f"{repo['id']}/{f['path']} ({os.path.getsize(path)} bytes): the mirror "
                    f"says {f['xet_hash']}, hf_xet {reference.hash}")
                checked += 1
        assert checked >= 20
        # The edge sizes are among them, with the hashes the spec implies.
        edges = json.loads(hubmirror("ls", "--json", "--store", str(store), "acme/xet-edges"))
        by_path = {f["path"]: f["xet_hash"] for f in edges["files"]}
        assert by_path["empty.bin"] == "0" * 64
        assert set(by_path) == set(edge_files())
    finally:
        hub.stop()
