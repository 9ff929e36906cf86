/**
 * Argument guards of the WASM backend (src/backend/guards.ts, src/backend/wasm.ts): every method, called with a wrong
 * type, a wrong length, a non-finite value or an out-of-range integer, throws a TypeError/RangeError whose message
 * starts with `weightdyn: ` and names the argument. Each case runs separately. Where the native addon loads, the same
 * case must throw the same class with the same message through the native backend (native/args.cc), except where a
 * case notes why the two differ.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cppDoubleToString } from "../src/backend/guards.js";
import { createNativeBackend } from "../src/backend/native.js";
import { packageRoot } from "../src/backend/root.js";
import type { Backend, NetworkKernel, NetworkShape, TrainingRule } from "../src/backend/types.js";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { gd } from "./support/networks.js";

const wasm = createWasmBackend(compileWasmModule());
let native: Backend | null = null;
let nativeMissing = "";
try {
  if (!existsSync(join(packageRoot(), "build", "Release", "weightdyn.node")))
    throw new Error("build/Release/weightdyn.node is missing");
  native = createNativeBackend();
} catch (err) {
  nativeMissing = (err as Error).message;
}

// A 2-3-1 network (D = 13) on 4 samples, for up to 2 tangent vectors.
const shape: NetworkShape = {
  inputs: 2,
  hidden: 3,
  outputs: 1,
  activation: 1,
  activationParam: 0,
  outputActivation: 0,
};
const D = 13;
const X = Float64Array.from({ length: 8 }, (_, i) => 0.1 * i - 0.3);
const Y = Float64Array.from({ length: 4 }, (_, i) => 0.2 * i);

/** createNetwork with positional arguments and gd(0.1) unless a rule is given. */
function mk(b: Backend, sh: NetworkShape, x: Float64Array, y: Float64Array, maxK: number, rule: unknown = gd(0.1)) {
  return b.createNetwork({ shape: sh, X: x, Y: y, maxK, rule: rule as TrainingRule });
}
/** trainChunk with positional arguments (t0 = 0, no minibatches). */
function tc(
  n: NetworkKernel,
  k: number,
  nSteps: number,
  qrEvery: number,
  route: number,
  l: unknown,
  r: unknown,
  R: unknown,
) {
  const lossOut = l as Float64Array;
  return n.trainChunk({
    k,
    nSteps,
    qrEvery,
    route,
    t0: 0,
    lossOut,
    logRDiag: r as Float64Array,
    rOut: R as Float64Array,
  });
}

function net(b: Backend, maxK = 2): NetworkKernel {
  const n = mk(b, shape, X, Y, maxK);
  n.weights.fill(0.1);
  return n;
}
function withNaNWeights(b: Backend): NetworkKernel {
  const n = net(b);
  n.weights[0] = Number.NaN;
  return n;
}
const f64 = (n: number) => new Float64Array(n);
// Calls with deliberately wrong argument types.
// biome-ignore lint/suspicious/noExplicitAny: the point of these tests
type Loose = any;

/** trainChunk with 2 steps of k = 0 on the given minibatches. */
function batched(n: NetworkKernel, indices: unknown, offsets: unknown) {
  const batches = { indices, offsets } as { indices: Int32Array; offsets: Int32Array };
  return n.trainChunk({ k: 0, nSteps: 2, qrEvery: 1, route: 0, t0: 0, batches, lossOut: f64(2), logRDiag: f64(0) });
}

