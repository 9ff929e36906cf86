/**
 * The browser playground (playground/, issue 14) in Debian's Chromium, against the command line and the library:
 *
 * - it builds (esbuild, platform browser: a Node built-in anywhere in the page's or the worker's module graph fails
 *   the build) and loads with no console error;
 * - a run finishes, and the exponents it shows and the files it offers equal those of `weightdyn run --backend wasm`
 *   on the config it offers (config.json, and data.csv for pasted data): loss.csv, ftle.csv and clv-angles.csv byte for
 *   byte, summary.json equal but for the timings (and, with CLVs, the memory plan of collecting against streaming
 *   them and the files' names); one run with several hidden layers, momentum, minibatches and CLVs, one on pasted CSV;
 * - bad input in a control shows the schema's message (exactly parseRunConfig's in Node) at the control and starts
 *   nothing;
 * - the page stays responsive while the worker trains: a real click (CDP input) on a tab is handled within a bound
 *   while the run is still going, and no task on the page's thread is long;
 * - the ensemble mode's runs equal computeRunRecord's (what `weightdyn ensemble` workers call) on Node's WASM backend:
 *   seeds, final losses and early FTLEs, bit for bit.
 * Without a chromium binary the suite is skipped with the reason, and in .ci/run's second (compiler-less) pass, which
 * is about the install, not the page.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlayground, servePlayground } from "../scripts/playground.mjs";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import type { ConfigError } from "../src/config/errors.js";
import { parseRunConfig } from "../src/config/validate.js";
import { computeRunRecord } from "../src/ensemble/record.js";
import { runSeed, seededConfig } from "../src/ensemble/seeds.js";
import { parseNumericCsv } from "../src/io/csv.js";
import { chromiumBinary, launchChromium } from "./support/chromium.js";
import { repoRoot } from "./support/cli.js";
import { TOL } from "./support/tolerances.js";

const chromium = chromiumBinary();

/** Several hidden layers and activations, momentum on minibatches, 6 of S = 54 exponents, CLV angles. */
const DEEP = {
  network: { inputs: 1, hidden: [4, 3], outputs: 1, activation: ["tanh", "sigmoid"] },
  data: { function: "polynomial", samples: 24, range: [-1, 1] },
  init: { distribution: "uniform", scale: 0.8, seed: 5 },
  training: { learningRate: 0.2, steps: 800, optimizer: { name: "momentum", beta: 0.8 }, batchSize: 8, batchSeed: 3 },
  lyapunov: { exponents: 6, ftleWindow: 50, clv: { every: 10, backwardTransient: 200 } },
};

/** Two inputs and two outputs on pasted data (a fixed table; the page names it "the pasted data.csv"). */
const PASTED_CSV = [
  "x1,x2,y1,y2",
  ...Array.from({ length: 18 }, (_, s) => {
    const a = -1 + (2 * (s % 6)) / 5;
    const b = -1 + (2 * Math.floor(s / 6)) / 2;
    return `${a},${b},${(a * b).toFixed(3)},${(a - b / 2).toFixed(3)}`;
  }),
].join("\n");
const CSV = {
  network: { inputs: 2, hidden: 5, outputs: 2, activation: "elu", outputActivation: "identity" },
  data: { csv: "data.csv" },
  init: { distribution: "uniform", scale: 0.5, seed: 11 },
  training: { learningRate: 0.1, steps: 600, optimizer: "adam" },
  lyapunov: { exponents: "all", ftleWindow: 100, qrEvery: 2 },
};

/** A tiny setting for the ensemble (12 runs of 300 steps). */
const ENSEMBLE = {
  network: { inputs: 1, hidden: 2, outputs: 1, activation: "tanh" },
  data: { function: "abs", samples: 20, range: [-1, 1] },
  init: { distribution: "uniform", scale: 0.5 },
  training: { learningRate: 0.5, steps: 300 },
  lyapunov: { ftleWindow: 50 },
};

/** A long run for the responsiveness check (stopped once measured). */
const LONG = { network: { hidden: 16 }, training: { steps: 1_000_000 }, lyapunov: { ftleWindow: 100 } };

function hashOf(config: unknown, extra: Record<string, string> = {}): string {
  return `#${new URLSearchParams({ config: JSON.stringify(config), ...extra }).toString()}`;
}

