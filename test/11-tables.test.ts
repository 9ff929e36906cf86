/**
 * The engine's tables (src/backend/tables.ts) hold the kernels together: the generated copies in native/ and assembly/
 * are what the generator writes, every rule of the table runs in both kernels with its defaults and does one step as
 * its formula says (from a zero state, where each rule has a closed form), every output-capable activation is accepted
 * at the output and the others are refused.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generatedTables } from "../scripts/gen-tables.js";
import { packageRoot } from "../src/backend/root.js";
import { ACTIVATIONS, inRange, RULES, TANGENT_ROUTES } from "../src/backend/tables.js";
import type { Backend } from "../src/backend/types.js";
import { describeEachBackend } from "./support/backends.js";
import { createKernel, gd } from "./support/networks.js";

describe("11 tables: the generated kernel copies are up to date", () => {
  for (const [path, text] of Object.entries(generatedTables())) {
    it(`${path} equals the generator's output (npm run gen:tables)`, () => {
      expect(readFileSync(join(packageRoot(), path), "utf8")).toBe(text);
    });
  }

  it("ids run 0, 1, ... in every table, and every default lies in its range", () => {
    for (const table of [ACTIVATIONS, TANGENT_ROUTES, RULES]) {
      for (const [i, e] of table.entries()) expect(e.id).toBe(i);
    }
    for (const r of RULES) for (const p of r.params) expect(inRange(p, p.default), `${r.name}.${p.name}`).toBe(true);
    for (const a of ACTIVATIONS) if (a.param) expect(inRange(a.param, a.param.default)).toBe(true);
  });
});

/** One step of each rule from w with every other state block 0, at t = 0: the closed forms of the rule formulas. */
const ONE_STEP: Record<string, (w: number, g: number, eta: number, p: number[]) => number> = {
  gd: (w, g, eta) => w - eta * g,
  momentum: (w, g, eta) => w - eta * g, // v' = g
  nesterov: (w, g, eta, [beta]) => w - eta * (g + beta * g), // v' = g
  adam: (w, g, eta, [, , eps]) => w - eta * (g / (Math.abs(g) + eps)), // m^ = g, v^ = g^2 after one step
};

describeEachBackend("11 tables: every rule and activation of the table runs in the kernels", (backend: Backend) => {
  for (const rule of RULES) {
    it(`rule ${rule.name}: one step from a zero state follows its formula (defaults of the table)`, () => {
      expect(ONE_STEP[rule.name], `a closed form for ${rule.name}`).toBeDefined();
      const D = 5;
      const params = rule.params.map((p) => p.default);
      const w = [0.3, -1.2, 0.05, 2, -0.7];
      const g = Float64Array.from([0.4, -0.25, 1.5, -3, 1e-3]);
      const state = new Float64Array(rule.stateBlocks * D);
      state.set(w);
      backend.ruleStep({ rule: rule.id, learningRate: 0.1, params }, D, state, g, 0);
      for (let p = 0; p < D; p++) {
        const expected = ONE_STEP[rule.name](w[p], g[p], 0.1, params);
        expect(Math.abs(state[p] - expected)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(expected)));
      }
    });
  }

  it("the output-capable activations are accepted at the output, every other one is refused naming the range", () => {
    const X = Float64Array.of(0.1, 0.5);
    const Y = Float64Array.of(0.2, 0.3);
    const outputs = ACTIVATIONS.filter((a) => a.output).length;
    for (const a of ACTIVATIONS) {
      const shape = { inputs: 1, hidden: 2, outputs: 1, activation: 1, activationParam: 0, outputActivation: a.id };
      if (a.output) {
        const net = createKernel(backend, shape, X, Y, 0, gd());
        expect(Number.isFinite(net.loss())).toBe(true);
        net.dispose();
      } else {
        expect(() => createKernel(backend, shape, X, Y, 0, gd())).toThrow(
          `expected an integer in [0, ${outputs - 1}] for outputActivation`,
        );
      }
    }
  });
});
