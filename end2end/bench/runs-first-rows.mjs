// Time to first rows of the Runs tab in headless Chromium, against a running Cairn
// serving the database `cairn bench runs-table --keep-dir DIR` left behind:
//
//   target/release/cairn serve --data-dir DIR &
//   node end2end/bench/runs-first-rows.mjs [http://127.0.0.1:3000]
//
// Prints, for a plain view and a filtered + sorted one, the p50 and worst of 10 loads:
// milliseconds from the start of navigation to the first run row in the table
// (HTML, WASM download and start, hydration and the first page request included).
import { signedInPage } from "./signed-in.mjs";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const project = "/bench/runs-bench/runs";
const views = {
  "no filter": "",
  "filter + sort": "?filter=" + encodeURIComponent('config.lr < 0.001 and config.optimizer = "adam"') + "&sort=summary.val%2Floss",
};
const { browser, page } = await signedInPage(base, { width: 1280, height: 900 });
for (const [name, query] of Object.entries(views)) {
  const times = [];
  for (let i = 0; i < 11; i++) {
    await page.goto(`${base}${project}${query}`);
    await page.waitForSelector("table.runs-grid tbody tr[data-run]");
    const ms = await page.evaluate(() => performance.now());
    const count = await page.getByTestId("runs-count").textContent();
    if (i > 0) times.push(ms); // the first load warms the browser cache
    if (i === 10) console.log(`${name}: ${count}`);
  }
  times.sort((a, b) => a - b);
  console.log(`${name}: first rows p50 ${times[Math.floor(times.length / 2)].toFixed(0)} ms, worst ${times[times.length - 1].toFixed(0)} ms`);
}
await browser.close();
