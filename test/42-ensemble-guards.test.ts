/**
 * Argument guards of the ensembles (Backend.createEnsemble, EnsembleKernel): every bad argument throws a
 * TypeError/RangeError whose message starts with `weightdyn: ` and names it. The WASM adapter
 * (src/backend/wasm-ensemble.ts) checks everything before calling the module, which raises no JavaScript exceptions;
 * where the native addon loads, the same case must throw the same class with the same message through it
 * (native/bind_ensemble.cc, native/args.cc).
 */
import { describe, expect, it } from "vitest";
import type { Backend, EnsembleChunkRequest, EnsembleKernel, EnsembleSpec } from "../src/backend/types.js";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { nativeBackend as native, nativeMissing } from "./support/backends.js";
import { gd } from "./support/networks.js";

const wasm = createWasmBackend(compileWasmModule());

// Three runs of a 2-3-1 tanh network (D = 13) on 4 samples, for up to 2 tangent vectors.
const D = 13;
const spec: EnsembleSpec = {
  shape: { inputs: 2, hidden: 3, outputs: 1, activation: 1, activationParam: 0, outputActivation: 0 },
  X: Float64Array.from({ length: 8 }, (_, i) => 0.1 * i - 0.3),
  Y: Float64Array.from({ length: 4 }, (_, i) => 0.2 * i),
  maxK: 2,
  rule: gd(0.1),
  runs: 3,
};
const f64 = (n: number) => new Float64Array(n);
const i32 = (...v: number[]) => Int32Array.from(v);
// Calls with deliberately wrong argument types.
// biome-ignore lint/suspicious/noExplicitAny: the point of these tests
type Loose = any;

function ens(b: Backend): EnsembleKernel {
  const e = b.createEnsemble(spec);
  for (let r = 0; r < 3; r++) e.setState(r, f64(D).fill(0.1 * (r + 1)));
  return e;
}

/** trainChunk of 2 steps, k = 2 (QR every step), explicit route, unless overridden. */
function train(b: Backend, over: Partial<Record<keyof EnsembleChunkRequest, unknown>>) {
  const req = { k: 2, nSteps: 2, qrEvery: 1, route: 1, t0: 0, lossOut: f64(6), logRDiag: f64(12), ...over };
  return ens(b).trainChunk(req as EnsembleChunkRequest);
}

interface Case {
  title: string;
  run: (b: Backend) => void;
  error: typeof TypeError | typeof RangeError;
  message: string;
}

const range = (title: string, run: (b: Backend) => void, message: string): Case => ({
  title,
  run,
  error: RangeError,
  message: `weightdyn: ${message}`,
});
const type = (title: string, run: (b: Backend) => void, message: string): Case => ({
  title,
  run,
  error: TypeError,
  message: `weightdyn: ${message}`,
});

