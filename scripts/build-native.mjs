#!/usr/bin/env node
// The package's install script: builds the native addon (cmake-js) and nothing else. dist/ and the .wasm are built
// before packing (prepack) and shipped, so a consumer's own TypeScript or AssemblyScript never takes part.
//
// Never fails an install: without a working C++ toolchain (or with WEIGHTDYN_SKIP_NATIVE=1) the WASM backend is
// used. The outcome goes to build/native-status.json (read by `weightdyn doctor` and the CLI's one-time notice,
// because npm hides the output of install scripts) and, on failure, the full output to build/native-build.log.
//
// WEIGHTDYN_PORTABLE=1 (or the npm config weightdyn_portable=true: `npm install --weightdyn-portable`, an .npmrc
// line, or npm_config_weightdyn_portable) builds for baseline x86-64 instead of -march=native.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const buildDir = join(root, "build");
const LOG = join("build", "native-build.log");
const STATUS = join("build", "native-status.json");

/** True for 1/true/on/yes (any case), as a user would write a switch. */
function truthy(v) {
  return v !== undefined && /^(1|true|on|yes)$/i.test(v.trim());
}

/** The portable switch and where it came from. */
export function portableRequest(env = process.env) {
  if (env.WEIGHTDYN_PORTABLE !== undefined && env.WEIGHTDYN_PORTABLE !== "") {
    return { portable: truthy(env.WEIGHTDYN_PORTABLE), source: "WEIGHTDYN_PORTABLE" };
  }
  if (env.npm_config_weightdyn_portable !== undefined && env.npm_config_weightdyn_portable !== "") {
    return { portable: truthy(env.npm_config_weightdyn_portable), source: "npm config weightdyn_portable" };
  }
  return { portable: false, source: "default" };
}

/**
 * The most telling part of a failed build's output: the message of the first CMake error (the indented lines below
 * "CMake Error at ... (message):", up to its call stack), else the first compiler error line, else the last line.
 */
export function failureReason(output) {
  const lines = output.split("\n").map((l) => l.trim());
  let reason = null;
  const cmake = lines.findIndex((l) => l.startsWith("CMake Error"));
  if (cmake >= 0) {
    const body = [];
    for (const l of lines.slice(cmake + 1)) {
      if (l.startsWith("Call Stack") || l.startsWith("CMake Error") || body.length >= 4) break;
      if (l !== "") body.push(l);
    }
    reason = body.length > 0 ? body.join(" ") : lines[cmake];
  }
  reason ??= lines.find((l) => /error:|not found|ERR!/i.test(l)) ?? [...lines].reverse().find((l) => l !== "");
  reason ??= "unknown failure";
  return reason.length > 300 ? `${reason.slice(0, 297)}...` : reason;
}

function writeStatus(status) {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(
    join(root, STATUS),
    `${JSON.stringify({ ...status, date: new Date().toISOString(), node: process.version }, null, 2)}\n`,
  );
}

export function buildNative(env = process.env) {
  const { portable, source } = portableRequest(env);
  if (truthy(env.WEIGHTDYN_SKIP_NATIVE)) {
    writeStatus({ result: "skipped", portable, reason: "WEIGHTDYN_SKIP_NATIVE was set at install" });
    console.log("weightdyn: WEIGHTDYN_SKIP_NATIVE=1, the WASM backend will be used");
    return;
  }
  let cmakeJs = null;
  try {
    cmakeJs = join(
      dirname(createRequire(join(root, "package.json")).resolve("cmake-js/package.json")),
      "bin",
      "cmake-js",
    );
  } catch {
    // reported below as the reason
  }
  const args = ["compile", "--log-level", "warn", `--CDWEIGHTDYN_PORTABLE=${portable ? "ON" : "OFF"}`];
  const res = cmakeJs
    ? spawnSync(process.execPath, [cmakeJs, ...args], { cwd: root, encoding: "utf8", env })
    : { status: 1, stdout: "", stderr: "cmake-js is not installed" };
  const output = `${res.stdout ?? ""}\n${res.stderr ?? ""}${res.error ? `\n${res.error.message}` : ""}`;
  mkdirSync(buildDir, { recursive: true });
  if (res.status !== 0) {
    writeFileSync(join(root, LOG), output);
    const reason = failureReason(output);
    writeStatus({ result: "failed", portable, portableSource: source, reason, log: LOG });
    console.log(
      `weightdyn: the native addon could not be built (${reason}); the WASM backend will be used. Details: ${LOG}; ` +
        "`npx weightdyn doctor` explains.",
    );
    return; // never fail an install for a missing compiler
  }
  writeStatus({ result: "built", portable, portableSource: source });
  const notes = `${res.stdout ?? ""}`.split("\n").filter((l) => l.includes("weightdyn:"));
  if (notes.length > 0) console.log(notes.join("\n"));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) buildNative();
