import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { pickBackendName } from "../src/cli/backend-choice.js";
import { exitCodeFor, UsageError } from "../src/cli/errors.js";
import { ConfigError } from "../src/config/errors.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = mkdtempSync(join(tmpdir(), "weightdyn-70-"));
/** Spawning node with tsx takes about a second; leave room on slow CI machines. */
const SPAWN_TIMEOUT_MS = 60_000;

/** Runs `weightdyn <args>` from the sources (no build, no engine needed for input errors). */
function cli(args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["WEIGHTDYN_DEBUG", "WEIGHTDYN_BACKEND", "WEIGHTDYN_PROGRESS"]) delete childEnv[name];
  Object.assign(childEnv, env);
  const result = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
    cwd: root,
    env: childEnv,
    encoding: "utf8",
    timeout: SPAWN_TIMEOUT_MS,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let caseCounter = 0;
/** A config (plus side files) in a fresh directory; returns the run arguments and the (not yet existing) out dir. */
function runArgs(config: unknown, files: Record<string, string> = {}) {
  const sub = join(dir, `case${caseCounter++}`);
  mkdirSync(sub, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
  const configPath = join(sub, "run.json");
  writeFileSync(configPath, typeof config === "string" ? config : JSON.stringify(config));
  const out = join(sub, "out");
  return { args: ["run", "--config", configPath, "--out", out, "--quiet"], out };
}

describe("weightdyn run: input errors exit with 2 before any engine work", () => {
  it.each([
    [
      "a negative learning rate",
      { training: { learningRate: -0.1 } },
      {},
      /training\.learningRate: expected a positive finite number but received -0\.1/,
    ],
    [
      "an unknown activation",
      { network: { activation: "swish" } },
      {},
      /network\.activation: expected one of .* but received "swish"/,
    ],
    ["an unknown key", { training: { epochs: 3 } }, {}, /training\.epochs: unknown key/],
    [
      "a CSV with the wrong column count",
      { data: { csv: "d.csv" } },
      { "d.csv": "x,y\n1,2\n3,4,5\n" },
      /data\.csv: .*d\.csv:3: expected 2 columns \(as in the header\) but received 3/,
    ],
    [
      "a CSV with a NaN",
      { data: { csv: "d.csv" } },
      { "d.csv": "x,y\n1,2\n0.5,NaN\n" },
      /data\.csv: .*d\.csv:3: column 2 \(y\): expected a finite number but received "NaN"/,
    ],
    [
      "a weights file of the wrong length",
      { init: { weights: "w0.json" } },
      { "w0.json": "[0.1, 0.2, 0.3]" },
      /init\.weights: expected a JSON array of D = 31 numbers .* but received 3/,
    ],
    ["malformed JSON", '{"training": {', {}, /malformed JSON in config file .*run\.json/],
  ])("%s", (_what, config, files, pattern) => {
    const { args, out } = runArgs(config, files);
    const { status, stdout, stderr } = cli(args);
    expect(status).toBe(2);
    expect(stderr).toMatch(/^weightdyn: Invalid config: /);
    expect(stderr).toMatch(pattern);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stdout).toBe("");
    expect(existsSync(out)).toBe(false); // nothing was started
  });

  it("a missing config file", () => {
    const { status, stderr } = cli(["run", "--config", join(dir, "absent.json"), "--out", join(dir, "o")]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/weightdyn: Invalid config: cannot read config file .*absent\.json: no such file/);
  });

  it("a missing --out is a usage error", () => {
    const { args } = runArgs({});
    const { status, stderr } = cli(args.slice(0, 3));
    expect(status).toBe(2);
    expect(stderr).toMatch(/weightdyn: required option '-o, --out <dir>' not specified/);
  });

  it("a bad WEIGHTDYN_BACKEND is a usage error naming the variable", () => {
    const { args } = runArgs({});
    const { status, stderr } = cli(args, { WEIGHTDYN_BACKEND: "gpu" });
    expect(status).toBe(2);
    expect(stderr).toMatch(/weightdyn: WEIGHTDYN_BACKEND: expected one of "auto", "native", "wasm" but received "gpu"/);
  });

  it("WEIGHTDYN_DEBUG=1 adds the stack", () => {
    const { args } = runArgs({ training: { learningRate: -0.1 } });
    const { status, stderr } = cli(args, { WEIGHTDYN_DEBUG: "1" });
    expect(status).toBe(2);
    expect(stderr).toMatch(/\n\s+at /);
  });
});

describe("pickBackendName: --backend > WEIGHTDYN_BACKEND > config.backend > auto", () => {
  it.each([
    [undefined, undefined, undefined, "auto"],
    [undefined, undefined, "wasm", "wasm"],
    [undefined, "native", "wasm", "native"],
    ["wasm", "native", "native", "wasm"],
    ["", "", "native", "native"],
  ] as const)("flag %s, env %s, config %s -> %s", (flag, env, config, expected) => {
    expect(pickBackendName(flag, env, config)).toBe(expected);
  });

  it("names the flag or the variable on a bad value", () => {
    expect(() => pickBackendName("gpu", undefined, "auto")).toThrow(/--backend: expected one of/);
    expect(() => pickBackendName(undefined, "gpu", "auto")).toThrow(/WEIGHTDYN_BACKEND: expected one of/);
  });

  it("maps errors to exit codes", () => {
    expect(exitCodeFor(new ConfigError("training.steps", "bad"))).toBe(2);
    expect(exitCodeFor(new UsageError("bad flag"))).toBe(2);
    expect(exitCodeFor(new Error("boom"))).toBe(1);
  });
});

describe("weightdyn run --default and weightdyn start", () => {
  it("run: --config and --default exclude each other, and one of them is needed", {
    timeout: 2 * SPAWN_TIMEOUT_MS,
  }, () => {
    const out = join(dir, "run-default");
    const both = cli(["run", "--default", "--config", "x.json", "--out", out]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/cannot be used with option '--default'/);
    const neither = cli(["run", "--out", out]);
    expect(neither.status).toBe(2);
    expect(neither.stderr).toMatch(/weightdyn: run: expected --config <file> or --default/);
    expect(existsSync(out)).toBe(false);
  });

  it(
    "start --runs 4: the default study with 4 runs per activation, its report and headline; a rerun resumes",
    () => {
      const out = join(dir, "start");
      const args = ["start", "--runs", "4", "--workers", "1", "--out", out, "--quiet", "--no-rerun"];
      const first = cli(args);
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/\| activation \| e \| n \(high\/low\) \|/);
      for (const name of ["runs.ndjson", "study.json", "report.md", "headline.md"]) {
        expect(existsSync(join(out, name))).toBe(true);
      }
      const again = cli(args);
      expect(again.status).toBe(0);
      expect(again.stdout).toMatch(/ (\d+) resumed, 0 run now/);
    },
    4 * SPAWN_TIMEOUT_MS,
  );

  it("start: a bad --runs is a usage error", () => {
    const { status, stderr } = cli(["start", "--runs", "0", "--out", join(dir, "start-bad")]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/weightdyn: --runs: expected a positive integer but received "0"/);
  });
});
