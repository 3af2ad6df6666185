// The report of `cairn bench reports --keep-dir DIR` (6 grids × 4 line charts over
// 100 runs × 100,000 steps) in headless Chromium, against a running Cairn:
//
//   target/release/cairn serve --data-dir DIR &
//   node end2end/bench/report-read.mjs [http://127.0.0.1:3000]
//
// Signed out (the bench project is public). For each of 11 loads (the first is not
// counted), in milliseconds from the start of navigation:
// - with JavaScript off: the page readable (its DOM loaded: the title, the text and
//   all 24 SVG charts are in the HTML), checked by counting the charts;
// - with JavaScript on: every chart interactive (the app has swapped each SVG for
//   its plot and drawn it).
// Prints p50 and worst of each, and the page's size.
import { chromium } from "playwright-core";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });

async function findReport() {
  const res = await fetch(`${base}/api/v1/reports/bench/reports-bench`);
  const idx = await res.json();
  const r = idx.reports.find((x) => x.title === "Bench");
  if (!r) throw new Error("no report Bench in bench/reports-bench: seed it with `cairn bench reports --keep-dir DIR`");
  return `${base}/bench/reports-bench/reports/Bench--${r.id}`;
}

const url = await findReport();
const stat = (xs) => {
  xs.sort((a, b) => a - b);
  return `p50 ${xs[Math.floor(xs.length / 2)].toFixed(0)} ms, worst ${xs[xs.length - 1].toFixed(0)} ms`;
};

const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1400, height: 1000 } });
const p1 = await noJs.newPage();
const readable = [];
let bytes = 0;
for (let i = 0; i < 11; i++) {
  const res = await p1.goto(url, { waitUntil: "domcontentloaded" });
  const ms = await p1.evaluate(() => performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd);
  const charts = await p1.locator(".report-panel svg").count();
  if (charts !== 24) throw new Error(`${charts} SVG charts, wanted 24`);
  bytes = (await res.body()).length;
  if (i > 0) readable.push(ms);
}
console.log(`JavaScript off, page readable with its 24 SVG charts: ${stat(readable)}; page ${(bytes / 1024).toFixed(0)} KiB`);

const js = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
const p2 = await js.newPage();
const interactive = [];
for (let i = 0; i < 11; i++) {
  await p2.goto(url);
  await p2.waitForFunction(() => {
    const live = document.querySelectorAll(".report-chart.live .ws-line:not([data-draws='0'])");
    return live.length === 24;
  }, null, { timeout: 60_000, polling: 10 });
  const ms = await p2.evaluate(() => performance.now());
  if (i > 0) interactive.push(ms);
}
console.log(`JavaScript on, all 24 charts interactive and drawn: ${stat(interactive)}`);
await browser.close();