function batchCases(): Case[] {
  const i32 = (...v: number[]) => Int32Array.from(v);
  return [
    {
      title: "trainChunk: batch index out of range",
      run: (b) => batched(net(b), i32(0, 4), i32(0, 1, 2)),
      error: RangeError,
      message: "weightdyn: expected integers in [0, 3] in batchIndices but element 1 is 4",
    },
    {
      title: "trainChunk: batch offsets of the wrong length",
      run: (b) => batched(net(b), i32(0, 1), i32(0, 2)),
      error: RangeError,
      message: "weightdyn: expected batchOffsets to have 3 elements but it has 2",
    },
    {
      title: "trainChunk: batch offsets without indices",
      run: (b) => batched(net(b), null, i32(0, 1, 2)),
      error: RangeError,
      message: "weightdyn: batchIndices and batchOffsets must both be given or both be null",
    },
    {
      title: "trainChunk: an empty batch",
      run: (b) => batched(net(b), i32(1, 2), i32(0, 0, 2)),
      error: RangeError,
      message: "weightdyn: expected every batch to hold 1 to 4 samples but batch 0 holds 0",
    },
    {
      title: "trainChunk: offsets not ending at the length of the indices",
      run: (b) => batched(net(b), i32(1, 2, 3), i32(0, 1, 2)),
      error: RangeError,
      message: "weightdyn: expected batchOffsets to run from 0 to the length of batchIndices (3)",
    },
    {
      title: "trainChunk: batch indices a plain array",
      run: (b) => batched(net(b), [0, 1], i32(0, 1, 2)),
      error: TypeError,
      message: "weightdyn: expected an Int32Array for batchIndices",
    },
  ];
}

interface Case {
  title: string;
  run: (b: Backend) => void;
  error: typeof TypeError | typeof RangeError;
  message: string;
}

