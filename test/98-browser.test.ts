/**
 * The browser entry in a real browser: src/browser.ts (what `weightdyn/browser` resolves to) bundled by esbuild for
 * the browser platform, where any Node built-in in its module graph fails the build, then run in Debian's Chromium
 * (headless, driven by puppeteer-core; nothing downloads a browser). The page loads the .wasm from its default URL
 * and runs test/support/browser-cases.ts; the same cases run here on the Node WASM backend, and the results must be
 * equal bit for bit: Henon exponents (generic-map API) and a small network's exponents, FTLEs, losses and weights.
 * Without a chromium binary the suite is skipped with the reason.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { type CaseBits, type NetworkInput, runCases } from "./support/browser-cases.js";
import { chromiumBinary, launchChromium } from "./support/chromium.js";
import { repoRoot } from "./support/cli.js";
import { sineNetwork141 } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

const chromium = chromiumBinary();

/** The network case: the 1-4-1 tanh fixture, full spectrum, 600 steps. */
function networkInput(): NetworkInput {
  const { shape, X, Y, w0 } = sineNetwork141();
  return { shape, X: [...X], Y: [...Y], w0: [...w0], learningRate: 0.3, steps: 600, ftleWindow: 100 };
}

/** An ES module bundle of entry for the browser platform, in memory (esbuild fails on any Node built-in). */
function bundleForBrowser(entry: string) {
  return build({
    entryPoints: [join(repoRoot, entry)],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
}

describe("browser bundle (esbuild, platform browser)", () => {
  it("bundles src/browser.ts with no Node built-in in its module graph", async () => {
    const result = await bundleForBrowser("src/browser.ts");
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain("src/backend/wasm.ts");
    expect(inputs.filter((p) => p.startsWith("node:") || !/^(src|node_modules)\//.test(p))).toEqual([]);
    for (const [, out] of Object.entries(result.metafile.outputs)) {
      expect(out.imports.filter((i) => i.external)).toEqual([]);
    }
  });
});

if (!chromium) {
  describe.skip("in Chromium [no chromium binary on PATH: install Debian's chromium (.ci/run does)]", () => {});
} else {
  describe("in Chromium (headless), against the Node WASM backend", () => {
    const dir = mkdtempSync(join(tmpdir(), "weightdyn-98-"));
    const input = networkInput();
    let server: Server;
    let outcome: { ok: boolean; bits?: CaseBits; henon?: number[]; error?: string };
    const pageErrors: string[] = [];

    beforeAll(async () => {
      const bundle = await bundleForBrowser("test/support/browser-page.ts");
      const files: Record<string, { body: Uint8Array | string; type: string }> = {
        "/": { body: '<!doctype html><script type="module" src="/dist/page.js"></script>', type: "text/html" },
        "/dist/page.js": { body: bundle.outputFiles[0].contents, type: "text/javascript" },
        // The default URL of the browser entry: ../build-wasm/weightdyn.wasm next to dist/.
        "/build-wasm/weightdyn.wasm": {
          body: readFileSync(join(repoRoot, "build-wasm/weightdyn.wasm")),
          type: "application/wasm",
        },
        "/input.json": { body: JSON.stringify(input), type: "application/json" },
        "/favicon.ico": { body: "", type: "image/x-icon" },
      };
      server = createServer((req, res) => {
        const file = files[new URL(req.url ?? "/", "http://localhost").pathname];
        res.writeHead(file ? 200 : 404, { "content-type": file?.type ?? "text/plain" });
        res.end(file?.body ?? "not found");
      });
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
      const { port } = server.address() as AddressInfo;
      const browser = await launchChromium(chromium, dir);
      try {
        const page = await browser.newPage();
        page.on("pageerror", (err) => pageErrors.push(String(err)));
        page.on("console", (msg) => {
          if (msg.type() === "error") pageErrors.push(msg.text());
        });
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForFunction("globalThis.__weightdyn !== undefined", { timeout: 240_000 });
        outcome = (await page.evaluate("globalThis.__weightdyn")) as typeof outcome;
      } finally {
        await browser.close();
      }
    }, 300_000);

    afterAll(() => {
      server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("the page ran the cases without an error", () => {
      expect(pageErrors).toEqual([]);
      expect(outcome.error).toBeUndefined();
      expect(outcome.ok).toBe(true);
    });

    it("Henon exponents: the published 0.41922 and -1.62319 within the chaotic-map tolerance", () => {
      const [l1, l2] = outcome.henon ?? [];
      expect(Math.abs(l1 - 0.41922)).toBeLessThan(TOL.chaoticMaps);
      expect(Math.abs(l2 + 1.62319)).toBeLessThan(TOL.chaoticMaps);
    });

    it("Henon exponents and the network's spectrum, FTLEs, losses and weights equal Node's WASM backend bit for bit", () => {
      const node = runCases(createWasmBackend(compileWasmModule()), input).bits;
      expect(Object.keys(node).length).toBe(5);
      expect(outcome.bits).toEqual(node);
    });
  });
}
