"""Thousands of connections at once against the real `hubmirror serve`
(issue 17), driven by bench/storm.py (an asyncio client that checks every
body against the file): keep-alive clients with ranged GETs, connections
hanging mid-request, idle connections by the ten thousand, and the
connection limits as configured. Correctness and liveness only; the rates
against nginx are bench/run's.

Run once (CTest `py_connection_storm`), not in every client-matrix line: it
exercises the server's connection layer, not a Hugging Face client.
"""

import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import FakeHub, Mirror

if os.environ.get("HUBMIRROR_STORM_TESTS") != "1":
    pytest.skip("run by CTest py_connection_storm", allow_module_level=True)

STORM = Path(__file__).resolve().parents[2] / "bench" / "storm.py"
FILE_BYTES = 8 << 20


def storm(url, local, *args, timeout=600):
    out = subprocess.run([sys.executable, str(STORM), url, "--file", str(local), *args],
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def metric(mirror, name):
    with urllib.request.urlopen(mirror.url + "/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise KeyError(name)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A fake hub publishing one 8 MiB file, a mirror that has stored it, the
    file's URL on the mirror and a local copy of its bytes."""
    work = tmp_path_factory.mktemp("storm")
    local = work / "weights.bin"
    local.write_bytes(os.urandom(FILE_BYTES))
    hub = FakeHub(work, "--extra-file", f"storm/model:model.bin:{local}", name="storm-hub")
    mirror = Mirror(work, work / "store", [hub.url], name="storm-mirror")
    url = mirror.url + "/storm/model/resolve/main/model.bin"
    with urllib.request.urlopen(url, timeout=60) as r:
        assert r.read() == local.read_bytes()
    yield mirror, url, local
    assert mirror.alive(), "the mirror exited" + mirror.logs()
    mirror.stop()
    hub.stop()


def test_thousand_keep_alive_clients_with_thousand_hanging(served):
    mirror, url, local = served
    result = storm(url, local, "--clients", "1000", "--requests", "20", "--hanging", "1000")
    assert result["hanging_opened"] == 1000
    # The hanging connections hold no thread: a new request is answered
    # while they hang (a liveness bound, not a speed measurement).
    assert result["probe_before_ms"] is not None and result["probe_before_ms"] < 5000, result
    assert result["ok"] == 20000 and result["wrong"] == 0 and result["failed"] == 0, result
    assert result["probe_after_ms"] is not None, result
    assert mirror.alive()


def test_ten_thousand_idle_connections(served):
    mirror, url, local = served
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 12000:
        pytest.skip(f"the descriptor limit ({hard}) is below 10,000 connections plus headroom")
    # From three loopback addresses: each stays under the per-client limit.
    proc = subprocess.Popen(
        [sys.executable, str(STORM), url, "--file", str(local), "--idle", "10000",
         "--sources", "127.0.0.2,127.0.0.3,127.0.0.4", "--hold", "4", "--clients", "100",
         "--timeout", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_rss = 0.0
    peak_open = 0.0
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        peak_rss = max(peak_rss, rss_mib(mirror.proc.pid))
        peak_open = max(peak_open, metric(mirror, "hubmirror_connections_open"))
        time.sleep(0.3)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert result["idle_opened"] == 10000, result
    assert peak_open >= 10000, f"only {peak_open} connections were open at once"
    assert peak_rss <= 512, f"RSS {peak_rss:.0f} MiB with 10,000 idle connections"
    assert result["probe_before_ms"] is not None, result
    assert result["ok"] == 2000 and result["wrong"] == 0, result
    assert mirror.alive()


def test_connection_limits_as_configured(tmp_path, served):
    _, url, local = served
    hub_url = url.split("/storm/")[0]
    config = tmp_path / "limits.toml"
    config.write_text("[server]\nmax_connections = 1000\nmax_connections_per_client = 50\n")
    # A second mirror on the first one's store would race it; this one pulls
    # through the first mirror, which is an upstream like any other.
    mirror = Mirror(tmp_path, tmp_path / "store", [hub_url], "--config", str(config),
                    name="limits-mirror")
    try:
        target = mirror.url + "/storm/model/resolve/main/model.bin"
        # 60 idle connections from one address: the oldest 10 make room.
        result = storm(target, local, "--idle", "60", "--sources", "127.0.0.9", "--hold", "1",
                       "--clients", "0")
        assert result["idle_opened"] == 60
        assert result["idle_still_open"] == 50, result
        assert metric(mirror, "hubmirror_connections_evicted_idle") == 10
        # 50 connections mid-request from one address: the 51st is refused
        # with 503 and Retry-After, and nothing idle is there to close.
        import socket
        busy = []
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", int(mirror.url.rsplit(":", 1)[1])),
                                         source_address=("127.0.0.10", 0), timeout=10)
            s.sendall(b"GET /healthz HTT")
            busy.append(s)
        time.sleep(0.5)
        extra = socket.create_connection(("127.0.0.1", int(mirror.url.rsplit(":", 1)[1])),
                                         source_address=("127.0.0.10", 0), timeout=10)
        answer = b""
        while True:
            chunk = extra.recv(65536)
            if not chunk:
                break
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"Retry-After: " in answer and b"X-Error-Code: " in answer, answer
        assert metric(mirror, "hubmirror_connections_refused_client_limit") == 1
        for s in busy + [extra]:
            s.close()
        # Other addresses are unaffected.
        with urllib.request.urlopen(mirror.url + "/healthz", timeout=10) as r:
            assert r.status == 200
    finally:
        mirror.stop()
