/**
 * Ensembles (src/ensemble/): seeds, study validation, exact early FTLEs, divergence, worker-count independence,
 * kill-and-resume through the CLI, and the compiled (dist-like) worker entry under plain node.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config/errors.js";
import {
  computeRunRecord,
  expandGrid,
  parseStudy,
  readRuns,
  runEnsemble,
  runSeed,
  runTask,
  StudyError,
} from "../src/ensemble/index.js";
import type { RunRecord } from "../src/ensemble/record.js";
import { trainRun } from "../src/run.js";
import { describeEachBackend } from "./support/backends.js";
import { repoRoot } from "./support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "weightdyn-90-"));
/** The early FTLE is one sum over all QRs of [0, e); the reference averages per-window sums: rounding only. */
const EARLY_TOL = 1e-13;
const SPAWN_TIMEOUT_MS = 60_000;

let counter = 0;
function freshDir(files: Record<string, string> = {}): string {
  const sub = join(dir, `case${counter++}`);
  mkdirSync(sub, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
  return sub;
}

/** Records of DIR/runs.ndjson by index, without the fields that may differ between two equal runs. */
function resultSet(outDir: string): Map<number, Omit<RunRecord, "wallTimeSeconds">> {
  const { runs, partialLine } = readRuns(outDir);
  expect(partialLine).toBe(false);
  const byIndex = new Map<number, Omit<RunRecord, "wallTimeSeconds">>();
  for (const { wallTimeSeconds: _t, ...rest } of runs) {
    expect(byIndex.has(rest.index), `run ${rest.index} written twice`).toBe(false);
    byIndex.set(rest.index, rest);
  }
  return byIndex;
}

const small = (steps: number, extra: Record<string, unknown> = {}) => ({
  base: {
    network: { inputs: 1, hidden: 3, outputs: 1, activation: "tanh" },
    data: { function: "sin", samples: 20 },
    init: { distribution: "uniform", scale: 2 },
    training: { learningRate: 0.1, steps },
    lyapunov: { exponents: "all", ftleWindow: 50 },
  },
  grid: { "network.activation": ["tanh", "relu"], "init.scale": [1, 2] },
  early: [50, 100],
  ...extra,
});

describe("runSeed: splitmix64 of (study seed, run index)", () => {
  it("is the (index+1)-th splitmix64 output >> 11 (reference outputs for seed 0)", () => {
    // splitmix64 seeded with 0 (Vigna's splitmix64.c): 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f.
    expect(runSeed(0, 0)).toBe(Number(0xe220a8397b1dcdafn >> 11n));
    expect(runSeed(0, 1)).toBe(Number(0x6e789e6aa1b965f4n >> 11n));
    expect(runSeed(0, 2)).toBe(Number(0x06c45d188009454fn >> 11n));
  });
  it("gives distinct 53-bit seeds, depending on the study seed", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const s = runSeed(7, i);
      expect(Number.isSafeInteger(s) && s >= 0 && s < 2 ** 53).toBe(true);
      seen.add(s);
    }
    expect(seen.size).toBe(10_000);
    expect(runSeed(8, 0)).not.toBe(runSeed(7, 0));
    expect(() => runSeed(-1, 0)).toThrow(/studySeed/);
  });
});

