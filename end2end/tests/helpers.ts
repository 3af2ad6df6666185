import { expect, Page, APIRequestContext } from "@playwright/test";

export const ADMIN_PASSWORD = process.env.CAIRN_ADMIN_PASSWORD ?? "";
export const API_KEY = process.env.CAIRN_ADMIN_API_KEY ?? "";

/** Collect console errors and page errors; assert none at the end of a test. */
export function watchConsole(page: Page): () => void {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  return () => expect(problems, problems.join("\n")).toEqual([]);
}

/** Wait until the WASM app has hydrated the page (it marks <body> when it has). */
export async function waitForHydration(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
}

export async function signIn(page: Page) {
  expect(ADMIN_PASSWORD, "CAIRN_ADMIN_PASSWORD must be set for the e2e server").not.toBe("");
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

/** Call /api/v1 as the admin and return the JSON answer, failing on a non-2xx. */
export async function api(request: APIRequestContext, method: "GET" | "POST" | "PATCH", path: string, body?: unknown) {
  const res = await request.fetch(`/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
    data: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.ok(), `${method} ${path} → ${res.status()}: ${text}`).toBeTruthy();
  return JSON.parse(text);
}

/** How many strongly coloured pixels the canvas holds: lines are drawn in colour, while
 * the background, grid and text are shades of grey, so 0 means no line was drawn. */
export async function coloredPixels(page: Page, selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((el) => {
    const canvas = el as HTMLCanvasElement;
    const ctx = canvas.getContext("2d");
    if (!ctx) return 0;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
    }
    return n;
  });
}

/** The colours a run gets from its id when nobody chose one (charts::palette::RUN_PALETTE). */
const RUN_PALETTE: [number, number, number][] = [
  [0x1f, 0x77, 0xb4], [0xe4, 0x57, 0x1a], [0x2c, 0xa0, 0x2c], [0xd6, 0x27, 0x28], [0x94, 0x67, 0xbd],
  [0x8c, 0x56, 0x4b], [0xe3, 0x77, 0xc2], [0x00, 0x80, 0x80], [0xbc, 0xbd, 0x22], [0x17, 0xbe, 0xcf],
  [0x39, 0x5f, 0xd8], [0xf5, 0x9e, 0x0b], [0x65, 0xa3, 0x0d], [0xbe, 0x18, 0x5d], [0x7c, 0x3a, 0xed],
  [0xb4, 0x53, 0x09], [0xdb, 0x27, 0x77], [0x0d, 0x94, 0x88], [0x84, 0xcc, 0x16], [0x06, 0x96, 0xd4],
];

/** A run's colour from its id: FNV-1a (64-bit) of the id's bytes, modulo the palette. */
export function runColor(id: string): [number, number, number] {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(id)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return RUN_PALETTE[Number(h % BigInt(RUN_PALETTE.length))];
}

/** `#rrggbb` of a colour. */
export function hex([r, g, b]: [number, number, number]): string {
  return "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
}

/** The environment for the official wandb client logging to the e2e server as admin, with every
 * file it reads or writes in `dir`, so no user setting or netrc counts. */
export function wandbEnv(dir: string, baseURL: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: dir,
    WANDB_BASE_URL: baseURL,
    WANDB_API_KEY: API_KEY,
    WB_ENTITY: "admin",
    WANDB_MODE: "online",
    WANDB_SILENT: "true",
    WANDB_DIR: dir,
    WANDB_CACHE_DIR: `${dir}/cache`,
    WANDB_CONFIG_DIR: `${dir}/config`,
    WANDB_DATA_DIR: `${dir}/data`,
  };
}
