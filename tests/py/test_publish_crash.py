"""kill -9 of the mirror during a push (issue 15): after a restart on the
same store the branch names the commit before the push or a whole new one,
never a half-commit; `hubmirror verify` is clean; the same push then lands
and reads back byte for byte.
"""

import hashlib
import json
import os
import random
import subprocess
import sys
import time

from conftest import HUBMIRROR, Mirror
from test_publish import publish_config, WRITER, client, request

PUSH = """
import sys
from huggingface_hub import HfApi
api = HfApi(endpoint=sys.argv[1], token=sys.argv[2])
api.upload_file(path_or_fileobj=sys.argv[3], path_in_repo="big.bin", repo_id="acme-internal/crash",
                commit_message="big")
"""


def main_sha(url):
    status, _, body = request(f"{url}/api/models/acme-internal/crash", token=WRITER)
    assert status == 200, body
    return json.loads(body)["sha"]


def upload_started(d):
    """An upload record in the audit log, or bytes being written in the store."""
    audit = d / "audit.jsonl"
    if audit.exists() and any(json.loads(l).get("action") in ("xet-xorb", "lfs-upload")
                              for l in audit.read_text().splitlines()):
        return True
    return any(p.is_file() for sub in ("tmp", "uploads") for p in (d / "store" / sub).rglob("*"))


def test_kill_during_a_push_leaves_no_half_commit(tmp_path, fakehub):
    d = tmp_path
    cfg = publish_config(d / "hubmirror.toml", fakehub.url, ["acme-internal"],
                         ["acme-internal/*"], audit_log=d / "audit.jsonl", part=5242880,
                         reader=False)
    data = random.Random(9).randbytes(96 * 1024 * 1024)
    big = d / "big.bin"
    big.write_bytes(data)
    m = Mirror(d, d / "store", (), "--config", str(cfg), name="crash-1")
    try:
        client('api.create_repo("acme-internal/crash")', m.url, d / "home")
        before = main_sha(m.url)
        env = dict(os.environ, HF_HOME=str(d / "push-home"), HF_TOKEN=WRITER)
        push = subprocess.Popen([sys.executable, "-c", PUSH, m.url, WRITER, str(big)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not upload_started(d) and push.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        m.proc.kill()
        m.proc.wait(timeout=15)
        push.kill()
        push.wait(timeout=15)
    finally:
        m.stop()

    m = Mirror(d, d / "store", (), "--config", str(cfg), name="crash-2")
    try:
        after = main_sha(m.url)
        print("push landed before the kill" if after != before else "killed mid-push")
        status, _, body = request(f"{m.url}/api/models/acme-internal/crash/tree/main")
        files = {e["path"] for e in json.loads(body)}
        if after == before:
            assert "big.bin" not in files
        else:  # the commit landed before the kill: whole
            status, _, got = request(f"{m.url}/acme-internal/crash/resolve/main/big.bin",
                                     token=WRITER)
            assert status == 200 and got == data
        verify = subprocess.run([HUBMIRROR, "verify", "--store", str(d / "store")],
                                capture_output=True, text=True, timeout=300)
        assert verify.returncode == 0, verify.stdout + verify.stderr

        client(f'api.upload_file(path_or_fileobj={str(big)!r}, path_in_repo="big.bin", '
               f'repo_id="acme-internal/crash")', m.url, d / "home-2")
        status, _, got = request(f"{m.url}/acme-internal/crash/resolve/main/big.bin",
                                 token=WRITER)
        assert status == 200
        assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()
    finally:
        m.stop()
