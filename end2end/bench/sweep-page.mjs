// The sweep page of `cairn bench sweeps --keep-dir DIR` (2,000 runs) in headless
// Chromium, against a running Cairn:
//
//   target/release/cairn serve --data-dir DIR &
//   node end2end/bench/sweep-page.mjs http://127.0.0.1:3000/bench/sweeps-bench/sweeps/<id>
//
// Signed out (the bench project is public). For each of 11 loads (the first is not
// counted), in milliseconds from the start of navigation until the parallel
// coordinates are drawn on their canvas (the server's SVG hidden) and the parameter
// importance is on the page; checked by counting the runs table's rows and the
// canvas's coloured pixels. Prints p50 and worst, and the page's size.
import { chromium } from "playwright-core";

const url = process.argv[2];
if (!url) throw new Error("usage: node end2end/bench/sweep-page.mjs <sweep page URL>");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
const times = [];
let bytes = 0;
for (let i = 0; i < 11; i++) {
  const res = await page.goto(url, { waitUntil: "commit" });
  await page.waitForSelector(".parcoords .pc-fallback.hidden", { state: "attached", timeout: 60_000 });
  await page.waitForSelector("table.importance tbody tr", { timeout: 60_000 });
  const ms = await page.evaluate(() => performance.now());
  const rows = await page.locator(".sweep-runs tbody tr").count();
  const colored = await page.locator("canvas.pc-canvas").evaluate((c) => {
    const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let j = 0; j < data.length; j += 4) {
      if (Math.max(data[j], data[j + 1], data[j + 2]) - Math.min(data[j], data[j + 1], data[j + 2]) > 60) n++;
    }
    return n;
  });
  if (rows < 1 || colored < 1000) throw new Error(`${rows} rows, ${colored} coloured pixels: the page is not drawn`);
  bytes = (await res.body()).length;
  if (i > 0) times.push(ms);
}
times.sort((a, b) => a - b);
console.log(
  `sweep page, parallel coordinates and importance drawn: p50 ${times[5].toFixed(0)} ms, worst ${times[times.length - 1].toFixed(0)} ms; page ${(bytes / 1024).toFixed(0)} KiB`,
);
await browser.close();
