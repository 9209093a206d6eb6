"""Real servers for the scale-out tests, all on 127.0.0.1 in a temp dir:
PostgreSQL from Debian (initdb as an unprivileged user), moto's S3 server
from PyPI (tests/py/.venv-s3) and nginx from Debian as the load balancer.
Each start() returns once the server answers; stop() ends it. Every wait
is bounded."""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, what, timeout=30.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception as e:  # noqa: BLE001 - reported below if it persists
            last = e
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up in {timeout:.0f} s (last error: {last})")


def terminate(proc):
    """SIGTERM, then SIGKILL after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def available():
    """Why the scale-out tests cannot run here, or None."""
    if postgres_bin() is None:
        return "PostgreSQL server binaries missing (apt-get install postgresql)"
    if not os.path.exists(os.path.join(HERE, ".venv-s3", "bin", "moto_server")):
        return "tests/py/.venv-s3 missing (tests/py/setup_venvs.sh)"
    if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        return "nginx missing (apt-get install nginx)"
    return None


class Postgres:
    """A throwaway PostgreSQL cluster; initdb refuses root, so as root it
    runs as the 'postgres' user (or 'nobody')."""

    def __init__(self, root):
        # Its own directory under /tmp: pytest's are private to root, and
        # the server may run as another user.
        self.base = tempfile.mkdtemp(prefix="hubmirror-pg-")
        os.chmod(self.base, 0o755)
        self.dir = os.path.join(self.base, "data")
        self.log = os.path.join(root, "pg.log")
        self.port = free_port()
        self.proc = None
        self.user = None

    def _demote(self):
        """preexec_fn: the child runs as the unprivileged user (as root
        only), so that signals reach the server itself."""
        if os.getuid() != 0:
            return None
        pw = pwd.getpwnam(self.user)

        def demote():
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
        return demote

    def start(self):
        bindir = postgres_bin()
        os.makedirs(self.dir, exist_ok=True)
        if os.getuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    pw = pwd.getpwnam(name)
                    self.user = name
                    break
                except KeyError:
                    continue
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        subprocess.run([os.path.join(bindir, "initdb"), "-D", self.dir, "-U", "hubmirror",
                        "--auth=trust", "--no-locale", "-E", "UTF8"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120,
                       preexec_fn=self._demote(), cwd=self.base)
        self._launch("w")
        wait_for(self._ready, "PostgreSQL")
        return self

    def _launch(self, log_mode):
        with open(self.log, log_mode) as log:
            self.proc = subprocess.Popen(
                [os.path.join(postgres_bin(), "postgres"), "-D", self.dir, "-p", str(self.port),
                 "-h", "127.0.0.1", "-k", self.dir, "-c", "fsync=off",
                 "-c", "max_connections=300", "-c", "shared_buffers=64MB"],
                stdout=subprocess.DEVNULL, stderr=log, preexec_fn=self._demote(), cwd=self.base)

    def restart(self):
        """Stops the server (fast shutdown: every session ends) and starts it
        again on the same data directory and port."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)
        self._launch("a")
        wait_for(self._ready, "PostgreSQL (restarted)")

    def _ready(self):
        r = subprocess.run(["psql", self.conninfo(), "-c", "SELECT 1"], capture_output=True,
                           timeout=10)
        return r.returncode == 0

    def conninfo(self, dbname="postgres"):
        return f"host=127.0.0.1 port={self.port} user=hubmirror dbname={dbname}"

    def psql(self, sql):
        r = subprocess.run(["psql", self.conninfo(), "-At", "-c", sql], capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        return r.stdout.strip()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)


class S3Server:
    """moto's S3-compatible server."""

    def __init__(self, root):
        self.port = free_port()
        self.log = os.path.join(root, "moto.log")
        self.proc = None

    def start(self):
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [os.path.join(HERE, ".venv-s3", "bin", "moto_server"), "-H", "127.0.0.1", "-p",
                 str(self.port)], stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: urllib.request.urlopen(self.endpoint(), timeout=2).status == 200,
                 "moto S3 server")
        return self

    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        terminate(self.proc)


class Nginx:
    """nginx balancing over the nodes (round robin, no buffering, so a
    download streams through)."""

    def __init__(self, root, upstream_ports):
        self.dir = os.path.join(root, "nginx")
        self.port = free_port()
        self.upstream_ports = upstream_ports
        self.proc = None

    def start(self):
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=0;" for p in self.upstream_ports)
        conf = f"""
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {self.dir}/access.log;
  client_body_temp_path {self.dir}/tmp/body;
  proxy_temp_path {self.dir}/tmp/proxy;
  fastcgi_temp_path {self.dir}/tmp/fastcgi;
  uwsgi_temp_path {self.dir}/tmp/uwsgi;
  scgi_temp_path {self.dir}/tmp/scgi;
  upstream hubmirror {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{self.port};
    client_max_body_size 0;
    location / {{
      proxy_pass http://hubmirror;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 600s;
      proxy_next_upstream error timeout http_502 http_503;
    }}
  }}
}}
"""
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", path, "-p", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        wait_for(up, "nginx")
        return self

    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        terminate(self.proc)
