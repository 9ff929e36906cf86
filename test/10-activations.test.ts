import { expect, it } from "vitest";
import { ACTIVATIONS, entryOf } from "../src/backend/tables.js";
import { ACTIVATION_NAMES, ActivationId } from "../src/backend/types.js";
import { describeEachBackend } from "./support/backends.js";
import { TOL } from "./support/tolerances.js";

// Points away from the kinks of relu/leaky-relu/elu at 0 so that central differences are valid.
const Z = Float64Array.from([-4.1, -2.3, -1.05, -0.37, -0.013, 0.021, 0.4, 0.93, 1.7, 3.2, 6.5]);
/** A parameter other than the table's default, for the activations that have one. */
const paramOf = (name: string) => 1.3 * (entryOf(ACTIVATIONS, name)?.param?.default ?? 0) + 0.02;
const H = 1e-5;

function evalAt(b: { activation: (...a: never[]) => void }, id: number, p: number, z: Float64Array) {
  const f = new Float64Array(z.length);
  const d1 = new Float64Array(z.length);
  const d2 = new Float64Array(z.length);
  (b.activation as (id: number, p: number, ...arr: Float64Array[]) => void)(id, p, z, f, d1, d2);
  return { f, d1, d2 };
}

describeEachBackend("10 activations: f' and f'' against central differences", (backend) => {
  for (const name of ACTIVATION_NAMES) {
    it(`${name}`, () => {
      const id = ActivationId[name];
      const p = paramOf(name);
      const at = evalAt(backend, id, p, Z);
      const plus = evalAt(
        backend,
        id,
        p,
        Z.map((z) => z + H),
      );
      const minus = evalAt(
        backend,
        id,
        p,
        Z.map((z) => z - H),
      );
      for (let i = 0; i < Z.length; i++) {
        const fd1 = (plus.f[i] - minus.f[i]) / (2 * H);
        const fd2 = (plus.d1[i] - minus.d1[i]) / (2 * H);
        expect(Math.abs(at.d1[i] - fd1), `${name} f'(${Z[i]})`).toBeLessThan(TOL.activationFd * (1 + Math.abs(fd1)));
        expect(Math.abs(at.d2[i] - fd2), `${name} f''(${Z[i]})`).toBeLessThan(TOL.activationFd * (1 + Math.abs(fd2)));
      }
    });
  }

  it("known values: tanh(0.4), logistic(0) = 1/2, softplus(0) = ln 2, gelu(1) ~ 0.841192, leaky slope", () => {
    const z = Float64Array.from([0.4, 0, 1, -2]);
    expect(evalAt(backend, ActivationId.tanh, 0, z).f[0]).toBeCloseTo(Math.tanh(0.4), 15);
    expect(evalAt(backend, ActivationId.sigmoid, 0, z).f[1]).toBe(0.5);
    expect(evalAt(backend, ActivationId.softplus, 0, z).f[1]).toBeCloseTo(Math.LN2, 15);
    // GELU tanh form at 1: 0.5 (1 + tanh(sqrt(2/pi) 1.044715)) = 0.8411919906...
    expect(evalAt(backend, ActivationId.gelu, 0, z).f[2]).toBeCloseTo(0.8411919906082768, 12);
    expect(evalAt(backend, ActivationId["leaky-relu"], 0.1, z).f[3]).toBeCloseTo(-0.2, 15);
    expect(evalAt(backend, ActivationId.elu, 2, z).f[3]).toBeCloseTo(2 * (Math.exp(-2) - 1), 15);
  });

  it("softplus and sigmoid stay finite at extreme arguments", () => {
    const z = Float64Array.from([-800, 800]);
    const sp = evalAt(backend, ActivationId.softplus, 0, z);
    expect(sp.f[0]).toBe(0);
    expect(sp.f[1]).toBe(800);
    const sg = evalAt(backend, ActivationId.sigmoid, 0, z);
    expect([...sg.f, ...sg.d1, ...sg.d2].every(Number.isFinite)).toBe(true);
  });
});
