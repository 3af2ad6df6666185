// Time to the first chart of the Workspace in headless Chromium, against a running
// Cairn serving the project `cairn bench workspace --keep-dir DIR` seeded
// (500 runs × 50 metrics × 10,000 steps):
//
//   target/release/cairn serve --data-dir DIR &
//   node end2end/bench/workspace-first-chart.mjs [http://127.0.0.1:3000]
//
// For each of 11 loads (the first warms the browser cache and is not counted) it
// records, in milliseconds from the start of navigation (HTML, WASM download and
// start, hydration, the workspace and runs requests, and the panels' bucket
// queries included): the first line plot drawn, and every line plot in the
// viewport drawn. Prints p50 and worst of both.
import { signedInPage } from "./signed-in.mjs";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const url = `${base}/bench/workspace-bench/workspace`;
const { browser, page } = await signedInPage(base, { width: 1600, height: 1000 });

const first = [];
const all = [];
const draws = [];
for (let i = 0; i < 11; i++) {
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('.ws-line:not([data-draws="0"])'), null, { timeout: 120_000, polling: 10 });
  const firstMs = await page.evaluate(() => performance.now());
  // Every line plot whose box is in the viewport has drawn at least once.
  await page.waitForFunction(() => {
    const inView = [...document.querySelectorAll(".ws-line")].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.bottom > 0 && r.top < window.innerHeight;
    });
    return inView.length > 0 && inView.every((el) => el.getAttribute("data-draws") !== "0");
  }, null, { timeout: 120_000, polling: 10 });
  const allMs = await page.evaluate(() => performance.now());
  const panels = await page.evaluate(() => [...document.querySelectorAll(".ws-line")].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  }).length);
  const count = await page.getByTestId("run-count").textContent();
  const drawMs = await page.evaluate(() => [...document.querySelectorAll(".ws-line")]
    .map((el) => Number(el.getAttribute("data-draw-ms")))
    .filter((ms) => ms > 0));
  if (i > 0) draws.push(...drawMs);
  if (i > 0) {
    first.push(firstMs);
    all.push(allMs);
  }
  if (i === 10) console.log(`${count}; ${panels} line plots in view`);
}
const stat = (xs) => {
  xs.sort((a, b) => a - b);
  return `p50 ${xs[Math.floor(xs.length / 2)].toFixed(0)} ms, worst ${xs[xs.length - 1].toFixed(0)} ms`;
};
console.log(`first chart drawn: ${stat(first)}`);
console.log(`all charts in view drawn: ${stat(all)}`);
console.log(`one chart's drawing (plotters on canvas, ${draws.length} draws): ${stat(draws)}`);
await browser.close();
