/**
 * `npm run bench`: steps per second of the hot loop (train_chunk) for every case in bench/cases.ts on every backend
 * that loads here, measured by benchmark.js (mean of many cycles, with its relative margin of error), next to its peer
 * and its limit measured in the same run: a NumPy implementation of the same step (bench/numpy_peer.py) and NumPy's
 * float64 matmul rate. Every figure is also a ratio: weightdyn / NumPy (steps per second) and weightdyn's effective
 * GFLOP/s (bench/flops.ts, counted for the route it ran) / the matmul GFLOP/s of one thread (the headline: the hot
 * rows run on one thread, a case with `threads` again on more) and of all threads.
 *
 *   node --import tsx bench/run.ts [--quick] [--filter TEXT] [--no-peer] [--no-lockstep] [--reference] [--out PATH]
 *
 * Then the ensembles in lockstep (bench/lockstep.ts) next to a batched NumPy peer, and the targets of issues 6 and 15.
 * A case with `threads` is measured again on that many threads (native, with OpenMP).
 *
 * --render: write the committed reference's Markdown and README table again from reference.json (no measurement).
 * --quick: short measurements (CI's smoke run); --filter: only cases whose name contains TEXT (single runs and
 * ensembles); --no-peer: without NumPy; --no-lockstep: without the ensembles; --reference: write bench/results/reference.{json,md} and the README's table (the reference machine's
 * figures, committed); --out: write PATH.json and PATH.md (default bench/results/tmp-latest.*, not committed).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Benchmark from "benchmark";
import { availableBackends } from "../src/backend/loader.js";
import type { Backend } from "../src/backend/types.js";
import { optimizerSchema, trainingRule } from "../src/config/optimizer.js";
import { networkShape } from "../src/config/shape.js";
import { BENCH_ETA, type BenchCase, CASES, caseData, dimensionOf, kOf, stateDimensionOf } from "./cases.js";
import { flopsPerStep, ROUTE_NAMES, type RouteName } from "./flops.js";
import { LOCKSTEP_CASES, type LockstepReport, runLockstepBench } from "./lockstep.js";
import { maxAbsDiff, runPython } from "./peer.js";
import { renderMarkdown } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));

export interface BenchRow {
  backend: string;
  case: string;
  D: number;
  k: number;
  qrEvery: number;
  lever: boolean;
  /** Threads of the run's dense kernels (NetworkSpec.threads). */
  threads: number;
  route: RouteName;
  stepsPerSecond: number;
  /** Relative margin of error (95 %), percent. */
  rme: number;
  flopsPerStep: number;
  gflops: number;
  /** steps/s over the NumPy peer's steps/s on the same case (null without the peer). */
  vsNumpy: number | null;
  /** Effective GFLOP/s over NumPy's matmul GFLOP/s with one thread, and with all threads. */
  vsMatmul1: number | null;
  vsMatmulAll: number | null;
}

export interface PeerRow {
  case: string;
  route: RouteName;
  stepsPerSecond: number;
  rme: number;
  gflops: number;
  /** max |log R_jj| difference of the first QR against each backend (the check that both do the same work). */
  firstLogRMaxDiff: Record<string, number>;
}

export interface Target {
  /** The issue that set it. */
  issue: number;
  name: string;
  goal: string;
  value: number | null;
  met: boolean | null;
}

export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; node: string; platform: string; loadavg: number[] };
  numpy: { available: boolean; reason?: string; version?: string; blas?: string; kernel?: string; threads?: number };
  matmul: { n: number; gflops1: number; gflopsAll: number; threadsAll: number | null } | null;
  quick: boolean;
  rows: BenchRow[];
  peer: PeerRow[];
  /** Ensembles in lockstep next to the batched NumPy peer (bench/lockstep.ts); null when not run. */
  lockstep: LockstepReport | null;
  targets: Target[];
}

