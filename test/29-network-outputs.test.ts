/**
 * networkOutputs (src/system/outputs.ts), the forward pass the playground draws fits with, against the kernels on
 * every backend: (1) 1/(2N) sum_s ||f(x_s) - y_s||^2 from its outputs equals NetworkKernel.loss(); (2) with an identity
 * output, dC/db_{L+1} = (1/N) sum_s (f(x_s) - y_s), the last `outputs` entries of NetworkKernel.lossGrad: a residual
 * sum, linear in f, so a sign or a swapped output would show. Every activation of the table, at depth 1 and 3, and every
 * output activation.
 */
import { expect, it } from "vitest";
import { parameterCount } from "../src/backend/layers.js";
import { ACTIVATION_NAMES, ActivationId, type NetworkShape, OUTPUT_ACTIVATION_NAMES } from "../src/backend/types.js";
import { networkOutputs } from "../src/system/outputs.js";
import { describeEachBackend } from "./support/backends.js";
import { fixtureRng } from "./support/linalg.js";
import { createKernel } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

const N = 11;

function problem(shape: NetworkShape, seed: number) {
  const rand = fixtureRng(seed);
  const D = parameterCount(shape);
  const X = Float64Array.from({ length: N * shape.inputs }, () => 2 * rand() - 1);
  const Y = Float64Array.from({ length: N * shape.outputs }, () => rand() - 0.5);
  const w = Float64Array.from({ length: D }, () => 1.4 * rand() - 0.7);
  return { X, Y, w, D };
}

function shapeOf(act: string, outAct: string, hidden: number | number[]): NetworkShape {
  const id = ActivationId[act as keyof typeof ActivationId];
  const param = act === "leaky-relu" ? 0.05 : act === "elu" ? 1.3 : 0;
  const deep = Array.isArray(hidden);
  return {
    inputs: 2,
    hidden,
    outputs: 2,
    activation: deep ? hidden.map(() => id) : id,
    activationParam: deep ? hidden.map(() => param) : param,
    outputActivation: ActivationId[outAct as keyof typeof ActivationId],
  };
}

describeEachBackend("networkOutputs against the kernel's loss and gradient", (backend) => {
  for (const hidden of [4, [3, 4, 2]]) {
    for (const act of ACTIVATION_NAMES) {
      for (const outAct of OUTPUT_ACTIVATION_NAMES) {
        it(`${act} hidden ${JSON.stringify(hidden)}, output ${outAct} [${backend.name}]`, () => {
          const shape = shapeOf(act, outAct, hidden);
          const { X, Y, w, D } = problem(shape, 7 + caseSeed(act, outAct));
          const F = networkOutputs(backend, shape, w, X);
          expect(F.length).toBe(N * shape.outputs);
          const kernel = createKernel(backend, shape, X, Y, 0);
          try {
            kernel.weights.set(w);
            let sq = 0;
            for (let q = 0; q < F.length; q++) sq += (F[q] - Y[q]) ** 2;
            const loss = kernel.loss();
            expect(Math.abs(sq / (2 * N) - loss) / loss).toBeLessThan(TOL.routes);
            if (outAct === "identity") {
              const grad = new Float64Array(D);
              kernel.lossGrad(grad);
              for (let o = 0; o < shape.outputs; o++) {
                let r = 0;
                for (let s = 0; s < N; s++) r += F[s * shape.outputs + o] - Y[s * shape.outputs + o];
                expect(Math.abs(r / N - grad[D - shape.outputs + o])).toBeLessThan(TOL.routes);
              }
            }
          } finally {
            kernel.dispose();
          }
        });
      }
    }
  }
});

/** A fixture seed per case, so the cases do not share their numbers. */
function caseSeed(act: string, outAct: string): number {
  return (
    ACTIVATION_NAMES.indexOf(act as (typeof ACTIVATION_NAMES)[number]) * 3 +
    OUTPUT_ACTIVATION_NAMES.indexOf(outAct as (typeof OUTPUT_ACTIVATION_NAMES)[number])
  );
}
