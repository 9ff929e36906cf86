/**
 * The WASM lockstep ensembles (assembly/ensemble*.ts behind src/backend/wasm-ensemble.ts) on their own:
 * - independence (issue 15): a run's outcome in an ensemble of four is bit for bit its outcome alone in an ensemble of
 *   one, and in any lane, with a diverging run among the four that stops at its step, for every hidden activation of
 *   the table by every resolved route, and for every update rule on minibatches;
 * - against the single-run WASM kernel (createNetwork + trainChunk) within TOL.ensembleSingleRun;
 * - a chunk longer than the adapter's output block equals the same steps in several calls, and a stopped run's
 *   outputs are left as they were.
 * The native twin is held to these in test/34 (parity).
 */
import { describe, expect, it } from "vitest";
import { ACTIVATIONS, RESOLVED_ROUTE_IDS, RULES, RuleId, TANGENT_ROUTE_NAMES } from "../src/backend/tables.js";
import type { TrainingRule } from "../src/backend/types.js";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import {
  ensembleFixture,
  expectRunsClose,
  expectRunsIdentical,
  identityBlock,
  initialState,
  minibatches,
  type RunOutcome,
  runEnsemble,
} from "./support/ensembles.js";
import { TOL } from "./support/tolerances.js";

const wasm = createWasmBackend(compileWasmModule());
const OUTPUTS = ACTIVATIONS.filter((a) => a.output);
const D = 17; // ensembleFixture: 2-3-2, so W2 and b2 are the last 8 parameters
const gd: TrainingRule = { rule: RuleId.gd, learningRate: 0.1, params: [] };
/** Example parameters of every rule (RULES order). */
const RULE_EXAMPLES: TrainingRule[] = RULES.map((r) => ({
  rule: r.id,
  learningRate: r.name === "adam" ? 0.01 : 0.05,
  params: r.params.map((p) => (p.name === "epsilon" ? 1e-5 : p.name === "beta2" ? 0.999 : 0.9)),
}));

type Spec = ReturnType<typeof ensembleFixture>;
type Chunk = Parameters<typeof runEnsemble>[3];

/**
 * Four initial states. With `diverging`, run 2 has its output layer at `scale` with alternating signs: at 1e100 its
 * tangent map overflows in its first step (reason 3 at step 1) whatever the hidden activation, at 3 an identity
 * network's loss grows until it overflows some steps later (reason 1). Divergence needs the identity output: a
 * bounded output activation saturates instead.
 */
function fourStates(S: number, diverging: boolean, scale = 1e100): Float64Array[] {
  const states = [1, 2, 3, 4].map((seed) => initialState(S, D, seed));
  if (diverging) for (let p = 9; p < D; p++) states[2][p] = p % 2 ? scale : -scale;
  return states;
}

/**
 * Lane independence in one setting: each run of an ensemble of four, and of the same four in reverse lane order, is
 * bit for bit the run alone in an ensemble of one. With `diverging`, run 2 must stop inside the chunk, its outputs
 * after its step left alone, while the others run to the end with finite outputs.
 */
function checkIndependence(spec: Spec, chunk: Chunk, diverging: boolean, scale?: number): RunOutcome {
  const S = D * RULES[spec.rule.rule].stateBlocks;
  const states = fourStates(S, diverging, scale);
  const batch = runEnsemble(wasm, spec, states, chunk);
  const reversed = runEnsemble(wasm, spec, [...states].reverse(), chunk).reverse();
  states.forEach((x, b) => {
    const [single] = runEnsemble(wasm, spec, [x], chunk);
    expectRunsIdentical(batch[b], single);
    expectRunsIdentical(reversed[b], single);
  });
  for (let b = 0; b < 4; b++) {
    if (diverging && b === 2) continue;
    expect([batch[b].steps, batch[b].reason]).toEqual([chunk.nSteps, 0]);
    expect(batch[b].loss.every(Number.isFinite) && batch[b].logR.every(Number.isFinite)).toBe(true);
  }
  const d = batch[2];
  if (diverging) {
    expect(d.reason).toBeGreaterThan(0);
    expect(d.steps).toBeGreaterThanOrEqual(1);
    expect(d.steps).toBeLessThan(chunk.nSteps);
    expect(d.loss.slice(d.steps + 1).every(Number.isNaN)).toBe(true);
  }
  return d;
}

