import { test, expect, Page, Locator } from "@playwright/test";
import { api, hex, runColor, signIn, waitForHydration, watchConsole } from "./helpers";

// One project shared by the tests below, seeded through /api/v1 by the first one.
const project = `e2e ws ${Date.now()}`;
const enc = encodeURIComponent(project);
const wsUrl = `/admin/${enc}/workspace`;
const NAMES = ["amber-0", "birch-1", "cedar-2", "dune-3", "ember-4", "fjord-5"];
const STEPS = 200;

test.describe.configure({ mode: "serial" });

async function openWorkspace(page: Page, query = "") {
  await page.goto(wsUrl + query);
  await waitForHydration(page);
  await expect(page.locator('.workspace[data-loaded="true"]')).toHaveCount(1);
}

const count = (page: Page) => page.getByTestId("run-count");
const section = (page: Page, name: string) => page.locator(`section.ws-section[data-section="${name}"]`);
const panel = (page: Page, title: string) => page.locator(`.ws-panel[data-title="${title}"]`);
const line = (page: Page, title: string) => panel(page, title).locator(".ws-line");
const runItem = (page: Page, name: string) => page.locator("li.ws-run", { has: page.getByRole("link", { name, exact: true }) });

async function legend(page: Page, title: string): Promise<string[]> {
  const l = line(page, title);
  await expect(l).not.toHaveAttribute("data-draws", "0");
  return JSON.parse((await l.getAttribute("data-series")) ?? "[]");
}

async function sectionNames(page: Page): Promise<string[]> {
  return page.locator("section.ws-section").evaluateAll((els) => els.map((e) => e.getAttribute("data-section") ?? ""));
}

/** Drag with the mouse (HTML drag and drop): from the middle of one element to a point of another. */
async function drag(page: Page, from: Locator, to: Locator, at = { x: 0.5, y: 0.5 }) {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 8, a.y + a.height / 2 + 8, { steps: 2 });
  await page.mouse.move(b.x + b.width * at.x, b.y + b.height * at.y, { steps: 8 });
  await page.mouse.up();
}

/** Wait for the workspace document to be saved (after the debounce). */
async function saved(page: Page) {
  await expect(page.locator(".ws-save")).toHaveAttribute("data-save", "saved");
}

/** Count canvas pixels within `tol` of a colour on every channel (lines are anti-aliased). */
async function pixelsOf(canvas: Locator, [r, g, b]: [number, number, number], tol = 30): Promise<number> {
  return canvas.evaluate((el, [r, g, b, tol]) => {
    const c = el as HTMLCanvasElement;
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - r) < tol && Math.abs(data[i + 1] - g) < tol && Math.abs(data[i + 2] - b) < tol) n++;
    }
    return n;
  }, [r, g, b, tol]);
}

test("a first visit makes sections from metric prefixes, one line plot per metric", async ({ page, request }, info) => {
  const noErrors = watchConsole(page);
  for (let i = 0; i < NAMES.length; i++) {
    const id = `w${i}`;
    await api(request, "POST", "/runs", {
      project,
      id,
      name: NAMES[i],
      config: { optimizer: i % 2 ? "sgd" : "adam", lr: [0.1, 0.01, 0.001][i % 3] },
      start_time: 1_760_000_000 + i * 60,
    });
    const rows = [];
    for (let s = 0; s < STEPS; s++) {
      const values: Record<string, number> = {
        "train/loss": (1 + i * 0.4) * Math.exp(-s / 50) + 0.05 * Math.sin(s * 1.7 + i),
        "train/acc": 1 - Math.exp(-s / (40 + i * 5)),
        lr: 0.1 * Math.pow(0.99, s),
      };
      if (s % 10 === 0) values["val/loss"] = (1.2 + i * 0.4) * Math.exp(-s / 60);
      rows.push({ step: s, time: 1_760_000_000 + i * 60 + s, values });
    }
    await api(request, "POST", `/runs/admin/${enc}/${id}/metrics`, { rows });
    // The last run keeps running; the others end.
    if (i < NAMES.length - 1) await api(request, "POST", `/runs/admin/${enc}/${id}/finish`, { exit_code: 0 });
  }
  await signIn(page);
  await openWorkspace(page);
  await expect(count(page)).toHaveText("6 runs (6 visualized)");
  expect(await sectionNames(page)).toEqual(["Charts", "train", "val"]);
  await expect(section(page, "train").locator(".ws-panel")).toHaveCount(2);
  expect(await legend(page, "train/loss")).toEqual([...NAMES].reverse());
  // The chart really drew: the newest run's colour (from its id) is on the canvas.
  await expect.poll(() => pixelsOf(line(page, "train/loss").locator("canvas"), runColor("w5"))).toBeGreaterThan(50);
  await saved(page);
  await page.screenshot({ path: info.outputPath("workspace.png"), fullPage: true });
  noErrors();
});

