/**
 * Every exported native function, called directly (bypassing the TypeScript layer) with wrong types, wrong lengths,
 * non-finite values and out-of-range integers, throws a JavaScript error each time, and the process survives.
 */
import { describe, expect, it } from "vitest";
import { loadNativeAddon, type NativeAddon } from "../src/backend/native.js";

let addon: NativeAddon | null = null;
let reason = "";
try {
  addon = loadNativeAddon();
} catch (err) {
  reason = (err as Error).message.split("\n")[0];
}

const f64 = (n: number, v = 0.5) => new Float64Array(n).fill(v);
const withNaN = (n: number) => {
  const a = f64(n);
  a[n - 1] = Number.NaN;
  return a;
};

describe.skipIf(!addon)(`40 native argument guards${addon ? "" : ` [native: not available: ${reason}]`}`, () => {
  const A = addon as NativeAddon;
  // A valid 2-3-1 network: D = 3*3 + 1*4 = 13, N = 4, trained by gradient descent (state dimension 13).
  const D = 13;
  const N = 4;
  const i32 = (...v: number[]) => Int32Array.from(v);
  // new Network(layers, activations, activationParams, X, Y, maxK, rule, eta, ruleParams, state, Q)
  const args = () =>
    [i32(2, 3, 1), i32(1, 0), f64(1, 0), f64(N * 2), f64(N), D, 0, 0.1, f64(0), f64(D, 0.1), f64(D * D)] as unknown[];
  const make = (over: Record<number, unknown> = {}) => {
    const a = args();
    for (const [i, v] of Object.entries(over)) a[Number(i)] = v;
    return new (A.Network as unknown as new (...x: unknown[]) => unknown)(...a);
  };

  it("the constructor accepts valid arguments (gd, momentum with a state of 2D, two hidden layers)", () => {
    expect(() => make()).not.toThrow();
    expect(() => make({ 6: 1, 8: f64(1, 0.9), 9: f64(2 * D), 10: f64(2 * D * 3), 5: 3 })).not.toThrow();
    // 2-3-3-1: D = 3*3 + 3*4 + 1*4 = 25.
    expect(() =>
      make({ 0: i32(2, 3, 3, 1), 1: i32(1, 2, 0), 2: f64(2, 0), 5: 0, 9: f64(25), 10: f64(0) }),
    ).not.toThrow();
  });

  const shared = new Float64Array(2 * D);
  const ctorCases: [string, Record<number, unknown>][] = [
    ["layers a plain array", { 0: [2, 3, 1] }],
    ["layers with inputs = 0", { 0: i32(0, 3, 1) }],
    ["layers of 2 elements", { 0: i32(2, 1) }],
    ["layers of 67 elements (65 hidden layers)", { 0: Int32Array.from({ length: 67 }, () => 1) }],
    ["two hidden layers with activations for one", { 0: i32(2, 3, 3, 1), 9: f64(25), 5: 0, 10: f64(0) }],
    [
      "two hidden layers with one activation parameter",
      { 0: i32(2, 3, 3, 1), 1: i32(1, 2, 0), 9: f64(25), 5: 0, 10: f64(0) },
    ],
    ["layers with outputs = -1", { 0: i32(2, 3, -1) }],
    ["activation id 99", { 1: i32(99, 0) }],
    ["output activation relu (3)", { 1: i32(1, 3) }],
    ["activationParams = Infinity", { 2: f64(1, Number.POSITIVE_INFINITY) }],
    ["X a plain array", { 3: [1, 2, 3, 4, 5, 6, 7, 8] }],
    ["X a Float32Array", { 3: new Float32Array(8) }],
    ["X with no sample", { 3: f64(1) }],
    ["X not a multiple of inputs", { 3: f64(9) }],
    ["X with NaN", { 3: withNaN(8) }],
    ["Y too long", { 4: f64(5) }],
    ["Y with Infinity", { 4: f64(4, Number.POSITIVE_INFINITY) }],
    ["maxK > S", { 5: D + 1 }],
    ["rule id 4", { 6: 4 }],
    ["eta = 0", { 7: 0 }],
    ["eta = NaN", { 7: Number.NaN }],
    ["ruleParams of the wrong count (momentum without beta)", { 6: 1 }],
    ["beta = 1 (momentum)", { 6: 1, 8: f64(1, 1) }],
    ["adam epsilon = 0", { 6: 3, 8: Float64Array.of(0.9, 0.999, 0) }],
    ["state wrong length", { 9: f64(D - 1) }],
    ["Q wrong length", { 10: f64(D) }],
    ["state missing", { 9: undefined }],
    [
      "state and Q views of one buffer that overlap",
      { 9: shared.subarray(0, D), 10: new Float64Array(shared.buffer, 8, D), 5: 1 },
    ],
  ];
  for (const [name, over] of ctorCases) {
    it(`constructor: ${name} throws`, () => {
      expect(() => make(over)).toThrow(/weightdyn: /);
    });
  }
  it("constructor with too few arguments throws", () => {
    expect(() => new (A.Network as unknown as new (...x: unknown[]) => unknown)(1, 2)).toThrow(TypeError);
  });

  type Net = Record<string, (...a: unknown[]) => unknown>;
  const net = () => make() as Net;
  const methodCases: [string, string, unknown[]][] = [
    ["lossGrad", "grad wrong length", [f64(D - 1)]],
    ["lossGrad", "grad a number", [3]],
    ["hessian", "H wrong length", [f64(D)]],
    ["hvp", "k = 0", [f64(D), 0, f64(D)]],
    ["hvp", "k too large for V", [f64(D), 2, f64(2 * D)]],
    ["hvp", "V with NaN", [withNaN(D), 1, f64(D)]],
    ["hvp", "HV too short", [f64(D), 1, f64(D - 1)]],
    ["hvp", "V and HV the same array", [(() => f64(D))(), 1, null]],
    ["tangentApply", "k > maxK", [D + 1, 0, 0, null]],
    ["tangentApply", "route = 4", [1, 4, 0, null]],
    ["tangentApply", "t = -1", [1, 0, -1, null]],
    ["tangentApply", "batch index out of range", [1, 0, 0, i32(0, 4)]],
    ["tangentApply", "batch empty", [1, 0, 0, i32()]],
    ["trainChunk", "nSteps = 0", [1, 0, 1, 0, 0, null, null, f64(1), f64(1), null]],
    ["trainChunk", "nSteps not a multiple of qrEvery", [1, 3, 2, 0, 0, null, null, f64(3), f64(3), null]],
    ["trainChunk", "qrEvery = 0", [1, 2, 0, 0, 0, null, null, f64(2), f64(2), null]],
    ["trainChunk", "t0 = NaN", [1, 2, 1, 0, Number.NaN, null, null, f64(2), f64(2), null]],
    ["trainChunk", "t0 = 0.5", [1, 2, 1, 0, 0.5, null, null, f64(2), f64(2), null]],
    ["trainChunk", "lossOut too short", [1, 5, 1, 0, 0, null, null, f64(4), f64(5), null]],
    ["trainChunk", "logRDiag too short", [2, 5, 1, 0, 0, null, null, f64(5), f64(9), null]],
    ["trainChunk", "rOut too short", [2, 2, 1, 0, 0, null, null, f64(2), f64(4), f64(7)]],
    ["trainChunk", "nSteps = 1e12", [0, 1e12, 1, 0, 0, null, null, f64(1), f64(1), null]],
    ["trainChunk", "lossOut a Float32Array", [0, 1, 1, 0, 0, null, null, new Float32Array(1), f64(1), null]],
    ["trainChunk", "batch offsets without indices", [0, 1, 1, 0, 0, null, i32(0, 1), f64(1), f64(1), null]],
    ["trainChunk", "batch offsets of the wrong length", [0, 2, 1, 0, 0, i32(0, 1), i32(0, 2), f64(2), f64(2), null]],
    ["trainChunk", "batch index out of range", [0, 1, 1, 0, 0, i32(4), i32(0, 1), f64(1), f64(1), null]],
    ["trainChunk", "an empty batch", [0, 2, 1, 0, 0, i32(1), i32(0, 0, 1), f64(2), f64(2), null]],
    [
      "trainChunk",
      "a batch of more than N samples",
      [0, 1, 1, 0, 0, i32(0, 1, 2, 3, 0), i32(0, 5), f64(1), f64(1), null],
    ],
    [
      "trainChunk",
      "offsets not ending at the indices' length",
      [0, 1, 1, 0, 0, i32(0, 1, 2), i32(0, 2), f64(1), f64(1), null],
    ],
    ["chooseRoute", "k = -1", [-1]],
  ];
  for (const [method, name, a] of methodCases) {
    it(`${method}: ${name} throws`, () => {
      const n = net();
      if (name === "V and HV the same array") a[2] = a[0];
      expect(() => n[method](...a)).toThrow(/weightdyn: /);
      expect(() => n[method]()).toThrow(); // too few arguments
    });
  }

  it("trainChunk: lossOut and logRDiag overlapping views of one buffer throw", () => {
    const buf = new Float64Array(8);
    const n = net();
    expect(() => n.trainChunk(1, 4, 1, 0, 0, null, null, buf.subarray(0, 4), buf.subarray(3, 7), null)).toThrow(
      /must not overlap \(they share memory\)/,
    );
  });

  it("non-finite weights written by the caller are refused, not trained on", () => {
    const w = f64(D, 0.1);
    const n = make({ 9: w }) as Net;
    w[3] = Number.NaN;
    expect(() => n.loss()).toThrow(/element 3/);
    expect(() => n.trainChunk(0, 1, 1, 0, 0, null, null, f64(1), f64(1), null)).toThrow(/finite/);
  });

  it("a state array transferred away (detached) after construction is an error, not a crash", () => {
    const w = f64(D, 0.1);
    const n = make({ 9: w }) as Net;
    structuredClone(w.buffer, { transfer: [w.buffer] });
    expect(w.length).toBe(0);
    expect(() => n.loss()).toThrow(/expected state to have \d+ elements but its buffer was detached/);
    expect(() => n.trainChunk(0, 1, 1, 0, 0, null, null, f64(1), f64(1), null)).toThrow(
      /expected state to have \d+ elements but its buffer was detached/,
    );
    expect(() => n.tangentApply(1, 0, 0, null)).toThrow(
      /expected state to have \d+ elements but its buffer was detached/,
    );
  });

  it("use after dispose throws", () => {
    const n = net();
    n.dispose();
    expect(() => n.loss()).toThrow(/disposed/);
  });

  const kernelCases: [string, () => void][] = [
    ["activation: id out of range", () => A.activation(10, 0, f64(2), f64(2), f64(2), f64(2))],
    ["activation: z with NaN", () => A.activation(1, 0, withNaN(2), f64(2), f64(2), f64(2))],
    ["activation: f wrong length", () => A.activation(1, 0, f64(2), f64(3), f64(2), f64(2))],
    ["activation: param NaN", () => A.activation(4, Number.NaN, f64(2), f64(2), f64(2), f64(2))],
    ["qrPositive: k > D", () => A.qrPositive(f64(6), 2, 3, f64(9), f64(3))],
    ["qrPositive: A too short", () => A.qrPositive(f64(5), 3, 2, f64(4), f64(2))],
    ["qrPositive: A with NaN", () => A.qrPositive(withNaN(6), 3, 2, f64(4), f64(2))],
    ["qrPositive: R too short", () => A.qrPositive(f64(6), 3, 2, f64(3), f64(2))],
    ["qrPositive: D a string", () => (A.qrPositive as (...a: unknown[]) => void)(f64(6), "3", 2, f64(4), f64(2))],
    [
      "qrPositive: R a view overlapping A",
      () => {
        const buf = f64(12);
        A.qrPositive(buf.subarray(0, 6), 3, 2, buf.subarray(4, 8), f64(2));
      },
    ],
    ["ruleStep: rule id 7", () => A.ruleStep(7, 0.1, f64(0), 2, f64(2), f64(2), 0)],
    ["ruleStep: state of the wrong length (momentum)", () => A.ruleStep(1, 0.1, f64(1), 2, f64(2), f64(2), 0)],
    ["ruleStep: t negative", () => A.ruleStep(0, 0.1, f64(0), 2, f64(2), f64(2), -1)],
    ["ruleStep: g with NaN", () => A.ruleStep(0, 0.1, f64(0), 2, f64(2), withNaN(2), 0)],
    ["ruleTangent: HQ too short", () => A.ruleTangent(0, 0.1, f64(0), 2, f64(2), f64(2), 0, f64(4), 2, f64(3))],
    [
      "ruleTangent: Q and HQ the same array",
      () => {
        const q = f64(4);
        A.ruleTangent(0, 0.1, f64(0), 2, f64(2), f64(2), 0, q, 2, q);
      },
    ],
    [
      "ruleTangent: adam beta2 = 1",
      () => A.ruleTangent(3, 0.1, Float64Array.of(0.9, 1, 1e-8), 1, f64(3), f64(1), 0, f64(3), 1, f64(1)),
    ],
  ];
  for (const [name, call] of kernelCases) {
    it(`${name} throws`, () => {
      expect(call).toThrow(/weightdyn: /);
    });
  }
});
