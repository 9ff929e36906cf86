/**
 * The ensemble benchmark (issue 15): run-steps per second of many initial conditions of one network trained in lockstep
 * (Backend.createEnsemble: the runs on the SIMD lanes), one thread, on every backend, next to a batched NumPy peer
 * over the same kind of runs (bench/numpy_ensemble_peer.py: einsum, stacked matmul and stacked QR over all runs at
 * once, one BLAS thread). Both do gradient descent with the exact tangent map of k = D vectors and a QR every step;
 * the first step's log R_jj of the peer's runs are checked against the engine's for the same initial weights.
 *
 *   runLockstepBench({ quick, log, peer }) -> LockstepReport
 */
import Benchmark from "benchmark";
import { availableBackends } from "../src/backend/loader.js";
import { type Backend, RuleId, TangentRoute } from "../src/backend/types.js";
import { networkShape, parameterCount } from "../src/config/shape.js";
import { createRng } from "../src/system/rng.js";
import { maxAbsDiff, runPython } from "./peer.js";

export interface LockstepCase {
  name: string;
  hidden: number;
  samples: number;
  /** Target: |x| ("abs") or sin(pi x) ("sin") on equally spaced points of [-1, 1]. */
  task: "abs" | "sin";
  eta: number;
  /** Initial weights uniform on [-scale, scale). */
  scale: number;
}

/** The issue's two ensemble cases: the default study's setting and the small case of the single-run benchmark. */
export const LOCKSTEP_CASES: LockstepCase[] = [
  { name: "default study setting 1-2-1 tanh N=40 k=D=7", hidden: 2, samples: 40, task: "abs", eta: 0.5, scale: 0.5 },
  { name: "small 1-10-1 tanh N=40 k=D=31", hidden: 10, samples: 40, task: "sin", eta: 0.1, scale: 1 },
];

export interface LockstepRow {
  case: string;
  backend: "native" | "wasm" | "NumPy";
  D: number;
  /** Runs advanced together per measured cycle. */
  runs: number;
  runStepsPerSecond: number;
  /** Relative margin of error (95 %), percent. */
  rme: number;
  /** Of the peer: max |log R_jj| difference of its first step against each backend's (the check of equal work). */
  firstLogRMaxDiff?: Record<string, number>;
}

export interface LockstepReport {
  rows: LockstepRow[];
  numpy: { available: boolean; reason?: string };
}

function caseData(c: LockstepCase, runs: number) {
  const N = c.samples;
  const X = Float64Array.from({ length: N }, (_, s) => -1 + (2 * s) / (N - 1));
  const Y = X.map((x) => (c.task === "abs" ? Math.abs(x) : Math.sin(Math.PI * x)));
  const D = parameterCount({ inputs: 1, hidden: c.hidden, outputs: 1 });
  const rng = createRng(11);
  const W0 = Array.from({ length: runs }, () =>
    Float64Array.from({ length: D }, () => c.scale * (2 * rng.uniform() - 1)),
  );
  return { X, Y, D, W0 };
}

/** An engine ensemble of `runs` runs (in kernels of backend.ensembleLanes) and a function advancing all by `steps`. */
function engineRunner(backend: Backend, c: LockstepCase, runs: number, steps: number) {
  const { X, Y, D, W0 } = caseData(c, runs);
  const shape = networkShape({
    inputs: 1,
    hidden: c.hidden,
    outputs: 1,
    activation: "tanh",
    activationParam: 0,
    outputActivation: "identity",
  });
  const rule = { rule: RuleId.gd, learningRate: c.eta, params: [] };
  const lanes = backend.ensembleLanes;
  const kernels = Array.from({ length: Math.ceil(runs / lanes) }, (_, i) =>
    backend.createEnsemble({ shape, X, Y, maxK: D, rule, runs: Math.min(lanes, runs - i * lanes) }),
  );
  const I = new Float64Array(D * D);
  for (let j = 0; j < D; j++) I[j * D + j] = 1;
  let taken = 0;
  const reset = () => {
    kernels.forEach((e, i) => {
      for (let b = 0; b < e.runs; b++) {
        e.setState(b, W0[i * lanes + b]);
        e.setTangent(b, I);
      }
    });
    taken = 0;
  };
  reset();
  const lossOut = new Float64Array(lanes * steps);
  const logRDiag = new Float64Array(lanes * steps * D);
  const advance = (n: number, t0: number) =>
    kernels.map((e) =>
      e.trainChunk({ k: D, nSteps: n, qrEvery: 1, route: TangentRoute.hessian, t0, lossOut, logRDiag }),
    );
  return {
    D,
    W0,
    /** log R_jj of the first step of every run. */
    firstLogR(): number[][] {
      reset();
      const out: number[][] = [];
      kernels.forEach((e) => {
        e.trainChunk({ k: D, nSteps: 1, qrEvery: 1, route: TangentRoute.hessian, t0: 0, lossOut, logRDiag });
        for (let b = 0; b < e.runs; b++) out.push(Array.from(logRDiag.subarray(b * D, (b + 1) * D)));
      });
      reset();
      return out;
    },
    run(): void {
      if (taken > 20000) reset();
      advance(steps, taken);
      taken += steps;
    },
    dispose: () => {
      for (const e of kernels) e.dispose();
    },
  };
}

