#!/usr/bin/env python3
"""bench/cluster.py: download speed of a scale-out node (issue 16), as ratios
measured in one run, all on 127.0.0.1:

  - single: `hubmirror serve` on the embedded single-node store (the
    default), the file stored, warm downloads;
  - node-cold: a cluster node (PostgreSQL + moto's S3 server) whose cache does
    not hold the file: its xorbs come from the bucket;
  - node-warm: the same node again, from its local cache;
  - nginx: nginx serving the same file from disk (the ceiling).

Each figure is the median of REPS downloads (curl to /dev/null); a cold
figure drops the node's cache (removes its cached xorb files) before each
download. Prints a table and the ratio node-warm / single (target >= 0.9).

Usage: bench/cluster.py [BUILD_DIR]   (default: build)
Env:   REPS (default 5), FILE_MIB (default 512).
Needs: PostgreSQL and nginx from Debian, tests/py/.venv-s3 (moto), curl.
"""

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
import cluster_services  # noqa: E402

REPS = int(os.environ.get("REPS", "5"))
FILE_MIB = int(os.environ.get("FILE_MIB", "512"))


def start(argv, log, pattern, timeout=60):
    out = open(log, "w")
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, open(log).read(), re.M)
        if m:
            return proc, m
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{argv[0]} did not start: {open(log).read()[-2000:]}")


def download(url):
    """Seconds and bytes of one download to /dev/null."""
    r = subprocess.run(["curl", "-sS", "-L", "--max-time", "600", "-o", "/dev/null", "-w",
                        "%{time_total} %{size_download}", url],
                       capture_output=True, text=True, check=True, timeout=700)
    seconds, size = r.stdout.split()
    return float(seconds), int(size)


