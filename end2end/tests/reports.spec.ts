import { test, expect, Page, Browser } from "@playwright/test";
import * as fs from "fs";
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { api, signIn, waitForHydration, wandbEnv, watchConsole } from "./helpers";

const TOOLS = process.env.CAIRN_TOOLS ?? path.join(os.homedir(), ".cache", "cairn-tools");
const PYTHON = path.join(TOOLS, "wandb-venv", "bin", "python");

/** What the real wandb client's `wandb.Api().reports(path)` lists. */
function clientReports(baseURL: string, projectPath: string): { title: string; url: string; description: string; user: string }[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-reports-e2e-"));
  const code = [
    "import json, sys, wandb",
    "rs = list(wandb.Api().reports(sys.argv[1]))",
    "print(json.dumps([{'title': r.display_name, 'url': r.url, 'description': r.description, 'user': r.user['username'], 'spec': type(r.spec).__name__} for r in rs]))",
  ].join("\n");
  try {
    const out = execFileSync(PYTHON, ["-c", code, projectPath], { env: wandbEnv(dir, baseURL), cwd: dir, timeout: 120_000, encoding: "utf8" });
    return JSON.parse(out.trim().split("\n").pop() ?? "[]");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Two projects made in the UI: a public one with runs (its Workspace section becomes
// a report) and a private one (view-only links, the copy's destination).
const stamp = Date.now();
const pub = `e2e reports ${stamp}`;
const priv = `e2e private ${stamp}`;
const enc = (p: string) => encodeURIComponent(p);
let reportUrl = "";

test.describe.configure({ mode: "serial" });

/** A 1×1 PNG. */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

async function newProject(page: Page, name: string, visibility: string) {
  await page.goto("/");
  await waitForHydration(page);
  await page.getByText("New project").click();
  await page.getByLabel("Project name").fill(name);
  await page.getByRole("combobox", { name: /^Visibility/ }).selectOption(visibility);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
}

async function logRuns(request: import("@playwright/test").APIRequestContext, project: string, n: number) {
  for (let i = 0; i < n; i++) {
    const id = `rep${i}`;
    await api(request, "POST", "/runs", { project, id, name: `run-${i}`, config: { lr: 0.1 / (i + 1) } });
    const rows = [];
    for (let s = 0; s < 120; s++) {
      rows.push({ step: s, values: { "train/loss": (1 + i * 0.3) * Math.exp(-s / 40), "train/acc": 1 - Math.exp(-s / 30) } });
    }
    await api(request, "POST", `/runs/admin/${enc(project)}/${id}/metrics`, { rows });
    await api(request, "POST", `/runs/admin/${enc(project)}/${id}/finish`, { exit_code: 0 });
  }
}

/** Insert a block of `kind` at the top of the report (the first "+"). */
async function insertAtTop(page: Page, kind: string) {
  await page.getByRole("button", { name: "Insert a block here" }).first().click();
  await page.getByRole("menuitem", { name: kind, exact: true }).click();
}

const blocks = (page: Page) => page.locator("li.editor-block");
const blockKinds = (page: Page) => page.locator("li.editor-block > .block-bar > .block-kind").allInnerTexts();

async function saved(page: Page) {
  await expect(page.locator(".editor-bar .save-state")).toHaveText("All changes saved");
}

async function signedOut(browser: Browser, js = true) {
  const ctx = await browser.newContext({ javaScriptEnabled: js });
  return { ctx, page: await ctx.newPage() };
}

test("a Workspace section becomes a report with every block kind, published and read without JavaScript", async ({ page, request, browser }, info) => {
  const noErrors = watchConsole(page);
  await signIn(page);
  await newProject(page, pub, "public");
  await logRuns(request, pub, 4);

  // Export the "train" section from the Workspace; it waits in the Reports tab.
  await page.goto(`/admin/${enc(pub)}/workspace`);
  await waitForHydration(page);
  await expect(page.locator('.workspace[data-loaded="true"]')).toHaveCount(1);
  const train = page.locator('section.ws-section[data-section="train"]');
  await train.getByRole("button", { name: "Export to report" }).click();
  await expect(page.getByText(/open the Reports tab/)).toBeVisible();
  await page.getByRole("link", { name: "Reports", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Exported from your Workspace" })).toBeVisible();
  await page.getByRole("button", { name: "Open in editor" }).click();
  await expect(page).toHaveURL(/\/reports\/train--\d+\/edit$/);
  await waitForHydration(page);
  expect(await blockKinds(page)).toEqual(["HEADING 2", "PANEL GRID"]);

  // Every kind of block: from the "+" menu, and a text block turned into code by "/".
  await insertAtTop(page, "Callout");
  await blocks(page).first().getByLabel("Callout text").fill("Loss falls for **every** learning rate.");
  await insertAtTop(page, "Math (LaTeX)");
  await blocks(page).first().getByLabel("LaTeX formula").fill("\\mathcal{L} = -\\frac{1}{N}\\sum_i \\log p_i");
  await insertAtTop(page, "Divider");
  await insertAtTop(page, "Image");
  await blocks(page).first().getByLabel("Upload an image").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: Buffer.from(PNG, "base64") });
  await expect(blocks(page).first().getByLabel("Image path")).toHaveValue(/\/reports\/\d+\/images\/[0-9a-f]{64}$/);
  await blocks(page).first().getByLabel("Caption", { exact: true }).fill("A dot");
  await insertAtTop(page, "Text");
  await blocks(page).first().getByLabel("Text (markdown)").fill("/code");
  await page.getByRole("textbox", { name: "Filter block kinds" }).press("Enter");
  await blocks(page).first().getByLabel("Code", { exact: true }).fill("wandb.log({'loss': loss})");
  await insertAtTop(page, "Text");
  await blocks(page).first().getByLabel("Text (markdown)").fill("We trained **four** runs. <script>window.pwned=1</script>");
  await insertAtTop(page, "Table of contents");
  await insertAtTop(page, "Heading 1");
  await blocks(page).first().getByLabel("Heading", { exact: true }).fill("Results");
  await saved(page);
  expect(await blockKinds(page)).toEqual([
    "HEADING 1", "TABLE OF CONTENTS", "TEXT", "CODE", "IMAGE", "DIVIDER", "MATH (LATEX)", "CALLOUT", "HEADING 2", "PANEL GRID",
  ]);

  // Reorder: drag the panel grid above the divider; Alt+↑ moves the callout up one.
  // A tall window, so both ends of the drag are on screen.
  await page.setViewportSize({ width: 1280, height: 3000 });
  await blocks(page).nth(9).locator(".handle").dragTo(blocks(page).nth(5), { targetPosition: { x: 40, y: 10 } });
  expect((await blockKinds(page)).slice(4, 7)).toEqual(["IMAGE", "PANEL GRID", "DIVIDER"]);
  await blocks(page).nth(8).locator(".handle").focus();
  await page.keyboard.press("Alt+ArrowUp");
  expect((await blockKinds(page)).slice(7, 9)).toEqual(["CALLOUT", "MATH (LATEX)"]);
  // Delete with undo.
  await blocks(page).nth(6).getByRole("button", { name: "Delete Divider" }).click();
  await expect(blocks(page)).toHaveCount(9);
  await page.locator(".toast").getByRole("button", { name: "Undo" }).click();
  await expect(blocks(page)).toHaveCount(10);
  await page.locator(".editor-title").fill("Learning-rate study");
  await saved(page);
  await page.screenshot({ path: info.outputPath("editor.png"), fullPage: true });

  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page).toHaveURL(/\/reports\/Learning-rate-study--\d+$/);
  reportUrl = new URL(page.url()).pathname;
  await expect(page.getByRole("heading", { level: 1, name: "Learning-rate study" })).toBeVisible();
  await expect(page.locator(".report-math math")).toHaveCount(1);
  // The uploaded image is served from the report.
  await expect.poll(() => page.locator(".report-image img").evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(1);
  await expect(page.locator(".report-toc a")).toHaveText(["Results", "train"]);
  await expect(page.locator(".report-markdown strong").first()).toHaveText("four");
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  // With the app running, the charts become the interactive plot in the same box.
  await waitForHydration(page);
  await expect(page.locator(".report-chart.live canvas")).toHaveCount(2);
  await expect(page.locator(".report-chart.live [data-series]").first()).toHaveAttribute("data-series", /run-3/);
  await page.screenshot({ path: info.outputPath("report.png"), fullPage: true });

  // Signed out, the public project's report reads with its charts...
  const anon = await signedOut(browser);
  const first = await anon.page.goto(reportUrl);
  // The server's HTML holds every chart as SVG; the app then makes them interactive.
  const served = await first!.text();
  expect(served.match(/<svg /g)?.length).toBe(2);
  await expect(anon.page.locator(".report-chart.live canvas")).toHaveCount(2);
  await expect(anon.page.getByRole("button", { name: "Edit" })).toHaveCount(0);
  await anon.ctx.close();
  // ...and with JavaScript off: text, math and SVG charts are all in the HTML.
  const nojs = await signedOut(browser, false);
  const res = await nojs.page.goto(reportUrl);
  expect(res?.status()).toBe(200);
  await expect(nojs.page.getByRole("heading", { level: 1, name: "Learning-rate study" })).toBeVisible();
  expect(await nojs.page.locator(".report-panel svg path").count()).toBeGreaterThan(3);
  await expect(nojs.page.locator(".report-math math mfrac")).toHaveCount(1);
  await nojs.page.screenshot({ path: info.outputPath("report-nojs.png"), fullPage: true });
  // The embed view has no app chrome.
  await nojs.page.goto(reportUrl + "?embed=1");
  await expect(nojs.page.locator(".site-header")).toHaveCount(0);
  await expect(nojs.page.locator(".report-panel svg").first()).toBeVisible();
  await nojs.ctx.close();
  noErrors();
});

test("revisions: publish changes, compare, restore an older one", async ({ page }) => {
  await signIn(page);
  await page.goto(reportUrl + "/edit");
  await waitForHydration(page);
  await page.locator(".editor-title").fill("Learning-rate study, revised");
  await saved(page);
  await page.getByRole("button", { name: "Publish changes" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Learning-rate study, revised" })).toBeVisible();
  await page.getByRole("link", { name: "History" }).click();
  const rows = page.getByRole("table", { name: "Revisions" }).locator("tbody tr");
  await expect(rows).toHaveCount(2);
  await page.getByRole("button", { name: "Restore revision 1" }).click();
  await expect(page.getByText("Revision 1 is published again as revision 3.")).toBeVisible();
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText("restored revision 1");
  await page.goto(reportUrl);
  await expect(page.getByRole("heading", { level: 1, name: "Learning-rate study" })).toBeVisible();
});

test("a panel grid's custom layout: panels placed and sized by keyboard and by dragging", async ({ page }, info) => {
  await signIn(page);
  await page.goto(reportUrl + "/edit");
  await waitForHydration(page);
  const grid = page.locator("li.editor-block", { has: page.locator(".grid-editor") });
  await grid.getByLabel("Panel layout").selectOption("custom");
  const boxes = grid.locator(".layout-box");
  await expect(boxes).toHaveCount(2);
  const first = boxes.first();
  await first.focus();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Shift+ArrowRight");
  await expect(grid.locator(".layout-box").first()).toHaveAttribute("aria-label", /column 1, row 1, 5 wide/);
  // The second panel, dragged to the right half of the first row.
  const g = (await grid.locator(".layout-grid").boundingBox())!;
  await grid.locator(".layout-box").nth(1).dragTo(grid.locator(".layout-grid"), { targetPosition: { x: g.width * 0.75, y: 5 } });
  await expect(grid.locator(".layout-box", { hasText: "train/loss" })).toHaveAttribute("aria-label", /column (8|9|10), row 1/);
  await saved(page);
  await page.screenshot({ path: info.outputPath("layout.png"), fullPage: true });
  await page.getByRole("button", { name: "Publish changes" }).click();
  await expect(page.locator(".report-panel").first()).toHaveAttribute("style", /grid-column: 1 \/ span 5/);
});

test("two editors: the second save is refused and says who saved, never overwriting", async ({ page, browser }) => {
  await signIn(page);
  await page.goto(reportUrl + "/edit");
  await waitForHydration(page);
  // A second window opens the same draft.
  const ctx2 = await browser.newContext({ storageState: await page.context().storageState() });
  const other = await ctx2.newPage();
  await other.goto(reportUrl + "/edit");
  await waitForHydration(other);
  await page.locator(".editor-description").fill("First editor's words.");
  await saved(page);
  await other.locator(".editor-description").fill("Second editor's words.");
  await expect(other.locator(".editor-bar .conflict")).toContainText("admin saved this report since you opened it");
  await other.screenshot({ path: test.info().outputPath("conflict.png") });
  await ctx2.close();
  // The first editor's words are what the draft holds.
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator(".editor-description")).toHaveValue("First editor's words.");
});

test("comments on a panel, and a copy into another project", async ({ page }) => {
  const noErrors = watchConsole(page);
  await signIn(page);
  await newProject(page, priv, "private");
  await page.goto(reportUrl);
  await waitForHydration(page);
  await page.getByLabel("What the comment is about").selectOption({ label: "Panel: train/loss" });
  await page.getByRole("textbox", { name: "Comment" }).fill("Why does run-3 start higher?");
  await page.getByRole("button", { name: "Comment", exact: true }).click();
  const comment = page.locator("li.comment");
  await expect(comment).toContainText("Why does run-3 start higher?");
  await expect(comment.getByRole("link", { name: "on train/loss" })).toBeVisible();

  await page.getByText("Copy to…").click();
  await page.getByLabel("Project (entity/project)").fill(`admin/${priv}`);
  await page.getByRole("button", { name: "Copy report" }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/${enc(priv).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/reports/.+--\\d+/edit$`));
  await waitForHydration(page);
  await expect(page.locator(".editor-title")).toHaveValue("Learning-rate study");
  noErrors();
});

test("a view-only link opens one report of a private project and nothing else; revoked, it is gone", async ({ page, browser }, info) => {
  await signIn(page);
  await page.goto(`/admin/${enc(priv)}/reports`);
  await waitForHydration(page);
  await page.getByLabel("Title of the new report").fill("Private notes");
  await page.getByRole("button", { name: "New report" }).click();
  await expect(page).toHaveURL(/\/reports\/Private-notes--\d+\/edit$/);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Insert a block here" }).first().click();
  await page.getByRole("menuitem", { name: "Text", exact: true }).click();
  await blocks(page).first().getByLabel("Text (markdown)").fill("Only for people with the link.");
  await saved(page);
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.getByText("Only for people with the link.")).toBeVisible();
  const privateUrl = new URL(page.url()).pathname;

  await page.getByText("Share").click();
  await page.getByLabel("Link label").fill("reviewers");
  await page.getByRole("button", { name: "Create view-only link" }).click();
  const link = await page.getByRole("textbox", { name: "View-only link" }).inputValue();
  expect(link).toContain("?share=");

  const anon = await signedOut(browser);
  const direct = await anon.page.goto(privateUrl);
  expect(direct?.status()).toBe(404);
  const shared = await anon.page.goto(link);
  expect(shared?.status()).toBe(200);
  await expect(anon.page.getByText("Only for people with the link.")).toBeVisible();
  await anon.page.screenshot({ path: info.outputPath("shared.png"), fullPage: true });
  const runs = await anon.page.goto(`/admin/${enc(priv)}/runs`);
  expect(runs?.status()).toBe(404);

  await page.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByText("Link revoked.")).toBeVisible();
  const gone = await anon.page.goto(link);
  expect(gone?.status()).toBe(404);
  await anon.ctx.close();
});

test("the real wandb client lists the reports made in the UI", async ({ baseURL }) => {
  const listed = clientReports(baseURL!, `admin/${pub}`);
  const titles = listed.map((r) => r.title);
  expect(titles).toContain("Learning-rate study");
  const study = listed.find((r) => r.title === "Learning-rate study")!;
  expect(study.user).toBe("admin");
  // The client builds the report's URL from its id: the same page opens.
  expect(study.url).toMatch(/\/reports\/Learning-rate-study--\d+$/);
  expect(new URL(study.url).pathname).toBe(reportUrl);
});

test("the HTML export opens offline with its charts", async ({ page, browser }, info) => {
  await signIn(page);
  const res = await page.request.get(reportUrl + "/export.html");
  expect(res.status()).toBe(200);
  const html = await res.text();
  const file = info.outputPath("report.html");
  fs.writeFileSync(file, html);
  const ctx = await browser.newContext({ offline: true });
  const p = await ctx.newPage();
  const requests: string[] = [];
  p.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
  await p.goto("file://" + file);
  await expect(p.getByRole("heading", { level: 1, name: "Learning-rate study" })).toBeVisible();
  expect(await p.locator(".report-panel svg path").count()).toBeGreaterThan(3);
  expect(requests).toEqual([]);
  await p.screenshot({ path: info.outputPath("export.png"), fullPage: true });
  await ctx.close();
  const md = await page.request.get(reportUrl + "/export.md.zip");
  expect(md.status()).toBe(200);
  expect(md.headers()["content-type"]).toBe("application/zip");
});
