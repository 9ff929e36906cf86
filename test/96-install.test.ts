/**
 * The install-time side of the package, in-tree and fast (test/97 runs real installs from the packed tarball): the
 * portable switch of scripts/build-native.mjs and its precedence, the reason it keeps from a failed build's output,
 * why a missing addon is missing (per install-time status), the CPU flags, and what `weightdyn doctor` reports
 * checked against the addon, the CPU (/proc/cpuinfo) and package.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { failureReason, portableRequest } from "../scripts/build-native.mjs";
import { cpuInfo, missingFeatures, parseCpuFlags, TRACKED_FEATURES } from "../src/backend/cpu.js";
import { loadNativeAddon } from "../src/backend/native.js";
import { readNativeStatus, whyNoAddon } from "../src/backend/native-status.js";
import { packageRoot } from "../src/backend/root.js";
import { formatDiagnosis } from "../src/cli/doctor-command.js";
import { diagnose } from "../src/diagnose.js";
import { importOptional, installCommand, MissingDependencyError, OPTIONAL_FEATURES } from "../src/optional-deps.js";

const root = packageRoot();
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const hasNative = existsSync(join(root, "build", "Release", "weightdyn.node"));
/** What `auto` must pick: the addon when it was built, else the WASM twin (which every install has). */
const expectedAuto = hasNative ? "native" : "wasm";
/** The addon was built here for this CPU (not portable) and the CPU's flags are known: x86-64 Linux. */
const marchNativeHere =
  hasNative && loadNativeAddon().buildInfo.marchNative && cpuInfo().flags !== null && process.arch === "x64";

describe("96 install script: the portable switch", () => {
  it("default off; WEIGHTDYN_PORTABLE or the npm config weightdyn_portable turn it on; the variable wins", () => {
    expect(portableRequest({})).toEqual({ portable: false, source: "default" });
    for (const v of ["1", "true", "ON", "yes"]) {
      expect(portableRequest({ WEIGHTDYN_PORTABLE: v })).toEqual({ portable: true, source: "WEIGHTDYN_PORTABLE" });
    }
    expect(portableRequest({ npm_config_weightdyn_portable: "true" })).toEqual({
      portable: true,
      source: "npm config weightdyn_portable",
    });
    expect(portableRequest({ WEIGHTDYN_PORTABLE: "0", npm_config_weightdyn_portable: "true" })).toEqual({
      portable: false,
      source: "WEIGHTDYN_PORTABLE",
    });
  });
});

describe("96 install script: the reason of a failed build", () => {
  it("the message of the first CMake error, a compiler error line, or the last line", () => {
    const cmake = [
      "Not searching for unused variables given on the command line.",
      "CMake Error at /usr/share/cmake-3.25/Modules/CMakeDetermineCXXCompiler.cmake:48 (message):",
      "  Could not find compiler set in environment variable CXX:",
      "",
      "  /nonexistent.",
      "",
      "Call Stack (most recent call first):",
      "  CMakeLists.txt:6 (project)",
    ].join("\n");
    expect(failureReason(cmake)).toBe("Could not find compiler set in environment variable CXX: /nonexistent.");
    expect(failureReason("[1/9] g++ -c a.cc\na.cc:3:1: error: expected ';'\nninja: build stopped\n")).toBe(
      "a.cc:3:1: error: expected ';'",
    );
    expect(failureReason("something odd\nthe end\n")).toBe("the end");
    expect(failureReason("")).toBe("unknown failure");
  });
});