/** A benchmark body: `steps` GD steps of the case, restarting from w0 every 20000 steps or on divergence. */
export function caseRunner(backend: Backend, c: BenchCase, steps: number, threads = 1) {
  const { X, Y, w0 } = caseData(c);
  const D = dimensionOf(c);
  const k = kOf(c);
  const eta = c.eta ?? BENCH_ETA;
  const S = stateDimensionOf(c);
  const shape = networkShape({
    inputs: c.inputs,
    hidden: c.hidden,
    outputs: c.outputs,
    activation: c.activation,
    activationParam: 0,
    outputActivation: "identity",
  });
  const rule = trainingRule(optimizerSchema.parse(c.optimizer ?? "gd"), eta);
  const kernel = backend.createNetwork({ shape, X, Y, maxK: k, rule, threads });
  const lossOut = new Float64Array(Math.max(steps, c.qrEvery));
  const logR = new Float64Array(Math.max(steps, c.qrEvery) * k);
  let taken = 0;
  const reset = () => {
    kernel.state.fill(0);
    kernel.weights.set(w0);
    const Q = kernel.tangent;
    Q.fill(0);
    for (let j = 0; j < k; j++) Q[j * S + j] = 1;
    taken = 0;
  };
  reset();
  return {
    D,
    k,
    route: (k > 0 ? ROUTE_NAMES[kernel.chooseRoute(k)] : "none") as RouteName,
    /** log R_jj of the first QR from w0 and Q = I (then back to the start). */
    firstLogR(): Float64Array {
      reset();
      kernel.trainChunk({ k, nSteps: c.qrEvery, qrEvery: c.qrEvery, route: 0, t0: 0, lossOut, logRDiag: logR });
      const out = logR.slice(0, k);
      reset();
      return out;
    },
    run(): void {
      if (taken > 20000) reset();
      const res = kernel.trainChunk({
        k,
        nSteps: steps,
        qrEvery: c.qrEvery,
        route: 0,
        t0: taken,
        lossOut,
        logRDiag: logR,
      });
      if (res.diverged) reset();
      taken += steps;
    },
    dispose: () => kernel.dispose(),
  };
}

/** What bench/numpy_peer.py prints. */
interface PeerOutput {
  blas: { numpy: string; blas: string; kernel?: string; threads?: number };
  matmul?: { n: number; gflops: number };
  cases: { name: string; route: string; stepsPerSecond: number; rme: number; firstLogR: number[] }[];
}

function runPeer(request: object, threads: "one" | "all"): { out: PeerOutput | null; reason?: string } {
  return runPython<PeerOutput>("numpy_peer.py", request, threads);
}

export interface BenchOptions {
  quick?: boolean;
  filter?: string;
  /** Cases to run instead of CASES (the smoke test's tiny case). */
  cases?: BenchCase[];
  peer?: boolean;
  /** The lockstep ensembles (bench/lockstep.ts; default true; the --filter applies to their cases too). */
  lockstep?: boolean;
  log?: (line: string) => void;
}

