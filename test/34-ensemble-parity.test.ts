/**
 * Parity of the WASM lockstep ensembles (assembly/ensemble*.ts) with the native ones (native/kernels/ensemble*.cc):
 * the twins run the same operations in the same order in every lane and round apart only where native forms fused
 * multiply-adds and where the libms differ (TOL.ensembleParity says where), so on converging trajectories four runs
 * of each ensemble agree run by run: every hidden activation of the table (with each output activation in turn) by
 * every resolved tangent route, for gd (k = D), momentum on minibatches and Adam (k < S), 200 steps with a QR every
 * second step. Skipped, with the reason, when the native addon does not load.
 */
import { describe, it } from "vitest";
import { ACTIVATIONS, RESOLVED_ROUTE_IDS, RULES, RuleId, TANGENT_ROUTE_NAMES } from "../src/backend/tables.js";
import type { Backend, TrainingRule } from "../src/backend/types.js";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { nativeBackend as native, nativeMissing as reason } from "./support/backends.js";
import { ensembleFixture, expectRunsClose, initialState, minibatches, runEnsemble } from "./support/ensembles.js";
import { TOL } from "./support/tolerances.js";

const wasm = createWasmBackend(compileWasmModule());
const OUTPUTS = ACTIVATIONS.filter((a) => a.output);
const D = 17; // ensembleFixture: 2-3-2
const STEPS = 200;

interface RuleCase {
  title: string;
  rule: TrainingRule;
  k: number;
  /** Minibatch size (0: all 16 samples every step). */
  batch: number;
}

const RULE_CASES: RuleCase[] = [
  { title: "gd, k = D", rule: { rule: RuleId.gd, learningRate: 0.1, params: [] }, k: D, batch: 0 },
  {
    title: "momentum, minibatches of 6, k = 5",
    rule: { rule: RuleId.momentum, learningRate: 0.05, params: [0.9] },
    k: 5,
    batch: 6,
  },
  {
    title: "adam (epsilon 1e-5), k = 5",
    rule: { rule: RuleId.adam, learningRate: 0.01, params: [0.9, 0.999, 1e-5] },
    k: 5,
    batch: 0,
  },
];

describe("34 ensemble parity: WASM lockstep kernels against native, run by run", () => {
  if (native === null) it.skip(`native backend unavailable: ${reason}`, () => {});
  for (const rc of RULE_CASES) {
    for (const act of ACTIVATIONS) {
      const out = OUTPUTS[act.id % OUTPUTS.length];
      for (const route of RESOLVED_ROUTE_IDS) {
        const title = `${rc.title}: ${act.name} hidden, ${out.name} output, route ${TANGENT_ROUTE_NAMES[route]}`;
        it.skipIf(native === null)(`${title} (wasm vs native)`, () => {
          const S = D * RULES[rc.rule.rule].stateBlocks;
          const spec = ensembleFixture(act.id, out.id, rc.rule, rc.k);
          const states = [1, 2, 3, 4].map((seed) => initialState(S, D, seed));
          const batches = rc.batch > 0 ? minibatches(16, rc.batch, STEPS, 5) : null;
          const chunk = { k: rc.k, nSteps: STEPS, qrEvery: 2, route, batches };
          const a = runEnsemble(wasm, spec, states, chunk);
          const b = runEnsemble(native as Backend, spec, states, chunk);
          for (let r = 0; r < states.length; r++) expectRunsClose(a[r], b[r], rc.k, TOL.ensembleParity);
        });
      }
    }
  }
});