test("live: a running run's new points arrive without reloading", async ({ page, request }) => {
  await signIn(page);
  await openWorkspace(page);
  const l = line(page, "train/loss");
  await expect(l).toHaveAttribute("data-last-x", String(STEPS - 1));
  const rows = [];
  for (let s = STEPS; s < STEPS + 50; s++) rows.push({ step: s, values: { "train/loss": 0.01 } });
  await api(request, "POST", `/runs/admin/${enc}/w5/metrics`, { rows });
  // The panel polls every few seconds for points after its cursor.
  await expect(l).toHaveAttribute("data-last-x", String(STEPS + 49), { timeout: 20_000 });
});

test("the sidebar searches, filters, groups, sorts, hides, colours, renames and stops runs", async ({ page, request }, info) => {
  const noErrors = watchConsole(page);
  await signIn(page);
  await openWorkspace(page);

  const search = page.getByRole("searchbox", { name: "Search run names" });
  await search.fill("EMBER");
  await expect(count(page)).toHaveText("1 run (1 visualized)");
  await page.getByLabel("Regex search").check();
  await search.fill("^(amber|birch)");
  await expect(count(page)).toHaveText("2 runs (2 visualized)");
  await search.fill("(");
  await expect(page.getByRole("alert").filter({ hasText: "invalid regex" })).toBeVisible();
  await search.fill("");
  await page.getByLabel("Regex search").uncheck();

  const filter = page.getByLabel("Filter runs");
  await filter.fill("config.optimizer = ");
  await expect(page.getByRole("alert").filter({ hasText: "Column 20" })).toBeVisible();
  await filter.fill('config.optimizer = "adam"');
  await filter.press("Enter");
  await expect(count(page)).toHaveText("3 runs (3 visualized)");
  await expect(page).toHaveURL(/filter=config\.optimizer/);
  // The link opens the same view, in another tab too.
  const shared = await page.context().newPage();
  await shared.goto(page.url());
  await waitForHydration(shared);
  await expect(count(shared)).toHaveText("3 runs (3 visualized)");
  await expect(shared.getByLabel("Filter runs")).toHaveValue('config.optimizer = "adam"');
  await shared.close();
  await filter.fill("");
  await filter.press("Enter");
  await expect(count(page)).toHaveText("6 runs (6 visualized)");

  // Group by optimizer: one line per group, each with its band.
  await page.getByLabel("Group runs by").selectOption("config.optimizer");
  await expect.poll(() => legend(page, "train/loss")).toEqual(["sgd", "adam"]);
  await expect(line(page, "train/loss")).toHaveAttribute("data-bands", "2");
  await expect(page.locator(".ws-group-head").first()).toContainText("config.optimizer:");
  await page.screenshot({ path: info.outputPath("workspace-grouped.png"), fullPage: true });
  await page.getByLabel("Group runs by").selectOption("");

  // Sort by the last validation loss (lowest first): the legend follows.
  await page.getByLabel("Sort runs by").selectOption("summary.val/loss");
  await expect.poll(() => legend(page, "train/acc")).toEqual([...NAMES]);
  await page.getByRole("button", { name: "Sort direction" }).click();
  await expect.poll(() => legend(page, "train/acc")).toEqual([...NAMES].reverse());
  await page.getByRole("button", { name: "Sort direction" }).click();

  // Hide a run with its eye: its line goes.
  await runItem(page, "amber-0").getByRole("button", { name: "Show amber-0 in charts" }).click();
  await expect(count(page)).toHaveText("6 runs (5 visualized)");
  await expect.poll(() => legend(page, "train/acc")).toEqual(NAMES.slice(1));

  // A custom colour: the line is drawn in it.
  await runItem(page, "birch-1").getByRole("button", { name: "Run colour" }).click();
  await page.getByLabel("Colour as #rrggbb").fill("#ff00aa");
  await page.getByLabel("Colour as #rrggbb").press("Enter");
  await runItem(page, "birch-1").getByRole("button", { name: "Run colour" }).click();
  // Drawn alone (searched for), its whole line is in that colour.
  await search.fill("birch");
  await expect(count(page)).toHaveText("1 run (1 visualized)");
  await expect.poll(() => pixelsOf(line(page, "train/acc").locator("canvas"), [0xff, 0x00, 0xaa], 80)).toBeGreaterThan(100);
  await search.fill("");
  await expect(count(page)).toHaveText("6 runs (5 visualized)");

  // How many runs are drawn.
  await page.getByLabel("Runs plotted").fill("3");
  await page.getByLabel("Runs plotted").press("Enter");
  await expect(count(page)).toHaveText("6 runs (3 visualized)");
  await expect.poll(async () => (await legend(page, "train/acc")).length).toBe(3);
  await page.getByLabel("Runs plotted").fill("10");
  await page.getByLabel("Runs plotted").press("Enter");

  // Rename from the dot menu.
  await runItem(page, "cedar-2").getByRole("button", { name: "Run actions" }).click();
  await page.getByRole("menuitem", { name: "Rename" }).click();
  await page.getByLabel("New run name").fill("cedar-renamed");
  await page.getByLabel("New run name").press("Enter");
  await expect(runItem(page, "cedar-renamed")).toHaveCount(1);
  await expect.poll(() => legend(page, "train/acc")).toContain("cedar-renamed");

  // Stop the running run: it becomes killed (the wandb client then stops).
  await runItem(page, "fjord-5").getByRole("button", { name: "Run actions" }).click();
  await page.getByRole("menuitem", { name: "Stop run" }).click();
  await expect(page.locator(".ws-status")).toHaveText("Asked the run to stop.");
  const run = await api(request, "GET", `/runs/admin/${enc}/w5`);
  expect(run.state).toBe("killed");
  await saved(page);
  noErrors();
});

