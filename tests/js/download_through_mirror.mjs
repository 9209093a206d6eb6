// Downloads fixture repositories with the real @huggingface/hub client and
// checks every answer against the fake hub's manifest (the ground truth).
//
// Usage:
//   node download_through_mirror.mjs --hub URL --manifest FILE --cache-dir DIR
//                                    [--hub-kind mirror|hub] [--listings-from-store]
//
// --hub is whatever the client should treat as huggingface.co: the mirror,
// or the fake hub itself for the control run (--hub-kind hub).
//
// --hub-kind says what to expect about Xet (hub-protocol §8). A hub (real or
// fake) announces Xet for LFS files, its CAS on another host (the fake hub's
// on its CDN host): accepted, and the client downloads from that CAS. A
// "mirror" (default) serves Xet itself: it may announce Xet for LFS files
// only, with every Xet URL on its own origin. Either way the client runs with
// its defaults, exactly as a user passing the hub or mirror as hubUrl would.
//
// Output is TAP-like: one "ok - ..." / "not ok - ..." line per check, then
// "N passed, M failed".
// Exit status 1 when anything failed or the global time limit ran out.
//
// Only the library's public API is used, the way an application would; the
// `fetch` option merely records requests so that a failure can show which
// URL answered what (it delegates to the global fetch unchanged).

import { createHash } from "node:crypto";
import { readFile, readdir, readlink, lstat, realpath } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";

import {
  datasetInfo,
  downloadFile,
  fileDownloadInfo,
  listCommits,
  listFiles,
  listModels,
  modelInfo,
  snapshotDownload,
  spaceInfo,
  whoAmI,
} from "@huggingface/hub";

const GLOBAL_TIMEOUT_MS = 120_000;
// One check covers at most one multi-MiB download, or one snapshot of a few.
const CHECK_TIMEOUT_MS = 60_000;

// What to download. `revision` is what the client asks for; the manifest says
// which commit it must resolve to. refs/pr/1 is included because the client
// sends it percent-encoded to some endpoints and raw to /tree (hub-protocol §1).
// acme/tiny-model-ft is a second model whose weights are tiny-model@v1's
// object (deduplicated in the store, served under both repos).
const TARGETS = [
  { type: "model", id: "acme/tiny-model", revision: "main" },
  { type: "model", id: "acme/tiny-model", revision: "v1" },
  { type: "model", id: "acme/tiny-model", revision: "refs/pr/1" },
  { type: "model", id: "acme/tiny-model-ft", revision: "main" },
  { type: "dataset", id: "acme/tiny-dataset", revision: "main" },
];

// ---------------------------------------------------------------------------
// Reporting

let passed = 0;
let failed = 0;

function ok(description) {
  passed++;
  console.log(`ok - ${description}`);
}

function notOk(description, details) {
  failed++;
  console.log(`not ok - ${description}`);
  for (const line of String(details ?? "").split("\n")) {
    if (line) console.log(`#   ${line}`);
  }
}

// Files whose probe announced Xet (so downloadFile read them over Xet).
const xetAnnounced = new Set();

function check(condition, description, details) {
  if (condition) ok(description);
  else notOk(description, typeof details === "function" ? details() : details);
  return condition;
}

function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  // Keep-alive sockets to the server must not hold the process open.
  process.exit(failed > 0 ? 1 : 0);
}

// The library logs every cache download with console.debug; that would drown
// the check lines.
console.debug = () => {};

// ---------------------------------------------------------------------------
// Request log: when a check fails, the requests it made are the evidence.

let requestLog = [];

async function recordingFetch(input, init) {
  const url = typeof input === "string" ? input : input.url ?? String(input);
  const method = init?.method ?? "GET";
  const range = headerOf(init?.headers, "range");
  const entry = `${method} ${url}${range ? ` [Range: ${range}]` : ""}`;
  try {
    const response = await fetch(input, init);
    const h = response.headers;
    const interesting = [
      "content-type", "content-length", "content-range", "etag", "x-linked-etag",
      "x-linked-size", "x-repo-commit", "x-error-code", "x-error-message", "location", "link",
    ]
      .filter((name) => h.get(name) !== null)
      .map((name) => `${name}: ${h.get(name)}`);
    const final = response.url && response.url !== url ? ` (final URL ${response.url})` : "";
    requestLog.push(`${entry} -> ${response.status}${final}; ${interesting.join("; ")}`);
    return response;
  } catch (error) {
    requestLog.push(`${entry} -> network error: ${error?.cause?.message ?? error?.message}`);
    throw error;
  }
}

