import { test, expect } from "@playwright/test";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { api, signIn, waitForHydration, watchConsole } from "./helpers";

// A real HTTP receiver on 127.0.0.1, recording what it is sent.
function receiver(): Promise<{ url: string; got: { headers: http.IncomingHttpHeaders; body: string }[]; close: () => void }> {
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ headers: req.headers, body });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("thanks from the receiver");
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ url: `http://127.0.0.1:${port}/hook`, got, close: () => server.close() });
    }),
  );
}

test("create a webhook automation, press Test, see the answer in the history, disable it", async ({ page, request }, info) => {
  test.setTimeout(120_000);
  const rx = await receiver();
  const project = `automations-e2e-${Date.now()}`;
  await api(request, "POST", "/runs", { project, id: "seed", name: "seed run" });
  const noErrors = watchConsole(page);
  await signIn(page);

  // The receiver is on 127.0.0.1: the site admin allows private targets in Settings.
  await page.goto("/settings");
  await waitForHydration(page);
  const allow = page.getByRole("button", { name: "Allow private webhook targets" });
  if (await allow.isVisible()) {
    await allow.click();
    await expect(page.getByRole("button", { name: "Forbid private webhook targets" })).toBeVisible();
  }

  await page.goto(`/admin/${project}/automations`);
  await waitForHydration(page);
  await expect(page.getByText("No automations yet.")).toBeVisible();
  await page.getByRole("button", { name: "New automation" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Failed runs to CI");
  await page.getByLabel("Event").selectOption("run_state");
  await page.getByLabel("URL", { exact: true }).fill(rx.url);
  // A bad payload is refused with a reason, and nothing is saved.
  const payload = page.getByLabel("JSON payload");
  await payload.fill('{"run": ${run_name}');
  await page.getByRole("button", { name: "Create automation" }).click();
  await expect(page.getByText(/not valid JSON/)).toBeVisible();
  await payload.fill('{"run": "${run_name}", "state": "${run_state}", "project": "${project_name}"}');
  await page.screenshot({ path: info.outputPath("automation-form.png"), fullPage: true });
  await page.getByRole("button", { name: "Create automation" }).click();
  const link = page.getByRole("link", { name: "Failed runs to CI" });
  await expect(link).toBeVisible();
  await expect(page.locator(".automations-table")).toContainText("Run state: failed, crashed");
  await page.screenshot({ path: info.outputPath("automations-tab.png"), fullPage: true });

  // Its history: Test sends a sample payload and shows the receiver's answer.
  await link.click();
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "Failed runs to CI" })).toBeVisible();
  await page.getByRole("button", { name: "Test" }).click();
  await expect(page.getByText("Test delivered: answered 200.")).toBeVisible();
  await expect(page.locator(".test-result")).toContainText("thanks from the receiver");
  expect(rx.got.length).toBe(1);
  expect(JSON.parse(rx.got[0].body)).toEqual({ run: "test-run-1", state: "failed", project });
  expect(rx.got[0].headers["x-cairn-event"]).toBe("run_state");
  const row = page.locator(".history-table tbody tr").first();
  await expect(row).toContainText("Delivered");
  await expect(row).toContainText("200");
  await row.getByText("Request and response").click();
  await expect(row.locator("pre.payload").first()).toContainText('"project"');
  await page.screenshot({ path: info.outputPath("automation-history.png"), fullPage: true });

  // A real event: a run fails, and the delivery shows up in the history by itself.
  await api(request, "POST", `/runs/admin/${project}/seed/finish`, { exit_code: 3 });
  await expect(page.locator(".history-table tbody tr")).toHaveCount(2, { timeout: 20_000 });
  await expect(page.locator(".history-table tbody tr").first()).toContainText("run seed run failed");
  expect(rx.got.length).toBe(2);
  // Search narrows the history, and lives in the URL.
  await page.getByLabel("Search the history").fill("seed");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\?q=seed/);
  await expect(page.locator(".history-table tbody tr")).toHaveCount(1);

  // Back on the list: disable it.
  await page.getByRole("link", { name: "All automations" }).click();
  await waitForHydration(page);
  const toggle = page.getByRole("switch", { name: "Disable Failed runs to CI" });
  await toggle.click();
  await expect(page.getByRole("switch", { name: "Enable Failed runs to CI" })).toHaveText("Off");
  await expect(page.locator(".automations-table")).toContainText("Delivered");
  await page.screenshot({ path: info.outputPath("automations-disabled.png"), fullPage: true });
  rx.close();
  noErrors();
});
