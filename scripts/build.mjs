#!/usr/bin/env node
// Builds everything an install needs, in order: the WASM kernels (asc, pure JavaScript, always), the native addon
// (cmake-js; optional: without a working C++ toolchain the install still succeeds and says once that the WASM
// backend will be used), and the TypeScript library and CLI (tsc).
//
//   node scripts/build.mjs [--only wasm|native|ts]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : null;

function run(cmd, cmdArgs, { quiet = false } = {}) {
  const res = spawnSync(cmd, cmdArgs, { cwd: root, stdio: quiet ? "pipe" : "inherit", encoding: "utf8" });
  return res;
}

function resolveBin(pkg, bin) {
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), bin);
  } catch {
    return null;
  }
}

function buildWasm() {
  const asc = resolveBin("assemblyscript", "bin/asc.js");
  if (!asc) {
    if (existsSync(join(root, "build-wasm", "weightdyn.wasm"))) return true;
    console.error("weightdyn: assemblyscript is not installed and build-wasm/weightdyn.wasm is missing");
    return false;
  }
  if (!existsSync(join(root, "assembly", "index.ts"))) return true;
  mkdirSync(join(root, "build-wasm"), { recursive: true });
  const res = run(process.execPath, [asc, "assembly/index.ts", "--config", "asconfig.json", "--target", "release"]);
  return res.status === 0;
}

function buildNative() {
  const log = join(root, "build", "native-build.log");
  mkdirSync(join(root, "build"), { recursive: true });
  if (process.env.WEIGHTDYN_SKIP_NATIVE === "1") {
    console.log("weightdyn: WEIGHTDYN_SKIP_NATIVE=1, the WASM backend will be used");
    return true;
  }
  const cmakeJs = resolveBin("cmake-js", "bin/cmake-js");
  let res = null;
  if (cmakeJs) res = run(process.execPath, [cmakeJs, "compile", "--log-level", "warn"], { quiet: true });
  if (res?.status !== 0) {
    writeFileSync(log, res ? `${res.stdout ?? ""}\n${res.stderr ?? ""}` : "cmake-js is not installed\n");
    console.log(
      "weightdyn: the native addon could not be built (no working C++ toolchain?); the WASM backend will be used." +
        ` Details: ${join("build", "native-build.log")}`,
    );
    return true; // never fail an install for a missing compiler
  }
  const notes = `${res.stdout ?? ""}`.split("\n").filter((l) => l.includes("weightdyn:"));
  if (notes.length > 0) console.log(notes.join("\n"));
  return true;
}

function buildTs() {
  const tsc = resolveBin("typescript", "bin/tsc");
  if (!tsc) return existsSync(join(root, "dist", "index.js"));
  return run(process.execPath, [tsc, "-p", "tsconfig.json"]).status === 0;
}

const steps = { wasm: buildWasm, native: buildNative, ts: buildTs };
for (const [name, step] of Object.entries(steps)) {
  if (only && only !== name) continue;
  if (!step()) {
    console.error(`weightdyn: the ${name} build failed`);
    process.exit(1);
  }
}
