/**
 * The package as a user gets it: `npm pack` (prepack builds the .wasm and dist/), then the tarball installed into three
 * fresh projects side by side: a plain one; one with typescript and assemblyscript installed and the npm config
 * weightdyn_portable set; one without a C++ compiler (CXX=/nonexistent CC=/nonexistent). In each: every public entry
 * point imports from ESM and CommonJS; the README's Library example, compiled with strict TypeScript (ESM and
 * CommonJS), runs and gives the published Henon exponents and the repository's own numbers (bit for bit on the WASM
 * backend, where consumer and repository run the same kernels); `weightdyn doctor` reports what was built. Then the
 * tarball's file list: no build leftovers, no maps without sources, no script that imports ../src, everything the
 * README and the exports point to. Slow (one pack, three installs, two native builds): the durations are printed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWasmBackend } from "../src/backend/wasm.js";
import { parseRunConfig } from "../src/config/validate.js";
import { OPTIONAL_FEATURES } from "../src/optional-deps.js";
import { trainRun } from "../src/run.js";
import { availableBackendList } from "./support/backends.js";
import { repoRoot } from "./support/cli.js";
import {
  cleanEnv,
  diskKiB,
  installConsumer,
  type Packed,
  packageCount,
  packTarball,
  type RunResult,
  run,
} from "./support/package-consumer.js";
import { writeFixture } from "./support/predict-fixture.js";
import { TOL } from "./support/tolerances.js";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const skip = process.env.WEIGHTDYN_SKIP_PACKAGE_TESTS === "1";
/** Per test: child processes of a loaded machine (the example trains 2000 steps and 10^5 Henon steps). */
const SLOW = { timeout: 180_000 };

/** The README's fenced ts blocks that import `from "<module>"`, in order. */
function readmeBlocks(module: string): string[] {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes(`from "${module}"`));
}

/** The Library example plus one line that prints what the test checks (names of the example: run, res). */
const EXAMPLE = `${readmeBlocks("weightdyn")[0]}
console.log("RESULT " + JSON.stringify({ finalLoss: run.finalLoss, exponents: Array.from(run.spectrum.exponents), henon: Array.from(res.exponents) }));
`;
/** The import of every public entry point, and what each module exports, from ESM and from CommonJS. */
const ENTRIES = ["weightdyn", "weightdyn/predict", "weightdyn/browser"];
const IMPORT_ESM = `${ENTRIES.map((e, i) => `import * as m${i} from "${e}";`).join("\n")}
console.log(JSON.stringify({ keys: [${ENTRIES.map((_, i) => `Object.keys(m${i}).sort()`).join(", ")}], wasm: import.meta.resolve("weightdyn/weightdyn.wasm") }));
`;
const IMPORT_CJS = `console.log(JSON.stringify({ keys: [${ENTRIES.map((e) => `Object.keys(require("${e}")).sort()`).join(", ")}], version: require("weightdyn/package.json").version }));
`;
const TSCONFIG = {
  compilerOptions: { strict: true, module: "nodenext", target: "es2022", types: ["node"], skipLibCheck: false },
  files: ["example.mts", "example.cts"],
};
const TSCONFIG_BROWSER = {
  compilerOptions: {
    strict: true,
    module: "esnext",
    moduleResolution: "bundler",
    target: "es2022",
    lib: ["es2022", "dom"],
    types: [],
    noEmit: true,
    skipLibCheck: false,
  },
  files: ["browser-example.ts"],
};

interface Result {
  finalLoss: number;
  exponents: number[];
  henon: number[];
}

