import { test, expect, Page } from "@playwright/test";
import * as fs from "fs";
import { api, signIn, waitForHydration, watchConsole } from "./helpers";

// One project shared by the tests below, seeded through /api/v1 by the first one.
const project = `e2e runs ${Date.now()}`;
const RUNS = 30;
const runsUrl = `/admin/${encodeURIComponent(project)}/runs`;

test.describe.configure({ mode: "serial" });

async function openRuns(page: Page, query = "") {
  await page.goto(runsUrl + query);
  await waitForHydration(page);
  await expect(page.getByTestId("runs-count")).toContainText("runs");
}

const count = (page: Page) => page.getByTestId("runs-count");
const header = (page: Page, id: string) => page.locator(`table.runs-grid th[data-col="${id}"]`);
async function headerOrder(page: Page): Promise<string[]> {
  return page.locator("table.runs-grid").first().locator("thead th[data-col]").evaluateAll((ths) =>
    ths.map((th) => th.getAttribute("data-col") ?? ""),
  );
}

test("seed a project and filter it by text, with errors shown at their position", async ({ page, request }, info) => {
  const noErrors = watchConsole(page);
  for (let i = 0; i < RUNS; i++) {
    const id = `r${String(i).padStart(2, "0")}`;
    await api(request, "POST", "/runs", {
      project,
      id,
      name: `run-${i}`,
      config: { lr: [0.1, 0.01, 0.001][i % 3], optimizer: ["adam", "sgd"][i % 2], batch: 32 * (1 + (i % 4)) },
      tags: i % 5 === 0 ? ["baseline"] : [],
      group: `g${i % 3}`,
      start_time: 1_760_000_000 + i * 60,
    });
    await api(request, "POST", `/runs/admin/${encodeURIComponent(project)}/${id}/metrics`, {
      rows: [{ step: 1, values: { loss: 3 - i * 0.05, acc: 0.5 + i * 0.01 } }],
    });
  }
  await signIn(page);
  await openRuns(page);
  await expect(count(page)).toHaveText(`${RUNS} runs`);

  const input = page.getByRole("combobox", { name: "Filter" });
  await input.fill("config.lr > ");
  const alert = page.locator(".filter-error");
  await expect(alert).toContainText("Column 13: expected a value, found the end");
  await expect(input).toHaveAttribute("aria-invalid", "true");
  // A broken filter runs no query: the count stays.
  await expect(count(page)).toHaveText(`${RUNS} runs`);
  await input.fill('state = "done"');
  await expect(alert).toContainText('unknown state "done"');
  await expect(alert.locator("mark")).toHaveText('state = "done"');
  await page.screenshot({ path: info.outputPath("runs-filter-error.png"), fullPage: true });

  await input.fill('config.lr < 0.05 and config.optimizer = "adam"');
  await expect(alert).toHaveCount(0);
  // lr 0.01 or 0.001 (i % 3 != 0) and adam (i even): i in {2,4,8,10,14,16,20,22,26,28}
  await expect(count(page)).toHaveText("10 runs");
  await expect(page).toHaveURL(/filter=config\.lr/);
  // The URL is shareable: a fresh load shows the same view.
  await page.reload();
  await waitForHydration(page);
  await expect(count(page)).toHaveText("10 runs");
  await expect(input).toHaveValue('config.lr < 0.05 and config.optimizer = "adam"');
  noErrors();
});

test("autocompletion offers columns, operators and existing values", async ({ page }) => {
  await signIn(page);
  await openRuns(page);
  const input = page.getByRole("combobox", { name: "Filter" });
  await input.fill("config.opt");
  const list = page.getByRole("listbox", { name: "Suggestions" });
  await expect(list.getByRole("option", { name: "config.optimizer" })).toBeVisible();
  await input.press("Enter");
  await expect(input).toHaveValue("config.optimizer ");
  await expect(list.getByRole("option", { name: "!=", exact: true })).toBeVisible();
  await input.press("End");
  await input.pressSequentially("= ");
  await expect(list.getByRole("option", { name: "sgd" })).toBeVisible();
  await list.getByRole("option", { name: "sgd" }).click();
  await expect(input).toHaveValue('config.optimizer = "sgd" ');
  await expect(count(page)).toHaveText("15 runs");
});