const cases: Case[] = [
  // activation(id, param, z, f, d1, d2)
  {
    title: "activation: id not a number",
    run: (b) => b.activation("1" as Loose, 0, f64(2), f64(2), f64(2), f64(2)),
    error: TypeError,
    message: "weightdyn: expected an integer for id",
  },
  {
    title: "activation: id out of range",
    run: (b) => b.activation(10, 0, f64(2), f64(2), f64(2), f64(2)),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 9] for id but received 10.000000",
  },
  {
    title: "activation: id not an integer",
    run: (b) => b.activation(1.5, 0, f64(2), f64(2), f64(2), f64(2)),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 9] for id but received 1.500000",
  },
  {
    title: "activation: id NaN",
    run: (b) => b.activation(Number.NaN, 0, f64(2), f64(2), f64(2), f64(2)),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 9] for id but received nan",
  },
  {
    title: "activation: param NaN",
    run: (b) => b.activation(4, Number.NaN, f64(2), f64(2), f64(2), f64(2)),
    error: RangeError,
    message: "weightdyn: expected a finite number for param but received nan",
  },
  {
    title: "activation: param not a number",
    run: (b) => b.activation(4, null as Loose, f64(2), f64(2), f64(2), f64(2)),
    error: TypeError,
    message: "weightdyn: expected a number for param",
  },
  {
    title: "activation: z a plain array",
    run: (b) => b.activation(1, 0, [1, 2] as Loose, f64(2), f64(2), f64(2)),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for z",
  },
  {
    title: "activation: z a Float32Array",
    run: (b) => b.activation(1, 0, new Float32Array(2) as Loose, f64(2), f64(2), f64(2)),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for z",
  },
  {
    title: "activation: z with NaN",
    run: (b) => b.activation(1, 0, Float64Array.of(0, Number.NaN), f64(2), f64(2), f64(2)),
    error: RangeError,
    message: "weightdyn: expected finite values in z but element 1 is nan",
  },
  {
    title: "activation: f of the wrong length",
    run: (b) => b.activation(1, 0, f64(3), f64(2), f64(3), f64(3)),
    error: RangeError,
    message: "weightdyn: expected f to have 3 elements but it has 2",
  },
  {
    title: "activation: d1 missing",
    run: (b) => b.activation(1, 0, f64(3), f64(3), undefined as Loose, f64(3)),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for d1",
  },
  {
    title: "activation: d2 too long",
    run: (b) => b.activation(1, 0, f64(3), f64(3), f64(3), f64(4)),
    error: RangeError,
    message: "weightdyn: expected d2 to have 3 elements but it has 4",
  },

  // qrPositive(A, D, k, R, logRDiag)
  {
    title: "qrPositive: D not a number",
    run: (b) => b.qrPositive(f64(6), "3" as Loose, 2, f64(4), f64(2)),
    error: TypeError,
    message: "weightdyn: expected an integer for D",
  },
  {
    title: "qrPositive: D zero",
    run: (b) => b.qrPositive(f64(6), 0, 2, f64(4), f64(2)),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 16777216] for D but received 0.000000",
  },
  {
    title: "qrPositive: k above D",
    run: (b) => b.qrPositive(f64(6), 3, 4, f64(16), f64(4)),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 3] for k but received 4.000000",
  },
  {
    title: "qrPositive: k not an integer",
    run: (b) => b.qrPositive(f64(6), 3, 1.25, f64(4), f64(2)),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 3] for k but received 1.250000",
  },
  {
    title: "qrPositive: D * k too large",
    run: (b) => b.qrPositive(f64(6), 1 << 24, 1 << 8, f64(4), f64(2)),
    error: RangeError,
    message: "weightdyn: D * k is too large",
  },
  {
    title: "qrPositive: A a plain array",
    run: (b) => b.qrPositive([1, 2, 3, 4, 5, 6] as Loose, 3, 2, f64(4), f64(2)),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for A",
  },
  {
    title: "qrPositive: A too short",
    run: (b) => b.qrPositive(f64(5), 3, 2, f64(4), f64(2)),
    error: RangeError,
    message: "weightdyn: expected A to have at least 6 elements but it has 5",
  },
  {
    title: "qrPositive: A with -Infinity",
    run: (b) => b.qrPositive(Float64Array.of(1, 2, -Infinity, 4, 5, 6), 3, 2, f64(4), f64(2)),
    error: RangeError,
    message: "weightdyn: expected finite values in A but element 2 is -inf",
  },
  {
    title: "qrPositive: R too short",
    run: (b) => b.qrPositive(Float64Array.of(1, 2, 3, 4, 5, 6), 3, 2, f64(3), f64(2)),
    error: RangeError,
    message: "weightdyn: expected R to have at least 4 elements but it has 3",
  },
  {
    title: "qrPositive: R null",
    run: (b) => b.qrPositive(Float64Array.of(1, 2, 3, 4, 5, 6), 3, 2, null as Loose, f64(2)),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for R",
  },
  {
    title: "qrPositive: logRDiag too short",
    run: (b) => b.qrPositive(Float64Array.of(1, 2, 3, 4, 5, 6), 3, 2, f64(4), f64(1)),
    error: RangeError,
    message: "weightdyn: expected logRDiag to have at least 2 elements but it has 1",
  },

  // createNetwork(shape, X, Y, maxK)
  {
    title: "createNetwork: inputs zero",
    run: (b) => mk(b, { ...shape, inputs: 0 }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 1048576] for inputs but received 0.000000",
  },
  {
    title: "createNetwork: hidden a string",
    run: (b) => mk(b, { ...shape, hidden: "3" as Loose }, X, Y, 1),
    error: TypeError,
    message: "weightdyn: expected a number or an array of numbers for hidden",
  },
  {
    title: "createNetwork: 65 hidden layers",
    run: (b) => mk(b, { ...shape, hidden: new Array(65).fill(2) }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected 1 to 64 hidden layers but received 65",
  },
  {
    title: "createNetwork: an empty list of hidden widths",
    run: (b) => mk(b, { ...shape, hidden: [] }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected 1 to 64 hidden layers but received 0",
  },
  {
    title: "createNetwork: a hidden width 0 in a list",
    run: (b) => mk(b, { ...shape, hidden: [3, 0] }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 1048576] for hidden but received 0.000000",
  },
  {
    title: "createNetwork: three activations for two hidden layers",
    run: (b) => mk(b, { ...shape, hidden: [3, 3], activation: [1, 1, 1] }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected activation to have 1 or 2 elements but it has 3",
  },
  {
    title: "createNetwork: two activation parameters for three hidden layers",
    run: (b) => mk(b, { ...shape, hidden: [3, 3, 2], activationParam: [0.1, 0.2] }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected activationParam to have 1 or 3 elements but it has 2",
  },
  {
    title: "createNetwork: an activation id out of range in a list",
    run: (b) => mk(b, { ...shape, hidden: [3, 3], activation: [1, 12] }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 9] for activation but received 12.000000",
  },
  {
    title: "createNetwork: outputs not an integer",
    run: (b) => mk(b, { ...shape, outputs: 1.5 }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 1048576] for outputs but received 1.500000",
  },
  {
    title: "createNetwork: activation out of range",
    run: (b) => mk(b, { ...shape, activation: 10 }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 9] for activation but received 10.000000",
  },
  {
    title: "createNetwork: activationParam Infinity",
    run: (b) => mk(b, { ...shape, activationParam: Number.POSITIVE_INFINITY }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected a finite number for activationParam but received inf",
  },
  {
    title: "createNetwork: outputActivation relu",
    run: (b) => mk(b, { ...shape, outputActivation: 3 }, X, Y, 1),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 2] for outputActivation but received 3.000000",
  },
  {
    title: "createNetwork: no samples",
    run: (b) => mk(b, shape, f64(1), f64(0), 1),
    error: RangeError,
    message: "weightdyn: expected between 1 and 67108864 samples in X but it holds 0",
  },
  {
    title: "createNetwork: too many parameters",
    run: (b) => mk(b, { ...shape, inputs: 1 << 12, hidden: 1 << 12 }, f64(1 << 12), f64(1), 0),
    error: RangeError,
    message: "weightdyn: the training state has too many numbers (16785409)",
  },
  {
    title: "createNetwork: maxK above D",
    run: (b) => mk(b, shape, X, Y, D + 1),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 13] for maxK but received 14.000000",
  },
  {
    title: "createNetwork: maxK negative",
    run: (b) => mk(b, shape, X, Y, -1),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 13] for maxK but received -1.000000",
  },
  {
    title: "createNetwork: X a plain array",
    run: (b) => mk(b, shape, [...X] as Loose, Y, 1),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for X",
  },
  {
    title: "createNetwork: X not a multiple of inputs",
    run: (b) => mk(b, shape, f64(9), Y, 1),
    error: RangeError,
    message: "weightdyn: expected X to have 8 elements but it has 9",
  },
  {
    title: "createNetwork: X with NaN",
    run: (b) => mk(b, shape, Float64Array.of(0, 0, 0, Number.NaN, 0, 0, 0, 0), Y, 1),
    error: RangeError,
    message: "weightdyn: expected finite values in X but element 3 is nan",
  },
  {
    title: "createNetwork: Y of the wrong length",
    run: (b) => mk(b, shape, X, f64(5), 1),
    error: RangeError,
    message: "weightdyn: expected Y to have 4 elements but it has 5",
  },
  {
    title: "createNetwork: Y with Infinity",
    run: (b) => mk(b, shape, X, Float64Array.of(0, Number.POSITIVE_INFINITY, 0, 0), 1),
    error: RangeError,
    message: "weightdyn: expected finite values in Y but element 1 is inf",
  },
  {
    title: "createNetwork: Y a Float32Array",
    run: (b) => mk(b, shape, X, new Float32Array(4) as Loose, 1),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for Y",
  },
  {
    title: "createNetwork: shape null",
    run: (b) => mk(b, null as Loose, X, Y, 1),
    error: TypeError,
    message: "weightdyn: expected an object for shape",
  },

  // NetworkKernel.loss()
  {
    title: "loss: non-finite weights",
    run: (b) => withNaNWeights(b).loss(),
    error: RangeError,
    message: "weightdyn: expected finite values in state but element 0 is nan",
  },

  // lossGrad(grad)
  {
    title: "lossGrad: grad missing",
    run: (b) => (net(b).lossGrad as Loose)(),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for grad",
  },
  {
    title: "lossGrad: grad of the wrong length",
    run: (b) => net(b).lossGrad(f64(D + 1)),
    error: RangeError,
    message: "weightdyn: expected grad to have 13 elements but it has 14",
  },
  {
    title: "lossGrad: non-finite weights",
    run: (b) => withNaNWeights(b).lossGrad(f64(D)),
    error: RangeError,
    message: "weightdyn: expected finite values in state but element 0 is nan",
  },

  // hessian(H)
  {
    title: "hessian: H a plain array",
    run: (b) => net(b).hessian(new Array(D * D).fill(0) as Loose),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for H",
  },
  {
    title: "hessian: H of the wrong length",
    run: (b) => net(b).hessian(f64(D * D - 1)),
    error: RangeError,
    message: "weightdyn: expected H to have 169 elements but it has 168",
  },
  {
    title: "hessian: non-finite weights",
    run: (b) => withNaNWeights(b).hessian(f64(D * D)),
    error: RangeError,
    message: "weightdyn: expected finite values in state but element 0 is nan",
  },

  // hvp(V, k, HV)
  {
    title: "hvp: k zero",
    run: (b) => net(b).hvp(f64(D), 0, f64(D)),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 165191049] for k but received 0.000000",
  },
  {
    title: "hvp: k a string",
    run: (b) => net(b).hvp(f64(D), "1" as Loose, f64(D)),
    error: TypeError,
    message: "weightdyn: expected an integer for k",
  },
  {
    title: "hvp: V too short",
    run: (b) => net(b).hvp(f64(2 * D - 1), 2, f64(2 * D)),
    error: RangeError,
    message: "weightdyn: expected V to have at least 26 elements but it has 25",
  },
  {
    title: "hvp: V with NaN",
    run: (b) => {
      const V = f64(D);
      V[5] = Number.NaN;
      net(b).hvp(V, 1, f64(D));
    },
    error: RangeError,
    message: "weightdyn: expected finite values in V but element 5 is nan",
  },
  {
    title: "hvp: HV too short",
    run: (b) => net(b).hvp(f64(D), 1, f64(D - 1)),
    error: RangeError,
    message: "weightdyn: expected HV to have at least 13 elements but it has 12",
  },
  {
    title: "hvp: V and HV the same array",
    run: (b) => {
      const V = f64(D);
      net(b).hvp(V, 1, V);
    },
    error: RangeError,
    message: "weightdyn: V and HV must not overlap (they share memory)",
  },
  {
    title: "hvp: HV a view of V shifted by one element",
    run: (b) => {
      const buf = f64(D + 1);
      net(b).hvp(buf.subarray(0, D), 1, buf.subarray(1));
    },
    error: RangeError,
    message: "weightdyn: V and HV must not overlap (they share memory)",
  },
  {
    title: "hvp: HV the network's own tangent block",
    run: (b) => {
      const n = net(b);
      n.hvp(f64(D), 1, n.tangent);
    },
    error: RangeError,
    message: "weightdyn: HV and Q must not overlap (they share memory)",
  },
  {
    title: "hessian: H a view of the network's tangent block",
    run: (b) => {
      const n = net(b, D);
      n.hessian(new Float64Array(n.tangent.buffer, 0, D * D));
    },
    error: RangeError,
    message: "weightdyn: H and Q must not overlap (they share memory)",
  },
  {
    title: "trainChunk: rOut overlapping lossOut",
    run: (b) => {
      const buf = f64(10);
      net(b).trainChunk({
        k: 2,
        nSteps: 2,
        qrEvery: 1,
        route: 0,
        t0: 0,
        lossOut: buf.subarray(0, 2),
        logRDiag: f64(4),
        rOut: buf.subarray(1, 9),
      });
    },
    error: RangeError,
    message: "weightdyn: lossOut and rOut must not overlap (they share memory)",
  },
  {
    title: "activation: d1 and d2 the same array",
    run: (b) => {
      const d = f64(2);
      b.activation(1, 0, f64(2), f64(2), d, d);
    },
    error: RangeError,
    message: "weightdyn: d1 and d2 must not overlap (they share memory)",
  },
  {
    title: "qrPositive: logRDiag inside R",
    run: (b) => {
      const R = f64(4);
      b.qrPositive(Float64Array.from([3, 4, 1, 2, 0, 5]), 3, 2, R, R.subarray(2));
    },
    error: RangeError,
    message: "weightdyn: R and logRDiag must not overlap (they share memory)",
  },
  {
    title: "hvp: non-finite weights",
    run: (b) => withNaNWeights(b).hvp(f64(D), 1, f64(D)),
    error: RangeError,
    message: "weightdyn: expected finite values in state but element 0 is nan",
  },

  // createNetwork: the rule
  {
    title: "createNetwork: eta zero",
    run: (b) => mk(b, shape, X, Y, 1, gd(0)),
    error: RangeError,
    message: "weightdyn: expected a positive finite number for eta but received 0.000000",
  },
  {
    title: "createNetwork: eta negative",
    run: (b) => mk(b, shape, X, Y, 1, gd(-0.5)),
    error: RangeError,
    message: "weightdyn: expected a positive finite number for eta but received -0.500000",
  },
  {
    title: "createNetwork: eta a string",
    run: (b) => mk(b, shape, X, Y, 1, { rule: 0, learningRate: "0.1", params: [] }),
    error: TypeError,
    message: "weightdyn: expected a number for eta",
  },
  {
    title: "createNetwork: rule id 4",
    run: (b) => mk(b, shape, X, Y, 1, { rule: 4, learningRate: 0.1, params: [] }),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 3] for rule but received 4.000000",
  },
  {
    title: "createNetwork: momentum without beta",
    run: (b) => mk(b, shape, X, Y, 1, { rule: 1, learningRate: 0.1, params: [] }),
    error: RangeError,
    message: "weightdyn: expected ruleParams to have 1 elements but it has 0",
  },
  {
    title: "createNetwork: nesterov beta 1",
    run: (b) => mk(b, shape, X, Y, 1, { rule: 2, learningRate: 0.1, params: [1] }),
    error: RangeError,
    message: "weightdyn: expected beta in [0.000000, 1.000000) but received 1.000000",
  },
  {
    title: "createNetwork: adam epsilon 0",
    run: (b) => mk(b, shape, X, Y, 1, { rule: 3, learningRate: 0.1, params: [0.9, 0.999, 0] }),
    error: RangeError,
    message: "weightdyn: expected epsilon in (0.000000, inf] but received 0.000000",
  },
  {
    title: "createNetwork: maxK above the state dimension of momentum (2D = 26)",
    run: (b) => mk(b, shape, X, Y, 27, { rule: 1, learningRate: 0.1, params: [0.9] }),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 26] for maxK but received 27.000000",
  },

  // tangentApply(k, route, t, batch)
  {
    title: "tangentApply: k above maxK",
    run: (b) => net(b).tangentApply(3, 0, 0),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 2] for k but received 3.000000",
  },
  {
    title: "tangentApply: route 4",
    run: (b) => net(b).tangentApply(1, 4, 0),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 3] for route but received 4.000000",
  },
  {
    title: "tangentApply: t negative",
    run: (b) => net(b).tangentApply(1, 0, -1),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 2147483647] for t but received -1.000000",
  },
  {
    title: "tangentApply: batch index out of range",
    run: (b) => net(b).tangentApply(1, 0, 0, Int32Array.of(0, 4)),
    error: RangeError,
    message: "weightdyn: expected integers in [0, 3] in batch but element 1 is 4",
  },
  {
    title: "tangentApply: batch empty",
    run: (b) => net(b).tangentApply(1, 0, 0, new Int32Array(0)),
    error: RangeError,
    message: "weightdyn: expected batch to hold 1 to 4 samples but it holds 0",
  },
  {
    title: "tangentApply: batch a Float64Array",
    run: (b) => net(b).tangentApply(1, 0, 0, f64(2) as Loose),
    error: TypeError,
    message: "weightdyn: expected an Int32Array for batch",
  },
  {
    title: "tangentApply: non-finite weights",
    run: (b) => withNaNWeights(b).tangentApply(1, 1, 0),
    error: RangeError,
    message: "weightdyn: expected finite values in state but element 0 is nan",
  },

  // trainChunk({k, nSteps, qrEvery, route, t0, batches, lossOut, logRDiag, rOut})
  {
    title: "trainChunk: t0 NaN",
    run: (b) =>
      net(b).trainChunk({ k: 1, nSteps: 2, qrEvery: 1, route: 0, t0: Number.NaN, lossOut: f64(2), logRDiag: f64(2) }),
    error: RangeError,
    message: "weightdyn: expected a finite number for t0 but received nan",
  },
  {
    title: "trainChunk: t0 negative",
    run: (b) => net(b).trainChunk({ k: 1, nSteps: 2, qrEvery: 1, route: 0, t0: -1, lossOut: f64(2), logRDiag: f64(2) }),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 2^53] for t0 but received -1.000000",
  },
  ...batchCases(),
  {
    title: "trainChunk: k above maxK",
    run: (b) => tc(net(b), 3, 2, 1, 0, f64(2), f64(6), null),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 2] for k but received 3.000000",
  },
  {
    title: "trainChunk: nSteps zero",
    run: (b) => tc(net(b), 1, 0, 1, 0, f64(2), f64(2), null),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 2147483647] for nSteps but received 0.000000",
  },
  {
    title: "trainChunk: qrEvery zero",
    run: (b) => tc(net(b), 1, 2, 0, 0, f64(2), f64(2), null),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 2147483647] for qrEvery but received 0.000000",
  },
  {
    title: "trainChunk: qrEvery not an integer",
    run: (b) => tc(net(b), 1, 2, 0.5, 0, f64(2), f64(2), null),
    error: RangeError,
    message: "weightdyn: expected an integer in [1, 2147483647] for qrEvery but received 0.500000",
  },
  {
    title: "trainChunk: route -1",
    run: (b) => tc(net(b), 1, 2, 1, -1, f64(2), f64(2), null),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 3] for route but received -1.000000",
  },
  {
    title: "trainChunk: nSteps not a multiple of qrEvery",
    run: (b) => tc(net(b), 1, 3, 2, 0, f64(3), f64(1), null),
    error: RangeError,
    message: "weightdyn: nSteps (3) must be a multiple of qrEvery (2)",
  },
  {
    title: "trainChunk: lossOut too short",
    run: (b) => tc(net(b), 1, 4, 2, 0, f64(3), f64(2), null),
    error: RangeError,
    message: "weightdyn: expected lossOut to have at least 4 elements but it has 3",
  },
  {
    title: "trainChunk: lossOut a plain array",
    run: (b) => tc(net(b), 1, 4, 2, 0, [0, 0, 0, 0] as Loose, f64(2), null),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for lossOut",
  },
  {
    title: "trainChunk: logRDiag too short",
    run: (b) => tc(net(b), 2, 4, 2, 0, f64(4), f64(3), null),
    error: RangeError,
    message: "weightdyn: expected logRDiag to have at least 4 elements but it has 3",
  },
  {
    title: "trainChunk: rOut too short",
    run: (b) => tc(net(b), 2, 4, 2, 0, f64(4), f64(4), f64(7)),
    error: RangeError,
    message: "weightdyn: expected rOut to have at least 8 elements but it has 7",
  },
  {
    title: "trainChunk: rOut a plain array",
    run: (b) => tc(net(b), 2, 4, 2, 0, f64(4), f64(4), [] as Loose),
    error: TypeError,
    message: "weightdyn: expected a Float64Array for rOut",
  },
  {
    title: "trainChunk: non-finite Q",
    run: (b) => {
      const n = net(b);
      n.tangent[1] = Number.NaN;
      tc(n, 1, 2, 1, 0, f64(2), f64(2), null);
    },
    error: RangeError,
    message: "weightdyn: expected finite values in Q but element 1 is nan",
  },
  {
    title: "trainChunk: non-finite weights",
    run: (b) => tc(withNaNWeights(b), 1, 2, 1, 0, f64(2), f64(2), null),
    error: RangeError,
    message: "weightdyn: expected finite values in state but element 0 is nan",
  },

  // chooseRoute(k)
  {
    title: "chooseRoute: k above maxK",
    run: (b) => net(b).chooseRoute(3),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 2] for k but received 3.000000",
  },
  {
    title: "chooseRoute: k above D when maxK is 0",
    run: (b) => net(b, 0).chooseRoute(D + 1),
    error: RangeError,
    message: "weightdyn: expected an integer in [0, 13] for k but received 14.000000",
  },
  {
    title: "chooseRoute: k missing",
    run: (b) => (net(b).chooseRoute as Loose)(),
    error: TypeError,
    message: "weightdyn: expected an integer for k",
  },
];