describe("study validation: every error names its study field", () => {
  function fieldOf(raw: unknown): { field: string; message: string } {
    try {
      parseStudy(raw, dir);
    } catch (err) {
      expect(err).toBeInstanceOf(StudyError);
      expect(err).toBeInstanceOf(ConfigError);
      return { field: (err as StudyError).field, message: (err as Error).message };
    }
    throw new Error("expected a StudyError");
  }
  it.each([
    [
      "a bad grid value",
      { runs: 2, grid: { "network.activation": ["tanh", "swish"] } },
      'grid["network.activation"][1]',
      /received "swish"/,
    ],
    [
      "a bad base field",
      { runs: 2, base: { training: { learningRate: -0.1 } } },
      "base.training.learningRate",
      /positive finite/,
    ],
    [
      "an unknown grid path",
      { runs: 2, grid: { "network.widht": [1] } },
      'grid["network.widht"]',
      /known keys of network: inputs/,
    ],
    ["an empty value list", { runs: 2, grid: { "network.hidden": [] } }, 'grid["network.hidden"]', /non-empty list/],
    ["a grid over the backend", { runs: 2, grid: { backend: ["native"] } }, 'grid["backend"]', /--backend/],
    ["no runs", { base: {} }, "runs", /missing/],
    ["zero runs", { runs: 0 }, "runs", /positive integer but received 0/],
    ["an unknown key", { runs: 1, rnus: 3 }, "rnus", /unknown key/],
    ["CLVs (not yet in ensembles)", { runs: 1, base: { lyapunov: { clv: {} } } }, "base.lyapunov.clv", /not computed/],
    [
      "an early window past the end",
      { runs: 1, base: { training: { steps: 100 } }, early: [50, 200] },
      "early[1]",
      /at most training\.steps \(100\)/,
    ],
    [
      "an early window off the QR grid",
      { runs: 1, base: { lyapunov: { qrEvery: 5, ftleWindow: 50 } }, early: [12] },
      "early[0]",
      /multiple of lyapunov\.qrEvery \(5\)/,
    ],
    [
      "a checkpoint past the end of one grid point",
      { runs: 1, grid: { "training.steps": [100, 50] }, lossCheckpoints: [80] },
      "lossCheckpoints[0]",
      /at grid point 1/,
    ],
    [
      "a planar target on one input",
      { runs: 1, base: { data: { function: "sin2d" } } },
      "base.data.function",
      /inputs = 1/,
    ],
  ])("%s", (_what, raw, field, pattern) => {
    const { field: got, message } = fieldOf(raw);
    expect(got).toBe(field);
    expect(message).toContain(`Invalid study: ${field}: `);
    expect(message).toMatch(pattern);
  });
  it("a missing data file names its field (found when the study is read: its contents enter the study id)", () => {
    expect(() => parseStudy({ runs: 1, base: { data: { csv: "missing.csv" } } }, freshDir())).toThrow(
      expect.objectContaining({ field: "base.data.csv" }),
    );
  });
  it("the study id changes with the contents of a data file, not with its folder", () => {
    const raw = { runs: 1, base: { data: { csv: "d.csv" } } };
    const a = parseStudy(raw, freshDir({ "d.csv": "x,y\n0,1\n" }));
    const b = parseStudy(raw, freshDir({ "d.csv": "x,y\n0,1\n" }));
    const c = parseStudy(raw, freshDir({ "d.csv": "x,y\n0,2\n" }));
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
  });
  it("the study id ignores key order and written defaults, and changes with the seed", () => {
    const a = parseStudy({ runs: 2, seed: 1, base: { network: { hidden: 3 } } }, dir);
    const b = parseStudy({ seed: 1, base: { network: { hidden: 3, inputs: 1 }, backend: "wasm" }, runs: 2 }, dir);
    const c = parseStudy({ runs: 2, seed: 2, base: { network: { hidden: 3 } } }, dir);
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
  });
  it("grid order: cartesian product in key order, last key fastest", () => {
    const points = expandGrid(
      parseStudy({ runs: 1, grid: { "network.activation": ["tanh", "relu"], "init.scale": [1, 2, 3] } }, dir),
    );
    expect(points.map((p) => [p.params["network.activation"], p.params["init.scale"]])).toEqual([
      ["tanh", 1],
      ["tanh", 2],
      ["tanh", 3],
      ["relu", 1],
      ["relu", 2],
      ["relu", 3],
    ]);
  });
});

