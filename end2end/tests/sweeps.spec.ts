import { test, expect } from "@playwright/test";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { api, coloredPixels, signIn, waitForHydration, wandbEnv, watchConsole } from "./helpers";

// The official wandb client (and its `wandb agent`) from the venv `.ci/wandb --venv-only` makes.
const TOOLS = process.env.CAIRN_TOOLS ?? path.join(os.homedir(), ".cache", "cairn-tools");
const BIN = path.join(TOOLS, "wandb-venv", "bin");

const TRAIN = `
import math, wandb
run = wandb.init()
lr, bs = run.config["lr"], run.config["bs"]
for step in range(3):
    run.log({"loss": (math.log10(lr) + 2) ** 2 + bs / 64 + 1.0 / (step + 1)})
run.finish()
`;

test("create a sweep in the browser, watch its runs arrive, brush the chart, pause and resume", async ({ page, request, baseURL }, info) => {
  test.setTimeout(240_000);
  expect(existsSync(path.join(BIN, "wandb")), `no wandb client in ${BIN}; run .ci/wandb --venv-only`).toBe(true);
  const project = `sweeps-e2e-${Date.now()}`;
  // The project exists once something is logged to it.
  await api(request, "POST", "/runs", { project, id: "seed", name: "seed run" });

  const noErrors = watchConsole(page);
  await signIn(page);
  await page.goto(`/admin/${project}/sweeps`);
  await waitForHydration(page);
  await expect(page.getByText("No sweeps yet.")).toBeVisible();

  // Validated as it is typed: an error names its line, and the button waits.
  const box = page.getByLabel(/Configuration/);
  await box.fill("program: train.py\nmethod: grid\nparameters:\n  lr:\n    min: 0.001\n    max: 0.1\n");
  await expect(page.locator("#sweep-check")).toContainText("line 4: parameters.lr: grid search needs discrete values");
  await expect(page.getByRole("button", { name: "Create sweep" })).toBeDisabled();
  await box.fill("program: train.py\nmethod: grid\nmetric: {name: loss, goal: minimize}\nparameters:\n  lr: {values: [0.001, 0.01, 0.1]}\n  bs: {values: [16, 64]}\n");
  await expect(page.locator("#sweep-check")).toContainText("Valid: grid search over 2 parameters, 6 runs.");
  await page.getByLabel("Name (optional)").fill("lr and batch");
  await page.getByRole("button", { name: "Create sweep" }).click();
  const command = page.locator(".sweep-created code");
  await expect(command).toContainText(`wandb agent admin/${project}/`);
  const sweepId = (await command.textContent())!.trim().split("/").pop()!;
  await expect(page.getByRole("link", { name: "lr and batch" })).toBeVisible();
  await page.screenshot({ path: info.outputPath("sweeps-tab.png"), fullPage: true });

  // A real agent, started with the command the page printed.
  const dir = mkdtempSync(path.join(os.tmpdir(), "cairn-sweep-e2e-"));
  const work = path.join(dir, "work");
  mkdirSync(work);
  writeFileSync(path.join(work, "train.py"), TRAIN);
  const env = { ...wandbEnv(dir, baseURL ?? "http://127.0.0.1:3000"), PATH: `${BIN}:${process.env.PATH}` };
  delete env.WANDB_SILENT;
  const agent = spawn(path.join(BIN, "wandb"), ["agent", `admin/${project}/${sweepId}`], { cwd: work, env, stdio: "pipe" });
  let agentLog = "";
  agent.stdout.on("data", (d) => (agentLog += d));
  agent.stderr.on("data", (d) => (agentLog += d));
  try {
    await page.getByRole("link", { name: "lr and batch" }).click();
    await expect(page).toHaveURL(new RegExp(`/admin/${project}/sweeps/${sweepId}$`));
    await waitForHydration(page);
    // Runs arrive while the page is open (it reads itself again every 5 s).
    const status = page.locator("#sweep-runs-heading + p");
    await expect(status, agentLog).toHaveText(/^[3-6] runs$/, { timeout: 120_000 });
    await expect(page.locator(".sweep-runs tbody tr").first()).toBeVisible();

    // Pause: no new runs; resume.
    await page.getByRole("button", { name: "Pause" }).click();
    await expect(page.locator(".sweep-head .state")).toHaveText("Paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await expect(page.locator(".sweep-head .state")).toHaveText("Running");

    // All six, finished, and the sweep finishes by itself.
    await expect(page.locator(".sweep-head .state"), agentLog).toHaveText("Finished", { timeout: 150_000 });
    await expect(status).toHaveText("6 runs");
    await expect(page.locator(".sweep-runs .state-finished")).toHaveCount(6);

    // The charts are drawn in the browser.
    const pc = page.locator("canvas.pc-canvas");
    await expect(pc).toBeVisible();
    expect(await coloredPixels(page, "canvas.pc-canvas")).toBeGreaterThan(100);
    await expect(page.getByRole("table", { name: "Parameter importance for loss" })).toContainText("lr");

    // Brush the first axis (parameters in name order: bs) around its top: bs = 64 stays.
    const bb = (await pc.boundingBox())!;
    const x = bb.x + 48; // Layout::LEFT: the first axis
    const top = bb.y + 34; // Layout::TOP: where 1.0 sits
    await page.mouse.move(x, top - 4);
    await page.mouse.down();
    await page.mouse.move(x, top + 30, { steps: 5 });
    await page.mouse.up();
    await expect(status).toHaveText("3 of 6 runs match the filters");
    await expect(page.getByText(/Filtered: bs 5\d(\.\d+)? – 64/)).toBeVisible();
    await expect(page.locator(".sweep-runs tbody tr")).toHaveCount(3);
    for (const row of await page.locator(".sweep-runs tbody tr").all()) {
      await expect(row.locator("td").nth(3)).toHaveText("64");
    }
    await page.screenshot({ path: info.outputPath("sweep-page.png"), fullPage: true });
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect(status).toHaveText("6 runs");
  } finally {
    agent.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }

  // Readable without JavaScript: the charts come as SVG from the server.
  const html = await (await page.request.get(`/admin/${project}/sweeps/${sweepId}`)).text();
  expect(html).toContain("<svg");
  expect(html).toContain("Parameter importance for loss");
  noErrors();
});
