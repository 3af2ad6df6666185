// Shared by the browser benchmarks: headless Chromium signed in as the user the
// `cairn bench` seeders create (bench / bench-password).
import { chromium } from "playwright-core";

export async function signedInPage(base, viewport) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const page = await browser.newPage({ viewport });
  await page.goto(`${base}/login`);
  await page.waitForSelector("body[data-hydrated]", { state: "attached" });
  await page.getByLabel("Username").fill("bench");
  await page.getByLabel("Password").fill("bench-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  return { browser, page };
}
