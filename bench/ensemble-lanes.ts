/**
 * The lockstep ensemble kernels of the two backends side by side (issue 15: "WASM batched >= 0.5x native batched"):
 * run-steps per second of an ensemble of 4 runs (Backend.createEnsemble) on the two cases, 1-2-1 and 1-10-1
 * tanh networks on 40 samples of sin(pi x), gradient descent with eta = 0.1, the full spectrum (k = D) with a QR every
 * step, on the route `auto` picks for that size (a NetworkKernel's chooseRoute), and the ratio WASM / native.
 *
 *   node --import tsx bench/ensemble-lanes.ts [--repeats 12] [--route hessian|hvp|factored] [--quick]
 *
 * Time is the process's CPU time (process.cpuUsage), not wall time, so that other work on the machine hurts less; after
 * a warm-up (V8 tiers WASM up to optimized code in the background), the two backends alternate and the best of
 * `--repeats` measurements of each is kept; the load average is printed, since a loaded machine still spreads the
 * figures. --quick: one short repeat, for a smoke test (its ratio means nothing).
 */
import { loadavg } from "node:os";
import { availableBackends } from "../src/backend/loader.js";
import { TANGENT_ROUTE_NAMES, TangentRoute } from "../src/backend/tables.js";
import type { Backend, EnsembleSpec } from "../src/backend/types.js";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const quick = process.argv.includes("--quick");
const repeats = quick ? 1 : Number(flag("repeats", "12"));
const routeName = flag("route", "auto");
const N = 40;
const X = Float64Array.from({ length: N }, (_, s) => -1 + (2 * s) / (N - 1));
const Y = X.map((x) => Math.sin(Math.PI * x));

function spec(hidden: number): EnsembleSpec {
  const D = 3 * hidden + 1;
  const shape = { inputs: 1, hidden, outputs: 1, activation: 1, activationParam: 0, outputActivation: 0 };
  return { shape, X, Y, maxK: D, rule: { rule: 0, learningRate: 0.1, params: [] }, runs: 4 };
}

/** The route of the measurement: --route, or what auto picks for k = D on all samples. */
function routeFor(backend: Backend, s: EnsembleSpec): number {
  if (routeName !== "auto") return TangentRoute[routeName as keyof typeof TangentRoute];
  const net = backend.createNetwork(s);
  const r = net.chooseRoute(s.maxK);
  net.dispose();
  return r;
}

/** Run-steps per CPU second of `steps` steps of the four runs (after one unmeasured chunk). */
function rate(backend: Backend, s: EnsembleSpec, route: number, steps: number): number {
  const e = backend.createEnsemble(s);
  const D = s.maxK;
  for (let b = 0; b < 4; b++) {
    e.setState(
      b,
      Float64Array.from({ length: D }, (_, p) => Math.sin(1 + 7 * p + 13 * b)),
    );
    const Q = new Float64Array(D * D);
    for (let j = 0; j < D; j++) Q[j * D + j] = 1;
    e.setTangent(b, Q);
  }
  const req = { k: D, nSteps: steps, qrEvery: 1, route, t0: 0, lossOut: new Float64Array(4 * steps) };
  const logRDiag = new Float64Array(4 * steps * D);
  e.trainChunk({ ...req, logRDiag });
  const t = process.cpuUsage();
  const res = e.trainChunk({ ...req, t0: steps, logRDiag });
  const u = process.cpuUsage(t);
  e.dispose();
  if (res.reasons.some((r) => r !== 0)) throw new Error("a run diverged: the measurement would not be comparable");
  return (4 * steps) / ((u.user + u.system) / 1e6);
}

const { backends, missing } = availableBackends();
const native = backends.find((b) => b.name === "native");
const wasm = backends.find((b) => b.name === "wasm");
if (!native || !wasm) {
  console.log(`ensemble lanes: both backends are needed (${missing.join("; ")})`);
} else {
  for (const hidden of [2, 10]) {
    const s = spec(hidden);
    const route = routeFor(native, s);
    const steps = (quick ? 200 : 4000) / (hidden === 2 ? 1 : 10);
    // Warm-up: V8 runs WASM first as baseline code and compiles the optimized code in the background.
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      rate(native, s, route, steps);
      rate(wasm, s, route, steps);
    }
    let bestNative = 0;
    let bestWasm = 0;
    for (let i = 0; i < repeats; i++) {
      bestNative = Math.max(bestNative, rate(native, s, route, steps));
      bestWasm = Math.max(bestWasm, rate(wasm, s, route, steps));
    }
    const load = loadavg().map((x) => x.toFixed(2));
    console.log(
      `1-${hidden}-1 tanh, N = ${N}, k = D = ${s.maxK}, 4 runs, route ${TANGENT_ROUTE_NAMES[route]}: ` +
        `native ${bestNative.toFixed(0)} run-steps/s, wasm ${bestWasm.toFixed(0)}, wasm / native ${(bestWasm / bestNative).toFixed(2)} ` +
        `(best of ${repeats}; load average ${load.join(" ")})`,
    );
  }
}