test("sections: add, rename, reorder, collapse, delete and undo; panels: add, move, drag, search, layouts, resize", async ({ page }, info) => {
  const noErrors = watchConsole(page);
  await signIn(page);
  await openWorkspace(page);

  await page.getByRole("button", { name: "+ Add section" }).click();
  await expect(section(page, "New section")).toHaveCount(1);
  await section(page, "New section").getByRole("button", { name: "Rename section New section" }).click();
  await page.getByLabel("Section name").fill("Notes");
  await page.getByLabel("Section name").press("Enter");
  await expect(section(page, "Notes")).toHaveCount(1);

  // A markdown note, rendered safely.
  await section(page, "Notes").getByRole("button", { name: "+ Panel" }).click();
  await page.getByRole("menuitem", { name: "Markdown note" }).click();
  await page.getByLabel("Markdown text").fill("# Findings\n\n**adam** wins <script>window.bad = 1</script>");
  await page.getByLabel("Markdown text").blur();
  await page.getByRole("button", { name: "Done" }).click();
  const note = section(page, "Notes").locator(".ws-markdown");
  await expect(note.locator("h1")).toHaveText("Findings");
  await expect(note.locator("strong")).toHaveText("adam");
  await expect(note.locator("script")).toHaveCount(0);

  // A scatter plot (one dot per run from two summary columns) and a bar chart.
  for (const [kind, title] of [["Scatter plot", /vs/], ["Bar chart", /^summary\./]] as const) {
    await section(page, "Notes").getByRole("button", { name: "+ Panel" }).click();
    await page.getByRole("menuitem", { name: kind }).click();
    await page.getByRole("button", { name: "Done" }).click();
    const added = section(page, "Notes").locator(".ws-panel").filter({ has: page.locator("h3", { hasText: title }) });
    await expect(added.locator(".ws-canvas-box")).not.toHaveAttribute("data-draws", "0");
    await added.getByRole("button", { name: /^Delete panel/ }).click();
  }
  await expect(section(page, "Notes").locator(".ws-panel")).toHaveCount(1);

  // Drag the Notes section above Charts (with the others collapsed, so both are in view).
  for (const name of ["Charts", "train", "val"]) {
    await section(page, name).getByRole("button", { name: `Collapse ${name}` }).click();
    await expect(section(page, name).locator(".ws-panel")).toHaveCount(0);
  }
  await drag(page, section(page, "Notes").getByRole("button", { name: "Drag section" }), section(page, "Charts"), { x: 0.5, y: 0.1 });
  await expect.poll(() => sectionNames(page)).toEqual(["Notes", "Charts", "train", "val"]);
  // The keyboard does the same: focus the grip, then ↓ and ↑.
  await section(page, "Notes").getByRole("button", { name: "Drag section" }).focus();
  await page.keyboard.press("ArrowDown");
  await expect.poll(() => sectionNames(page)).toEqual(["Charts", "Notes", "train", "val"]);
  await section(page, "Notes").getByRole("button", { name: "Drag section" }).focus();
  await page.keyboard.press("ArrowUp");
  await expect.poll(() => sectionNames(page)).toEqual(["Notes", "Charts", "train", "val"]);
  for (const name of ["Charts", "train", "val"]) {
    await section(page, name).getByRole("button", { name: `Collapse ${name}` }).click();
  }
  await expect(section(page, "train").locator(".ws-panel")).toHaveCount(2);

  // Delete a section, then bring it back.
  await section(page, "val").getByRole("button", { name: "Delete section val" }).click();
  await expect(section(page, "val")).toHaveCount(0);
  await expect(page.locator(".ws-undo")).toContainText("Deleted section “val” with 1 panel.");
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(section(page, "val").locator(".ws-panel")).toHaveCount(1);
  expect(await sectionNames(page)).toEqual(["Notes", "Charts", "train", "val"]);

  // Move a panel with its Move button, and drag another into a section.
  await panel(page, "train/acc").getByRole("button", { name: "Move panel train/acc" }).click();
  await page.getByRole("menu", { name: "Move to section" }).getByRole("menuitem", { name: "Notes" }).click();
  await expect(section(page, "Notes").locator(".ws-panel")).toHaveCount(2);
  await expect(section(page, "train").locator(".ws-panel")).toHaveCount(1);
  await drag(page, panel(page, "train/loss").getByRole("button", { name: "Drag panel" }), section(page, "val").locator(".ws-grid"), { x: 0.9, y: 0.5 });
  await expect(section(page, "val").locator(".ws-panel")).toHaveCount(2);
  await expect(section(page, "train").locator(".ws-panel")).toHaveCount(0);

  // Collapse and expand.
  await section(page, "val").getByRole("button", { name: "Collapse val" }).click();
  await expect(section(page, "val").locator(".ws-panel")).toHaveCount(0);
  await section(page, "val").getByRole("button", { name: "Collapse val" }).click();
  await expect(section(page, "val").locator(".ws-panel")).toHaveCount(2);

  // Panel search with a regex.
  await page.getByLabel("Search panels").fill("^val/");
  await expect(page.locator(".ws-panel")).toHaveCount(1);
  await expect(section(page, "val").locator(".ws-panel-count")).toHaveText("1 of 2 panels");
  await page.getByLabel("Search panels").fill("");

  // Standard layout: resizing one panel resizes the section's panels together.
  const grid = section(page, "val").locator(".ws-grid");
  await expect(grid).toHaveAttribute("data-width", "4");
  let handle = panel(page, "val/loss").getByRole("separator", { name: "Resize panel" });
  await section(page, "val").scrollIntoViewIfNeeded();
  let box = (await handle.boundingBox())!;
  const sectionBox = (await grid.boundingBox())!;
  const panelBox = (await panel(page, "val/loss").boundingBox())!;
  // Drag the corner until the panel is half the section wide.
  await page.mouse.move(box.x + 5, box.y + 5);
  await page.mouse.down();
  await page.mouse.move(box.x + 5 + sectionBox.width / 2 - panelBox.width, box.y + 80, { steps: 8 });
  await page.mouse.up();
  await expect(grid).toHaveAttribute("data-width", "6");
  await expect(grid).not.toHaveAttribute("data-height", "260");

  // Custom layout: each panel placed and sized on its own.
  await section(page, "val").getByLabel("Layout").selectOption("custom");
  await expect(section(page, "val").locator(".ws-custom")).toHaveCount(1);
  const before = (await panel(page, "val/loss").boundingBox())!;
  handle = panel(page, "val/loss").getByRole("separator", { name: "Resize panel" });
  await handle.scrollIntoViewIfNeeded();
  box = (await handle.boundingBox())!;
  await page.mouse.move(box.x + 5, box.y + 5);
  await page.mouse.down();
  await page.mouse.move(box.x + 300, box.y + 120, { steps: 8 });
  await page.mouse.up();
  await expect.poll(async () => (await panel(page, "val/loss").boundingBox())!.width).toBeGreaterThan(before.width + 150);
  const other = (await panel(page, "train/loss").boundingBox())!;
  const resized = (await panel(page, "val/loss").boundingBox())!;
  const overlap = !(other.x >= resized.x + resized.width || resized.x >= other.x + other.width ||
    other.y >= resized.y + resized.height || resized.y >= other.y + other.height);
  expect(overlap, "panels of a custom layout never overlap").toBe(false);
  await saved(page);
  await page.screenshot({ path: info.outputPath("workspace-sections.png"), fullPage: true });
  noErrors();
});

