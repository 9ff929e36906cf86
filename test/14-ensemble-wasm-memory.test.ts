/**
 * Linear memory of the WASM ensembles (assembly/ensemble.ts, src/backend/wasm-ensemble.ts): an ensemble is one block
 * plus the workspaces its routes reserve, all freed by dispose(), and a trainChunk's outputs go through a bounded
 * scratch buffer in blocks of whole QR periods. Growth is held to GROWTH_BOUND, the bound of test/15.
 */
import { describe, expect, it } from "vitest";
import { TangentRoute } from "../src/backend/tables.js";
import type { ChunkBatches, EnsembleSpec } from "../src/backend/types.js";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { identityBlock, minibatches } from "./support/ensembles.js";
import { gd } from "./support/networks.js";

/** Growth allowed after warm-up (16 pages), as in test/15: a leak of 1 KiB per cycle would exceed it within 10^3. */
const GROWTH_BOUND = 1 << 20;

const backend = createWasmBackend(compileWasmModule());
const bytes = () => backend.memory.buffer.byteLength;

// Four runs of a 1-2-1 network (D = 7) with identity output on 8 samples.
const N = 8;
const spec: EnsembleSpec = {
  shape: { inputs: 1, hidden: 2, outputs: 1, activation: 1, activationParam: 0, outputActivation: 0 },
  X: Float64Array.from({ length: N }, (_, s) => -1 + (2 * s) / (N - 1)),
  Y: Float64Array.from({ length: N }, (_, s) => Math.sin(-1 + (2 * s) / (N - 1))),
  maxK: 2,
  rule: gd(0.1),
  runs: 4,
};
const D = 7;

/** Run b's initial state; run 2's output layer at 1e100 makes it diverge in its first step. */
function state(b: number): Float64Array {
  const x = Float64Array.from({ length: D }, (_, p) => 0.4 * Math.sin(3 * p + b + 1));
  if (b === 2) for (let p = 4; p < D; p++) x[p] = 1e100;
  return x;
}

describe("14 ensemble memory: create, train and dispose cycles stay within a bound (wasm)", () => {
  it("10^3 cycles through every route, with and without minibatches: nothing left behind (wasm)", () => {
    const lossOut = new Float64Array(4 * 4);
    const logRDiag = new Float64Array(4 * 4 * 2);
    const batches = minibatches(N, 3, 4, 1);
    const cycle = (i: number) => {
      const e = backend.createEnsemble(spec);
      for (let b = 0; b < 4; b++) {
        e.setState(b, state(b));
        e.setTangent(b, identityBlock(D, 2));
      }
      const route = 1 + (i % 3);
      e.trainChunk({ k: 2, nSteps: 4, qrEvery: 1, route, t0: i, lossOut, logRDiag, batches: i % 2 ? batches : null });
      e.losses();
      e.getState(3);
      e.dispose();
    };
    for (let i = 0; i < 20; i++) cycle(i);
    const before = bytes();
    for (let i = 0; i < 1000; i++) cycle(i);
    expect(bytes() - before).toBeLessThanOrEqual(GROWTH_BOUND);
  });
});

/** The first index where two arrays differ bit for bit (-1: none); vitest's deep equality is slow on 10^5 elements. */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return a.findIndex((x, i) => !Object.is(x, b[i]));
}

/** Steps [a, a + n) of the minibatches, offsets rebased. */
function sliceBatches(b: ChunkBatches, a: number, n: number): ChunkBatches {
  const from = b.offsets[a];
  return {
    indices: b.indices.slice(from, b.offsets[a + n]),
    offsets: b.offsets.slice(a, a + n + 1).map((o) => o - from),
  };
}

describe("14 ensemble memory: a chunk beyond one output block (wasm)", () => {
  it("25000 steps in bounded scratch equal the same steps in five calls, a stopped run's outputs left alone (wasm)", () => {
    // k = 2, QR every step, 4 runs: one output block holds floor(2^17 / (4 (1 + 2))) = 10922 steps, so three blocks.
    const steps = 25000;
    const piece = 5000;
    const batches = minibatches(N, 5, steps, 3);
    const SENTINEL = -7;
    const start = () => {
      const e = backend.createEnsemble(spec);
      for (let b = 0; b < 4; b++) {
        e.setState(b, state(b));
        e.setTangent(b, identityBlock(D, 2));
      }
      return e;
    };
    const route = TangentRoute.hvp;
    // One call.
    const one = start();
    const lossOut = new Float64Array(4 * steps).fill(SENTINEL);
    const logRDiag = new Float64Array(4 * steps * 2).fill(SENTINEL);
    const before = bytes();
    const res = one.trainChunk({ k: 2, nSteps: steps, qrEvery: 1, route, t0: 0, lossOut, logRDiag, batches });
    expect(bytes() - before).toBeLessThanOrEqual(2 * GROWTH_BOUND);
    // Five calls of 5000 steps, the outputs put together run by run.
    const split = start();
    const loss2 = new Float64Array(4 * steps).fill(SENTINEL);
    const logR2 = new Float64Array(4 * steps * 2).fill(SENTINEL);
    const steps2 = [0, 0, 0, 0];
    let reasons2 = new Int32Array(4);
    for (let a = 0; a < steps; a += piece) {
      const l = new Float64Array(4 * piece).fill(SENTINEL);
      const r = new Float64Array(4 * piece * 2).fill(SENTINEL);
      const part = split.trainChunk({
        k: 2,
        nSteps: piece,
        qrEvery: 1,
        route,
        t0: a,
        lossOut: l,
        logRDiag: r,
        batches: sliceBatches(batches, a, piece),
      });
      for (let b = 0; b < 4; b++) {
        loss2.set(l.subarray(b * piece, (b + 1) * piece), b * steps + a);
        logR2.set(r.subarray(2 * b * piece, 2 * (b + 1) * piece), 2 * (b * steps + a));
        steps2[b] += part.steps[b];
      }
      reasons2 = part.reasons;
    }
    expect([...res.steps]).toEqual(steps2);
    expect([...res.reasons]).toEqual([...reasons2]);
    expect([...res.reasons]).toEqual([0, 0, 3, 0]);
    expect(res.steps[2]).toBe(1);
    expect(firstDifference(lossOut, loss2)).toBe(-1);
    expect(firstDifference(logRDiag, logR2)).toBe(-1);
    // The stopped run: its outputs after its step untouched; the others all written.
    expect(lossOut.subarray(2 * steps + 2, 3 * steps).every((x) => x === SENTINEL)).toBe(true);
    expect(lossOut.subarray(3 * steps).every(Number.isFinite)).toBe(true);
    for (const b of [0, 1, 3]) expect(firstDifference(one.getState(b), split.getState(b))).toBe(-1);
    one.dispose();
    split.dispose();
  });
});