export function runBench(options: BenchOptions = {}): BenchReport {
  const log = options.log ?? ((line: string) => console.log(line));
  const quick = options.quick ?? false;
  const { backends, missing } = availableBackends();
  for (const m of missing) log(`(skipped backend ${m})`);
  const cases = (options.cases ?? CASES).filter((c) => !options.filter || c.name.includes(options.filter));
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    numpy: { available: false },
    matmul: null,
    quick,
    rows: [],
    peer: [],
    lockstep: null,
    targets: [],
  };

  // The limit: NumPy's matmul on large square float64 matrices, one thread (headline) and all threads.
  if (options.peer !== false) {
    const n = quick ? 400 : 2000;
    const seconds = quick ? 0.05 : 1.5;
    const one = runPeer({ matmul: { n, seconds }, cases: [] }, "one");
    const all = one.out ? runPeer({ matmul: { n, seconds }, cases: [] }, "all") : one;
    if (one.out?.matmul && all.out?.matmul) {
      report.numpy = {
        available: true,
        version: one.out.blas.numpy,
        blas: one.out.blas.blas,
        kernel: one.out.blas.kernel,
        threads: one.out.blas.threads,
      };
      report.matmul = {
        n,
        gflops1: one.out.matmul.gflops,
        gflopsAll: all.out.matmul.gflops,
        threadsAll: all.out.blas.threads ?? null,
      };
      log(
        `NumPy ${report.numpy.version} (${report.numpy.blas}, kernel ${report.numpy.kernel ?? "?"}): matmul n=${n} ` +
          `${report.matmul.gflops1.toFixed(1)} GFLOP/s on 1 thread, ${report.matmul.gflopsAll.toFixed(1)} on ${report.matmul.threadsAll ?? "all"} threads`,
      );
    } else {
      report.numpy = { available: false, reason: one.reason ?? all.reason };
      log(`(no NumPy peer: ${report.numpy.reason})`);
    }
  }

  for (const c of cases) {
    const { X, Y, w0 } = caseData(c);
    const k = kOf(c);
    const eta = c.eta ?? BENCH_ETA;
    // The peer first, on one thread, like the hot loop (it implements gradient descent only).
    let peer: PeerRow | null = null;
    let peerLogR: number[] = [];
    if (report.numpy.available && (c.optimizer ?? "gd") === "gd") {
      const res = runPeer(
        {
          seconds: quick ? 0.1 : 1.5,
          repeats: quick ? 2 : 5,
          cases: [{ ...c, k, eta, X: Array.from(X), Y: Array.from(Y), w0: Array.from(w0) }],
        },
        "one",
      );
      if (res.out) {
        const pc = res.out.cases[0];
        const route = pc.route as RouteName;
        peer = {
          case: c.name,
          route,
          stepsPerSecond: pc.stepsPerSecond,
          rme: pc.rme,
          gflops: (flopsPerStep(c, route).total * pc.stepsPerSecond) / 1e9,
          firstLogRMaxDiff: {},
        };
        peerLogR = pc.firstLogR;
        report.peer.push(peer);
        log(
          `${c.name.padEnd(38)} numpy   ${route.padEnd(8)} ${pc.stepsPerSecond.toFixed(1).padStart(11)} steps/s  ±${pc.rme.toFixed(1)}%`,
        );
      } else log(`${c.name}: NumPy peer failed: ${res.reason}`);
    }
    const runs = backends.flatMap((backend) =>
      [1, ...(c.threads ?? [])].filter((t) => t <= backend.maxThreads).map((threads) => ({ backend, threads })),
    );
    for (const { backend, threads } of runs) {
      const D = dimensionOf(c);
      // About 5 ms of work per benchmark call, whatever the size; a multiple of qrEvery.
      const raw = Math.max(1, Math.round(2e5 / (D * (k + 2) * c.samples ** 0.5)));
      const steps = Math.max(1, Math.round(raw / c.qrEvery)) * c.qrEvery;
      const runner = caseRunner(backend, c, steps, threads);
      if (peer && threads === 1) peer.firstLogRMaxDiff[backend.name] = maxAbsDiff(runner.firstLogR(), peerLogR);
      const bench = new Benchmark(`${c.name} [${backend.name}, ${threads} thread(s)]`, () => runner.run(), {
        maxTime: quick ? 0.05 : 2,
        minSamples: quick ? 1 : 5,
        initCount: 1,
      });
      bench.run();
      runner.dispose();
      const stepsPerSecond = bench.hz * steps;
      const flops = flopsPerStep(c, runner.route).total;
      const gflops = (flops * stepsPerSecond) / 1e9;
      const row: BenchRow = {
        backend: backend.name,
        case: c.name,
        D: runner.D,
        k: runner.k,
        qrEvery: c.qrEvery,
        lever: c.lever ?? false,
        threads,
        route: runner.route,
        stepsPerSecond,
        rme: bench.stats.rme,
        flopsPerStep: flops,
        gflops,
        vsNumpy: peer ? stepsPerSecond / peer.stepsPerSecond : null,
        vsMatmul1: report.matmul ? gflops / report.matmul.gflops1 : null,
        vsMatmulAll: report.matmul ? gflops / report.matmul.gflopsAll : null,
      };
      report.rows.push(row);
      log(
        `${row.case.padEnd(38)} ${`${row.backend}${threads > 1 ? `×${threads}` : ""}`.padEnd(9)} ${row.route.padEnd(8)} ${stepsPerSecond.toFixed(1).padStart(11)} steps/s  ±${row.rme.toFixed(1)}%  ${gflops.toFixed(2)} GFLOP/s` +
          (row.vsNumpy !== null ? `  ${row.vsNumpy.toFixed(1)}x NumPy` : "") +
          (row.vsMatmul1 !== null ? `  ${row.vsMatmul1.toFixed(2)} of matmul(1)` : ""),
      );
    }
  }
  if (options.lockstep !== false) {
    const cases = LOCKSTEP_CASES.filter((c) => !options.filter || c.name.includes(options.filter));
    if (cases.length > 0) report.lockstep = runLockstepBench({ quick, log, peer: options.peer, cases });
  }
  report.targets = evaluateTargets(report);
  return report;
}