test("the builder writes the filter text", async ({ page }) => {
  await signIn(page);
  await openRuns(page);
  await page.getByRole("button", { name: "Builder" }).click();
  const builder = page.getByRole("group", { name: "Filter builder" });
  await builder.getByRole("button", { name: "+ Condition" }).click();
  await builder.getByLabel("Column").selectOption("config.batch");
  await builder.getByLabel("Operator").selectOption(">=");
  await builder.getByLabel("Value").fill("96");
  await builder.getByLabel("Value").press("Enter");
  const input = page.getByRole("combobox", { name: "Filter" });
  await expect(input).toHaveValue("config.batch >= 96");
  // batch 96 or 128: i % 4 in {2, 3}
  await expect(count(page)).toHaveText("14 runs");
  await builder.getByRole("button", { name: "+ Group" }).click();
  await builder.getByLabel("Column").nth(1).selectOption("tags");
  await builder.getByLabel("Value").nth(1).fill("baseline");
  await builder.getByLabel("Value").nth(1).press("Enter");
  await expect(input).toHaveValue('config.batch >= 96 and tags = "baseline"');
  // baseline: i % 5 == 0 → 0,5,10,15,20,25; with i % 4 in {2,3}: 10, 15
  await expect(count(page)).toHaveText("2 runs");
});

test("sort from the column menu, reorder by dragging, pin, hide via the dialog; settings persist", async ({ page }, info) => {
  const noErrors = watchConsole(page);
  await signIn(page);
  await openRuns(page);
  await page.getByRole("button", { name: "Column menu for summary.loss" }).click();
  await page.getByRole("menuitem", { name: "Sort ascending" }).click();
  await expect(header(page, "summary.loss")).toHaveAttribute("aria-sort", "ascending");
  const firstName = page.locator("table.runs-grid tbody tr[data-run] td[data-col=name]").first();
  await expect(firstName).toHaveText("run-29");
  await page.getByRole("button", { name: "Column menu for summary.loss" }).click();
  await page.getByRole("menuitem", { name: "Sort descending" }).click();
  await expect(firstName).toHaveText("run-0");
  await expect(page).toHaveURL(/sort=summary\.loss&desc=1/);

  // Drag Group onto State: it takes State's place. (By mouse: locator.dragTo scrolls
  // the table sideways under the sticky columns and grabs the wrong header.)
  await page.locator(".runs-scroll").evaluate((el) => (el.scrollLeft = 0));
  const from = (await header(page, "group").boundingBox())!;
  const to = (await header(page, "state").boundingBox())!;
  await page.mouse.move(from.x + 12, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + 20, to.y + to.height / 2, { steps: 6 });
  await page.mouse.up();
  await expect.poll(async () => (await headerOrder(page)).indexOf("group")).toBe(1);

  // Pin config.batch: it moves right after Name and sticks.
  await page.getByRole("button", { name: "Column menu for config.batch" }).click();
  await page.getByRole("menuitem", { name: "Pin column" }).click();
  await expect.poll(async () => (await headerOrder(page))[1]).toBe("config.batch");
  await expect(header(page, "config.batch")).toHaveClass(/pin/);

  // Hide User from its menu, and summary.acc from the Columns dialog.
  await page.getByRole("button", { name: "Column menu for user" }).click();
  await page.getByRole("menuitem", { name: "Hide column" }).click();
  await expect(header(page, "user")).toHaveCount(0);
  await page.getByRole("button", { name: "Columns…" }).click();
  const dialog = page.getByRole("dialog", { name: "Columns" });
  await dialog.getByLabel("Search columns").fill("acc");
  await dialog.getByRole("checkbox").first().uncheck();
  await page.screenshot({ path: info.outputPath("runs-columns-dialog.png") });
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(header(page, "summary.acc")).toHaveCount(0);

  // Everything is still so after a reload (saved on the server for this user).
  await page.reload();
  await waitForHydration(page);
  await expect(header(page, "config.batch")).toHaveClass(/pin/);
  await expect.poll(async () => (await headerOrder(page)).slice(0, 3)).toEqual(["name", "config.batch", "group"]);
  await expect(header(page, "user")).toHaveCount(0);
  await expect(header(page, "summary.acc")).toHaveCount(0);
  await expect(header(page, "summary.loss")).toHaveAttribute("aria-sort", "descending");
  await page.screenshot({ path: info.outputPath("runs-table.png"), fullPage: true });
  noErrors();
});