// Every method of a disposed network.
const disposedCalls: [string, (n: NetworkKernel) => void][] = [
  ["loss", (n) => n.loss()],
  ["lossGrad", (n) => n.lossGrad(f64(D))],
  ["hessian", (n) => n.hessian(f64(D * D))],
  ["hvp", (n) => n.hvp(f64(D), 1, f64(D))],
  ["tangentApply", (n) => n.tangentApply(1, 0, 0)],
  ["trainChunk", (n) => tc(n, 1, 1, 1, 0, f64(1), f64(1), null)],
  ["chooseRoute", (n) => n.chooseRoute(1)],
];
for (const [name, call] of disposedCalls) {
  cases.push({
    title: `${name}: after dispose`,
    run: (b) => {
      const n = net(b);
      n.dispose();
      n.dispose(); // a second dispose is a no-op
      call(n);
    },
    error: RangeError,
    message: "weightdyn: this network has been disposed",
  });
}

function thrown(run: () => void): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("wasm guards: each bad argument throws, naming it", () => {
  for (const c of cases) {
    it(`${c.title} (wasm)`, () => {
      const err = thrown(() => c.run(wasm));
      expect(err).toBeInstanceOf(c.error);
      expect((err as Error).message).toBe(c.message);
    });
  }
});

describe("wasm guards match the native binding's messages", () => {
  for (const c of cases) {
    it.skipIf(native === null)(`${c.title} (native)`, () => {
      const err = thrown(() => c.run(native as Backend));
      expect(err).toBeInstanceOf(c.error);
      expect((err as Error).message).toBe(c.message);
    });
  }
  if (native === null) it.skip(`native backend unavailable: ${nativeMissing}`, () => {});
});

