"""Scale-out: three `hubmirror serve` nodes on one PostgreSQL (index,
catalog, leases) and one S3-compatible bucket (moto's server), behind
nginx, in front of the fake hub. Real servers, all on 127.0.0.1.

- a file fetched through node 1 is served by nodes 2 and 3 with no byte
  from upstream (their caches fill from the bucket);
- 30 simultaneous cold requests spread over the nodes cause one upstream
  transfer, and every client gets the right bytes;
- kill -9 of the node doing a transfer: another node completes it, and
  `hubmirror verify` against PostgreSQL and the bucket is clean.
"""

import concurrent.futures
import hashlib
import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest

import cluster_services
from conftest import HUBMIRROR, Mirror, assert_tree_matches, run_hf

# Run once, by CTest py_cluster (HUBMIRROR_CLUSTER_TESTS=1), not in every
# client line; there a missing service is a failure, not a skip.
if os.environ.get("HUBMIRROR_CLUSTER_TESTS") != "1":
    pytest.skip("scale-out tests run under CTest py_cluster", allow_module_level=True)
if cluster_services.available() is not None:
    raise RuntimeError("scale-out tests cannot run: " + cluster_services.available())

NODES = 3


def node_config(path, node_dir, pg, s3, upstream, xet_pull):
    path.write_text(f"""
[store]
dir = "{node_dir}"
postgres = "{pg.conninfo()}"
cache_max_bytes = "256M"

[store.s3]
endpoint = "{s3.endpoint()}"
bucket = "hubmirror-test"
region = "us-east-1"
prefix = "cluster-a/"
access_key_id = "hubmirror-test-key"
secret_access_key = "hubmirror-test-secret"
create_bucket = true

[upstream]
url = "{upstream}"

[xet]
pull = {"true" if xet_pull else "false"}
""")
    return path


class Cluster:
    def __init__(self, workdir, fakehub, xet_pull=False):
        self.workdir = workdir
        self.fakehub = fakehub
        self.pg = cluster_services.Postgres(str(workdir)).start()
        self.s3 = cluster_services.S3Server(str(workdir)).start()
        self.configs = []
        self.nodes = []
        for i in range(NODES):
            cfg = node_config(workdir / f"node{i + 1}.toml", workdir / f"node{i + 1}", self.pg,
                              self.s3, fakehub.url, xet_pull)
            self.configs.append(cfg)
            self.nodes.append(self.start_node(i))
        self.nginx = cluster_services.Nginx(
            str(workdir), [int(n.url.rsplit(":", 1)[1]) for n in self.nodes]).start()

    def start_node(self, i, port=0):
        return Mirror(self.workdir, self.workdir / f"node{i + 1}", (),
                      "--config", str(self.configs[i]), listen=f"127.0.0.1:{port}",
                      name=f"node{i + 1}")

    def restart_node(self, i):
        port = int(self.nodes[i].url.rsplit(":", 1)[1])
        self.nodes[i] = self.start_node(i, port)

    def stop(self):
        self.nginx.stop()
        for n in self.nodes:
            if n.alive():
                n.stop()
        self.s3.stop()
        self.pg.stop()

    def upstream_bytes(self):
        s = self.fakehub.stats()
        return s["cdn_bytes"] + s["xet_bytes"]


@pytest.fixture(scope="module", params=["xet-pull", "http-pull"])
def cluster(request, tmp_path_factory, fakehub):
    """The nodes pulling from the upstream over Xet (the default), or over
    plain HTTP (LFS downloads: what the fake CDN's gate can hold mid-way)."""
    c = Cluster(tmp_path_factory.mktemp("cluster"), fakehub,
                xet_pull=request.param == "xet-pull")
    c.name = request.param
    yield c
    c.stop()


def fetch(url):
    with urllib.request.urlopen(url, timeout=300) as r:
        h = hashlib.sha256()
        n = 0
        while True:
            block = r.read(1 << 20)
            if not block:
                break
            h.update(block)
            n += len(block)
        return r.status, h.hexdigest(), n


def file_url(base, repo, path, rev="main"):
    return f"{base}/{repo}/resolve/{rev}/{path}"