describe("96 why the addon is missing", () => {
  const fakeRoot = (status: object | null, clone = false) => {
    const dir = mkdtempSync(join(tmpdir(), "weightdyn-96-"));
    if (status) {
      mkdirSync(join(dir, "build"));
      writeFileSync(join(dir, "build", "native-status.json"), JSON.stringify(status));
    }
    if (clone) mkdirSync(join(dir, "src"));
    return dir;
  };

  it("per install-time status, with the command that builds it (a package and a clone)", () => {
    expect(whyNoAddon(fakeRoot(null))).toMatch(/install script never ran.*npm rebuild weightdyn/);
    const failed = fakeRoot({
      result: "failed",
      portable: false,
      reason: "no compiler",
      log: "build/native-build.log",
    });
    expect(whyNoAddon(failed)).toMatch(/install-time build failed: no compiler \(full output: .*native-build\.log\)/);
    expect(readNativeStatus(failed)?.reason).toBe("no compiler");
    expect(whyNoAddon(fakeRoot({ result: "skipped", portable: false, reason: "X" }, true))).toMatch(
      /skipped \(X\); to build it: npm run build:native/,
    );
  });
});

describe("96 CPU features", () => {
  it("parses the flags line of /proc/cpuinfo; lists the targeted extensions a CPU lacks", () => {
    const text = "processor\t: 0\nmodel name\t: X\nflags\t\t: fpu sse4_2 avx avx2\nbugs\t\t: none\n";
    expect(parseCpuFlags(text)).toEqual(["fpu", "sse4_2", "avx", "avx2"]);
    expect(parseCpuFlags("processor : 0\n")).toBeNull();
    expect(missingFeatures(["avx2", "fma"], { model: "X", flags: ["sse4_2", "avx2"] })).toEqual(["fma"]);
    expect(missingFeatures(["avx512f"], { model: "X", flags: null })).toEqual([]);
  });

  it.runIf(marchNativeHere)(
    "the addon (built -march=native here) targets exactly the tracked extensions this CPU has",
    () => {
      const flags = cpuInfo().flags ?? [];
      expect(loadNativeAddon().buildInfo.targetFeatures).toEqual(TRACKED_FEATURES.filter((f) => flags.includes(f)));
    },
  );
});

describe("96 doctor", () => {
  it("names the backend auto loads, why the other does not, and the optional packages with package.json's ranges", () => {
    const d = diagnose();
    expect(d.auto).toBe(expectedAuto);
    expect(d.backends.map((b) => [b.name, b.loads])).toEqual([
      ["native", hasNative],
      ["wasm", true],
    ]);
    if (!hasNative) expect(d.backends[0].reason).toMatch(/weightdyn\.node/);
    expect(d.optional.map((o) => o.feature)).toEqual(Object.keys(OPTIONAL_FEATURES));
    expect(installCommand("queue")).toBe(
      `npm install bullmq@"${pkg.peerDependencies.bullmq}" ioredis@"${pkg.peerDependencies.ioredis}"`,
    );
    expect(formatDiagnosis(d)).toMatch(new RegExp(`backend: auto uses ${d.auto}`));
  });

  it.runIf(hasNative)("reports the addon's build as the install recorded it and as the addon says", () => {
    const d = diagnose();
    const addon = loadNativeAddon();
    expect(d.native.build?.eigen).toBe(addon.eigen);
    // The addon only comes from scripts/build-native.mjs (npm's install and build:native), which records the build.
    expect(existsSync(join(root, "build", "native-status.json"))).toBe(true);
    const status = readNativeStatus();
    expect(status?.result).toBe("built");
    expect(d.native.build?.portable).toBe(status?.portable);
    expect(formatDiagnosis(d)).toMatch(addon.eigen ? /Eigen \d+\.\d+/ : /no Eigen/);
  });

  it("`weightdyn doctor --json` prints the diagnosis and exits with 0", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "doctor", "--json"], {
      encoding: "utf8",
      env: { ...process.env, WEIGHTDYN_BACKEND: "" },
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).auto).toBe(expectedAuto);
  });
});

describe("96 optional packages", () => {
  it("a missing module that is not one of the feature's packages is not turned into a MissingDependencyError", async () => {
    const err = await importOptional("queue", () => import("bullmq-that-does-not-exist" as string)).catch((e) => e);
    expect(err).not.toBeInstanceOf(MissingDependencyError);
    expect((err as { code?: string }).code).toBe("ERR_MODULE_NOT_FOUND");
  });
});