describeEachBackend("early FTLE and early loss against trainRun", (backend) => {
  it.each([
    ["qrEvery 1, 1 input", { network: { hidden: 3 }, lyapunov: { ftleWindow: 50 } }, [50, 200], 300],
    [
      "qrEvery 5, sin2d",
      {
        network: { inputs: 2, hidden: 3 },
        data: { function: "sin2d", samples: 25 },
        lyapunov: { qrEvery: 5, ftleWindow: 50 },
      },
      [100, 150],
      300,
    ],
    ["a transient", { network: { hidden: 2 }, lyapunov: { ftleWindow: 40, transient: 40 } }, [120], 300],
    [
      "windows across chunks of 1000 steps",
      { network: { hidden: 2 }, lyapunov: { qrEvery: 3, ftleWindow: 300 } },
      [900, 2100],
      2400,
    ],
  ])("%s", (_what, base, early, steps) => {
    const study = parseStudy({ runs: 3, seed: 11, base: { ...base, training: { steps } }, early }, dir);
    const points = expandGrid(study);
    for (let index = 0; index < 3; index++) {
      const task = runTask(study, points, index);
      const record = computeRunRecord(task, backend);
      const reference = trainRun(task.config, { backend, baseDir: study.baseDir });
      const { window, starts, values } = reference.spectrum.ftle;
      const k = reference.spectrum.k;
      const transient = task.config.lyapunov.transient;
      for (const [i, e] of early.entries()) {
        // The windows [0, W), [W, 2W), ... of trainRun after its transient; an early window counts from step 0, so
        // with a transient only the part after it is compared: FTLE(0, e) e - FTLE(0, transient) transient.
        const n = (e - transient) / window;
        expect(starts.slice(0, n)).toEqual(Array.from({ length: n }, (_, w) => transient + w * window));
        const fromStart =
          transient === 0 ? null : computeRunRecord({ ...task, early: [transient] }, backend).early[0].ftle;
        for (let j = 0; j < k; j++) {
          let mean = 0;
          for (let w = 0; w < n; w++) mean += values[w * k + j] / n;
          const got = record.early[i].ftle?.[j] as number;
          const measured =
            fromStart === null ? got : (got * e - (fromStart[j] as number) * transient) / (e - transient);
          expect(Math.abs(measured - mean)).toBeLessThan(EARLY_TOL);
        }
        expect(record.early[i].loss).toBe(reference.losses[e]);
        expect(record.early[i].max).toBe(Math.max(...(record.early[i].ftle as number[])));
      }
      expect(record.finalLoss).toBe(reference.finalLoss);
      expect(record.lossCheckpoints).toEqual([0, ...early, steps].map((t) => [t, reference.losses[t]]));
      expect(record.seed).toBe(runSeed(11, index));
      expect(task.config.init).toMatchObject({ seed: runSeed(11, index) });
    }
  });
});