def wait_committed(node_url, repo, path, timeout_s=60, kind="models"):
    """paths-info carries xetHash once the file is in the shared store."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        req = urllib.request.Request(f"{node_url}/api/{kind}/{repo}/paths-info/main",
                                     data=f"paths={path}".encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            entries = json.load(r)
        if entries and entries[0].get("xetHash"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{repo}/{path} not committed after {timeout_s} s")


def test_file_fetched_through_one_node_is_served_by_the_others(cluster, manifest):
    repo, path = "acme/tiny-model", "model.safetensors"
    want = manifest.files("model", repo)[path]
    before = cluster.upstream_bytes()
    status, digest, n = fetch(file_url(cluster.nodes[0].url, repo, path))
    assert (status, digest, n) == (200, want["sha256"], want["size"])
    wait_committed(cluster.nodes[0].url, repo, path)
    fetched = cluster.upstream_bytes() - before
    assert want["size"] <= fetched < 2 * want["size"]

    # Nodes 2 and 3 never saw the file: their caches are empty.
    for node in cluster.nodes[1:]:
        status, digest, n = fetch(file_url(node.url, repo, path))
        assert (status, digest, n) == (200, want["sha256"], want["size"]), node.name
    assert cluster.upstream_bytes() - before == fetched, "nodes 2/3 read from upstream"
    # They read the xorbs from the bucket: xorb files now in their caches,
    # and their /metrics count the fetches.
    for node in cluster.nodes[1:]:
        cached = list((node.store / "xet" / "xorbs").rglob("*.xorb"))
        assert cached, f"{node.name} served without caching a xorb"
        with urllib.request.urlopen(node.url + "/metrics", timeout=10) as r:
            metrics = r.read().decode()
        fetched = [ln for ln in metrics.splitlines()
                   if ln.startswith("hubmirror_bucket_fetched_bytes ")]
        assert fetched and float(fetched[0].split()[1]) > 0, fetched


def test_thirty_cold_requests_over_three_nodes_cause_one_transfer(cluster, manifest):
    repo, path = "acme/big-model", "model.safetensors"
    want = manifest.files("model", repo)[path]
    # Slow enough that all 30 requests arrive while the transfer runs.
    urllib.request.urlopen(urllib.request.Request(
        cluster.fakehub.url + "/_fake/cdn-rate?bytes_per_sec=16000000", method="POST"),
        timeout=10).read()
    try:
        before = cluster.fakehub.stats()
        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            results = list(pool.map(
                lambda _: fetch(file_url(cluster.nginx.url(), repo, path)), range(30)))
    finally:
        urllib.request.urlopen(urllib.request.Request(
            cluster.fakehub.url + "/_fake/cdn-rate?bytes_per_sec=0", method="POST"),
            timeout=10).read()
    after = cluster.fakehub.stats()
    assert all(r == (200, want["sha256"], want["size"]) for r in results), results
    upstream = (after["cdn_bytes"] + after["xet_bytes"]) - (before["cdn_bytes"] +
                                                            before["xet_bytes"])
    # One transfer: the file's bytes once (two would be twice).
    assert want["size"] <= upstream < 1.5 * want["size"], upstream
    # nginx spread them: each node answered some.
    log = open(os.path.join(cluster.nginx.dir, "access.log")).read()
    assert log.count(path) >= 30, log[-2000:]


def test_hf_download_through_the_balancer(cluster, manifest, hf_home, tmp_path):
    repo = "acme/tiny-dataset"
    files = manifest.files("dataset", repo)
    out = tmp_path / "out"
    r = run_hf(["download", repo, "--repo-type", "dataset", "--local-dir", str(out)],
               cluster.nginx.url(), hf_home)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_tree_matches(out, files)
    # Stored now: a second client gets the LFS files over Xet, its
    # reconstructions and xorb ranges answered by whichever node nginx picks.
    for node in cluster.nodes:
        wait_committed(node.url, repo, "data/train-00000-of-00001.parquet", kind="datasets")
    again = tmp_path / "again"
    home2 = tmp_path / "hf-home-2"
    home2.mkdir()
    r = run_hf(["download", repo, "--repo-type", "dataset", "--local-dir", str(again)],
               cluster.nginx.url(), home2)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_tree_matches(again, files)
    log = open(os.path.join(cluster.nginx.dir, "access.log")).read()
    assert "/reconstructions/" in log, "the second download did not use Xet"


def test_kill_of_the_fetching_node_another_completes_and_verify_is_clean(cluster, manifest):
    if cluster.name != "http-pull":
        pytest.skip("the fake CDN's gate holds HTTP transfers, not Xet ones")
    repo, path = "acme/eight-base", "model.safetensors"
    want = manifest.files("model", repo)[path]
    hub = cluster.fakehub.url
    # Hold every CDN transfer after 1 MiB: node 1's fetch stalls mid-way.
    urllib.request.urlopen(urllib.request.Request(hub + "/_fake/cdn-gate?pause_after=1048576",
                                                  method="POST"), timeout=10).read()
    victim, survivor = cluster.nodes[0], cluster.nodes[1]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(fetch, file_url(victim.url, repo, path))
        time.sleep(1.0)  # node 1 holds the lease and is fetching
        second = pool.submit(fetch, file_url(survivor.url, repo, path))
        time.sleep(1.0)  # node 2 waits on the lease
        assert not second.done()
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(timeout=10)
        try:
            got = first.result(timeout=30)
        except Exception:  # noqa: BLE001 - the connection died with the node
            got = None
        assert got is None or got[1] != want["sha256"], got
        urllib.request.urlopen(urllib.request.Request(hub + "/_fake/cdn-gate?open=1",
                                                      method="POST"), timeout=10).read()
        status, digest, n = second.result(timeout=120)
    assert (status, digest, n) == (200, want["sha256"], want["size"])
    wait_committed(survivor.url, repo, path)
    # Node 3 gets it from the shared store.
    assert fetch(file_url(cluster.nodes[2].url, repo, path))[1] == want["sha256"]

    r = subprocess.run([HUBMIRROR, "verify", "--config", str(cluster.configs[1])],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "clean" in r.stdout, r.stdout

    # The killed node comes back on the same store and serves.
    cluster.restart_node(0)
    assert fetch(file_url(cluster.nodes[0].url, repo, path))[1] == want["sha256"]


def test_maintenance_commands_work_on_the_shared_store(cluster):
    """ls, pin, gc and du take a node's --config: what they see and change
    is the cluster's, from any node."""
    def run(*args, config=cluster.configs[2]):
        r = subprocess.run([HUBMIRROR, *args, "--config", str(config)], capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
        return r.stdout

    url = file_url(cluster.nginx.url(), "acme/tiny-model", "model.safetensors")
    assert fetch(url)[0] == 200
    wait_committed(cluster.nodes[2].url, "acme/tiny-model", "model.safetensors")
    assert "acme/tiny-model" in run("ls")
    run("pin", "acme/tiny-model")
    listing = json.loads(run("ls", "--json", config=cluster.configs[1]))  # another node's view
    repo = [r for r in listing["repos"] if r["id"] == "acme/tiny-model"]
    assert repo and repo[0]["pinned"] == [""], listing  # "" = every revision
    run("unpin", "acme/tiny-model")
    # Every stored file is referenced: gc removes nothing, and serving goes on.
    out = run("gc", "--min-age", "0")
    assert "0 unreferenced objects" in out, out
    assert '"repos"' in run("du", "--json")
    assert fetch(url)[0] == 200


def test_nodes_ride_out_a_postgresql_restart(cluster, manifest):
    """Every session ends with the restart; the first requests after it
    reconnect (index, catalog, leases) instead of failing."""
    cluster.pg.restart()
    # A stored file on one node, a cold one (lease, catalog writes) on another.
    repo, path = "acme/tiny-model", "config.json"
    assert fetch(file_url(cluster.nodes[1].url, repo, path))[0] == 200
    cold_repo, cold_path = "gpt-mini", "pytorch_model.bin"
    want = manifest.files("model", cold_repo)[cold_path]
    status, digest, n = fetch(file_url(cluster.nodes[2].url, cold_repo, cold_path))
    assert (status, digest, n) == (200, want["sha256"], want["size"])
    for node in cluster.nodes:
        assert node.alive(), node.logs()


def test_bad_scale_out_config_is_refused(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[store]\ndir = "x"\npostgres = "host=127.0.0.1"\n')
    r = subprocess.run([HUBMIRROR, "serve", "--config", str(cfg)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode != 0
    assert "[store.s3]" in r.stderr
