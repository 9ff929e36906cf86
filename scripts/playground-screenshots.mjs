#!/usr/bin/env node
/**
 * The screenshots of the playground in the README (docs/playground/run.png, docs/playground/ensemble.png): builds the
 * playground, serves it on a loopback port, and drives Debian's Chromium (puppeteer-core) through one run with CLV
 * angles and an ensemble of 50 runs of the default study's setting (a 1-2-1 tanh network on |x|, learning rate 0.5).
 *
 *   node scripts/playground-screenshots.mjs [--out docs/playground] [--chromium /usr/bin/chromium]
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { buildPlayground, servePlayground } from "./playground.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const out = resolve(flag("--out", join(root, "docs/playground")));

const config = {
  network: { inputs: 1, hidden: 2, outputs: 1, activation: "tanh" },
  data: { function: "abs", samples: 40, range: [-1, 1] },
  init: { distribution: "uniform", scale: 0.5, seed: 3 },
  training: { learningRate: 0.5, steps: 5000 },
  lyapunov: { exponents: "all", ftleWindow: 100, clv: { every: 10, backwardTransient: 1000 } },
};
const hash = `#${new URLSearchParams({ config: JSON.stringify(config), runs: "50", seed: "1", early: "200" })}`;

const tmp = mkdtempSync(join(tmpdir(), "weightdyn-shots-"));
const site = join(tmp, "site");
await buildPlayground(site);
const server = await servePlayground(site);
const browser = await puppeteer.launch({
  executablePath: flag("--chromium", "/usr/bin/chromium"),
  headless: false,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${join(tmp, "profile")}`],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1360, height: 900 });
  page.on("pageerror", (err) => process.stderr.write(`page error: ${err}\n`));
  await page.goto(`http://127.0.0.1:${server.address().port}/${hash}`);
  await page.waitForFunction(() => document.body.dataset.state === "ready", { timeout: 30_000 });
  mkdirSync(out, { recursive: true });
  await page.click("#run");
  await page.waitForFunction(() => document.body.dataset.run === "done", { timeout: 120_000 });
  await page.screenshot({ path: join(out, "run.png"), fullPage: true });
  await page.click("#ensemble");
  await page.waitForFunction(() => document.body.dataset.ensemble === "done", { timeout: 300_000 });
  await page.screenshot({ path: join(out, "ensemble.png"), fullPage: true });
  process.stdout.write(`screenshots: ${join(out, "run.png")}, ${join(out, "ensemble.png")}\n`);
} finally {
  await browser.close();
  server.close();
  rmSync(tmp, { recursive: true, force: true });
}