test("group by a config key shows counts and histograms, and opens a group", async ({ page }, info) => {
  const noErrors = watchConsole(page);
  await signIn(page);
  await openRuns(page);
  await page.getByLabel("Group by").selectOption("config.optimizer");
  await expect(page).toHaveURL(/group=config\.optimizer/);
  const groups = page.getByRole("list", { name: "Run groups" }).locator("li.run-group");
  await expect(groups).toHaveCount(2);
  await expect(groups.first()).toContainText("15 runs");
  // A histogram per numeric column, counting every run of the group.
  const lossHist = groups.first().locator('figure.hist[data-col="summary.loss"]');
  await expect(lossHist).toHaveAttribute("data-count", "15");
  await expect(groups.first().locator("svg rect").first()).toBeVisible();
  await groups.first().getByRole("button", { name: /config\.optimizer/ }).click();
  await expect(groups.first().locator("tbody tr[data-run]")).toHaveCount(15);
  await page.screenshot({ path: info.outputPath("runs-grouped.png"), fullPage: true });
  await page.getByRole("button", { name: "Stop grouping by config.optimizer" }).click();
  await expect(page.locator("table.runs-grid")).toHaveCount(1);
  noErrors();
});

test("select runs with shift-click and tag them in bulk, then export the view as CSV", async ({ page }, info) => {
  const noErrors = watchConsole(page);
  await signIn(page);
  await openRuns(page);
  const rows = page.locator("table.runs-grid tbody tr[data-run]");
  // Only rows in view are drawn; scrolling to the end brings the oldest run in.
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBeLessThan(RUNS);
  await page.locator(".runs-scroll").evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.locator('tr[data-run="r00"]')).toBeVisible();
  await page.locator(".runs-scroll").evaluate((el) => (el.scrollTop = 0));
  await expect(page.locator('tr[data-run="r29"]')).toBeVisible();
  await rows.nth(0).getByRole("checkbox").click();
  await rows.nth(3).getByRole("checkbox").click({ modifiers: ["Shift"] });
  const bar = page.getByRole("toolbar", { name: "Selected runs" });
  await expect(bar).toContainText("4 selected");
  await bar.getByLabel("Tag").fill("picked");
  await bar.getByRole("button", { name: "Add tag" }).click();
  await expect(page.getByRole("status")).toHaveText("Tagged 4 runs.");
  const input = page.getByRole("combobox", { name: "Filter" });
  await input.fill('tags = "picked"');
  await expect(count(page)).toHaveText("4 runs");

  // "Select all matching", then remove the tag from all of them.
  await rows.nth(0).getByRole("checkbox").click();
  await bar.getByRole("button", { name: "Select all 4 matching" }).click();
  await expect(bar).toContainText("All 4 matching runs selected");
  await bar.getByLabel("Tag").fill("picked");
  await bar.getByRole("button", { name: "Remove tag" }).click();
  await expect(page.getByRole("status")).toHaveText("Untagged 4 runs.");
  await expect(count(page)).toHaveText("0 runs");
  await expect(page.getByText("No runs match this filter.")).toBeVisible();

  // Export what is shown: the adam runs with the visible columns.
  await input.fill('config.optimizer = "adam"');
  await expect(count(page)).toHaveText("15 runs");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  const file = info.outputPath("runs.csv");
  await download.saveAs(file);
  const lines = fs.readFileSync(file, "utf8").trim().split("\r\n");
  expect(lines).toHaveLength(16);
  const head = lines[0].split(",");
  expect(head[0]).toBe("name");
  const opt = head.indexOf("config.optimizer");
  expect(opt).toBeGreaterThan(0);
  expect(lines.slice(1).every((l) => l.split(",")[opt] === "adam")).toBeTruthy();
  noErrors();
});

test("a signed-out visitor of a public project reads the table but cannot change runs", async ({ page }) => {
  await page.goto("/admin/cairn-demo/runs");
  await waitForHydration(page);
  await expect(count(page)).toHaveText("12 runs");
  await page.locator("table.runs-grid tbody tr[data-run]").first().getByRole("checkbox").click();
  await expect(page.getByRole("toolbar", { name: "Selected runs" })).toContainText(
    "You can read this project but not change its runs.",
  );
});
