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
  // A valid 2-3-1 network: D = 3*3 + 1*4 = 13, N = 4.
  const D = 13;
  const N = 4;
  const args = () => [2, 3, 1, 1, 0, 0, N, f64(N * 2), f64(N), D, f64(D, 0.1), f64(D * D)] as unknown[];
  const make = (over: Record<number, unknown> = {}) => {
    const a = args();
    for (const [i, v] of Object.entries(over)) a[Number(i)] = v;
    return new (A.Network as unknown as new (...x: unknown[]) => unknown)(...a);
  };

  it("the constructor accepts valid arguments", () => {
    expect(() => make()).not.toThrow();
  });

  const ctorCases: [string, Record<number, unknown>][] = [
    ["inputs as a string", { 0: "2" }],
    ["inputs = 0", { 0: 0 }],
    ["hidden = 2.5", { 1: 2.5 }],
    ["outputs = -1", { 2: -1 }],
    ["activation id 99", { 3: 99 }],
    ["activation id NaN", { 3: Number.NaN }],
    ["activationParam = Infinity", { 4: Number.POSITIVE_INFINITY }],
    ["output activation relu (3)", { 5: 3 }],
    ["samples = 0", { 6: 0 }],
    ["X a plain array", { 7: [1, 2, 3, 4, 5, 6, 7, 8] }],
    ["X a Float32Array", { 7: new Float32Array(8) }],
    ["X too short", { 7: f64(7) }],
    ["X with NaN", { 7: withNaN(8) }],
    ["Y too long", { 8: f64(5) }],
    ["Y with Infinity", { 8: f64(4, Number.POSITIVE_INFINITY) }],
    ["maxK > D", { 9: D + 1 }],
    ["w wrong length", { 10: f64(D - 1) }],
    ["Q wrong length", { 11: f64(D) }],
    ["w missing", { 10: undefined }],
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
    ["tangentApply", "eta = -0.1", [-0.1, 1, 0]],
    ["tangentApply", "eta = NaN", [Number.NaN, 1, 0]],
    ["tangentApply", "k > maxK", [0.1, D + 1, 0]],
    ["tangentApply", "route = 4", [0.1, 1, 4]],
    ["trainChunk", "nSteps = 0", [0.1, 1, 0, 1, 0, f64(1), f64(1), null]],
    ["trainChunk", "nSteps not a multiple of qrEvery", [0.1, 1, 3, 2, 0, f64(3), f64(3), null]],
    ["trainChunk", "qrEvery = 0", [0.1, 1, 2, 0, 0, f64(2), f64(2), null]],
    ["trainChunk", "lossOut too short", [0.1, 1, 5, 1, 0, f64(4), f64(5), null]],
    ["trainChunk", "logRDiag too short", [0.1, 2, 5, 1, 0, f64(5), f64(9), null]],
    ["trainChunk", "rOut too short", [0.1, 2, 2, 1, 0, f64(2), f64(4), f64(7)]],
    ["trainChunk", "eta = 0", [0, 1, 1, 1, 0, f64(1), f64(1), null]],
    ["trainChunk", "nSteps = 1e12", [0.1, 0, 1e12, 1, 0, f64(1), f64(1), null]],
    ["trainChunk", "lossOut a Float32Array", [0.1, 0, 1, 1, 0, new Float32Array(1), f64(1), null]],
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

  it("non-finite weights written by the caller are refused, not trained on", () => {
    const w = f64(D, 0.1);
    const n = make({ 10: w }) as Net;
    w[3] = Number.NaN;
    expect(() => n.loss()).toThrow(/element 3/);
    expect(() => n.trainChunk(0.1, 0, 1, 1, 0, f64(1), f64(1), null)).toThrow(/finite/);
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
  ];
  for (const [name, call] of kernelCases) {
    it(`${name} throws`, () => {
      expect(call).toThrow(/weightdyn: /);
    });
  }
});