function runPeer(request: object): {
  out: { runStepsPerSecond: number; rme: number; firstLogR: number[][][] } | null;
  reason?: string;
} {
  return runPython("numpy_ensemble_peer.py", request, "one");
}

export function runLockstepBench(
  options: { quick?: boolean; log?: (line: string) => void; peer?: boolean; cases?: LockstepCase[] } = {},
): LockstepReport {
  const log = options.log ?? ((l: string) => console.log(l));
  const quick = options.quick ?? false;
  const report: LockstepReport = { rows: [], numpy: { available: options.peer !== false } };
  const { backends } = availableBackends();
  for (const c of options.cases ?? LOCKSTEP_CASES) {
    // The engine: 32 runs (8 kernels of 4 lanes), 50 steps per cycle; NumPy gets 256 runs (its per-call overhead
    // is then shared by many runs: its best batch here).
    const runs = quick ? 8 : 32;
    const firsts: Record<string, number[][]> = {};
    for (const backend of backends) {
      if (backend.ensembleLanes === 0) continue;
      const runner = engineRunner(backend, c, runs, quick ? 5 : 50);
      firsts[backend.name] = runner.firstLogR();
      const bench = new Benchmark(`${c.name} ${backend.name}`, () => runner.run(), {
        minSamples: quick ? 2 : 10,
        maxTime: quick ? 0.05 : 2,
        initCount: 1,
      });
      bench.run();
      const perSecond = bench.hz * runs * (quick ? 5 : 50);
      report.rows.push({
        case: c.name,
        backend: backend.name,
        D: runner.D,
        runs,
        runStepsPerSecond: perSecond,
        rme: bench.stats.rme,
      });
      log(
        `${c.name.padEnd(46)} ${backend.name.padEnd(6)} ${perSecond.toFixed(0).padStart(10)} run-steps/s  ±${bench.stats.rme.toFixed(1)}%`,
      );
      runner.dispose();
    }
    if (options.peer === false) continue;
    const peerRuns = quick ? 16 : 256;
    const { X, Y, W0 } = caseData(c, peerRuns);
    const res = runPeer({
      inputs: 1,
      hidden: c.hidden,
      outputs: 1,
      activation: "tanh",
      samples: c.samples,
      eta: c.eta,
      X: Array.from(X),
      Y: Array.from(Y),
      W0: W0.map((w) => Array.from(w)),
      steps: quick ? 2 : 20,
      repeats: quick ? 2 : 5,
      checkSteps: 1,
    });
    if (!res.out) {
      report.numpy = { available: false, reason: res.reason };
      log(`(no NumPy ensemble peer: ${res.reason})`);
      continue;
    }
    const peerFirst = res.out.firstLogR[0];
    const diff: Record<string, number> = {};
    for (const [name, first] of Object.entries(firsts)) {
      diff[name] = Math.max(...first.map((row, r) => maxAbsDiff(row, peerFirst[r])));
    }
    report.rows.push({
      case: c.name,
      backend: "NumPy",
      D: caseData(c, 1).D,
      runs: peerRuns,
      runStepsPerSecond: res.out.runStepsPerSecond,
      rme: res.out.rme,
      firstLogRMaxDiff: diff,
    });
    log(
      `${c.name.padEnd(46)} NumPy  ${res.out.runStepsPerSecond.toFixed(0).padStart(10)} run-steps/s  ±${res.out.rme.toFixed(1)}%  (first log R vs ${Object.entries(
        diff,
      )
        .map(([k, v]) => `${k} ${v.toExponential(1)}`)
        .join(", ")})`,
    );
  }
  return report;
}
