import { test, expect, Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { signIn, waitForHydration, wandbEnv, watchConsole } from "./helpers";

const TOOLS = process.env.CAIRN_TOOLS ?? path.join(os.homedir(), ".cache", "cairn-tools");
const PYTHON = path.join(TOOLS, "wandb-venv", "bin", "python");
const SCRIPT = path.join(__dirname, "..", "wandb", "log_artifacts_for_e2e.py");
const TAB = "/admin/artifacts-e2e/artifacts";
const DS = `${TAB}/dataset/mnist-small`;

/** Log the artifacts of log_artifacts_for_e2e.py with the real wandb client. */
function logArtifacts(baseURL: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cairn-artifacts-e2e-"));
  const env = wandbEnv(dir, baseURL);
  try {
    const out = execFileSync(PYTHON, [SCRIPT], { env, cwd: dir, timeout: 240_000, encoding: "utf8", stdio: "pipe" });
    expect(out).toContain("DONE");
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    throw new Error(`log_artifacts_for_e2e.py failed (exit ${err.status}):\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The names inside a zip file, read with Python's zipfile (no Node zip library here). */
function zipNames(file: string): string[] {
  const out = execFileSync(PYTHON, ["-c", "import sys, zipfile; print('\\n'.join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))", file], {
    encoding: "utf8",
  });
  return out.split("\n").filter((l) => l !== "");
}

test.describe.configure({ mode: "serial" });

let logged = false;
async function ready(page: Page, baseURL: string | undefined) {
  if (!logged) {
    expect(existsSync(PYTHON), `no wandb client at ${PYTHON}; run .ci/wandb --venv-only`).toBe(true);
    logArtifacts(baseURL ?? "http://127.0.0.1:3000");
    logged = true;
  }
  await signIn(page);
}

test("browse types, a collection's versions and a version's tabs", async ({ page, baseURL }, info) => {
  test.setTimeout(300_000);
  await ready(page, baseURL);
  const noErrors = watchConsole(page);
  await page.goto(TAB);
  const column = page.getByRole("navigation", { name: "Artifacts" });
  await expect(column.getByRole("heading", { name: "dataset" })).toBeVisible();
  await expect(column.getByRole("heading", { name: "model" })).toBeVisible();
  await waitForHydration(page);
  // The search box narrows the column.
  await column.getByLabel("Search artifacts").fill("cnn");
  await expect(column.getByRole("link", { name: /mnist-small/ })).toBeHidden();
  await column.getByLabel("Search artifacts").fill("");
  await column.getByRole("link", { name: /mnist-small/ }).click();
  await expect(page).toHaveURL(new RegExp(`${DS}$`));
  const table = page.getByRole("table", { name: "Versions" });
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await expect(table.locator("tbody tr").first()).toContainText("v1");
  await expect(table.locator("tbody tr").nth(1)).toContainText("baseline");
  await expect(table.locator("tbody tr").first()).toContainText("prep-1");
  await page.screenshot({ path: info.outputPath("artifacts-versions.png"), fullPage: true });
  // Sorting by files puts v0 (fewer files) first when ascending.
  await table.getByRole("link", { name: /^Files/ }).click();
  await table.getByRole("link", { name: /^Files/ }).click();
  await expect(page).toHaveURL(/sort=files&desc=0/);
  await expect(table.locator("tbody tr").first()).toContainText("v0");

  await page.goto(`${DS}/v1`);
  await expect(page.locator('[data-fact="files"]')).toHaveText("5");
  await expect(page.locator('[data-fact="created-by"]')).toContainText("prep-1");
  await page.screenshot({ path: info.outputPath("artifact-overview.png"), fullPage: true });

  await page.getByRole("link", { name: "Metadata" }).click();
  const meta = page.getByRole("tree", { name: "Metadata" });
  await expect(meta).toContainText("source");
  await expect(meta).toContainText("http://example.invalid/mnist");

  await page.getByRole("link", { name: "Usage" }).click();
  await expect(page.getByLabel("wandb usage snippet")).toContainText('use_artifact("admin/artifacts-e2e/mnist-small:v1")');
  await expect(page.locator('[data-role="producer"]')).toHaveText("prep-1");
  await expect(page.getByRole("list", { name: "Consumers" })).toContainText("train");
  await page.screenshot({ path: info.outputPath("artifact-usage.png"), fullPage: true });
  noErrors();
});

test("files: folders, CSV, table and image previews, zip downloads", async ({ page, baseURL }, info) => {
  test.setTimeout(300_000);
  await ready(page, baseURL);
  await page.goto(`${DS}/v1?tab=files`);
  const files = page.getByRole("table", { name: "Files" });
  await expect(files).toContainText("images/");
  await files.getByRole("link", { name: "data.csv" }).click();
  const preview = page.getByRole("table", { name: "Table preview" });
  await expect(preview.locator("thead")).toContainText("pixels");
  await expect(preview.locator("tbody tr")).toHaveCount(3);
  await expect(preview.locator("tbody tr").first()).toContainText("0,1,2");
  await page.screenshot({ path: info.outputPath("artifact-csv.png"), fullPage: true });
  await files.getByRole("link", { name: "samples.table.json" }).click();
  await expect(page.getByRole("table", { name: "Table preview" })).toContainText("seven");
  await files.getByRole("link", { name: /images\// }).click();
  await expect(page).toHaveURL(/folder=images%2F/);
  await page.getByRole("table", { name: "Files" }).getByRole("link", { name: "digit.png" }).click();
  const img = page.locator("img.preview-image");
  await expect(img).toBeVisible();
  await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(28);
  await page.screenshot({ path: info.outputPath("artifact-image.png"), fullPage: true });

  // The whole version, then one folder, as zips.
  await page.goto(`${DS}/v1?tab=files`);
  const [all] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download all (zip)" }).click()]);
  const allPath = info.outputPath("all.zip");
  await all.saveAs(allPath);
  expect(all.suggestedFilename()).toBe("mnist-small-v1.zip");
  expect(zipNames(allPath)).toEqual(["data.csv", "images/README.md", "images/digit.png", "notes.txt", "samples.table.json"].sort());
  await page.goto(`${DS}/v1?tab=files&folder=images%2F`);
  const [folder] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download this folder (zip)" }).click()]);
  const folderPath = info.outputPath("images.zip");
  await folder.saveAs(folderPath);
  expect(zipNames(folderPath)).toEqual(["README.md", "digit.png"]);
});

// A collection's page loaded again and again must hydrate every time. Its versions
// table once made its resource inside the collection list's Suspend; the server rebuilds
// suspended views a varying number of times, so the browser sometimes hydrated the table
// from the wrong resource's data and panicked (a CI failure; under load, several in 60).
test("a collection's page hydrates on every load", async ({ page, baseURL }) => {
  test.setTimeout(300_000);
  await ready(page, baseURL);
  const noErrors = watchConsole(page);
  for (let i = 0; i < 30; i++) {
    await page.goto(i % 3 == 0 ? DS : `${DS}?sort=created&desc=${i % 2}`);
    await waitForHydration(page);
  }
  await expect(page.getByRole("table", { name: "Versions" }).locator("tbody tr")).toHaveCount(2);
  noErrors();
});

test("aliases move, diff two versions, guarded delete", async ({ page, baseURL }, info) => {
  test.setTimeout(300_000);
  await ready(page, baseURL);
  const noErrors = watchConsole(page);
  await page.goto(`${DS}/v1`);
  await waitForHydration(page);
  await page.getByRole("textbox", { name: "Add alias" }).fill("best");
  await page.getByRole("button", { name: "Add alias" }).click();
  await expect(page.locator('[data-alias="best"]')).toBeVisible();
  // The same alias on v0 moves it there.
  await page.goto(`${DS}/v0`);
  await waitForHydration(page);
  await page.getByRole("textbox", { name: "Add alias" }).fill("best");
  await page.getByRole("button", { name: "Add alias" }).click();
  await expect(page.locator('[data-alias="best"]')).toBeVisible();
  await page.goto(`${DS}/v1`);
  await expect(page.locator('[data-alias="best"]')).toHaveCount(0);
  await page.goto(`${DS}/v1?tab=history`);
  const history = page.getByRole("table", { name: "Action history" });
  await expect(history.locator('tr[data-action="alias_moved"]')).toContainText("best: v1 → v0");
  await expect(history.locator('tr[data-action="created"]')).toHaveCount(2);
  await page.screenshot({ path: info.outputPath("artifact-history.png"), fullPage: true });

  // Diff v1 against v0: one file added, notes changed, with its line diff.
  await page.goto(`${DS}/v1?tab=diff`);
  await expect(page.locator('[data-role="diff-summary"]')).toHaveText("From v0 to v1: 1 added, 0 removed, 1 changed, 3 unchanged");
  await expect(page.locator(".text-diff ins")).toContainText("Second cut: labels checked.");
  await page.screenshot({ path: info.outputPath("artifact-diff.png"), fullPage: true });

  // v0 has aliases: deleting it needs them removed too.
  await page.goto(`${DS}/v0`);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Delete this version…" }).click();
  const confirm = page.locator('[data-role="confirm-delete"]');
  await expect(confirm).toBeDisabled();
  await page.getByLabel("Remove its aliases too").check();
  await confirm.click();
  await expect(page).toHaveURL(new RegExp(`${DS}$`));
  await expect(page.getByRole("table", { name: "Versions" }).locator("tbody tr")).toHaveCount(1);
  noErrors();
});

test("public-API edits show on the page; run pages list what a run logged and used", async ({ page, baseURL }, info) => {
  test.setTimeout(300_000);
  await ready(page, baseURL);
  await page.goto(`${TAB}/model/cnn/v0`);
  await expect(page.locator(".tag-chip")).toContainText(["reviewed"]);
  await expect(page.getByRole("region", { name: "Descriptions" })).toContainText("edited through wandb.Api()");
  await page.goto(`${TAB}/model/cnn/v0?tab=history`);
  const history = page.getByRole("table", { name: "Action history" });
  await expect(history.locator('tr[data-action="tag_added"]')).toContainText("reviewed");
  await expect(history.locator('tr[data-action="tag_added"]')).toContainText("wandb");
  await page.goto("/admin/artifacts-e2e/runs/train");
  await expect(page.getByRole("list", { name: "Logged artifacts" })).toContainText("cnn:v0");
  await expect(page.getByRole("list", { name: "Used artifacts" })).toContainText("mnist-small:v1");
  await page.getByRole("list", { name: "Used artifacts" }).getByRole("link", { name: "mnist-small:v1" }).click();
  await expect(page).toHaveURL(new RegExp(`${DS}/v1$`));
  await page.screenshot({ path: info.outputPath("artifact-from-run.png"), fullPage: true });
});

test("lineage: collections, explode, clusters and pulling a node out", async ({ page, baseURL }, info) => {
  test.setTimeout(300_000);
  await ready(page, baseURL);
  await page.goto(`${TAB}/model/cnn/v0?tab=lineage`);
  const svg = page.locator("svg.lineage");
  await expect(svg).toBeVisible();
  // train → cnn:v0 → six eval runs, folded into one cluster.
  await expect(svg.locator('a[data-kind="run"]')).toContainText(["train"]);
  await expect(svg.locator('[data-kind="cluster"]')).toContainText("6 more");
  await page.screenshot({ path: info.outputPath("lineage-cluster.png"), fullPage: true });
  const cluster = page.locator("details.cluster-list");
  await cluster.locator("summary").click();
  await cluster.getByRole("link", { name: "eval-3" }).click();
  await expect(svg.locator('a[data-kind="run"]', { hasText: "eval-3" })).toBeVisible();
  await expect(svg.locator('[data-kind="cluster"]')).toContainText("5 more");
  // Depth 2 reaches the dataset the training run used; collections by default, versions exploded.
  await page.goto(`${TAB}/model/cnn/v0?tab=lineage&depth=2`);
  await expect(svg.locator('a[data-kind="artifact"]', { hasText: "mnist-small" })).toHaveCount(1);
  await page.getByRole("link", { name: "Explode" }).click();
  await expect(page).toHaveURL(/explode=1/);
  await expect(svg.locator('a[data-kind="artifact"]', { hasText: "mnist-small:v1" })).toHaveCount(1);
  await page.screenshot({ path: info.outputPath("lineage-explode.png"), fullPage: true });
  // Clicking a node opens it.
  await svg.locator('a[data-kind="run"]', { hasText: "train" }).click();
  await expect(page).toHaveURL(/\/admin\/artifacts-e2e\/runs\/train$/);
});