const cases: Case[] = [
  range(
    "createEnsemble: runs 0",
    (b) => b.createEnsemble({ ...spec, runs: 0 }),
    "expected an integer in [1, 4] for runs but received 0.000000",
  ),
  range(
    "createEnsemble: runs beyond the lanes",
    (b) => b.createEnsemble({ ...spec, runs: 5 }),
    "expected an integer in [1, 4] for runs but received 5.000000",
  ),
  range(
    "createEnsemble: runs not an integer",
    (b) => b.createEnsemble({ ...spec, runs: 1.5 }),
    "expected an integer in [1, 4] for runs but received 1.500000",
  ),
  type(
    "createEnsemble: runs missing",
    (b) => b.createEnsemble({ ...spec, runs: undefined as Loose }),
    "expected an integer for runs",
  ),
  range(
    "createEnsemble: two hidden layers",
    (b) => b.createEnsemble({ ...spec, shape: { ...spec.shape, hidden: [3, 2] } }),
    "expected 1 hidden layer in an ensemble (the lockstep kernels are three-layer) but received 2",
  ),
  range(
    "createEnsemble: maxK beyond S",
    (b) => b.createEnsemble({ ...spec, maxK: 14 }),
    "expected an integer in [0, 13] for maxK but received 14.000000",
  ),
  range(
    "createEnsemble: X with NaN",
    (b) => b.createEnsemble({ ...spec, X: Float64Array.of(0, Number.NaN, 0, 0, 0, 0, 0, 0) }),
    "expected finite values in X but element 1 is nan",
  ),
  range(
    "createEnsemble: Y of the wrong length",
    (b) => b.createEnsemble({ ...spec, Y: f64(3) }),
    "expected Y to have 4 elements but it has 3",
  ),
  range(
    "setState: run beyond the runs",
    (b) => ens(b).setState(3, f64(D)),
    "expected an integer in [0, 2] for run but received 3.000000",
  ),
  range(
    "setState: run -1",
    (b) => ens(b).setState(-1, f64(D)),
    "expected an integer in [0, 2] for run but received -1.000000",
  ),
  type("setState: run not a number", (b) => ens(b).setState("0" as Loose, f64(D)), "expected an integer for run"),
  range(
    "getState: run not an integer",
    (b) => ens(b).getState(1.5),
    "expected an integer in [0, 2] for run but received 1.500000",
  ),
  range(
    "setState: an infinite weight",
    (b) => ens(b).setState(0, f64(D).fill(Number.POSITIVE_INFINITY, 4)),
    "expected finite values in state but element 4 is inf",
  ),
  range(
    "setState: a NaN weight",
    (b) => ens(b).setState(0, f64(D).fill(Number.NaN, 12)),
    "expected finite values in state but element 12 is nan",
  ),
  range(
    "setState: the wrong length",
    (b) => ens(b).setState(0, f64(D - 1)),
    "expected state to have 13 elements but it has 12",
  ),
  type(
    "setState: a plain array",
    (b) => ens(b).setState(0, new Array(D).fill(0) as Loose),
    "expected a Float64Array for state",
  ),
  range(
    "setTangent: the wrong length",
    (b) => ens(b).setTangent(1, f64(D)),
    "expected Q to have 26 elements but it has 13",
  ),
  range(
    "setTangent: a NaN",
    (b) => ens(b).setTangent(1, f64(2 * D).fill(Number.NaN)),
    "expected finite values in Q but element 0 is nan",
  ),
  range(
    "getState: out of the wrong length",
    (b) => ens(b).getState(0, f64(D + 1)),
    "expected out to have 13 elements but it has 14",
  ),
  range(
    "getTangent: out of the wrong length",
    (b) => ens(b).getTangent(2, f64(D)),
    "expected out to have 26 elements but it has 13",
  ),
  range(
    "losses: out of the wrong length",
    (b) => ens(b).losses(f64(2)),
    "expected out to have 3 elements but it has 2",
  ),
  range(
    "trainChunk: k beyond maxK",
    (b) => train(b, { k: 3 }),
    "expected an integer in [0, 2] for k but received 3.000000",
  ),
  range(
    "trainChunk: nSteps 0",
    (b) => train(b, { nSteps: 0 }),
    "expected an integer in [1, 2147483647] for nSteps but received 0.000000",
  ),
  range(
    "trainChunk: qrEvery 0",
    (b) => train(b, { qrEvery: 0 }),
    "expected an integer in [1, 2147483647] for qrEvery but received 0.000000",
  ),
  range(
    "trainChunk: route auto (unresolved)",
    (b) => train(b, { route: 0 }),
    "expected an integer in [1, 3] for route but received 0.000000",
  ),
  range(
    "trainChunk: route beyond the table",
    (b) => train(b, { route: 4 }),
    "expected an integer in [1, 3] for route but received 4.000000",
  ),
  range(
    "trainChunk: t0 negative",
    (b) => train(b, { t0: -1 }),
    "expected an integer in [0, 2^53] for t0 but received -1.000000",
  ),
  range(
    "trainChunk: t0 not an integer",
    (b) => train(b, { t0: 1.5 }),
    "expected an integer in [0, 2^53] for t0 but received 1.500000",
  ),
  range("trainChunk: t0 NaN", (b) => train(b, { t0: Number.NaN }), "expected a finite number for t0 but received nan"),
  type("trainChunk: t0 a string", (b) => train(b, { t0: "0" }), "expected a number for t0"),
  range(
    "trainChunk: nSteps not a multiple of qrEvery",
    (b) => train(b, { nSteps: 3, qrEvery: 2 }),
    "nSteps (3) must be a multiple of qrEvery (2)",
  ),
  range(
    "trainChunk: lossOut shorter than runs x nSteps",
    (b) => train(b, { lossOut: f64(5) }),
    "expected lossOut to have at least 6 elements but it has 5",
  ),
  range(
    "trainChunk: logRDiag shorter than runs x nQr x k",
    (b) => train(b, { logRDiag: f64(11) }),
    "expected logRDiag to have at least 12 elements but it has 11",
  ),
  type(
    "trainChunk: lossOut a plain array",
    (b) => train(b, { lossOut: [0, 0, 0, 0, 0, 0] }),
    "expected a Float64Array for lossOut",
  ),
  range(
    "trainChunk: lossOut and logRDiag overlapping",
    (b) => {
      const buf = f64(20);
      train(b, { lossOut: buf.subarray(0, 6), logRDiag: buf.subarray(5, 17) });
    },
    "lossOut and logRDiag must not overlap (they share memory)",
  ),
  range(
    "trainChunk: batch index out of range",
    (b) => train(b, { batches: { indices: i32(0, 4), offsets: i32(0, 1, 2) } }),
    "expected integers in [0, 3] in batchIndices but element 1 is 4",
  ),
  range(
    "trainChunk: batch offsets of the wrong length",
    (b) => train(b, { batches: { indices: i32(0, 1), offsets: i32(0, 2) } }),
    "expected batchOffsets to have 3 elements but it has 2",
  ),
  range(
    "trainChunk: batch offsets without indices",
    (b) => train(b, { batches: { indices: null, offsets: i32(0, 1, 2) } }),
    "batchIndices and batchOffsets must both be given or both be null",
  ),
  range(
    "trainChunk: an empty batch",
    (b) => train(b, { batches: { indices: i32(1, 2), offsets: i32(0, 0, 2) } }),
    "expected every batch to hold 1 to 4 samples but batch 0 holds 0",
  ),
  range(
    "trainChunk: offsets not ending at the length of the indices",
    (b) => train(b, { batches: { indices: i32(1, 2, 3), offsets: i32(0, 1, 2) } }),
    "expected batchOffsets to run from 0 to the length of batchIndices (3)",
  ),
  type(
    "trainChunk: batch indices a plain array",
    (b) => train(b, { batches: { indices: [0, 1], offsets: i32(0, 1, 2) } }),
    "expected an Int32Array for batchIndices",
  ),
];