function headerOf(headers, name) {
  if (!headers) return undefined;
  if (typeof headers.get === "function") return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

// Runs one step with a time limit. On an exception or timeout the step fails
// with the error and the requests made meanwhile; the result is undefined.
async function step(description, fn) {
  requestLog = [];
  let timer;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)),
        CHECK_TIMEOUT_MS);
    });
    return await Promise.race([fn(), timeout]);
  } catch (error) {
    notOk(description, `${describeError(error)}\n${requestTrail()}`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

// Message, cause and the first frames: enough to place the failure.
function describeError(error) {
  const lines = String(error?.stack ?? error).split("\n").slice(0, 4);
  if (error?.cause) lines.push(`cause: ${error.cause?.message ?? error.cause}`);
  if (error?.statusCode) lines.push(`HTTP ${error.statusCode} from ${error.url}`);
  return lines.join("\n");
}

function requestTrail() {
  const tail = requestLog.slice(-8);
  return ["requests:", ...tail.map((r) => `  ${r}`)].join("\n");
}

// ---------------------------------------------------------------------------
// Manifest

// Turns the fake hub's manifest ({"repos": [{type, id, refs: {name: commit},
// commits: [{id, files: [{path, size, sha256, git_oid, lfs, etag}]}]}]}) into
//   Map "type/id" -> { refs, commits: Map commit -> Map path -> file }.
// git_oid is the oid the tree lists (the pointer's git blob id for LFS files),
// etag what resolve reports (sha256 for LFS files, git blob id otherwise).
function normalizeManifest(json) {
  if (!Array.isArray(json?.repos)) throw new Error("manifest: no repos array");
  const repos = new Map();
  for (const repo of json.repos) {
    const commits = new Map();
    for (const commit of repo.commits) {
      const files = new Map();
      for (const f of commit.files) {
        files.set(f.path, { path: f.path, size: Number(f.size), sha256: f.sha256, oid: f.git_oid,
          etag: f.etag, lfs: Boolean(f.lfs) });
      }
      commits.set(commit.id, files);
    }
    const parents = new Map(repo.commits.map((c) => [c.id, c.parent]));
    repos.set(`${repo.type}/${repo.id}`, { type: repo.type, id: repo.id, refs: repo.refs, commits,
      parents });
  }
  return repos;
}

// The etag the Hub reports for a file: sha256 for LFS, git blob id otherwise
// (hub-protocol §4); also the blob name in the local cache (§9).
function expectedEtag(file) {
  return file.etag ?? (file.lfs ? file.sha256 : file.oid);
}

function normalizeEtag(etag) {
  return String(etag).replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

function sha256Hex(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

function setDiff(a, b) {
  return [...a].filter((x) => !b.has(x)).sort();
}

function describeSetMismatch(actual, expected) {
  return [
    `missing: ${JSON.stringify(setDiff(expected, actual))}`,
    `unexpected: ${JSON.stringify(setDiff(actual, expected))}`,
  ].join("\n");
}

// ---------------------------------------------------------------------------
// Checks for one target

async function checkTarget(target, manifest, hubUrl, cacheDir, hubKind) {
  const label = `${target.type} ${target.id}@${target.revision}`;
  const repo = { type: target.type, name: target.id };
  const common = { repo, hubUrl, fetch: recordingFetch };
  const mirror = hubKind === "mirror";

  const manifestRepo = manifest.get(`${target.type}/${target.id}`);
  const commit = manifestRepo?.refs[target.revision];
  const files = commit && manifestRepo.commits.get(commit);
  if (!check(Boolean(files), `${label}: manifest has the ref and its files`,
    () => `refs: ${JSON.stringify(manifestRepo?.refs)}`)) {
    return;
  }

  // Repository info: `sha` must be the commit the ref points at, since
  // snapshotDownload names the snapshot folder after it.
  const info = await step(`${label}: repo info`, () => {
    const params = { name: target.id, revision: target.revision, hubUrl, fetch: recordingFetch,
      additionalFields: ["sha"] };
    return target.type === "dataset" ? datasetInfo(params) : modelInfo(params);
  });
  if (info) {
    check(info.sha === commit, `${label}: repo info sha is the manifest commit`,
      `got ${JSON.stringify(info.sha)}, want ${commit}\n${requestTrail()}`);
    check(info.name === target.id, `${label}: repo info id is the repo id`,
      `got ${JSON.stringify(info.name)}\n${requestTrail()}`);
  }

  // Recursive tree: exactly the commit's files, plus their parent folders.
  const entriesListed = await step(`${label}: listFiles recursive`, async () => {
    const out = [];
    for await (const entry of listFiles({ ...common, recursive: true, revision: target.revision })) {
      out.push(entry);
    }
    return out;
  });
  if (entriesListed) {
    const listedFiles = new Map(entriesListed.filter((e) => e.type === "file").map((e) => [e.path, e]));
    const wantFiles = new Set(files.keys());
    check(
      setDiff(listedFiles.keys(), wantFiles).length === 0 &&
        setDiff(wantFiles, new Set(listedFiles.keys())).length === 0 &&
        listedFiles.size === entriesListed.filter((e) => e.type === "file").length,
      `${label}: listFiles lists exactly the manifest's files (${wantFiles.size})`,
      () => describeSetMismatch(new Set(listedFiles.keys()), wantFiles));

    const wantDirs = new Set();
    for (const p of wantFiles) {
      for (let d = path.posix.dirname(p); d !== "."; d = path.posix.dirname(d)) wantDirs.add(d);
    }
    const listedDirs = new Set(entriesListed.filter((e) => e.type === "directory").map((e) => e.path));
    check(setDiff(listedDirs, wantDirs).length === 0 && setDiff(wantDirs, listedDirs).length === 0,
      `${label}: listFiles lists every folder`, () => describeSetMismatch(listedDirs, wantDirs));

    const others = entriesListed.filter((e) => e.type !== "file" && e.type !== "directory");
    check(others.length === 0, `${label}: listFiles has only file and directory entries`,
      () => JSON.stringify(others));

    const badEntries = [];
    for (const [p, entry] of listedFiles) {
      const want = files.get(p);
      if (!want) continue;
      if (entry.size !== want.size) badEntries.push(`${p}: size ${entry.size}, want ${want.size}`);
      if (want.lfs) {
        if (entry.lfs?.oid !== want.sha256) {
          badEntries.push(`${p}: lfs.oid ${entry.lfs?.oid}, want ${want.sha256}`);
        }
        if (entry.lfs?.size !== want.size) {
          badEntries.push(`${p}: lfs.size ${entry.lfs?.size}, want ${want.size}`);
        }
      } else {
        if (entry.lfs) badEntries.push(`${p}: has lfs, want none`);
      }
      if (want.oid && entry.oid !== want.oid) badEntries.push(`${p}: oid ${entry.oid}, want ${want.oid}`);
    }
    check(badEntries.length === 0, `${label}: listFiles sizes, oids and lfs match the manifest`,
      badEntries.join("\n"));

    if (mirror) {
      const badXet = entriesListed
        .filter((e) => e.xetHash !== undefined && (!e.lfs || !/^[0-9a-f]{64}$/.test(e.xetHash)))
        .map((e) => e.path);
      check(badXet.length === 0, `${label}: listFiles carries xetHash on stored LFS files only`,
        JSON.stringify(badXet));
    }
  }

  // Each file on its own: the probe (fileDownloadInfo) and the download.
  for (const file of files.values()) {
    const fileLabel = `${label}: ${file.path}`;
    const downloadInfo = await step(`${fileLabel}: fileDownloadInfo`, () =>
      fileDownloadInfo({ ...common, path: file.path, revision: target.revision }));
    if (downloadInfo !== undefined) {
      const problems = [];
      if (!downloadInfo) problems.push("returned null (404 EntryNotFound)");
      else {
        if (downloadInfo.size !== file.size) problems.push(`size ${downloadInfo.size}, want ${file.size}`);
        const etag = normalizeEtag(downloadInfo.etag);
        if (etag !== expectedEtag(file)) {
          problems.push(`etag ${downloadInfo.etag}, want ${expectedEtag(file)} (${file.lfs ? "sha256, LFS" : "git oid"})`);
        }
        // The mirror announces Xet for stored LFS files, pointing at itself.
        if (downloadInfo.xet && mirror) {
          const origin = new URL(hubUrl).origin;
          if (!file.lfs) problems.push(`announces Xet for a regular file: ${JSON.stringify(downloadInfo.xet)}`);
          if (downloadInfo.xet.refreshUrl.origin !== origin ||
              downloadInfo.xet.reconstructionUrl.origin !== origin) {
            problems.push(`Xet URLs off the mirror: ${JSON.stringify(downloadInfo.xet)}`);
          }
          xetAnnounced.add(`${label}: ${file.path}`);
        }
      }
      check(problems.length === 0, `${fileLabel}: fileDownloadInfo size and etag`,
        () => `${problems.join("\n")}\n${requestTrail()}`);
    }

    const bytes = await step(`${fileLabel}: downloadFile`, async () => {
      const blob = await downloadFile({ ...common, path: file.path, revision: target.revision });
      if (!blob) throw new Error("downloadFile returned null (404 EntryNotFound)");
      return Buffer.from(await blob.arrayBuffer());
    });
    if (bytes) {
      check(bytes.length === file.size && sha256Hex(bytes) === file.sha256,
        `${fileLabel}: downloadFile bytes match sha256 (${file.size} bytes)`,
        () => `got ${bytes.length} bytes, sha256 ${sha256Hex(bytes)}; want ${file.sha256}\n${requestTrail()}`);
    }

    // Blob slices turn into Range requests (bytes=a-b); the library relies on
    // 206 answers for large files.
    if (bytes && file.lfs && file.size > 4096) {
      const start = Math.floor(file.size / 3);
      const end = start + 1000;
      const slice = await step(`${fileLabel}: ranged read`, async () => {
        const blob = await downloadFile({ ...common, path: file.path, revision: target.revision });
        return Buffer.from(await blob.slice(start, end).arrayBuffer());
      });
      if (slice) {
        check(slice.equals(bytes.subarray(start, end)), `${fileLabel}: ranged read bytes ${start}-${end - 1}`,
          () => `got ${slice.length} bytes, first differing\n${requestTrail()}`);
      }
    }
  }

  // A missing file is `null`, not an exception: needs 404 + X-Error-Code.
  const missing = await step(`${label}: downloadFile of a missing path`, () =>
    downloadFile({ ...common, path: "no/such/file.txt", revision: target.revision }));
  if (missing !== undefined) {
    check(missing === null, `${label}: downloadFile of a missing path returns null`,
      () => `got ${missing}\n${requestTrail()}`);
  }

  await checkSnapshot(target, label, common, commit, files, cacheDir);
}

// snapshotDownload writes the huggingface_hub cache layout (hub-protocol §9):
// refs/<rev> -> commit, snapshots/<commit>/<path> -> ../../blobs/<etag>.
// snapshotDownload hands its parameters on to downloadFile for every file.
async function checkSnapshot(target, label, common, commit, files, cacheDir) {
  const folder = await step(`${label}: snapshotDownload`, () =>
    snapshotDownload({ ...common, revision: target.revision, cacheDir }));
  if (!folder) return;

  const repoFolder = path.join(cacheDir, `${target.type}s--${target.id.replaceAll("/", "--")}`);
  check(folder === path.join(repoFolder, "snapshots", commit),
    `${label}: snapshot folder is named after the commit`, `got ${folder}`);

  const refFile = path.join(repoFolder, "refs", target.revision);
  const ref = await readFile(refFile, "utf8").catch((e) => `<${e.code}>`);
  check(ref.trim() === commit, `${label}: refs/${target.revision} holds the commit`,
    `got ${JSON.stringify(ref)} in ${refFile}`);

  const onDisk = await walkFiles(folder);
  const wantPaths = new Set(files.keys());
  check(setDiff(onDisk, wantPaths).length === 0 && setDiff(wantPaths, onDisk).length === 0,
    `${label}: snapshot holds exactly the manifest's files`,
    () => describeSetMismatch(onDisk, wantPaths));

  const problems = [];
  for (const file of files.values()) {
    const p = path.join(folder, file.path);
    try {
      const bytes = await readFile(p);
      if (sha256Hex(bytes) !== file.sha256) problems.push(`${file.path}: sha256 mismatch`);
      // The blob is named after the etag the client derived from paths-info;
      // a wrong oid there would break deduplication with the Python cache.
      const stat = await lstat(p);
      if (stat.isSymbolicLink()) {
        const target = await realpath(p);
        const wantBlob = path.join(await realpath(repoFolder), "blobs", expectedEtag(file));
        if (target !== wantBlob) {
          problems.push(`${file.path}: links to ${await readlink(p)}, want blob ${expectedEtag(file)}`);
        }
      }
    } catch (error) {
      problems.push(`${file.path}: ${error.message}`);
    }
  }
  check(problems.length === 0, `${label}: snapshot files match sha256 and link to blobs/<etag>`,
    problems.join("\n"));
}

async function walkFiles(root) {
  const out = new Set();
  async function walk(dir, prefix) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), rel);
      else out.add(rel);
    }
  }
  await walk(root, "").catch(() => {});
  return out;
}