describe("wasm guards: valid calls still work after rejected ones (wasm)", () => {
  it("a network survives rejected calls and its weights stay readable after dispose (wasm)", () => {
    const n = net(wasm);
    expect(() => tc(n, 3, 2, 1, 0, f64(2), f64(6), null)).toThrow(RangeError);
    const loss = n.loss();
    expect(Number.isFinite(loss)).toBe(true);
    const w = n.weights.slice();
    n.dispose();
    expect([...n.weights]).toEqual([...w]);
  });
});

describe("guards: numbers print as C++ std::to_string(double)", () => {
  // Expected strings printed by glibc's std::to_string for the same doubles.
  const table: [number, string][] = [
    [0.0078125, "0.007812"], // a tie at the sixth decimal: rounded to even
    [-0, "-0.000000"],
    [1e21, "1000000000000000000000.000000"],
    [2.5e-7, "0.000000"],
    [-1.0000005, "-1.000001"],
    [123456789.1234565, "123456789.123456"],
    [1.5e-6, "0.000002"],
    [5e-324, "0.000000"],
    [Number.NaN, "nan"],
    [Number.POSITIVE_INFINITY, "inf"],
    [Number.NEGATIVE_INFINITY, "-inf"],
    [3, "3.000000"],
  ];
  for (const [v, s] of table) {
    it(`${String(v)} -> ${s}`, () => {
      expect(cppDoubleToString(v)).toBe(s);
    });
  }
});
