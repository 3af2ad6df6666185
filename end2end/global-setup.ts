// cargo leptos end-to-end starts the server right before Playwright, without
// waiting for it to listen: poll until it answers (the first start also logs the demo).
export default async function globalSetup() {
  const url = process.env.BASE_URL ?? "http://127.0.0.1:3000";
  const deadline = Date.now() + 180_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = res.status;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server at ${url} did not come up: ${last}`);
}
