"""The Xet upload routes refuse what they must (issue 15), driven with raw
HTTP against the real binary: who may get a write token, which token may
upload, and shards whose files do not read back as they claim. A refused
upload stores nothing and no commit can name it.
"""

import hashlib
import json
import random
import struct
import urllib.error
import urllib.request

import pytest

from conftest import Mirror
from test_publish import publish_config, READER, WRITER, client, request

TAG = bytes([72, 70, 82, 101, 112, 111, 77, 101, 116, 97, 68, 97, 116, 97, 0, 85, 105, 103, 69,
             106, 123, 129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169])
BOOKEND = b"\xff" * 32 + b"\0" * 16
METADATA_EXT = 1 << 30


def raw(hex_rule):
    """A hash's 32 raw bytes from its hex-rule text (each 8-byte word reversed)."""
    return b"".join(bytes.fromhex(hex_rule[i:i + 16])[::-1] for i in range(0, 64, 16))


def shard(file_hash, terms, sha256=None):
    """An upload shard of one file made of `terms` (xorb hex, bytes, start, end)."""
    flags = METADATA_EXT if sha256 else 0
    out = TAG + struct.pack("<QQ", 2, 0)
    out += raw(file_hash) + struct.pack("<IIQ", flags, len(terms), 0)
    for xorb, size, start, end in terms:
        out += raw(xorb) + struct.pack("<IIII", 0, size, start, end)
    if sha256:
        out += raw(sha256) + b"\0" * 16
    return out + BOOKEND + BOOKEND


def post(url, body, token=None, path="/xet/v1/shards"):
    req = urllib.request.Request(url + path, data=body, method="POST")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture(scope="module")
def guard(tmp_path_factory, fakehub):
    d = tmp_path_factory.mktemp("xet-guard")
    cfg = publish_config(d / "hubmirror.toml", fakehub.url, ["acme-internal", "team-*"],
                         ["acme-internal/*"])
    m = Mirror(d, d / "store", (), "--config", str(cfg), name="xet-guard-mirror")
    yield m
    assert m.alive(), "the mirror exited during the tests" + m.logs()
    m.stop()


def token(url, kind, who, repo="acme-internal/guarded"):
    status, _, body = request(f"{url}/api/models/{repo}/xet-{kind}-token/main", token=who)
    assert status == 200, body
    return json.loads(body)["accessToken"]


def test_write_tokens_and_uploads_are_refused_to_whom_they_must_be(guard, tmp_path):
    client('api.create_repo("acme-internal/guarded")', guard.url, tmp_path / "home")
    url = f"{guard.url}/api/models/acme-internal/guarded/xet-write-token/main"
    assert request(url)[0] == 401
    assert request(url, token=READER)[0] == 403
    status, _, body = request(f"{guard.url}/api/models/acme/tiny-model/xet-write-token/main",
                              token=WRITER)
    assert status == 403 and b"mirrored" in body
    # A namespace the mirror owns, but not one this token may write.
    status, _, body = request(f"{guard.url}/api/repos/create", "POST", WRITER,
                              {"name": "outside", "organization": "team-vision"})
    assert status == 403 and b"team-vision/outside" in body, body
    assert request(f"{guard.url}/api/models/team-vision/outside", token=WRITER)[0] == 404
    status, _, body = request(url, token=WRITER)
    doc = json.loads(body)
    assert status == 200 and doc["casUrl"] == guard.url + "/xet" and doc["exp"] > 0

    write, read = token(guard.url, "write", WRITER), token(guard.url, "read", READER)
    xorb = "/xet/v1/xorbs/default/" + "ab" * 32
    assert post(guard.url, b"junk", None, xorb)[0] == 401
    assert post(guard.url, b"junk", read, xorb)[0] == 403
    status, body = post(guard.url, b"junk", write, xorb)
    assert status == 400, body
    assert post(guard.url, b"junk", write, "/xet/v1/xorbs/default/nothex")[0] == 400
    assert post(guard.url, b"junk", write, "/xet/v1/shards")[0] == 400
    # Dedup queries: a write token, and 404 for what is not stored.
    q = urllib.request.Request(f"{guard.url}/xet/v1/chunks/default/{'cd' * 32}",
                               headers={"Authorization": f"Bearer {write}"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(q, timeout=30)
    assert e.value.code == 404


def test_a_shard_must_read_back_as_it_claims(guard, tmp_path):
    data = random.Random(7).randbytes(3 * 1024 * 1024 + 5)
    (tmp_path / "w.bin").write_bytes(data)
    client(
        f"""
api.create_repo("acme-internal/claims")
api.upload_file(path_or_fileobj={str(tmp_path / 'w.bin')!r}, path_in_repo="w.bin",
                repo_id="acme-internal/claims")
""",
        guard.url,
        tmp_path / "home",
    )
    sha = hashlib.sha256(data).hexdigest()
    status, headers, _ = request(f"{guard.url}/acme-internal/claims/resolve/main/w.bin",
                                 method="HEAD", token=READER)
    file_hash = headers["X-Xet-Hash"]
    read = token(guard.url, "read", READER, "acme-internal/claims")
    status, _, body = request(f"{guard.url}/xet/v1/reconstructions/{file_hash}", token=read)
    assert status == 200, body
    terms = [(t["hash"], t["unpacked_length"], t["range"]["start"], t["range"]["end"])
             for t in json.loads(body)["terms"]]
    write = token(guard.url, "write", WRITER, "acme-internal/claims")
    objects = json.loads(request(f"{guard.url}/api/status")[2])["objects"]

    # The same chunks under another SHA-256: read back, they do not match it.
    other = hashlib.sha256(b"something else").hexdigest()
    status, body = post(guard.url, shard(file_hash, terms, other), write)
    assert status == 400 and other.encode() in body, body
    # No SHA-256 to check against; a xorb that was never uploaded; a chunk
    # range beyond the xorb.
    status, body = post(guard.url, shard(file_hash, terms), write)
    assert status == 400 and b"SHA-256" in body, body
    missing = [("11" * 32, terms[0][1], terms[0][2], terms[0][3])] + terms[1:]
    status, body = post(guard.url, shard(file_hash, missing, other), write)
    assert status == 400 and b"not stored" in body, body
    beyond = [(terms[0][0], terms[0][1], terms[0][2], terms[0][3] + 100000)] + terms[1:]
    status, body = post(guard.url, shard(file_hash, beyond, other), write)
    assert status == 400, body
    assert json.loads(request(f"{guard.url}/api/status")[2])["objects"] == objects
    # A commit cannot name what no upload stored.
    line = {"key": "lfsFile", "value": {"path": "x.bin", "algo": "sha256", "oid": other,
                                        "size": len(data)}}
    payload = (json.dumps({"key": "header", "value": {"summary": "x"}}) + "\n" +
               json.dumps(line) + "\n").encode()
    status, body = post(guard.url, payload, WRITER, "/api/models/acme-internal/claims/commit/main")
    assert status == 400, body

    # The true claim is accepted (the file is stored already: nothing new),
    # over v1 and v2.
    status, body = post(guard.url, shard(file_hash, terms, sha), write)
    assert (status, json.loads(body)) == (200, {"result": 1})
    status, body = post(guard.url, shard(file_hash, terms, sha), write, "/xet/v2/shards")
    assert status == 200 and json.loads(body.splitlines()[-1]) == {"type": "result", "result": 1}
