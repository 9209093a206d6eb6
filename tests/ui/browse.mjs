// Drives Debian's headless Chromium through hubmirror's web UI like a user:
// open /, click through to a repo, find a file with the filter, check its row
// (path, size, sha256), check that a file named with a <script> element is
// shown as text and ran nothing, and save a screenshot of a repo page.
// Every request the page makes must go to the mirror itself (air-gapped UI).
//
// node browse.mjs --url MIRROR_URL --screenshot FILE.png
//                 --weights-sha256 HEX --hostile-path PATH
import { chromium } from "playwright-core";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    screenshot: { type: "string" },
    "weights-sha256": { type: "string" },
    "hostile-path": { type: "string" },
  },
});
for (const key of ["url", "screenshot", "weights-sha256", "hostile-path"]) {
  if (!args[key]) {
    console.error(`usage: node browse.mjs --url URL --screenshot FILE --weights-sha256 HEX --hostile-path PATH (missing --${key})`);
    process.exit(2);
  }
}
const base = args.url.replace(/\/$/, "");

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}`);
  }
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
  ],
  timeout: 60_000,
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const foreign = [];
  page.on("request", (req) => {
    if (!req.url().startsWith(base + "/")) foreign.push(req.url());
  });
  const dialogs = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(String(err)));

  // 1. The list of stored repos.
  const home = await page.goto(base + "/");
  check(home.status() === 200, "GET / answers 200");
  check((home.headers()["content-security-policy"] || "").includes("default-src 'none'"),
        "the UI sends a Content-Security-Policy");
  check((await page.title()).includes("hubmirror"), "the page is titled hubmirror");
  const repoLink = page.getByRole("link", { name: "acme/tiny-model", exact: true });
  check((await repoLink.count()) === 1, "/ lists acme/tiny-model");
  check((await page.getByRole("link", { name: "acme/tiny-dataset", exact: true }).count()) === 1,
        "/ lists the dataset acme/tiny-dataset");

  // 2. Click through to the repo.
  await Promise.all([page.waitForURL("**/ui/repo/models/acme/tiny-model"), repoLink.click()]);
  check((await page.locator("h1").textContent()).trim() === "acme/tiny-model", "repo page heading");
  const commands = await page.locator("pre.cmd").allTextContents();
  check(commands.some((c) => c === `HF_ENDPOINT=${base} hf download acme/tiny-model`),
        "repo page shows the hf download command");
  check(commands.some((c) => c === `hubmirror pull acme/tiny-model --endpoint ${base}`),
        "repo page shows the hubmirror pull command");
  await page.screenshot({ path: args.screenshot });
  console.log(`saved ${args.screenshot}`);

  // 3. Find a file with the filter form.
  await page.getByRole("textbox", { name: "Find a file" }).fill("safetensors");
  await Promise.all([page.waitForURL(/[?&]q=safetensors/),
                     page.getByRole("button", { name: "Filter" }).click()]);
  const rows = page.locator("table.files tbody tr");
  check((await rows.count()) === 1, "the filter leaves one file");
  const cells = (await rows.first().locator("td").allTextContents()).map((t) => t.trim());
  check(cells[0].startsWith("model.safetensors"), `file path: ${cells[0]}`);
  check(cells[1] === "3.0 MiB", `file size: ${cells[1]}`);
  check(await rows.first().locator("td").nth(1).locator("span").getAttribute("title") === "3145728 bytes",
        "exact size on hover");
  check(cells[2] === args["weights-sha256"], `file sha256: ${cells[2]}`);
  check(cells[3] === "stored", `file stored: ${cells[3]}`);
  const href = await rows.first().locator("td a").first().getAttribute("href");
  check(/^\/acme\/tiny-model\/resolve\/[0-9a-f]{40}\/model\.safetensors$/.test(href),
        `download link: ${href}`);

  // 4. A file whose name carries a <script> element: text, not markup.
  await page.goto(base + "/");
  await Promise.all([page.waitForURL("**/ui/repo/models/acme/ui-demo"),
                     page.getByRole("link", { name: "acme/ui-demo", exact: true }).click()]);
  const hostile = page.locator("table.files tbody tr td.path a");
  check((await hostile.first().textContent()) === args["hostile-path"],
        "the <script> file name is shown as text");
  check((await page.locator("script").count()) === 0, "no <script> element in the page");
  check((await page.evaluate(() => document.body.innerHTML)).includes("&lt;script&gt;"),
        "the name is escaped in the markup");

  check(dialogs.length === 0, `no injected script ran (dialogs: ${JSON.stringify(dialogs)})`);
  check(pageErrors.length === 0, `no page errors (${JSON.stringify(pageErrors)})`);
  check(foreign.length === 0, `no request left the mirror (${JSON.stringify(foreign)})`);
} catch (err) {
  failed++;
  console.log(`FAIL ${err.stack || err}`);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