describe("ensembles on worker threads (from the sources: .ts workers with tsx)", () => {
  it("gives the same lines with 1 and 2 workers (up to order); CSV data and multi-input targets work", async () => {
    const studyDir = freshDir({
      "d.csv": `x1,x2,y\n${Array.from({ length: 16 }, (_, s) => `${(s % 4) / 3},${Math.floor(s / 4) / 3},${Math.sin(s)}`).join("\n")}\n`,
    });
    const raw = {
      base: {
        network: { inputs: 2, hidden: 3 },
        data: { csv: "d.csv" },
        training: { steps: 200 },
        lyapunov: { ftleWindow: 50 },
      },
      grid: { "network.activation": ["tanh", "sigmoid"], data: [{ csv: "d.csv" }, { function: "sin2d", samples: 16 }] },
      runs: 4,
      seed: 3,
      early: [100],
    };
    writeFileSync(join(studyDir, "study.json"), JSON.stringify(raw));
    const study = parseStudy(raw, studyDir);
    const one = join(freshDir(), "out");
    const two = join(freshDir(), "out");
    const r1 = await runEnsemble(study, { outDir: one, workers: 1 });
    const r2 = await runEnsemble(study, { outDir: two, workers: 2 });
    expect([r1.completed, r2.completed, r2.workers]).toEqual([16, 16, 2]);
    const a = resultSet(one);
    expect(a.size).toBe(16);
    expect(resultSet(two)).toEqual(a);
    const header = readRuns(one).header;
    expect(header?.studyId).toBe(study.id);
    expect(a.get(13)).toMatchObject({
      gridPoint: 3,
      draw: 1,
      params: { "network.activation": "sigmoid", data: { function: "sin2d", samples: 16 } },
    });
  }, 30_000);

  it("keeps diverged runs, labelled, with null where nothing finite was reached", async () => {
    const study = parseStudy(
      {
        ...small(400),
        base: { ...small(400).base, training: { learningRate: 50, steps: 400 } },
        grid: {},
        runs: 4,
        early: [50, 400],
      },
      dir,
    );
    const out = join(freshDir(), "out");
    const result = await runEnsemble(study, { outDir: out, workers: 2 });
    expect(result.diverged).toBe(4);
    const runs = [...resultSet(out).values()];
    expect(runs).toHaveLength(4);
    for (const run of runs) {
      expect(run.diverged).toBe(true);
      expect(Number.isInteger(run.divergedAt) && (run.divergedAt as number) < 400).toBe(true);
      expect(run.finalLoss).toBeNull();
      expect(run.early[1]).toEqual({ window: 400, ftle: null, max: null, sum: null, positive: null, loss: null });
      expect(run.lossCheckpoints.at(-1)).toEqual([400, null]);
    }
  }, 30_000);
});

/** `weightdyn ...` from the sources with tsx, asynchronously. */
function spawnCli(args: string[]): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, WEIGHTDYN_PROGRESS: "none" };
  delete env.WEIGHTDYN_BACKEND;
  return spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), ...args], {
    cwd: repoRoot,
    env,
    stdio: "pipe",
  });
}