// ---------------------------------------------------------------------------

// The commits reachable from `revision` by parents, newest first.
function manifestHistory(manifest, key, revision) {
  const repo = manifest.get(key);
  const history = [];
  for (let commit = repo.refs[revision] ?? revision; commit && history.length < 100;) {
    history.push(commit);
    commit = repo.parents.get(commit);
  }
  return history;
}

// listCommits (revision sent raw, pages of `batchSize` followed through
// Link), listModels by owner and spaceInfo. With `fromStore` (an offline
// mirror) a listing holds the repos the store has and a history the one
// commit it knows.
async function checkListings(manifest, hubUrl, hubKind, fromStore) {
  const commits = await step("listCommits of refs/pr/1", async () => {
    const oids = [];
    for await (const c of listCommits({ repo: { type: "model", name: "acme/tiny-model" },
      revision: "refs/pr/1", hubUrl, batchSize: 2 })) {
      oids.push(c.oid);
    }
    return oids;
  });
  const history = manifestHistory(manifest, "model/acme/tiny-model", "refs/pr/1")
    .slice(0, fromStore ? 1 : undefined);
  if (commits) {
    check(JSON.stringify(commits) === JSON.stringify(history), "listCommits: the history of refs/pr/1",
      `got ${JSON.stringify(commits)}\nwant ${JSON.stringify(history)}`);
  }
  const models = await step("listModels of owner acme", async () => {
    const names = [];
    for await (const m of listModels({ search: { owner: "acme" }, hubUrl })) names.push(m.name);
    return names.sort();
  });
  // The mirror lists gated repos only to tokens allowed them.
  const expected = [...manifest.values()]
    .filter((r) => r.type === "model" && r.id.startsWith("acme/"))
    .filter((r) => hubKind !== "mirror" || r.id !== "acme/gated-model")
    .filter((r) => !fromStore || TARGETS.some((t) => t.type === "model" && t.id === r.id))
    .map((r) => r.id).sort();
  if (models) {
    check(JSON.stringify(models) === JSON.stringify(expected), "listModels: every model of acme",
      `got ${JSON.stringify(models)}\nwant ${JSON.stringify(expected)}`);
  }
  const space = await step("spaceInfo", () => spaceInfo({ name: "acme/tiny-space", hubUrl }));
  if (space) {
    check(space.name === "acme/tiny-space" && space.sdk === "gradio", "spaceInfo: the space",
      JSON.stringify(space));
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      hub: { type: "string" },
      manifest: { type: "string" },
      "cache-dir": { type: "string" },
      "hub-kind": { type: "string", default: "mirror" },
      "listings-from-store": { type: "boolean", default: false },
      "expect-xet": { type: "boolean", default: false },
    },
  });
  const hubKind = values["hub-kind"];
  if (!values.hub || !values.manifest || !values["cache-dir"] || !["mirror", "hub"].includes(hubKind)) {
    console.error("usage: node download_through_mirror.mjs --hub URL --manifest FILE --cache-dir DIR" +
      " [--hub-kind mirror|hub] [--listings-from-store]");
    process.exit(2);
  }
  const hubUrl = values.hub.replace(/\/+$/, "");
  const cacheDir = path.resolve(values["cache-dir"]);
  const manifest = normalizeManifest(JSON.parse(await readFile(values.manifest, "utf8")));

  console.log(`# @huggingface/hub against ${hubUrl} (${hubKind}), cache ${cacheDir}`);
  for (const target of TARGETS) {
    await checkTarget(target, manifest, hubUrl, cacheDir, hubKind);
  }

  await checkListings(manifest, hubUrl, hubKind, values["listings-from-store"]);

  // With every file stored (mirror mode), each LFS file is announced over
  // Xet, so downloadFile above read it from the mirror's CAS.
  if (values["expect-xet"]) {
    check(xetAnnounced.size > 0, `LFS files were downloaded over Xet (${xetAnnounced.size})`,
      "no file was announced over Xet");
  }

  // `hf auth login` and whoAmI() validate a token at /api/whoami-v2; a mirror
  // without tokens of its own accepts any (and never asks the upstream).
  const who = await step("whoAmI", () => whoAmI({ hubUrl, accessToken: "hf_client_token" }));
  if (who) {
    const createdAt = who.auth?.accessToken?.createdAt;
    check(typeof who.name === "string" && createdAt instanceof Date && !isNaN(createdAt),
      "whoAmI: a name and the token's creation date", JSON.stringify(who));
  }
}

const globalTimer = setTimeout(() => {
  notOk(`finished within ${GLOBAL_TIMEOUT_MS / 1000} s`, requestTrail());
  finish();
}, GLOBAL_TIMEOUT_MS);

main()
  .catch((error) => notOk("test driver", error?.stack ?? String(error)))
  .finally(() => {
    clearTimeout(globalTimer);
    finish();
  });