function parseResult(r: RunResult): Result {
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (r.status !== 0 || !line) throw new Error(`the example failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(7)) as Result;
}

const consumers = { plain: "", ts: "", nocxx: "" };
let packed: Packed;
let dir: string;
const node = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, args, { cwd, env: cleanEnv(env) });
const cli = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  node(cwd, [join(cwd, "node_modules", ".bin", "weightdyn"), ...args], env);

if (skip) {
  describe.skip("package [WEIGHTDYN_SKIP_PACKAGE_TESTS=1: .ci/run's second, compiler-less pass; the first ran it]", () => {});
} else {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "weightdyn-97-"));
    const p = await packTarball(repoRoot, dir);
    if (!p) throw new Error("not a git checkout: the package test packs the files git knows");
    packed = p;
    for (const name of Object.keys(consumers) as (keyof typeof consumers)[]) consumers[name] = join(dir, name);
    const dev = pkg.devDependencies as Record<string, string>;
    const installs = await Promise.all([
      installConsumer(consumers.plain, packed.tarball),
      installConsumer(consumers.ts, packed.tarball, {
        args: ["--weightdyn-portable"],
        extra: [
          `typescript@${dev.typescript}`,
          `assemblyscript@${dev.assemblyscript}`,
          `@types/node@${dev["@types/node"]}`,
        ],
      }),
      installConsumer(consumers.nocxx, packed.tarball, { env: { CXX: "/nonexistent", CC: "/nonexistent" } }),
    ]);
    const nm = join(consumers.plain, "node_modules");
    console.log(
      `97: npm pack ${packed.seconds.toFixed(0)} s; installs side by side: plain ${installs[0].seconds.toFixed(0)} s, ` +
        `typescript+assemblyscript ${installs[1].seconds.toFixed(0)} s, no compiler ${installs[2].seconds.toFixed(0)} s; ` +
        `plain node_modules: ${(diskKiB(nm) / 1024).toFixed(1)} MiB, ${packageCount(nm)} top-level packages`,
    );
    // The README example, compiled once with strict TypeScript in the typescript consumer, runs in all three.
    writeFileSync(join(consumers.ts, "example.mts"), EXAMPLE);
    writeFileSync(join(consumers.ts, "example.cts"), EXAMPLE);
    writeFileSync(join(consumers.ts, "tsconfig.json"), JSON.stringify(TSCONFIG));
    writeFileSync(join(consumers.ts, "browser-example.ts"), readmeBlocks("weightdyn/browser")[0]);
    writeFileSync(join(consumers.ts, "tsconfig.browser.json"), JSON.stringify(TSCONFIG_BROWSER));
    const tsc = join(consumers.ts, "node_modules", "typescript", "bin", "tsc");
    for (const project of ["tsconfig.json", "tsconfig.browser.json"]) {
      const res = await node(consumers.ts, [tsc, "-p", project]);
      if (res.status !== 0) throw new Error(`tsc -p ${project} failed:\n${res.stdout}${res.stderr}`);
    }
    for (const c of [consumers.plain, consumers.nocxx]) {
      for (const f of ["example.mjs", "example.cjs"]) writeFileSync(join(c, f), readFileSync(join(consumers.ts, f)));
    }
    for (const c of Object.values(consumers)) {
      writeFileSync(join(c, "imports.mjs"), IMPORT_ESM);
      writeFileSync(join(c, "imports.cjs"), IMPORT_CJS);
    }
  }, 900_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  /** The repository's own run of the example's config, on a backend from this tree or one built from bytes. */
  const repoRun = (backend: Parameters<typeof trainRun>[1]["backend"]) =>
    trainRun(parseRunConfig({ network: { hidden: 10 }, training: { steps: 2000 } }), { backend });

  describe.each(Object.keys(consumers) as (keyof typeof consumers)[])("consumer %s", (name) => {
    it(
      "imports every entry point from ESM and from CommonJS, with the same exports; the .wasm is exported",
      SLOW,
      async () => {
        const esm = await node(consumers[name], ["imports.mjs"]);
        const cjs = await node(consumers[name], ["imports.cjs"]);
        expect(esm.stderr + cjs.stderr).toBe("");
        const e = JSON.parse(esm.stdout) as { keys: string[][]; wasm: string };
        const c = JSON.parse(cjs.stdout) as { keys: string[][]; version: string };
        expect(c.keys).toEqual(e.keys);
        expect(e.keys[0]).toEqual(expect.arrayContaining(["trainRun", "loadBackend", "diagnose", "MapSystem"]));
        expect(e.keys[1]).toEqual(expect.arrayContaining(["predictStudy", "writeReport"]));
        expect(e.keys[2]).toEqual(expect.arrayContaining(["loadWasmBackend", "MapSystem", "NetworkSystem"]));
        expect(e.keys[2]).not.toContain("loadBackend");
        expect(c.version).toBe(pkg.version);
        expect(readFileSync(fileURLToPath(e.wasm))).toEqual(
          readFileSync(join(consumers[name], "node_modules/weightdyn/build-wasm/weightdyn.wasm")),
        );
      },
    );

    it(
      "the README example (strict TypeScript, ESM and CommonJS): published Henon exponents; the repository's numbers",
      SLOW,
      async () => {
        const [esm, cjs] = await Promise.all([
          node(consumers[name], ["example.mjs"]),
          node(consumers[name], ["example.cjs"]),
        ]);
        const a = parseResult(esm);
        expect(parseResult(cjs)).toEqual(a);
        // The CommonJS build of the example is CommonJS: tsc turned its imports into require() calls.
        expect(readFileSync(join(consumers[name], "example.cjs"), "utf8")).toMatch(/require\("weightdyn"\)/);
        expect(Math.abs(a.henon[0] - 0.41922)).toBeLessThan(TOL.chaoticMaps);
        expect(Math.abs(a.henon[1] + 1.62319)).toBeLessThan(TOL.chaoticMaps);
        const doctor = JSON.parse((await cli(consumers[name], ["doctor", "--json"])).stdout);
        const backend = availableBackendList.find((b) => b.name === doctor.auto);
        expect(backend).toBeDefined();
        const repo = repoRun(backend);
        expect(Math.abs(a.finalLoss - repo.finalLoss)).toBeLessThan(TOL.parityLoss * repo.finalLoss);
        expect(a.exponents).toHaveLength(repo.spectrum.exponents.length);
        for (const [i, x] of a.exponents.entries()) {
          expect(Math.abs(x - repo.spectrum.exponents[i])).toBeLessThan(TOL.parityExponents);
        }
      },
    );

    it(
      "on the WASM backend the example's run equals the repository's with the packed kernels, bit for bit",
      SLOW,
      async () => {
        const a = parseResult(await node(consumers[name], ["example.mjs"], { WEIGHTDYN_BACKEND: "wasm" }));
        const bytes = readFileSync(join(consumers[name], "node_modules/weightdyn/build-wasm/weightdyn.wasm"));
        const repo = repoRun(createWasmBackend(new WebAssembly.Module(bytes)));
        expect(a.finalLoss).toBe(repo.finalLoss);
        expect(a.exponents).toEqual(Array.from(repo.spectrum.exponents));
      },
    );
  });

  describe("what each install built, as weightdyn doctor and the CLI say", () => {
    const doctor = async (c: string) => JSON.parse((await cli(c, ["doctor", "--json"])).stdout);

    it("plain: the native addon, built for this machine (-march=native)", SLOW, async () => {
      const d = await doctor(consumers.plain);
      expect(d.auto).toBe("native");
      expect(d.native.install.result).toBe("built");
      expect(d.native.build.portable).toBe(false);
      expect(d.native.build.marchNative).toBe(true);
      expect((await cli(consumers.plain, ["--version"])).stdout.trim()).toBe(pkg.version);
    });

    it(
      "typescript + assemblyscript + npm config weightdyn_portable: the install ignored both, the build is portable",
      SLOW,
      async () => {
        const d = await doctor(consumers.ts);
        expect(d.auto).toBe("native");
        expect(d.native.install).toMatchObject({
          result: "built",
          portable: true,
          portableSource: "npm config weightdyn_portable",
        });
        expect(d.native.build.portable).toBe(true);
        expect(d.native.build.marchNative).toBe(false);
        // Baseline x86-64 is SSE2: the compiler targets none of the tracked extensions.
        if (process.arch === "x64") expect(d.native.build.targetFeatures).toEqual([]);
        expect(existsSync(join(consumers.ts, "node_modules", ".bin", "weightdyn"))).toBe(true);
      },
    );

    it("no compiler: WASM, the reason collected, the notice shown on the first CLI run only", SLOW, async () => {
      const d = await doctor(consumers.nocxx);
      expect(d.auto).toBe("wasm");
      expect(d.native.install.result).toBe("failed");
      expect(d.native.install.reason).toMatch(/CXX|nonexistent/);
      expect(d.backends[0].reason).toMatch(/install-time build failed/);
      expect(existsSync(join(consumers.nocxx, "node_modules/weightdyn/build/Release/weightdyn.node"))).toBe(false);
      const config = join(consumers.nocxx, "cfg.json");
      writeFileSync(config, JSON.stringify({ training: { steps: 50 } }));
      const first = await cli(consumers.nocxx, ["run", "--config", config, "--out", "o1", "--quiet"]);
      const second = await cli(consumers.nocxx, ["run", "--config", config, "--out", "o2", "--quiet"]);
      expect(first.status).toBe(0);
      expect(first.stderr).toMatch(/running on the WASM backend.*install-time build failed/);
      expect(first.stderr).toMatch(/weightdyn doctor/);
      expect(second.stderr).toBe("");
    });
  });

  describe("optional packages (not installed in the plain consumer)", () => {
    it("queue mode fails naming bullmq and ioredis and the npm install that adds them", SLOW, async () => {
      const r = await cli(consumers.plain, ["worker", "--queue", "redis://127.0.0.1:9"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/bullmq, ioredis, not installed here: npm install bullmq@"[^"]+" ioredis@"[^"]+"/);
    });

    it("predict writes its report without figures and says which packages draw them", SLOW, async () => {
      const study = join(dir, "study");
      writeFixture(study, { perGroup: 30 });
      const r = await cli(consumers.plain, ["predict", study, "--no-rerun", "--quiet"]);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/Figures were not drawn: .*vega, vega-lite, @resvg\/resvg-js.*npm install vega@/);
      expect(readFileSync(join(study, "report.md"), "utf8")).toMatch(/## Headline/);
      expect(existsSync(join(study, "figures"))).toBe(false);
    });

    it("package.json's optional peers are exactly the packages of OPTIONAL_FEATURES, none a dependency", SLOW, () => {
      const optional = Object.values(OPTIONAL_FEATURES)
        .flatMap((f) => [...f.packages])
        .sort();
      expect(Object.keys(pkg.peerDependencies).sort()).toEqual(optional);
      for (const p of optional) {
        expect(pkg.peerDependenciesMeta[p]).toEqual({ optional: true });
        expect(pkg.dependencies[p]).toBeUndefined();
      }
    });
  });

  describe("bundlers", () => {
    it(
      "esbuild bundles weightdyn/browser and weightdyn/weightdyn.wasm from the installed package for the browser",
      SLOW,
      async () => {
        const entry = join(consumers.plain, "page.js");
        writeFileSync(
          entry,
          'import { loadWasmBackend } from "weightdyn/browser";\nimport url from "weightdyn/weightdyn.wasm";\nloadWasmBackend(url);\n',
        );
        const result = await build({
          entryPoints: [entry],
          absWorkingDir: consumers.plain,
          bundle: true,
          platform: "browser",
          format: "esm",
          loader: { ".wasm": "file" },
          outdir: join(consumers.plain, "bundle"),
          metafile: true,
          logLevel: "silent",
        });
        const inputs = Object.keys(result.metafile.inputs);
        expect(inputs).toContain("node_modules/weightdyn/dist/browser.js");
        expect(inputs.filter((i) => i.startsWith("node:"))).toEqual([]);
        const wasm = Object.keys(result.metafile.outputs).find((o) => o.endsWith(".wasm"));
        expect(wasm).toBeDefined();
        expect(readFileSync(join(consumers.plain, String(wasm)))).toEqual(
          readFileSync(join(consumers.plain, "node_modules/weightdyn/build-wasm/weightdyn.wasm")),
        );
      },
    );
  });

  describe("the tarball's file list", () => {
    it("no build leftovers, no maps, no prebuilt binary, only the install script of scripts/", SLOW, () => {
      const f = packed.files;
      expect(
        f.filter((p) =>
          /\.tsbuildinfo$|tsbuildinfo|\.map$|\.node$|^build\/|^src\/|^test\/|^bench\/|^assembly\//.test(p),
        ),
      ).toEqual([]);
      expect(f.filter((p) => p.startsWith("scripts/"))).toEqual(["scripts/build-native.mjs"]);
      expect(f).toEqual(
        expect.arrayContaining(["LICENSE", "README.md", "package.json", "CMakeLists.txt", "studies/default.json"]),
      );
    });

    it("no shipped script or module imports the repository's sources", SLOW, () => {
      const modules = packed.files.filter((q) => /\.(m?js|d\.ts)$/.test(q));
      expect(modules.length).toBeGreaterThan(0);
      for (const p of modules) {
        const text = readFileSync(join(consumers.plain, "node_modules/weightdyn", p), "utf8");
        expect(text, p).not.toMatch(/["']\.\.\/(\.\.\/)*src\//);
      }
    });

    it(
      "everything package.json and the README point to is in it: exports, bin, docs, studies; MIT LICENSE; repository",
      SLOW,
      () => {
        const f = new Set(packed.files);
        const targets = (v: unknown): string[] =>
          typeof v === "string" ? [v] : Object.values(v as object).flatMap(targets);
        for (const t of targets(pkg.exports)) expect(f.has(t.replace(/^\.\//, "")), t).toBe(true);
        for (const t of Object.values(pkg.bin as Record<string, string>)) expect(f.has(t)).toBe(true);
        const mentioned = [...readme.matchAll(/`((?:docs|studies)\/[^`\s]+)`/g)].map((m) => m[1]);
        expect(mentioned.length).toBeGreaterThan(5);
        // A folder (`docs/depth-study/`) is there when some packed file is in it.
        for (const m of mentioned)
          expect(m.endsWith("/") ? [...f].some((p) => p.startsWith(m)) : f.has(m), m).toBe(true);
        expect(readFileSync(join(consumers.plain, "node_modules/weightdyn/LICENSE"), "utf8")).toMatch(/^MIT License/);
        expect(pkg.license).toBe("MIT");
        expect(pkg.repository.url).toMatch(/^git\+https:\/\//);
      },
    );
  });
}