const disposedCalls: [string, (e: EnsembleKernel) => void][] = [
  ["setState", (e) => e.setState(0, f64(D))],
  ["getState", (e) => e.getState(0)],
  ["setTangent", (e) => e.setTangent(0, f64(2 * D))],
  ["getTangent", (e) => e.getTangent(0)],
  ["losses", (e) => e.losses()],
  [
    "trainChunk",
    (e) => e.trainChunk({ k: 0, nSteps: 1, qrEvery: 1, route: 1, t0: 0, lossOut: f64(3), logRDiag: f64(0) }),
  ],
];
for (const [name, call] of disposedCalls) {
  cases.push(
    range(
      `${name}: after dispose`,
      (b) => {
        const e = ens(b);
        e.dispose();
        e.dispose(); // a second dispose is a no-op
        call(e);
      },
      "this ensemble has been disposed",
    ),
  );
}

function thrown(run: () => void): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

for (const [name, backend] of [
  ["wasm", wasm],
  ["native", native],
] as const) {
  describe(`42 ensemble guards: each bad argument throws, naming it [${name}]`, () => {
    if (backend === null) it.skip(`native backend unavailable: ${nativeMissing}`, () => {});
    for (const c of cases) {
      it.skipIf(backend === null)(`${c.title} (${name})`, () => {
        const err = thrown(() => c.run(backend as Backend));
        expect(err).toBeInstanceOf(c.error);
        expect((err as Error).message).toBe(c.message);
      });
    }
  });
}

describe("42 ensemble guards: an ensemble works after rejected calls (wasm)", () => {
  it("rejected calls change nothing: the same chunk as an ensemble that saw none (wasm)", () => {
    const chunk = () => ({ k: 2, nSteps: 4, qrEvery: 2, route: 1, t0: 0, lossOut: f64(12), logRDiag: f64(12) });
    const run = (rejected: boolean) => {
      const e = ens(wasm);
      const Q = f64(2 * D);
      Q[0] = Q[D + 1] = 1;
      for (let r = 0; r < 3; r++) e.setTangent(r, Q);
      if (rejected) {
        expect(() => e.setState(1, f64(D).fill(Number.NaN))).toThrow(RangeError);
        expect(() => e.trainChunk({ ...chunk(), route: 0 })).toThrow(RangeError);
        expect(() => e.trainChunk({ ...chunk(), lossOut: f64(11) })).toThrow(RangeError);
      }
      const req = chunk();
      const res = e.trainChunk(req);
      const out = [...req.lossOut, ...req.logRDiag, ...e.getState(1), ...res.steps, ...res.reasons];
      e.dispose();
      return out;
    };
    const clean = run(false);
    expect(clean.slice(0, 12).every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    expect(run(true)).toEqual(clean);
  });
});