test("line plots: smoothing, log scale, hover, zoom and reset; everything is still there after a reload", async ({ page }, info) => {
  const noErrors = watchConsole(page);
  await signIn(page);
  await openWorkspace(page);
  const l = line(page, "train/acc");
  await panel(page, "train/acc").getByRole("button", { name: "Edit panel train/acc" }).click();
  await page.getByLabel("Smoothing", { exact: true }).selectOption("Ema");
  await page.getByLabel("Log scale y").check();
  await page.getByRole("button", { name: "Done" }).click();
  await expect(l).toHaveAttribute("data-smoothing", "Ema");
  await expect(l).toHaveAttribute("data-log-y", "true");

  // Hover shows every drawn run's value at that step.
  const canvas = l.locator("canvas");
  const cb = (await canvas.boundingBox())!;
  await page.mouse.move(cb.x + cb.width * 0.6, cb.y + cb.height / 2);
  const tip = panel(page, "train/acc").locator(".ws-tooltip");
  await expect(tip.locator(".ws-tip-row")).toHaveCount(5);
  await page.screenshot({ path: info.outputPath("workspace-hover.png") });

  // Drag to zoom asks the server for that range; double-click resets.
  const drawsBefore = Number(await l.getAttribute("data-draws"));
  await page.mouse.move(cb.x + cb.width * 0.4, cb.y + cb.height / 2);
  await page.mouse.down();
  await page.mouse.move(cb.x + cb.width * 0.7, cb.y + cb.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect(l).not.toHaveAttribute("data-zoom", "");
  const [lo, hi] = (await l.getAttribute("data-zoom"))!.split(",").map(Number);
  expect(lo).toBeGreaterThan(20);
  expect(hi).toBeLessThan(200);
  await expect.poll(async () => Number(await l.getAttribute("data-draws"))).toBeGreaterThan(drawsBefore);
  await canvas.dblclick();
  await expect(l).toHaveAttribute("data-zoom", "");
  await saved(page);

  // Reload: sections, panels, note, hidden run, colour, smoothing and log scale are as left.
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator('.workspace[data-loaded="true"]')).toHaveCount(1);
  expect(await sectionNames(page)).toEqual(["Notes", "Charts", "train", "val"]);
  await expect(section(page, "Notes").locator(".ws-markdown h1")).toHaveText("Findings");
  await expect(section(page, "val").locator(".ws-custom")).toHaveCount(1);
  await expect(count(page)).toHaveText("6 runs (5 visualized)");
  await expect(line(page, "train/acc")).toHaveAttribute("data-smoothing", "Ema");
  await expect(line(page, "train/acc")).toHaveAttribute("data-log-y", "true");
  await expect(runItem(page, "birch-1").getByRole("button", { name: "Run colour" })).toHaveAttribute("style", /#ff00aa/);

  // x = another metric: lr against train/acc, paired by step.
  await panel(page, "lr").getByRole("button", { name: "Edit panel lr" }).click();
  await page.getByLabel("X axis").selectOption("metric:train/acc");
  await page.getByRole("button", { name: "Done" }).click();
  await expect.poll(async () => (await legend(page, "lr")).length).toBe(5);
  // The x axis now runs over accuracy (0 to 1), not steps (0 to 199).
  await expect.poll(async () => Number(await line(page, "lr").getAttribute("data-last-x"))).toBeLessThan(1.01);
  await page.screenshot({ path: info.outputPath("workspace-reloaded.png"), fullPage: true });
  noErrors();
});
