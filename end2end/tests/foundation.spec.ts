import { test, expect } from "@playwright/test";
import { api, coloredPixels, signIn, waitForHydration, watchConsole } from "./helpers";

test("the home page lists the public demo project to a signed-out visitor", async ({ page }, info) => {
  const noErrors = watchConsole(page);
  await page.goto("/");
  const projects = page.getByRole("table", { name: "Projects" });
  await expect(projects.getByRole("link", { name: "cairn-demo" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.screenshot({ path: info.outputPath("home-signed-out.png"), fullPage: true });
  noErrors();
});

test("a wrong password gets a readable error", async ({ page }) => {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("wrong username or password");
});

test("the Overview shows exactly what was logged through /api/v1", async ({ page, request }, info) => {
  const noErrors = watchConsole(page);
  // A name with a space, a quote and Unicode, to prove URLs are encoded end to end.
  const project = `e2e "overview" ✓ ${Date.now()}`;
  const start = 1_760_000_000;
  const runtimes = [3_600, 7_200, 5_400]; // 4.5 hours in all
  for (const [i, seconds] of runtimes.entries()) {
    const run = await api(request, "POST", "/runs", {
      project,
      id: `run-${i}`,
      config: { lr: 0.001 * (i + 1), optimizer: "adam" },
      start_time: start,
    });
    const rows = Array.from({ length: 200 }, (_, step) => ({
      step,
      time: start + (step * seconds) / 200,
      values: { "train/loss": 2 / (step + 1) + i * 0.1, "val/acc": step / 200 },
    }));
    await api(request, "POST", `/runs/admin/${encodeURIComponent(project)}/${run.id}/metrics`, { rows });
    await api(request, "POST", `/runs/admin/${encodeURIComponent(project)}/${run.id}/finish`, {
      exit_code: i === 2 ? 1 : 0,
      time: start + seconds,
    });
  }

  await signIn(page);
  await page.goto("/");
  await page.getByRole("link", { name: project }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(project);
  // A project opens on its Workspace; the Overview is one tab away.
  await expect(page.getByRole("link", { name: "Workspace" })).toHaveAttribute("aria-current", "page");
  await page.getByRole("link", { name: "Overview" }).click();
  await expect(page.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  await expect(page.locator('[data-fact="total-runs"]')).toHaveText("3");
  await expect(page.locator('[data-fact="total-compute"]')).toHaveText("4.5 hours");
  await expect(page.locator('[data-fact="contributors"]')).toHaveText("admin");
  await expect(page.locator('[data-fact="owner"]')).toHaveText("admin");
  const runs = page.getByRole("table", { name: "Runs" });
  await expect(runs.getByRole("row")).toHaveCount(4);
  await expect(runs.getByText("failed")).toHaveCount(1);
  await page.screenshot({ path: info.outputPath("overview.png"), fullPage: true });

  // The run page: config, summary, and a chart really drawn on the canvas.
  await runs.getByRole("link").first().click();
  await expect(page.locator('[data-fact="run-id"]')).toHaveText(/run-\d/);
  await expect(page.getByRole("table", { name: "Config" })).toContainText("optimizer");
  await expect(page.getByRole("table", { name: "Summary" })).toContainText("train/loss");
  const chart = page.locator('figure[data-metric="train/loss"] canvas');
  await expect(chart).toHaveAttribute("data-drawn", "true");
  expect(await coloredPixels(page, 'figure[data-metric="train/loss"] canvas')).toBeGreaterThan(50);
  await page.screenshot({ path: info.outputPath("run.png"), fullPage: true });
  noErrors();
});

test("the demo project's runs have charts, console output and NaN-safe drawing", async ({ page }, info) => {
  const noErrors = watchConsole(page);
  await signIn(page);
  await page.goto("/admin/cairn-demo/overview");
  await expect(page.locator('[data-fact="total-runs"]')).toHaveText("12");
  await expect(page.locator('[data-fact="visibility"]')).toHaveText("public");
  // The diverged run logged NaN losses; its chart must still draw.
  await page.goto("/admin/cairn-demo/runs/demo-11");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("failed");
  await expect(page.getByLabel("Console output")).toContainText("loss is NaN");
  const loss = 'figure[data-metric="train/loss"] canvas';
  await expect(page.locator(loss)).toHaveAttribute("data-drawn", "true");
  expect(await coloredPixels(page, loss)).toBeGreaterThan(50);
  await expect(page.locator('figure[data-metric="train/loss"]')).toContainText("points in");
  await page.screenshot({ path: info.outputPath("demo-failed-run.png"), fullPage: true });
  noErrors();
});

test("an unknown project answers 404 with a readable message", async ({ page }) => {
  const res = await page.goto("/nobody/nothing-here");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("alert")).toContainText("not found");
});

test("the wasm bundle has a hashed name, is served compressed and cached for good", async ({ request }) => {
  const page = await request.get("/login");
  const html = await page.text();
  const wasm = html.match(/href="(\/pkg\/cairn\.[A-Za-z0-9_-]{16,}\.wasm)"/)?.[1];
  expect(wasm, "the page names a content-hashed wasm file").toBeTruthy();
  const res = await request.get(wasm!, { headers: { "Accept-Encoding": "br, gzip" } });
  expect(res.ok()).toBeTruthy();
  expect(res.headers()["content-encoding"]).toMatch(/^(br|gzip)$/);
  expect(res.headers()["cache-control"]).toContain("immutable");
  // The page itself is never cached as immutable, and says what may run in it.
  expect(page.headers()["cache-control"] ?? "").not.toContain("immutable");
  expect(page.headers()["content-security-policy"]).toContain("'nonce-");
  expect(page.headers()["x-content-type-options"]).toBe("nosniff");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("signing in works and a wrong password is explained", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("wrong username or password");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill(process.env.CAIRN_ADMIN_PASSWORD ?? "");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
    // Signing out is a form post too: without the script's CSRF header, the browser's
    // Origin vouches for it.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  });

  test("the Overview and a run page read fully from the server's HTML", async ({ page }) => {
    await page.goto("/admin/cairn-demo/overview");
    await expect(page.locator('[data-fact="total-runs"]')).toHaveText("12");
    await page.goto("/admin/cairn-demo/runs/demo-01");
    await expect(page.getByRole("table", { name: "Config" })).toContainText("resnet18");
    await expect(page.getByLabel("Console output")).toContainText("epoch 20");
  });
});
