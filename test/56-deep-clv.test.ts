/**
 * The CLV layer composition of a deep network (issue 16): one share per weight matrix and bias vector, W1, b1, ...,
 * W_{L+1}, b_{L+1}, named in the summary, each equal to the squared norm of that block of the CLV (blocks laid out
 * here again from the widths, independently of src/backend/layers.ts), summing to 1; and a momentum run's state
 * blocks v.W1 ... after them. On every backend.
 */
import { expect, it } from "vitest";
import type { Backend } from "../src/backend/types.js";
import { parseRunConfig } from "../src/config/validate.js";
import { trainRun } from "../src/run.js";
import { describeEachBackend } from "./support/backends.js";

/** [name, offset, size] of W1, b1, ..., for the widths (row-major W_l of n_l x n_{l-1}, then b_l). */
function blocksOf(widths: number[], prefix = "", start = 0): [string, number, number][] {
  const out: [string, number, number][] = [];
  let off = start;
  for (let l = 1; l < widths.length; l++) {
    out.push([`${prefix}W${l}`, off, widths[l] * widths[l - 1]]);
    off += widths[l] * widths[l - 1];
    out.push([`${prefix}b${l}`, off, widths[l]]);
    off += widths[l];
  }
  return out;
}

describeEachBackend("56 CLVs of deep networks", (backend: Backend) => {
  for (const [title, optimizer] of [
    ["gd", "gd"],
    ["momentum", { name: "momentum", beta: 0.5 }],
  ] as const) {
    it(`1-4-3-2-1 tanh/sin/elu, ${title}: one share per W_l and b_l (and per state block), = the blocks' squared norms`, () => {
      const widths = [1, 4, 3, 2, 1];
      const config = parseRunConfig({
        network: { hidden: [4, 3, 2], activation: ["tanh", "sin", "elu"] },
        data: { function: "sin", samples: 16 },
        training: { learningRate: 0.1, steps: 200, optimizer },
        lyapunov: { exponents: 6, ftleWindow: 50, clv: { from: 50, to: 150, every: 25, backwardTransient: 50 } },
      });
      const run = trainRun(config, { backend });
      const clv = run.clv;
      if (!clv) throw new Error("no CLVs");
      const D = 4 * 2 + 3 * 5 + 2 * 4 + 1 * 3;
      const blocks = blocksOf(widths);
      const all = optimizer === "gd" ? blocks : [...blocks, ...blocksOf(widths, "v.", D)];
      expect(clv.summary.layers).toEqual(all.map(([name]) => name));
      const S = optimizer === "gd" ? D : 2 * D;
      const k = 6;
      const B = all.length;
      const V = clv.arrays.vectors as Float64Array;
      const layers = clv.arrays.layers as Float64Array;
      const T = V.length / (S * k);
      expect(T).toBe(5);
      for (let t = 0; t < T; t++)
        for (let j = 0; j < k; j++) {
          const comp = (d: number) => V[(t * S + d) * k + j];
          let norm = 0;
          for (let d = 0; d < S; d++) norm += comp(d) ** 2;
          let total = 0;
          all.forEach(([, off, size], b) => {
            let share = 0;
            for (let d = off; d < off + size; d++) share += comp(d) ** 2;
            expect(Math.abs(layers[(t * k + j) * B + b] - share / norm)).toBeLessThan(1e-12);
            total += layers[(t * k + j) * B + b];
          });
          expect(Math.abs(total - 1)).toBeLessThan(1e-12);
        }
    });
  }
});
