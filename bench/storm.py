#!/usr/bin/env python3
"""Connection storm against one HTTP server (issue 17), as one asyncio client.

  storm.py URL --file LOCAL_COPY [--clients 1000] [--requests 20]
           [--range-bytes 4096] [--hanging 0] [--idle 0 --sources A,B]
           [--hold 2] [--timeout 60] [--seed 1]

Modes, combined in this order:
  --idle N     open N connections that send nothing (round-robin from the
               --sources loopback addresses, so that per-client limits can be
               exercised), hold them --hold seconds, count how many the server
               kept open;
  --hanging N  open N connections that send half a request line and stop;
  a probe      one new connection, one ranged GET: its latency;
  the storm    --clients keep-alive connections x --requests ranged GETs at
               random offsets of URL, each body compared with LOCAL_COPY
               (when given), while the idle/hanging connections stay open;
  a probe      again, after the storm.
Prints one JSON object: ok / failed (an error status or a broken connection) /
wrong (a clean 206 whose bytes differ) requests, seconds, rate (ok/s),
probe latencies (ms), idle connections kept open. Bounded: every network
wait has --timeout.
"""

import argparse
import asyncio
import json
import mmap
import random
import resource
import sys
import time
import urllib.parse


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--file", default="")
    p.add_argument("--size", type=int, default=0, help="file size when --file is not given")
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--requests", type=int, default=20)
    p.add_argument("--range-bytes", type=int, default=4096)
    p.add_argument("--hanging", type=int, default=0)
    p.add_argument("--idle", type=int, default=0)
    p.add_argument("--sources", default="127.0.0.1")
    p.add_argument("--hold", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


class Target:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host = u.hostname
        self.port = u.port or 80
        self.path = u.path + (("?" + u.query) if u.query else "")


def request_bytes(target, first, last):
    return (f"GET {target.path} HTTP/1.1\r\nHost: {target.host}:{target.port}\r\n"
            f"Range: bytes={first}-{last}\r\n\r\n").encode()


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def ranged_client(target, args, size, data, rng, stats):
    done = 0
    writer = None
    try:
        async with asyncio.timeout(args.timeout):
            reader, writer = await asyncio.open_connection(target.host, target.port)
            for _ in range(args.requests):
                first = rng.randrange(0, max(1, size - args.range_bytes))
                last = min(size, first + args.range_bytes) - 1
                writer.write(request_bytes(target, first, last))
                status, body = await read_response(reader)
                done += 1
                if status != 206:
                    # An error answer is a visible failure, not wrong bytes.
                    stats["failed"] += 1
                    key = f"HTTP {status}"
                    stats["errors"][key] = stats["errors"].get(key, 0) + 1
                elif len(body) != last - first + 1 or (
                        data is not None and body != data[first:last + 1]):
                    stats["wrong"] += 1
                else:
                    stats["ok"] += 1
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
        stats["failed"] += args.requests - done
        stats["errors"][type(e).__name__] = stats["errors"].get(type(e).__name__, 0) + 1
    finally:
        if writer is not None:
            writer.close()


async def probe(target, size, args):
    start = time.monotonic()
    writer = None
    try:
        async with asyncio.timeout(args.timeout):
            reader, writer = await asyncio.open_connection(target.host, target.port)
            writer.write(request_bytes(target, 0, min(size, args.range_bytes) - 1))
            status, _ = await read_response(reader)
            if status != 206:
                return None
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
        return None
    finally:
        if writer is not None:
            writer.close()
    return round((time.monotonic() - start) * 1000, 2)


async def open_many(target, n, sources, payload, timeout):
    """n connections (in batches), each sending `payload` (may be empty)."""
    conns = []
    for batch in range(0, n, 500):
        async def one(i):
            src = sources[i % len(sources)]
            try:
                async with asyncio.timeout(timeout):
                    r, w = await asyncio.open_connection(target.host, target.port,
                                                         local_addr=(src, 0))
                    if payload:
                        w.write(payload)
                        await w.drain()
                    return (r, w)
            except (OSError, asyncio.TimeoutError):
                return None
        got = await asyncio.gather(*(one(i) for i in range(batch, min(n, batch + 500))))
        conns.extend(c for c in got if c is not None)
    return conns


async def main_async(args):
    target = Target(args.url)
    data = None
    size = args.size
    if args.file:
        with open(args.file, "rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        size = len(data)
    rng = random.Random(args.seed)
    sources = args.sources.split(",")
    result = {"clients": args.clients, "requests": args.requests}

    idle = []
    if args.idle:
        idle = await open_many(target, args.idle, sources, b"", args.timeout)
        result["idle_opened"] = len(idle)
        await asyncio.sleep(args.hold)
    hanging = []
    if args.hanging:
        hanging = await open_many(target, args.hanging, ["127.0.0.1"],
                                  f"GET {target.path} HT".encode(), args.timeout)
        result["hanging_opened"] = len(hanging)
        await asyncio.sleep(0.5)
    result["probe_before_ms"] = await probe(target, size, args)

    stats = {"ok": 0, "failed": 0, "wrong": 0, "errors": {}}
    start = time.monotonic()
    if args.clients:
        clients = [ranged_client(target, args, size, data, random.Random(rng.random()), stats)
                   for _ in range(args.clients)]
        await asyncio.gather(*clients)
    seconds = time.monotonic() - start
    result.update(stats)
    result["seconds"] = round(seconds, 3)
    result["rate"] = round(stats["ok"] / seconds, 1) if seconds > 0 else 0
    result["probe_after_ms"] = await probe(target, size, args)

    # A connection the server closed reads EOF at once.
    for name, conns in (("idle", idle), ("hanging", hanging)):
        if not conns:
            continue
        still_open = 0
        for r, _ in conns:
            try:
                async with asyncio.timeout(0.001):
                    got = await r.read(1)
                    if got:  # an answer (e.g. 503): the server spoke, then closed or not
                        continue
            except asyncio.TimeoutError:
                still_open += 1
            except OSError:
                pass
        result[f"{name}_still_open"] = still_open
        for _, w in conns:
            w.close()
    return result


def main():
    args = parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    result = asyncio.run(main_async(args))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