/** The targets of issues 6 and 15, from the rows of this run (null where a figure is missing). */
export function evaluateTargets(r: BenchReport): Target[] {
  const row = (backend: string, prefix: string, k: "D" | number = "D", threads = 1) =>
    r.rows.find(
      (x) =>
        x.backend === backend &&
        x.case.startsWith(prefix) &&
        !x.lever &&
        x.threads === threads &&
        (k === "D" ? x.k === x.D : x.k === k),
    );
  const out: Target[] = [];
  const target = (issue: number, name: string, goal: number, value: number | null | undefined) =>
    out.push({ issue, name, goal: `>= ${goal}`, value: value ?? null, met: value != null ? value >= goal : null });
  target(6, "native / NumPy, small", 50, row("native", "small")?.vsNumpy);
  target(6, "native effective / matmul (1 thread), large k=D", 0.5, row("native", "large")?.vsMatmul1);
  for (const [label, prefix, k] of [
    ["medium", "medium", "D"],
    ["large k=D", "large", "D"],
    ["large k=10", "large", 10],
  ] as const) {
    const n = row("native", prefix, k);
    const w = row("wasm", prefix, k);
    target(6, `wasm / native, ${label}`, 0.4, n && w ? w.stepsPerSecond / n.stepsPerSecond : null);
  }
  const lock = (backend: string, prefix: string) =>
    r.lockstep?.rows.find((x) => x.backend === backend && x.case.startsWith(prefix))?.runStepsPerSecond;
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b ? a / b : null);
  for (const [label, prefix, goal] of [
    ["default study setting (D = 7)", "default", 10],
    ["small (D = 31)", "small", 4],
  ] as const) {
    target(15, `native lockstep / batched NumPy, ${label}`, goal, ratio(lock("native", prefix), lock("NumPy", prefix)));
    target(15, `wasm lockstep / native lockstep, ${label}`, 0.5, ratio(lock("wasm", prefix), lock("native", prefix)));
  }
  target(15, "native / NumPy, wide (single run)", 1.5, row("native", "wide")?.vsNumpy);
  target(15, "native effective / matmul (1 thread), large k=D", 0.6, row("native", "large")?.vsMatmul1);
  target(
    15,
    "native 2 threads / 1 thread, large k=D",
    1.6,
    ratio(row("native", "large", "D", 2)?.stepsPerSecond, row("native", "large")?.stepsPerSecond),
  );
  return out;
}

const README_START = "<!-- bench:reference:start -->";
const README_END = "<!-- bench:reference:end -->";

/** The reference table between the README's markers. */
function writeReadmeTable(md: string): void {
  const readme = join(here, "..", "README.md");
  const text = readFileSync(readme, "utf8");
  const a = text.indexOf(README_START);
  const b = text.indexOf(README_END);
  if (a >= 0 && b > a) {
    writeFileSync(readme, `${text.slice(0, a + README_START.length)}\n${md}${text.slice(b)}`);
    console.log("README.md: reference table updated");
  }
}

function main(): void {
  const argv = process.argv.slice(2);
  const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  if (argv.includes("--render")) {
    // The committed reference rendered again (after a change of the table's wording), without measuring anything.
    const base = join(here, "results", "reference");
    const md = renderMarkdown(JSON.parse(readFileSync(`${base}.json`, "utf8")) as BenchReport);
    writeFileSync(`${base}.md`, md);
    writeReadmeTable(md);
    return;
  }
  const report = runBench({
    quick: argv.includes("--quick"),
    filter: arg("--filter"),
    peer: !argv.includes("--no-peer"),
    lockstep: !argv.includes("--no-lockstep"),
  });
  const md = renderMarkdown(report);
  console.log(`\n${md}`);
  const base = argv.includes("--reference")
    ? join(here, "results", "reference")
    : (arg("--out") ?? join(here, "results", "tmp-latest"));
  mkdirSync(dirname(base), { recursive: true });
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  console.log(`written: ${base}.json, ${base}.md`);
  if (argv.includes("--reference")) writeReadmeTable(md);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
