#!/usr/bin/env node
// Builds everything in a clone, in order: the WASM kernels (asc), the native addon (build-native.mjs, the package's
// install script: optional, without a working C++ toolchain the WASM backend is used) and the TypeScript library
// and CLI (tsc). `npm ci` in a clone runs the native step (install) and then wasm and ts (prepare); `npm pack` runs
// prepack, which rebuilds build-wasm/ and dist/ from scratch (--clean) so no stale file is shipped (its prepare step
// then finds both up to date). A consumer's install runs only build-native.mjs.
//
//   node scripts/build.mjs [--only wasm,native,ts (any of them)] [--clean]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildNative } from "./build-native.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const args = process.argv.slice(2);
const clean = args.includes("--clean");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : null;

function run(cmd, cmdArgs) {
  return spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit", encoding: "utf8" });
}

function resolveBin(pkg, bin) {
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), bin);
  } catch {
    return null;
  }
}

/** True when the .wasm is newer than every AssemblyScript source and asconfig.json (prepare after prepack). */
function wasmIsFresh(out) {
  if (!existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  const sources = [
    join(root, "asconfig.json"),
    ...readdirSync(join(root, "assembly")).map((f) => join(root, "assembly", f)),
  ];
  return sources.every((f) => statSync(f).mtimeMs <= built);
}

function buildWasm() {
  const out = join(root, "build-wasm", "weightdyn.wasm");
  if (clean) rmSync(join(root, "build-wasm"), { recursive: true, force: true });
  const asc = resolveBin("assemblyscript", "bin/asc.js");
  if (!asc) {
    if (existsSync(out)) return true;
    console.error("weightdyn: assemblyscript is not installed and build-wasm/weightdyn.wasm is missing");
    return false;
  }
  if (wasmIsFresh(out)) return true;
  mkdirSync(join(root, "build-wasm"), { recursive: true });
  const res = run(process.execPath, [asc, "assembly/index.ts", "--config", "asconfig.json", "--target", "release"]);
  return res.status === 0;
}

/** tsc's incremental state (tsconfig.json tsBuildInfoFile): outside dist/, so it is never packed. */
const TS_BUILD_INFO = join("build-ts", "tsbuildinfo");

function buildTs() {
  const tsc = resolveBin("typescript", "bin/tsc");
  if (!tsc) return existsSync(join(root, "dist", "index.js"));
  if (clean) {
    rmSync(join(root, "dist"), { recursive: true, force: true });
    rmSync(join(root, TS_BUILD_INFO), { force: true });
  }
  return run(process.execPath, [tsc, "-p", "tsconfig.json"]).status === 0;
}

const steps = {
  wasm: buildWasm,
  native: () => {
    buildNative();
    return true;
  },
  ts: buildTs,
};
for (const [name, step] of Object.entries(steps)) {
  if (only && !only.includes(name)) continue;
  if (!step()) {
    console.error(`weightdyn: the ${name} build failed`);
    process.exit(1);
  }
}
