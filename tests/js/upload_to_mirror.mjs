// Publishing with the real @huggingface/hub client (issue 15): createRepo,
// uploadFiles (an LFS file larger than the mirror's part size, so it goes
// multipart, and small files), a branch, a deletion, a dataset; then every
// revision is read back with downloadFile and listFiles and compared byte
// for byte.
//
// Usage: node upload_to_mirror.mjs --hub URL --token TOKEN
// Output: one "ok - ..." / "not ok - ..." line per check, then
// "N passed, M failed"; exit status 1 when anything failed.

import { createHash, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";

import {
  commit,
  createBranch,
  createRepo,
  deleteFile,
  downloadFile,
  listFiles,
  uploadFiles,
} from "@huggingface/hub";

const GLOBAL_TIMEOUT_MS = 180_000;
const { values: args } = parseArgs({
  options: { hub: { type: "string" }, token: { type: "string" } },
});
const hubUrl = args.hub;
const accessToken = args.token;
setTimeout(() => {
  console.log("not ok - global time limit reached");
  process.exit(1);
}, GLOBAL_TIMEOUT_MS).unref();

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
    passed++;
  } catch (e) {
    console.log(`not ok - ${name}: ${e?.stack ?? e}`);
    failed++;
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

async function read(repo, path, revision) {
  const blob = await downloadFile({ repo, path, revision, hubUrl, accessToken });
  assert(blob !== null, `${path}@${revision} is missing`);
  return Buffer.from(await blob.arrayBuffer());
}

const model = { type: "model", name: "acme-internal/js-model" };
const weights = randomBytes(7 * 1024 * 1024 + 3);  // over the 5 MiB part size: multipart
const config = Buffer.from(JSON.stringify({ from: "js" }));
const notes = Buffer.from("# notes\n");

await check("createRepo", async () => {
  const out = await createRepo({ repo: model, hubUrl, accessToken });
  assert(out.repoUrl.endsWith("/acme-internal/js-model"), `repoUrl ${out.repoUrl}`);
});

await check("uploadFiles: a multipart LFS file and small files in one commit", async () => {
  const out = await uploadFiles({
    repo: model,
    hubUrl,
    accessToken,
    commitTitle: "weights from js",
    files: [
      { path: "model.safetensors", content: new Blob([weights]) },
      { path: "config.json", content: new Blob([config]) },
      { path: "docs/notes.md", content: new Blob([notes]) },
    ],
  });
  assert(/^[0-9a-f]{40}$/.test(out.commit.oid), `commit ${JSON.stringify(out)}`);
});

await check("createBranch, then a deletion on main", async () => {
  await createBranch({ repo: model, branch: "with-notes", hubUrl, accessToken });
  await deleteFile({ repo: model, path: "docs/notes.md", hubUrl, accessToken });
});

await check("every revision reads back byte for byte", async () => {
  assert(sha256(await read(model, "model.safetensors", "main")) === sha256(weights), "weights");
  assert((await read(model, "config.json", "main")).equals(config), "config");
  assert((await read(model, "docs/notes.md", "with-notes")).equals(notes), "notes on branch");
  const main = [];
  for await (const f of listFiles({ repo: model, recursive: true, hubUrl, accessToken })) {
    if (f.type === "file") main.push(f.path);
  }
  main.sort();
  assert(
    JSON.stringify(main) === JSON.stringify([".gitattributes", "config.json", "model.safetensors"]),
    `main lists ${main}`,
  );
});

await check("a stale parentCommit is refused", async () => {
  let refused = false;
  try {
    await commit({
      repo: model,
      hubUrl,
      accessToken,
      title: "stale",
      parentCommit: "0".repeat(40),
      operations: [{ operation: "addOrUpdate", path: "x.txt", content: new Blob(["x"]) }],
    });
  } catch (e) {
    refused = true;
  }
  assert(refused, "the commit on a stale parent landed");
});

await check("a dataset", async () => {
  const dataset = { type: "dataset", name: "acme-internal/js-data" };
  await createRepo({ repo: dataset, hubUrl, accessToken });
  const rows = Buffer.from("a,b\n1,2\n");
  await uploadFiles({ repo: dataset, hubUrl, accessToken, files: [{ path: "train.csv", content: new Blob([rows]) }] });
  assert((await read(dataset, "train.csv", "main")).equals(rows), "train.csv");
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