/** `weightdyn run --config config.json --out out --backend wasm` in dir, from the sources; the files it wrote. */
function cliRun(dir: string): Record<string, string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["WEIGHTDYN_DEBUG", "WEIGHTDYN_BACKEND", "WEIGHTDYN_PROGRESS"]) delete env[name];
  const out = join(dir, "out");
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(repoRoot, "src/cli/main.ts"),
      "run",
      "--config",
      join(dir, "config.json"),
      "--out",
      out,
      "--backend",
      "wasm",
      "--quiet",
    ],
    { cwd: repoRoot, env, encoding: "utf8", timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`weightdyn run failed (${r.status}): ${r.stderr}`);
  const files: Record<string, string> = {};
  for (const name of ["summary.json", "loss.csv", "ftle.csv", "clv-angles.csv"]) {
    try {
      files[name] = readFileSync(join(out, name), "utf8");
    } catch {
      // clv-angles.csv only with CLVs
    }
  }
  return files;
}

/** summary.json without what may differ between two runs of one config: timings, and the CLV memory plan and
 *  file names (the page collects the CLVs in memory; the command line streams them to files). */
function comparable(summaryText: string): Record<string, unknown> {
  const s = JSON.parse(summaryText) as Record<string, unknown>;
  delete s.wallTimeSeconds;
  const clv = s.clv as Record<string, unknown> | undefined;
  if (clv) {
    for (const key of ["backwardSeconds", "memory", "files"]) delete clv[key];
  }
  return s;
}

