/**
 * Benchmark cases, shared by bench/run.ts and the smoke test that keeps the suite from rotting (test/80-bench.test.ts).
 * A case is a network, a data size and a number of tangent vectors; the data are y = sin(pi x1) (+ ...) on a grid.
 */
import { parameterCount, stateDimension } from "../src/backend/layers.js";
import type { ActivationName } from "../src/backend/types.js";

export interface BenchCase {
  name: string;
  inputs: number;
  /** One hidden width, or one per hidden layer (every hidden layer has `activation`). */
  hidden: number | number[];
  outputs: number;
  activation: ActivationName;
  samples: number;
  /** Tangent vectors carried; "D" for all of them (the whole training state), 0 for plain training. */
  k: number | "D";
  /** The update rule (training.optimizer; default "gd"). */
  optimizer?: string | { name: string; [param: string]: number | string };
  qrEvery: number;
  /** Learning rate (small enough that every case converges over the benchmark's steps). */
  eta?: number;
  /** A variant that shows one lever (not one of the cases; not checked against a target). */
  lever?: boolean;
  /** Thread counts to measure besides one (NetworkSpec.threads), on backends whose maxThreads reaches them. */
  threads?: number[];
}

/** Learning rate of every case unless it sets its own. */
export const BENCH_ETA = 0.01;

export const CASES: BenchCase[] = [
  {
    name: "small 1-10-1 tanh N=40 k=D",
    inputs: 1,
    hidden: 10,
    outputs: 1,
    activation: "tanh",
    samples: 40,
    k: "D",
    qrEvery: 1,
  },
  {
    name: "small 1-10-1 tanh N=40 no tangent",
    inputs: 1,
    hidden: 10,
    outputs: 1,
    activation: "tanh",
    samples: 40,
    k: 0,
    qrEvery: 1,
    lever: true,
  },
  {
    name: "medium 1-20-1 tanh N=100 k=D",
    inputs: 1,
    hidden: 20,
    outputs: 1,
    activation: "tanh",
    samples: 100,
    k: "D",
    qrEvery: 1,
  },
  {
    name: "large 1-100-1 tanh N=200 k=D",
    inputs: 1,
    hidden: 100,
    outputs: 1,
    activation: "tanh",
    samples: 200,
    k: "D",
    qrEvery: 1,
    threads: [2],
  },
  {
    name: "large 1-100-1 tanh N=200 k=10",
    inputs: 1,
    hidden: 100,
    outputs: 1,
    activation: "tanh",
    samples: 200,
    k: 10,
    qrEvery: 1,
  },
  {
    name: "wide 8-32-2 sigmoid N=256 k=D",
    inputs: 8,
    hidden: 32,
    outputs: 2,
    activation: "sigmoid",
    samples: 256,
    k: "D",
    qrEvery: 1,
  },
  {
    name: "small momentum 1-10-1 tanh N=40 k=S",
    inputs: 1,
    hidden: 10,
    outputs: 1,
    activation: "tanh",
    samples: 40,
    k: "D",
    qrEvery: 1,
    optimizer: { name: "momentum", beta: 0.9 },
    eta: 0.001,
  },
  {
    name: "small adam 1-10-1 tanh N=40 k=S",
    inputs: 1,
    hidden: 10,
    outputs: 1,
    activation: "tanh",
    samples: 40,
    k: "D",
    qrEvery: 1,
    optimizer: "adam",
    eta: 0.001,
  },
  {
    name: "deep 2-32-32-1 tanh N=256 k=D",
    inputs: 2,
    hidden: [32, 32],
    outputs: 1,
    activation: "tanh",
    samples: 256,
    k: "D",
    qrEvery: 1,
  },
  {
    name: "large 1-100-1 tanh N=200 k=D qr/10",
    inputs: 1,
    hidden: 100,
    outputs: 1,
    activation: "tanh",
    samples: 200,
    k: "D",
    qrEvery: 10,
    lever: true,
  },
];

/** A tiny deep case for the smoke test: the general kernels' flop counts and the NumPy peer's deep step. */
export const TINY_DEEP_CASE: BenchCase = {
  name: "tiny deep 2-3-3-1 tanh N=8 k=D",
  inputs: 2,
  hidden: [3, 3],
  outputs: 1,
  activation: "tanh",
  samples: 8,
  k: "D",
  qrEvery: 1,
};

/** A tiny case for the smoke test (test/80-bench.test.ts): the whole suite's machinery in well under a second. */
export const TINY_CASE: BenchCase = {
  name: "tiny 1-3-1 tanh N=8 k=D",
  inputs: 1,
  hidden: 3,
  outputs: 1,
  activation: "tanh",
  samples: 8,
  k: "D",
  qrEvery: 1,
};

export function dimensionOf(c: BenchCase): number {
  return parameterCount(c);
}

/** The dimension of the training state: D times the optimizer's state blocks. */
export function stateDimensionOf(c: BenchCase): number {
  const o = c.optimizer ?? "gd";
  return stateDimension(parameterCount(c), typeof o === "string" ? o : o.name);
}

export function kOf(c: BenchCase): number {
  return c.k === "D" ? stateDimensionOf(c) : c.k;
}

/** Deterministic data and weights for a case: inputs on [-1, 1], targets sin(pi * sum of inputs) per output. */
export function caseData(c: BenchCase): { X: Float64Array; Y: Float64Array; w0: Float64Array } {
  const X = new Float64Array(c.samples * c.inputs);
  const Y = new Float64Array(c.samples * c.outputs);
  for (let s = 0; s < c.samples; s++) {
    let sum = 0;
    for (let i = 0; i < c.inputs; i++) {
      const x = -1 + (2 * ((s * (i + 1) * 7919) % c.samples)) / Math.max(1, c.samples - 1);
      X[s * c.inputs + i] = x;
      sum += x;
    }
    for (let m = 0; m < c.outputs; m++) Y[s * c.outputs + m] = Math.sin(Math.PI * sum + m);
  }
  const D = dimensionOf(c);
  const w0 = new Float64Array(D);
  let state = 12345;
  for (let p = 0; p < D; p++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    w0[p] = (state / 2147483648 - 0.5) * 1.0;
  }
  return { X, Y, w0 };
}