function cliSync(entry: string[], args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, WEIGHTDYN_PROGRESS: "none" };
  delete env.WEIGHTDYN_BACKEND;
  const r = spawnSync(process.execPath, [...entry, ...args], {
    cwd: repoRoot,
    env,
    encoding: "utf8",
    timeout: SPAWN_TIMEOUT_MS,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const TSX_CLI = ["--import", "tsx", join(repoRoot, "src/cli/main.ts")];

function lineCount(path: string): number {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").length - 1 : 0;
}

describe("weightdyn ensemble (CLI)", () => {
  it("SIGKILLed part-way and resumed gives the same result set as a run straight through", async () => {
    const studyDir = freshDir();
    const studyPath = join(studyDir, "study.json");
    // 60 runs of about 30 ms each.
    writeFileSync(
      studyPath,
      JSON.stringify({
        ...small(1500),
        grid: { "network.activation": ["tanh", "relu", "sigmoid"] },
        runs: 20,
        seed: 5,
      }),
    );
    const killed = join(studyDir, "killed");
    const child = spawnCli(["ensemble", "--config", studyPath, "--out", killed, "--workers", "2"]);
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const linesAtKill = await new Promise<number>((done, fail) => {
      const timer = setInterval(() => {
        const n = lineCount(join(killed, "runs.ndjson"));
        if (n >= 8) {
          clearInterval(timer);
          child.kill("SIGKILL");
          done(n);
        }
      }, 10);
      child.on("exit", () => {
        clearInterval(timer);
        fail(new Error(`the ensemble ended before it could be killed: ${stderr}`));
      });
    });
    await exited;
    expect(linesAtKill).toBeLessThan(60);
    // A run killed mid-write leaves a partial line: resume must drop it.
    appendFileSync(join(killed, "runs.ndjson"), '{"index": 59, "studyId": "');
    expect(readRuns(killed).partialLine).toBe(true);
    const resumed = cliSync(TSX_CLI, [
      "ensemble",
      "--config",
      studyPath,
      "--out",
      killed,
      "--workers",
      "2",
      "--resume",
      "--quiet",
    ]);
    expect(resumed.stderr).toBe("");
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(/60\/60 runs, \d+ resumed/);
    const straight = join(studyDir, "straight");
    await runEnsemble(parseStudy(JSON.parse(readFileSync(studyPath, "utf8")), studyDir), {
      outDir: straight,
      workers: 2,
    });
    const expected = resultSet(straight);
    expect(expected.size).toBe(60);
    expect(resultSet(killed)).toEqual(expected);

    // Another study in the same directory is refused; so is the same directory without --resume.
    writeFileSync(studyPath, JSON.stringify({ ...small(1500), runs: 20, seed: 6 }));
    const other = cliSync(TSX_CLI, ["ensemble", "--config", studyPath, "--out", killed, "--resume", "--quiet"]);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/^weightdyn: --out: .* holds study [0-9a-f]{16} but this study is [0-9a-f]{16}/);
  }, 60_000);

  it("SIGINT stops scheduling, lets running runs finish, keeps every line, and exits with 130", async () => {
    const studyDir = freshDir();
    const studyPath = join(studyDir, "study.json");
    writeFileSync(studyPath, JSON.stringify({ ...small(1500), grid: {}, runs: 200, seed: 5 }));
    const out = join(studyDir, "out");
    const child = spawnCli(["ensemble", "--config", studyPath, "--out", out, "--workers", "2"]);
    let stdout = "";
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk);
    });
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const timer = setInterval(() => {
      if (lineCount(join(out, "runs.ndjson")) >= 3) {
        clearInterval(timer);
        child.kill("SIGINT");
      }
    }, 10);
    const code = await exited;
    clearInterval(timer);
    expect(code).toBe(130);
    expect(stdout).toMatch(/interrupted: \d+ runs left; continue with --resume/);
    const { runs, partialLine } = readRuns(out);
    expect(partialLine).toBe(false);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeLessThan(200);
  }, 30_000);

  it("a bad study field exits with 2 and names it", () => {
    const studyPath = join(freshDir(), "study.json");
    writeFileSync(studyPath, JSON.stringify({ runs: 2, grid: { "network.activation": ["tanh", "swish"] } }));
    const r = cliSync(TSX_CLI, ["ensemble", "--config", studyPath, "--out", join(dir, "never"), "--quiet"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^weightdyn: Invalid study: grid\["network\.activation"\]\[1\]: expected one of .* but received "swish"/,
    );
    expect(existsSync(join(dir, "never"))).toBe(false);
  }, 30_000);

  it("runs from compiled JavaScript (.js workers, plain node, no tsx)", async () => {
    // A dist-like tree: every src/**/*.ts transpiled to .js next to the package root (which the native loader finds).
    const out = join(repoRoot, "node_modules", ".cache", `weightdyn-90-dist-${process.pid}`);
    const files = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? files(join(d, e.name))
          : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") // declarations emit nothing
            ? [join(d, e.name)]
            : [],
      );
    try {
      for (const file of files(join(repoRoot, "src"))) {
        const target = join(out, relative(join(repoRoot, "src"), file)).replace(/\.ts$/, ".js");
        mkdirSync(dirname(target), { recursive: true });
        const js = ts.transpileModule(readFileSync(file, "utf8"), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
          fileName: file,
        }).outputText;
        writeFileSync(target, js);
      }
      const studyPath = join(freshDir(), "study.json");
      writeFileSync(studyPath, JSON.stringify({ ...small(200), runs: 2, seed: 9 }));
      const outDir = join(dirname(studyPath), "out");
      const r = cliSync(
        [join(out, "cli", "main.js")],
        ["ensemble", "--config", studyPath, "--out", outDir, "--workers", "2"],
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const viaTs = join(dirname(studyPath), "via-ts");
      await runEnsemble(parseStudy(JSON.parse(readFileSync(studyPath, "utf8")), dirname(studyPath)), {
        outDir: viaTs,
        workers: 2,
      });
      expect(resultSet(outDir)).toEqual(resultSet(viaTs));
      expect(resultSet(outDir).size).toBe(8);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
