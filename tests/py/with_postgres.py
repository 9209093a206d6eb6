"""Runs a command with a throwaway PostgreSQL server beside it, its
connection string in HUBMIRROR_TEST_POSTGRES (CTest store_on_postgres: the
store's unit tests on the PostgreSQL backend). Exit status: the command's.

Usage: with_postgres.py COMMAND [ARGS...]"""

import os
import subprocess
import sys
import tempfile

import cluster_services


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if cluster_services.postgres_bin() is None:
        print("with_postgres: PostgreSQL server binaries missing (apt-get install postgresql)",
              file=sys.stderr)
        return 1
    root = tempfile.mkdtemp(prefix="hubmirror-with-pg-")
    pg = cluster_services.Postgres(root).start()
    try:
        env = dict(os.environ, HUBMIRROR_TEST_POSTGRES=pg.conninfo())
        return subprocess.run(sys.argv[1:], env=env, timeout=1200).returncode
    finally:
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