if (process.env.WEIGHTDYN_SKIP_PACKAGE_TESTS === "1") {
  describe.skip("playground in Chromium [WEIGHTDYN_SKIP_PACKAGE_TESTS=1: .ci/run's second, compiler-less pass; the first ran it]", () => {});
} else if (!chromium) {
  describe.skip("playground in Chromium [no chromium binary on PATH: install Debian's chromium (.ci/run does)]", () => {});
} else {
  describe("playground (playground/) in Chromium, against weightdyn run --backend wasm", () => {
    const dir = mkdtempSync(join(tmpdir(), "weightdyn-88-"));
    const site = join(dir, "site");
    let sizes: Record<string, number>;
    let server: Server;
    let browser: Browser;
    let page: Page;
    let base: string;
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      sizes = await buildPlayground(site);
      server = await servePlayground(site);
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      browser = await launchChromium(chromium, dir);
      page = await browser.newPage();
      await page.setViewport({ width: 1300, height: 900 });
      page.on("pageerror", (err) => consoleErrors.push(String(err)));
      page.on("console", (msg) => {
        if (msg.type() === "error" || msg.type() === "warn") consoleErrors.push(`${msg.type()}: ${msg.text()}`);
      });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Opens the page with a hash and waits until the worker has compiled the kernels. */
    async function open(hash: string): Promise<void> {
      // A fresh page each time (a new hash alone would not reload it).
      await page.goto("about:blank");
      await page.goto(`${base}${hash}`);
      await page.waitForFunction(() => document.body.dataset.state === "ready", { timeout: 30_000 });
    }

    /** Clicks Run and waits for the end of the run; the exponents shown and the files offered. */
    async function runInPage(): Promise<{ shown: number[]; files: Record<string, string> }> {
      await page.click("#run");
      await page.waitForFunction(() => document.body.dataset.run === "done", { timeout: 60_000 });
      const shown = await page.$$eval("#exponents td", (tds) =>
        tds.map((td) => Number((td as HTMLElement).dataset.value)),
      );
      const files = await page.$$eval("#downloads a", async (links) => {
        const out: Record<string, string> = {};
        for (const a of links as HTMLAnchorElement[]) out[a.download] = await (await fetch(a.href)).text();
        return out;
      });
      return { shown, files };
    }

    it("builds for the browser (no Node built-in) and loads with no console error", async () => {
      expect(sizes["main.js"]).toBeGreaterThan(0);
      expect(sizes["worker.js"]).toBeGreaterThan(0);
      await open("");
      expect(await page.$eval("#status", (el) => el.textContent)).toBe("ready");
      expect(consoleErrors).toEqual([]);
    });

    for (const [name, config, csv] of [
      ["two hidden layers, momentum on minibatches, CLV angles", DEEP, null],
      ["pasted CSV, two inputs and outputs, Adam, QR every 2", CSV, PASTED_CSV],
    ] as const) {
      it(`${name}: the exponents shown and the files equal weightdyn run --backend wasm's`, async () => {
        await open(hashOf(config, csv ? { csv } : {}));
        const { shown, files } = await runInPage();
        const sub = join(dir, `cli-${name.split(",")[0].replace(/\W+/g, "-")}`);
        mkdirSync(sub, { recursive: true });
        // The page's own config.json (and data.csv): what a reader of the page would run.
        writeFileSync(join(sub, "config.json"), files["config.json"]);
        if (csv) writeFileSync(join(sub, "data.csv"), files["data.csv"]);
        const cli = cliRun(sub);
        expect(files["loss.csv"]).toBe(cli["loss.csv"]);
        expect(files["ftle.csv"]).toBe(cli["ftle.csv"]);
        const summary = JSON.parse(cli["summary.json"]) as { exponents: number[]; backend: string };
        expect(summary.backend).toBe("wasm");
        expect(comparable(files["summary.json"])).toEqual(comparable(cli["summary.json"]));
        expect(shown).toEqual(summary.exponents);
        expect(shown.length).toBe(config === DEEP ? 6 : 3 * (5 * 3 + 2 * 6));
        if (config === DEEP) {
          // The CLVs are the same numbers; their angles are Math.atan2 of the same arguments, and the JavaScript
          // engines of the page and of Node differ in atan2's last bits: equal to a few ulps, not byte for byte.
          const page = parseNumericCsv(files["clv-angles.csv"], "page clv-angles.csv");
          const node = parseNumericCsv(cli["clv-angles.csv"], "cli clv-angles.csv");
          expect(page.header).toEqual(node.header);
          // Output times 0, 10, ..., to = steps - backwardTransient = 600.
          expect(page.rows).toBe(1 + 600 / 10);
          expect(page.rows).toBe(node.rows);
          for (let q = 0; q < node.values.length; q++) {
            if (q % node.cols === 0) expect(page.values[q]).toBe(node.values[q]);
            else
              expect(Math.abs(page.values[q] - node.values[q])).toBeLessThanOrEqual(
                TOL.jsMathUlps * Math.abs(node.values[q]),
              );
          }
        }
        expect(consoleErrors).toEqual([]);
      }, 120_000);
    }

    it("bad input shows the schema's message at the control (parseRunConfig's, word for word) and starts nothing", async () => {
      await open(hashOf(DEEP));
      const before = await page.$eval("#status", (el) => el.textContent);
      for (const [path, text, raw] of [
        ["training.learningRate", "-0.1", { ...DEEP, training: { ...DEEP.training, learningRate: -0.1 } }],
        ["network.hidden", "4, 0", { ...DEEP, network: { ...DEEP.network, hidden: [4, 0] } }],
      ] as const) {
        const selector = `[data-path="${path}"]`;
        await page.click(selector, { count: 3 });
        await page.type(selector, text);
        await page.click("#run");
        const shown = await page.$eval("#errors", (el) => ({
          hidden: (el as HTMLElement).hidden,
          text: el.textContent,
        }));
        let expected = "";
        try {
          parseRunConfig(raw);
        } catch (err) {
          expected = (err as ConfigError).message;
        }
        expect(expected).toMatch(/^Invalid config: /);
        expect(shown).toEqual({ hidden: false, text: expected });
        expect(await page.$eval(selector, (el) => el.getAttribute("aria-invalid"))).toBe("true");
        expect(await page.$eval(".field-error", (el) => el.textContent)).toBe(expected.split("\n")[0]);
        // Nothing started: the page is idle, the status unchanged, no chart drawn, no download offered.
        expect(await page.evaluate(() => document.body.dataset.state)).toBe("ready");
        expect(await page.$eval("#status", (el) => el.textContent)).toBe(before);
        expect(await page.$$eval('.chart[data-empty="false"]', (els) => els.length)).toBe(0);
        expect(await page.$$eval("#downloads a", (els) => els.length)).toBe(0);
        // Put the valid value back for the next case.
        await page.click(selector, { count: 3 });
        await page.type(selector, path === "network.hidden" ? "4, 3" : "0.2");
      }
      expect(consoleErrors).toEqual([]);
    }, 60_000);

    it("stays responsive during a run: a click is handled within 150 ms while the worker trains, no long task", async () => {
      await open(hashOf(LONG));
      await page.evaluate(() => {
        const w = globalThis as unknown as { __longest: number };
        w.__longest = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) w.__longest = Math.max(w.__longest, e.duration);
        }).observe({ type: "longtask", buffered: false });
      });
      await page.click("#run");
      // Let the run draw a few chunks first.
      await page.waitForFunction(
        () => /^step \d+ of 1000000$/.test(document.querySelector("#status")?.textContent ?? ""),
        {
          timeout: 30_000,
        },
      );
      await new Promise((ok) => setTimeout(ok, 1500));
      const delays: number[] = [];
      for (const tab of ["#tab-ensemble", "#tab-run", "#tab-ensemble", "#tab-run"]) {
        await page.evaluate((sel) => {
          const w = globalThis as unknown as { __delay?: number };
          delete w.__delay;
          // event.timeStamp is when the input reached the page; the handler runs once the page's thread is free.
          document.querySelector(sel)?.addEventListener(
            "click",
            (e) => {
              w.__delay = performance.now() - e.timeStamp;
            },
            { once: true },
          );
        }, tab);
        await page.click(tab);
        delays.push((await page.evaluate(() => (globalThis as unknown as { __delay: number }).__delay)) as number);
        await new Promise((ok) => setTimeout(ok, 200));
      }
      const state = await page.evaluate(() => ({
        state: document.body.dataset.state,
        view: document.body.dataset.view,
        status: document.querySelector("#status")?.textContent ?? "",
        longest: (globalThis as unknown as { __longest: number }).__longest,
      }));
      // Still training, and the last tab switch took effect.
      expect(state.state).toBe("running");
      expect(state.view).toBe("run");
      expect(Number(/^step (\d+) of/.exec(state.status)?.[1])).toBeLessThan(1_000_000);
      for (const d of delays) expect(d).toBeLessThan(150);
      expect(state.longest).toBeLessThan(200);
      await page.click("#stop");
      await page.waitForFunction(() => document.body.dataset.state === "ready", { timeout: 30_000 });
      expect(consoleErrors).toEqual([]);
    }, 90_000);

    it("the ensemble's runs equal computeRunRecord's on Node's WASM backend: seeds, final losses, early FTLEs", async () => {
      const runs = 12;
      const seed = 4;
      const early = 50;
      await open(hashOf(ENSEMBLE, { runs: String(runs), seed: String(seed), early: String(early) }));
      await page.click("#ensemble");
      await page.waitForFunction(() => document.body.dataset.ensemble === "done", { timeout: 60_000 });
      const csv = await page.$eval('#ensemble-downloads a[data-file="ensemble.csv"]', async (a) =>
        (await fetch((a as HTMLAnchorElement).href)).text(),
      );
      const table = parseNumericCsv(csv, "ensemble.csv");
      expect(table.rows).toBe(runs);
      const backend = createWasmBackend(compileWasmModule());
      const config = parseRunConfig(ENSEMBLE);
      for (let i = 0; i < runs; i++) {
        const row = Array.from(table.values.subarray(i * table.cols, (i + 1) * table.cols));
        const s = runSeed(seed, i);
        const record = computeRunRecord(
          {
            studyId: "page",
            index: i,
            gridPoint: 0,
            draw: i,
            params: {},
            seed: s,
            config: seededConfig(config, s),
            baseDir: repoRoot,
            early: [early],
            lossCheckpoints: [],
          },
          backend,
        );
        const ftle = record.early[0].ftle as number[];
        expect(row).toEqual([i, s, record.diverged ? 1 : 0, record.finalLoss, record.early[0].max, ...ftle]);
      }
      expect(await page.$eval("#ensemble-caption", (el) => el.textContent)).toMatch(new RegExp(`^${runs} runs: `));
      expect(consoleErrors).toEqual([]);
    }, 90_000);
  });
}
