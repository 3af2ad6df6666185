import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { API_KEY, coloredPixels, signIn, wandbEnv, watchConsole } from "./helpers";

// The official wandb client lives in the venv that `.ci/wandb --venv-only` makes.
const TOOLS = process.env.CAIRN_TOOLS ?? path.join(os.homedir(), ".cache", "cairn-tools");
const PYTHON = path.join(TOOLS, "wandb-venv", "bin", "python");
const SCRIPT = path.join(__dirname, "..", "wandb", "log_for_e2e.py");


/** Log a run with the real wandb client against the e2e server; returns the run id. */
function logWithWandb(baseURL: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cairn-wandb-e2e-"));
  const env = wandbEnv(dir, baseURL);
  let stdout: string;
  try {
    stdout = execFileSync(PYTHON, [SCRIPT], { env, cwd: dir, timeout: 120_000, encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    const err = e as { status?: number; signal?: string; stdout?: string; stderr?: string };
    throw new Error(
      `log_for_e2e.py failed (exit ${err.status}, signal ${err.signal}):\n${err.stdout ?? ""}\n--- stderr ---\n${err.stderr ?? ""}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The script prints RUN_ID=<id> last; take the last such line in case the client adds any.
  const ids = [...stdout.matchAll(/^RUN_ID=(\S+)$/gm)].map((m) => m[1]);
  expect(ids.length, `no RUN_ID=<id> line in the script's output:\n${stdout}`).toBeGreaterThan(0);
  return ids[ids.length - 1];
}

test("a run logged by the official wandb client shows on its run page", async ({ page, baseURL }, info) => {
  test.setTimeout(180_000);
  // `make test` makes the venv first; run alone, the test says what is missing.
  expect(existsSync(PYTHON), `no wandb client at ${PYTHON}; run .ci/wandb --venv-only`).toBe(true);
  expect(API_KEY, "CAIRN_ADMIN_API_KEY must be set for the e2e server").not.toBe("");
  const runId = logWithWandb(baseURL ?? "http://127.0.0.1:3000");

  const noErrors = watchConsole(page);
  // New projects are private: sign in as their owner first.
  await signIn(page);
  await page.goto(`/admin/wandb-e2e/runs/${encodeURIComponent(runId)}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("wandb-e2e-run");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("finished");
  await expect(page.locator('[data-fact="run-id"]')).toHaveText(runId);
  await expect(page.getByRole("table", { name: "Config" })).toContainText("adam");
  await expect(page.getByRole("table", { name: "Summary" })).toContainText("best_val_acc");
  await expect(page.getByLabel("Console output")).toContainText("wandb e2e line");

  // The loss chart is really drawn: the canvas says so and holds pixels of the series colour.
  const loss = 'figure[data-metric="train/loss"] canvas';
  await expect(page.locator(loss)).toHaveAttribute("data-drawn", "true");
  expect(await coloredPixels(page, loss)).toBeGreaterThan(50);
  await expect(page.locator('figure[data-metric="val/acc"] canvas')).toHaveAttribute("data-drawn", "true");
  await page.screenshot({ path: info.outputPath("wandb-run.png"), fullPage: true });
  noErrors();
});