def median_mbps(url, size, before_each=None):
    speeds = []
    for _ in range(REPS):
        if before_each:
            before_each()
        seconds, got = download(url)
        assert got == size, (url, got, size)
        speeds.append(size / seconds / 1e6)
    return statistics.median(speeds)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    hubmirror = os.path.join(build, "cli", "hubmirror")
    fakehub = os.path.join(build, "tests", "fakehub", "hubmirror-fakehub")
    missing = cluster_services.available()
    if missing:
        sys.exit("bench/cluster: " + missing)
    tmp = tempfile.mkdtemp(prefix="hubmirror-bench-cluster-")
    procs = []
    services = []
    try:
        data = os.path.join(tmp, "big.bin")
        # Incompressible and without repeats, like weights: nothing for the
        # chunk-level dedup or compression to shrink.
        rng = random.Random(16)
        with open(data, "wb") as f:
            for _ in range(FILE_MIB):
                f.write(rng.randbytes(1 << 20))
        size = os.path.getsize(data)
        hub, m = start([fakehub, "--listen", "127.0.0.1:0", "--cdn-listen", "127.0.0.1:0",
                        "--extra-file", f"bench/big:model.safetensors:{data}"],
                       os.path.join(tmp, "fakehub.log"), r"^api (\S+)$")
        procs.append(hub)
        hub_url = m.group(1)
        pg = cluster_services.Postgres(tmp).start()
        services.append(pg)
        s3 = cluster_services.S3Server(tmp).start()
        services.append(s3)

        def serve(name, extra_config, listen="127.0.0.1:0"):
            cfg = os.path.join(tmp, name + ".toml")
            with open(cfg, "w") as f:
                f.write(f'[store]\ndir = "{tmp}/{name}"\n{extra_config}\n'
                        f'[upstream]\nurl = "{hub_url}"\n')
            p, m = start([hubmirror, "serve", "--config", cfg, "--listen", listen],
                         os.path.join(tmp, name + ".log"), r"^hubmirror listening on (\S+)")
            procs.append(p)
            servers[name] = p
            return m.group(1)

        servers = {}

        cluster_cfg = (f'postgres = "{pg.conninfo()}"\n'
                       f'[store.s3]\nendpoint = "{s3.endpoint()}"\nbucket = "bench"\n'
                       'access_key_id = "k"\nsecret_access_key = "s"\ncreate_bucket = true\n')
        single = serve("single", "")
        node_a = serve("node-a", cluster_cfg)
        node_b = serve("node-b", cluster_cfg)
        path = "/bench/big/resolve/main/model.safetensors"
        # Stored once in each store (node A fills the shared one): a cold
        # pull-through each, from the unthrottled fake hub, timed.
        pull_mbps = {}
        for name, base in (("single", single), ("node-a", node_a)):
            seconds, got = download(base + path)
            assert got == size
            pull_mbps[name] = size / seconds / 1e6
        time.sleep(2)  # commits follow the last byte

        def drop_cache():
            # Node B restarted on an empty cache directory (same port): what
            # it serves next comes from the bucket.
            p = servers["node-b"]
            p.terminate()
            p.wait(timeout=30)
            shutil.rmtree(os.path.join(tmp, "node-b"), ignore_errors=True)
            serve("node-b", cluster_cfg, listen=node_b.split("//", 1)[1])

        nginx_dir = os.path.join(tmp, "nginx")
        os.makedirs(os.path.join(nginx_dir, "www", "f"))
        os.link(data, os.path.join(nginx_dir, "www", "f", "big.bin"))
        port = cluster_services.free_port()
        conf = os.path.join(nginx_dir, "nginx.conf")
        with open(conf, "w") as f:
            # As root, nginx's workers would be nobody, who cannot read the
            # private temp dir.
            user = "user root;" if os.getuid() == 0 else ""
            f.write(f"""{user} worker_processes 1; daemon off; pid {nginx_dir}/pid;
error_log {nginx_dir}/error.log; events {{ worker_connections 64; }}
http {{ access_log off; sendfile on; client_body_temp_path {nginx_dir}/b;
proxy_temp_path {nginx_dir}/p; fastcgi_temp_path {nginx_dir}/f; uwsgi_temp_path {nginx_dir}/u;
scgi_temp_path {nginx_dir}/s;
server {{ listen 127.0.0.1:{port}; root {nginx_dir}/www; }} }}
""")
        nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", conf, "-p",
                                  nginx_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(nginx)
        cluster_services.wait_for(lambda: download(f"http://127.0.0.1:{port}/f/big.bin")[1] == size,
                                  "nginx")

        def upstream_bytes():
            with urllib.request.urlopen(hub_url + "/_fake/stats", timeout=10) as r:
                stats = json.load(r)
            return stats["cdn_bytes"] + stats["xet_bytes"]

        upstream_before = upstream_bytes()
        figures = {}
        figures["nginx"] = median_mbps(f"http://127.0.0.1:{port}/f/big.bin", size)
        figures["single"] = median_mbps(single + path, size)
        figures["node-cold"] = median_mbps(node_b + path, size, before_each=drop_cache)
        download(node_b + path)  # fills the cache
        figures["node-warm"] = median_mbps(node_b + path, size)
        # Interleave once more so that a noisy moment does not pick a side.
        figures["single"] = statistics.median(
            [figures["single"], median_mbps(single + path, size)])
        figures["node-warm"] = statistics.median(
            [figures["node-warm"], median_mbps(node_b + path, size)])

        print(f"bench/cluster: {FILE_MIB} MiB file, median of {REPS} downloads each, "
              f"{time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}")
        print(f"{'':24}{'MB/s':>10}{'vs single':>12}{'vs nginx':>10}")
        for name in ("nginx", "single", "node-warm", "node-cold"):
            print(f"{name:24}{figures[name]:10.0f}{figures[name] / figures['single']:12.2f}"
                  f"{figures[name] / figures['nginx']:10.2f}")
        print(f"cold pull-through (one download, unthrottled fake hub): single "
              f"{pull_mbps['single']:.0f} MB/s, cluster node {pull_mbps['node-a']:.0f} MB/s "
              f"({pull_mbps['node-a'] / pull_mbps['single']:.2f}x)")
        ratio = figures["node-warm"] / figures["single"]
        print(f"node-warm / single = {ratio:.2f} (target >= 0.9)")
        # The node and single downloads above are served from the stores:
        # no byte of them may come from the upstream.
        print(f"upstream bytes during the measured downloads: {upstream_bytes() - upstream_before}")
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        for s in services:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