const IDENTITY = OUTPUTS[0].id;

describe("33 WASM ensembles: a run's numbers do not depend on its batch (wasm)", () => {
  for (const act of ACTIVATIONS) {
    for (const route of RESOLVED_ROUTE_IDS) {
      it(`gd, k = D: ${act.name} hidden, route ${TANGENT_ROUTE_NAMES[route]}: batch of 4 = alone, bit for bit, run 2 diverging at step 1 (wasm)`, () => {
        const d = checkIndependence(
          ensembleFixture(act.id, IDENTITY, gd, D),
          { k: D, nSteps: 40, qrEvery: 1, route },
          true,
        );
        expect([d.steps, d.reason]).toEqual([1, 3]);
      });
    }
  }
  it("gd, k = D: identity network, output weights +-3: run 2's loss overflows mid-chunk (wasm)", () => {
    const d = checkIndependence(
      ensembleFixture(0, IDENTITY, gd, D),
      { k: D, nSteps: 40, qrEvery: 1, route: 1 },
      true,
      3,
    );
    expect(d.reason).toBe(1);
    expect(d.steps).toBeGreaterThan(3);
  });
  for (const out of OUTPUTS.slice(1)) {
    for (const route of RESOLVED_ROUTE_IDS) {
      it(`gd, k = D: tanh hidden, ${out.name} output, route ${TANGENT_ROUTE_NAMES[route]}: batch of 4 = alone, bit for bit (wasm)`, () => {
        checkIndependence(ensembleFixture(1, out.id, gd, D), { k: D, nSteps: 40, qrEvery: 1, route }, false);
      });
    }
  }
  for (const rule of RULE_EXAMPLES) {
    it(`${RULES[rule.rule].name}, minibatches of 5, k = 4, qrEvery 2, t0 = 3, route hvp: batch of 4 = alone, bit for bit, run 2 diverging (wasm)`, () => {
      const spec = ensembleFixture(1, IDENTITY, rule, 4);
      const batches = minibatches(16, 5, 40, 9);
      checkIndependence(spec, { k: 4, nSteps: 40, qrEvery: 2, route: 2, t0: 3, batches }, true);
    });
  }
});

describe("33 WASM ensembles against the single-run WASM kernel (wasm)", () => {
  const cases: { rule: TrainingRule; k: number; batch: number }[] = [
    { rule: gd, k: D, batch: 0 },
    { rule: RULE_EXAMPLES[RuleId.momentum], k: 5, batch: 6 },
    { rule: RULE_EXAMPLES[RuleId.adam], k: 5, batch: 0 },
  ];
  for (const c of cases) {
    for (const act of ACTIVATIONS) {
      const out = OUTPUTS[act.id % OUTPUTS.length];
      const route = RESOLVED_ROUTE_IDS[act.id % RESOLVED_ROUTE_IDS.length];
      const name = `${RULES[c.rule.rule].name}${c.batch ? ", minibatches" : ""}, k = ${c.k}: ${act.name} hidden, ${out.name} output, route ${TANGENT_ROUTE_NAMES[route]}`;
      it(`${name}: within ${TOL.ensembleSingleRun} of createNetwork + trainChunk (wasm)`, () => {
        const S = D * RULES[c.rule.rule].stateBlocks;
        const spec = ensembleFixture(act.id, out.id, c.rule, c.k);
        const x0 = initialState(S, D, 3);
        const nSteps = 200;
        const batches = c.batch > 0 ? minibatches(16, c.batch, nSteps, 5) : null;
        const chunk = { k: c.k, nSteps, qrEvery: 2, route, batches };
        const [ens] = runEnsemble(wasm, spec, [x0], chunk);
        const net = wasm.createNetwork(spec);
        net.state.set(x0);
        net.tangent.set(identityBlock(S, c.k));
        const loss = new Float64Array(nSteps);
        const logR = new Float64Array((nSteps / 2) * c.k);
        const res = net.trainChunk({ ...chunk, t0: 0, lossOut: loss, logRDiag: logR });
        const single: RunOutcome = {
          loss,
          logR,
          state: net.state.slice(),
          tangent: net.tangent.slice(),
          steps: res.steps,
          reason: res.reason,
          finalLoss: net.loss(),
        };
        net.dispose();
        expectRunsClose(ens, single, c.k, TOL.ensembleSingleRun);
      });
    }
  }
});
