"""Runs a command with throwaway servers beside it (CTest store_on_postgres,
s3_storage_on_moto): --postgres starts PostgreSQL and puts its connection
string in HUBMIRROR_TEST_POSTGRES, --s3 starts moto's S3 server and puts its
endpoint in HUBMIRROR_TEST_S3_ENDPOINT. Exit status: the command's.

Usage: with_services.py [--postgres] [--s3] -- COMMAND [ARGS...]"""

import os
import shutil
import subprocess
import sys
import tempfile

import cluster_services


def main():
    args = sys.argv[1:]
    if "--" not in args:
        print(__doc__, file=sys.stderr)
        return 2
    split = args.index("--")
    wanted, command = set(args[:split]), args[split + 1:]
    if not command or not wanted <= {"--postgres", "--s3"}:
        print(__doc__, file=sys.stderr)
        return 2
    root = tempfile.mkdtemp(prefix="hubmirror-services-")
    env = dict(os.environ)
    running = []
    try:
        if "--postgres" in wanted:
            if cluster_services.postgres_bin() is None:
                print("with_services: PostgreSQL server binaries missing", file=sys.stderr)
                return 1
            pg = cluster_services.Postgres(root).start()
            running.append(pg)
            env["HUBMIRROR_TEST_POSTGRES"] = pg.conninfo()
        if "--s3" in wanted:
            s3 = cluster_services.S3Server(root).start()
            running.append(s3)
            env["HUBMIRROR_TEST_S3_ENDPOINT"] = s3.endpoint()
        return subprocess.run(command, env=env, timeout=1200).returncode
    finally:
        for service in reversed(running):
            service.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
