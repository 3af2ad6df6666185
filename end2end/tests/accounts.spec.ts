import { test, expect, Browser, Page } from "@playwright/test";
import { signIn, waitForHydration, watchConsole } from "./helpers";

// Accounts end to end: sign up, API keys, a team with a second user, a restricted
// project that user cannot see until added, stars, deleting and undeleting runs,
// renaming (old links redirect) and deleting the project.

const stamp = Date.now().toString(36);
const alice = `alice-${stamp}`;
const bob = `bob-${stamp}`;
const team = `team-${stamp}`;
const project = `secret plans ${stamp}`;
const password = "correct horse battery";

async function signUp(page: Page, username: string) {
  await page.goto("/signup");
  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Display name").fill(username.toUpperCase());
  await page.getByLabel("Password (at least 8 characters)").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  // A new account lands on its profile page, signed in.
  await expect(page).toHaveURL(new RegExp(`/${username}$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(username);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

test("accounts, teams, a restricted project, stars, deleted runs and the project lifecycle", async ({ browser, request }, info) => {
  test.setTimeout(120_000);
  const a = await newPage(browser);
  const noErrorsA = watchConsole(a);
  await signUp(a, alice);

  // An API key: shown once, works, is listed with its last use, and stops working when revoked.
  await a.goto("/settings");
  await waitForHydration(a);
  await a.getByLabel("Key name").fill("laptop");
  await a.getByRole("button", { name: "Create key" }).click();
  const key = (await a.locator("[data-fresh-key]").textContent())?.trim() ?? "";
  expect(key).toMatch(/^[a-z0-9]{40}$/);
  const asAlice = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  const who = await request.get("/api/v1/viewer", { headers: asAlice });
  expect(who.status()).toBe(200);
  expect((await who.json()).username).toBe(alice);
  await expect(a.getByRole("table", { name: "API keys" }).locator('tr[data-key="laptop"]')).toBeVisible();

  // A team, from the settings page; its creator is its admin.
  await a.getByLabel("Team name").fill(team);
  await a.getByRole("button", { name: "Create team" }).click();
  await expect(a).toHaveURL(new RegExp(`/${team}\\?tab=members$`));
  await expect(a.getByRole("table", { name: "Members" }).locator(`tr[data-member="${alice}"]`)).toContainText("admin");

  // A second user signs up in another browser and is invited as a member.
  const b = await newPage(browser);
  // Bob is sent to pages that do not exist for him (404s show in his console), so
  // only script errors count for him.
  const bErrors: string[] = [];
  b.on("pageerror", (e) => bErrors.push(e.message));
  await signUp(b, bob);
  await a.reload();
  await waitForHydration(a);
  await a.getByLabel("Username").fill(bob);
  await a.getByRole("button", { name: "Add to team" }).click();
  await expect(a.getByRole("table", { name: "Members" }).locator(`tr[data-member="${bob}"]`)).toBeVisible();

  // Alice creates a restricted team project from the home page.
  await a.goto("/");
  await waitForHydration(a);
  await a.getByText("New project").click();
  await a.getByRole("combobox", { name: /^Owner/ }).selectOption(team);
  await a.getByLabel("Project name").fill(project);
  await a.getByRole("combobox", { name: /^Visibility/ }).selectOption("restricted");
  await a.getByLabel("Description (markdown)").fill("Plans **only** for the list.\n\n<script>window.pwned = 1</script>");
  await a.getByRole("button", { name: "Create project" }).click();
  await expect(a.getByRole("heading", { level: 1 })).toHaveText(project);
  await expect(a.locator('[data-fact="visibility"]')).toHaveText("restricted");
  await expect(a.locator(".description strong")).toHaveText("only");
  expect(await a.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  const overviewUrl = a.url();

  // Bob is in the team but not on the list: the project does not exist for him.
  const res = await b.goto(overviewUrl);
  expect(res?.status()).toBe(404);
  await b.goto("/");
  await expect(b.getByRole("link", { name: project })).toHaveCount(0);

  // Alice adds him; now he sees it.
  await a.getByRole("textbox", { name: "Username" }).fill(bob);
  await a.getByRole("button", { name: "Add member" }).click();
  await expect(a.getByRole("list", { name: "Project members" })).toContainText(bob);
  const again = await b.goto(overviewUrl);
  expect(again?.status()).toBe(200);
  await expect(b.getByRole("heading", { level: 1 })).toHaveText(project);
  await a.screenshot({ path: info.outputPath("accounts-overview.png"), fullPage: true });

  // Star from the home page: starred projects come first, the star stays after a reload.
  await a.goto("/");
  await waitForHydration(a);
  const row = a.locator(`tr[data-project="${project}"]`);
  await row.hover();
  await row.getByRole("button", { name: `Star ${team}/${project}` }).click();
  await expect(row.getByRole("button", { name: `Unstar ${team}/${project}` })).toHaveAttribute("aria-pressed", "true");
  await a.reload();
  await waitForHydration(a);
  await expect(a.locator("table[aria-label=Projects] tbody tr").first()).toHaveAttribute("data-project", project);
  await a.screenshot({ path: info.outputPath("accounts-home-starred.png"), fullPage: true });
  await a.locator(`tr[data-project="${project}"]`).getByRole("button", { name: `Unstar ${team}/${project}` }).click();
  await expect(a.locator(`tr[data-project="${project}"]`).getByRole("button", { name: `Star ${team}/${project}` })).toHaveAttribute("aria-pressed", "false");
  await a.reload();
  await waitForHydration(a);
  await expect(a.locator(`tr[data-project="${project}"] button.star.on`)).toHaveCount(0);

  // Two runs logged with Alice's key; delete one in the Runs tab, undelete from the Overview.
  const enc = encodeURIComponent(project);
  for (const id of ["r1", "r2"]) {
    const r = await request.post("/api/v1/runs", { headers: asAlice, data: { entity: team, project, id } });
    expect(r.ok(), await r.text()).toBeTruthy();
  }
  await a.goto(`/${team}/${enc}/runs`);
  await waitForHydration(a);
  await a.locator('tr[data-run="r1"] input[type=checkbox]').check();
  await a.getByRole("button", { name: "Delete…" }).click();
  await a.getByRole("button", { name: "Confirm delete" }).click();
  await expect(a.locator('tr[data-run="r1"]')).toHaveCount(0);
  await a.goto(overviewUrl);
  await waitForHydration(a);
  await expect(a.locator('[data-fact="total-runs"]')).toHaveText("1");
  await expect(a.getByText("1 deleted run")).toBeVisible();
  await a.getByRole("button", { name: "Undelete all runs" }).click();
  await expect(a.locator('[data-fact="total-runs"]')).toHaveText("2");
  await expect(a.getByRole("button", { name: "Undelete all runs" })).toHaveCount(0);

  // Rename: the page moves, and the old link redirects.
  const renamed = `${project} v2`;
  await a.getByLabel("Name", { exact: true }).fill(renamed);
  await a.getByRole("button", { name: "Rename" }).click();
  await expect(a.getByRole("heading", { level: 1 })).toHaveText(renamed);
  await b.goto(overviewUrl);
  await expect(b.getByRole("heading", { level: 1 })).toHaveText(renamed);
  expect(decodeURIComponent(b.url())).toContain(`/${team}/${renamed}/overview`);

  // Bob is a plain member: no settings for him.
  await expect(b.getByRole("heading", { name: "Settings" })).toHaveCount(0);

  // Revoked keys stop working.
  await a.goto("/settings");
  await waitForHydration(a);
  await a.getByRole("button", { name: "Revoke laptop" }).click();
  await expect(a.locator('tr[data-key="laptop"]')).toContainText("revoked");
  expect((await request.get("/api/v1/viewer", { headers: asAlice })).status()).toBe(401);

  // Delete the project: the button waits for the typed name.
  await a.goto(`/${team}/${encodeURIComponent(renamed)}/overview`);
  await waitForHydration(a);
  await a.getByText("Delete this project").click();
  const del = a.getByRole("button", { name: "Delete project" });
  await expect(del).toBeDisabled();
  await a.getByLabel(`Type ${renamed} to confirm`).fill(renamed);
  await del.click();
  await expect(a).toHaveURL(/\/$/);
  await expect(a.getByRole("link", { name: renamed })).toHaveCount(0);
  expect((await b.goto(`/${team}/${encodeURIComponent(renamed)}/overview`))?.status()).toBe(404);

  noErrorsA();
  expect(bErrors).toEqual([]);
});

test("sign-up refuses bad names and short passwords with readable errors", async ({ page }) => {
  await page.goto("/signup");
  await waitForHydration(page);
  await page.getByLabel("Username").fill("settings");
  await page.getByLabel("Password (at least 8 characters)").fill("long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toContainText("reserved");
});

test("settings: password change, the sign-up switch, team roles and restoring a deleted project", async ({ browser }, info) => {
  test.setTimeout(120_000);
  const tag = Date.now().toString(36);
  const carol = `carol-${tag}`;
  const dave = `dave-${tag}`;
  const crew = `crew-${tag}`;
  const c = await newPage(browser);
  const noErrors = watchConsole(c);
  await signUp(c, carol);

  // Change the password; the new one signs in, the old one does not.
  await c.goto("/settings");
  await waitForHydration(c);
  await c.getByLabel("Current password").fill(password);
  await c.getByLabel("New password (at least 8 characters)").fill("a whole new phrase");
  await c.getByLabel("New password again").fill("a whole new phrase");
  await c.getByRole("button", { name: "Change password" }).click();
  await expect(c.getByRole("status")).toContainText("Password changed");

  // A team with a second member whose role Carol changes to viewer.
  const d = await newPage(browser);
  await signUp(d, dave);
  await c.getByLabel("Team name").fill(crew);
  await c.getByRole("button", { name: "Create team" }).click();
  await expect(c).toHaveURL(new RegExp(`/${crew}\\?tab=members$`));
  await waitForHydration(c);
  await c.getByLabel("Username").fill(dave);
  await c.getByRole("button", { name: "Add to team" }).click();
  const daveRow = c.locator(`tr[data-member="${dave}"]`);
  await expect(daveRow).toContainText(dave);
  // The change is saved by a request of its own: wait for its answer before reading
  // the page again (a reload while it is under way could cancel it).
  const roleSaved = c.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/api/"));
  await daveRow.getByRole("combobox", { name: `Role of ${dave}` }).selectOption("viewer");
  await roleSaved;
  await expect
    .poll(async () => {
      await c.reload();
      await waitForHydration(c);
      return c.locator(`tr[data-member="${dave}"]`).getByRole("combobox").inputValue();
    })
    .toBe("viewer");
  await c.screenshot({ path: info.outputPath("team-members.png"), fullPage: true });

  // A team project: Dave, a viewer, reads it but gets no editing controls.
  await c.goto(`/${crew}`);
  await waitForHydration(c);
  await c.getByText("New project").click();
  await c.getByLabel("Project name").fill("shared");
  await c.getByRole("button", { name: "Create project" }).click();
  await expect(c.locator('[data-fact="visibility"]')).toHaveText("team");
  await d.goto(`/${crew}/shared/overview`);
  await waitForHydration(d);
  await expect(d.getByRole("heading", { level: 1 })).toHaveText("shared");
  await expect(d.getByRole("button", { name: "Edit description" })).toHaveCount(0);
  await expect(d.getByRole("heading", { name: "Settings" })).toHaveCount(0);

  // Carol deletes it; the site admin restores it from Settings.
  await c.goto(`/${crew}/shared/overview`);
  await waitForHydration(c);
  await c.getByText("Delete this project").click();
  await c.getByLabel("Type shared to confirm").fill("shared");
  await c.getByRole("button", { name: "Delete project" }).click();
  await expect(c).toHaveURL(/\/$/);

  const admin = await newPage(browser);
  await signIn(admin);
  await admin.goto("/settings");
  await waitForHydration(admin);
  const gone = admin.getByRole("table", { name: "Deleted projects" });
  await gone.getByRole("button", { name: `Restore ${crew}/shared` }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Restored" }).or(gone.getByRole("button", { name: `Restore ${crew}/shared` })).first()).toBeVisible();
  await expect(gone.getByRole("button", { name: `Restore ${crew}/shared` })).toHaveCount(0);
  expect((await d.goto(`/${crew}/shared/overview`))?.status()).toBe(200);

  // The sign-up switch: off shows a message on /signup, on brings the form back.
  await admin.getByRole("button", { name: "Turn sign-up off" }).click();
  await expect(admin.getByRole("button", { name: "Turn sign-up on" })).toBeVisible();
  await admin.screenshot({ path: info.outputPath("settings-admin.png"), fullPage: true });
  const visitor = await newPage(browser);
  await visitor.goto("/signup");
  await expect(visitor.getByRole("status")).toContainText("Sign-up is turned off");
  await admin.getByRole("button", { name: "Turn sign-up on" }).click();
  await expect(admin.getByRole("button", { name: "Turn sign-up off" })).toBeVisible();
  await visitor.goto("/signup");
  await expect(visitor.getByRole("button", { name: "Create account" })).toBeVisible();

  // The new password works after signing out. (The wrong password's 401 shows in the
  // console, so the console was checked before.)
  noErrors();
  await c.getByRole("button", { name: "Sign out" }).click();
  await c.goto("/login");
  await waitForHydration(c);
  await c.getByLabel("Username").fill(carol);
  await c.getByLabel("Password").fill(password);
  await c.getByRole("button", { name: "Sign in" }).click();
  await expect(c.getByRole("alert")).toContainText("wrong username or password");
  await c.getByLabel("Password").fill("a whole new phrase");
  await c.getByRole("button", { name: "Sign in" }).click();
  await expect(c.getByRole("button", { name: "Sign out" })).toBeVisible();
});
