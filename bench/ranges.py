#!/usr/bin/env python3
"""bench/ranges.py: random byte ranges of one file from parallel clients.

    ranges.py URL SIZE CLIENTS TOTAL RANGE_BYTES SEED [LOCAL_FILE]

CLIENTS threads, each on one keep-alive connection, fetch TOTAL ranges in
all (TOTAL / CLIENTS each) of RANGE_BYTES at random offsets (the same
offsets for the same SEED, so two servers get the same requests). Prints
"<seconds> <requests> <bytes>"; exits 1 if a reply is not a 206 of exactly
the range asked for, or (with LOCAL_FILE) its bytes differ from the file.
"""
import http.client
import random
import sys
import threading
import time
import urllib.parse


def main():
    url, size, clients, total, range_bytes, seed = sys.argv[1:7]
    size, clients, total, range_bytes = int(size), int(clients), int(total), int(range_bytes)
    local = sys.argv[7] if len(sys.argv) > 7 else None
    parts = urllib.parse.urlsplit(url)
    rng = random.Random(int(seed))
    offsets = [rng.randrange(0, size - range_bytes) for _ in range(total)]
    per_client = [offsets[i::clients] for i in range(clients)]
    errors = []
    got_bytes = [0] * clients

    def client(i):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        try:
            for off in per_client[i]:
                last = off + range_bytes - 1
                conn.request("GET", parts.path, headers={"Range": f"bytes={off}-{last}"})
                r = conn.getresponse()
                body = r.read()
                if r.status != 206 or len(body) != range_bytes:
                    errors.append(f"{off}: status {r.status}, {len(body)} bytes")
                    return
                if local:
                    with open(local, "rb") as f:
                        f.seek(off)
                        if f.read(range_bytes) != body:
                            errors.append(f"{off}: wrong bytes")
                            return
                got_bytes[i] += len(body)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    seconds = time.monotonic() - start
    if errors:
        print("ranges: " + "; ".join(errors[:5]), file=sys.stderr)
        sys.exit(1)
    print(f"{seconds:.3f} {total} {sum(got_bytes)}")


if __name__ == "__main__":
    main()
