import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { minimalSubspaceAngle, triangularSplitAngle, vectorAngle } from "../src/algorithms/angles.js";
import { type ClvResult, covariantLyapunovVectors, planClv } from "../src/algorithms/clv.js";
import { ClvMemoryError, clvMemoryEstimate, parseByteSize } from "../src/algorithms/clv-memory.js";
import type { Backend } from "../src/backend/types.js";
import { resolveClvConfig } from "../src/config/clv.js";
import { ConfigError } from "../src/config/errors.js";
import { networkShape } from "../src/config/shape.js";
import { parseRunConfig } from "../src/config/validate.js";
import { buildDataset } from "../src/data/dataset.js";
import { readNpy } from "../src/io/npy.js";
import { trainRun } from "../src/run.js";
import { MapSystem } from "../src/system/map.js";
import { NetworkSystem } from "../src/system/network.js";
import type { TangentSystem } from "../src/system/types.js";
import { describeEachBackend } from "./support/backends.js";
import { fixtureRng, inverse, matmul } from "./support/linalg.js";
import { henon, linearMap, lozi } from "./support/maps.js";
import { createKernel, gd, sineNetwork141 } from "./support/networks.js";
import { TOL } from "./support/tolerances.js";

/** Column j of a [T, D, k] array at time index i. */
function column(vectors: Float64Array, D: number, k: number, i: number, j: number): Float64Array {
  return Float64Array.from({ length: D }, (_, d) => vectors[i * D * k + d * k + j]);
}

/** Sine of the angle between the lines of a and b. */
function sine(a: Float64Array, b: Float64Array): number {
  const V = new Float64Array(a.length * 2);
  V.set(a, 0);
  V.set(b, a.length);
  return Math.sin(vectorAngle(V, a.length, 0, 1));
}

/** The 1-4-1 tanh network of test 30 (D = 13). */
const { shape: SHAPE, X, Y, w0: W0 } = sineNetwork141();

/** A run config for the same kind of network (trainRun builds its own data and weights). */
function networkConfig(clv: Record<string, unknown>, steps = 700) {
  return parseRunConfig({
    network: { inputs: 1, hidden: 4, outputs: 1, activation: "tanh" },
    data: { function: "sin", samples: 20 },
    init: { distribution: "uniform", scale: 1, seed: 3 },
    training: { learningRate: 0.5, steps },
    lyapunov: { clv },
  });
}

describeEachBackend("50 covariant Lyapunov vectors", (backend: Backend) => {
  it("constant non-normal matrix: the CLVs are its eigenvectors in eigenvalue order (|cos| >= 1 - 1e-10)", () => {
    const D = 4;
    const T = Float64Array.from([1.6, 5, -3, 2, 0, -0.9, 4, 1, 0, 0, 0.5, -6, 0, 0, 0, -0.2]); // Schur form
    const rand = fixtureRng(9);
    const S = Float64Array.from({ length: D * D }, () => rand() - 0.5);
    const M = matmul(matmul(S, T, D, D, D), inverse(S, D), D, D, D);
    // Eigenvectors of T by back substitution (v_j = 1 below the diagonal entry), mapped by S.
    const eig: Float64Array[] = [];
    for (let j = 0; j < D; j++) {
      const v = new Float64Array(D);
      v[j] = 1;
      for (let i = j - 1; i >= 0; i--) {
        let s = 0;
        for (let l = i + 1; l <= j; l++) s += T[i * D + l] * v[l];
        v[i] = -s / (T[i * D + i] - T[j * D + j]);
      }
      eig.push(
        Float64Array.from({ length: D }, (_, r) => S.subarray(r * D, r * D + D).reduce((a, s, l) => a + s * v[l], 0)),
      );
    }
    const sys = new MapSystem(linearMap(M, D), backend, { initialState: [1, 0, 0, 0] });
    const res = covariantLyapunovVectors(sys, { transient: 200, to: 300, every: 10, backwardTransient: 200 });
    expect(res.times.length).toBe(11);
    for (let i = 0; i < res.times.length; i++)
      for (let j = 0; j < D; j++) {
        const v = column(res.vectors, D, D, i, j);
        const cos = Math.abs(v.reduce((a, x, r) => a + x * eig[j][r], 0)) / Math.hypot(...eig[j]);
        expect(1 - cos).toBeLessThan(TOL.clvEigenvector);
      }
  });

  it("covariance on the Henon map (qrEvery 2, every 4): J^(4) V_t ∥ V_(t+4) for both vectors (1e-8)", () => {
    const map = henon(1.4, 0.3);
    const sys = new MapSystem(map, backend, { initialState: [0.1, 0.1] });
    const res = covariantLyapunovVectors(sys, {
      transient: 200,
      to: 2200,
      every: 4,
      qrEvery: 2,
      backwardTransient: 400,
    });
    const J = new Float64Array(4);
    let worst = 0;
    for (let i = 0; i + 1 < res.times.length; i++) {
      for (let j = 0; j < 2; j++) {
        let x = res.states.slice(i * 2, i * 2 + 2);
        let v = column(res.vectors, 2, 2, i, j);
        for (let s = 0; s < 4; s++) {
          map.jacobian(x, J);
          v = Float64Array.from([J[0] * v[0] + J[1] * v[1], J[2] * v[0] + J[3] * v[1]]);
          const next = new Float64Array(2);
          map.step(x, next);
          x = next;
        }
        expect(Array.from(x)).toEqual(Array.from(res.states.subarray((i + 1) * 2, (i + 2) * 2)));
        worst = Math.max(worst, sine(v, column(res.vectors, 2, 2, i + 1, j)));
      }
    }
    expect(worst).toBeLessThan(TOL.clvCovariance);
  });

  it("covariance on a 1-4-1 tanh network (D = k = 13): (I - eta H(w_t)) V_t ∥ V_(t+1), from the run's outputs (1e-8)", () => {
    const config = networkConfig({ from: 0, to: 200, every: 1, backwardTransient: 300 });
    const run = trainRun(config, { backend });
    const out = run.clv?.arrays;
    if (!out) throw new Error("no CLV arrays");
    const D = 13;
    const k = 13;
    // A separate kernel on the same data applies J_t at the stored weights.
    const data = buildDataset(config, process.cwd());
    const probe = createKernel(backend, networkShape(config.network), data.X, data.Y, k, gd(0.5));
    let worst = 0;
    for (let i = 0; i + 1 < out.times.length; i++) {
      probe.weights.set(out.weights.subarray(i * D, (i + 1) * D));
      for (let j = 0; j < k; j++)
        for (let d = 0; d < D; d++) probe.tangent[j * D + d] = out.vectors[i * D * k + d * k + j];
      probe.tangentApply(k, 0, 0);
      for (let j = 0; j < k; j++) {
        const Jv = probe.tangent.slice(j * D, (j + 1) * D);
        worst = Math.max(worst, sine(Jv, column(out.vectors, D, k, i + 1, j)));
      }
    }
    probe.dispose();
    expect(worst).toBeLessThan(TOL.clvCovariance);
  });

  it("Henon (1.4, 0.3) has near-tangencies (>= 1% of times below 0.1 rad); Lozi (1.7, 0.5) stays above 0.4 rad", () => {
    const minAngles = (map: ReturnType<typeof henon>) => {
      const sys = new MapSystem(map, backend, { initialState: [0.1, 0.1] });
      const res = covariantLyapunovVectors(sys, { transient: 500, to: 10500, backwardTransient: 500 });
      return res.times.map((_, i) => {
        const V = new Float64Array(4);
        V.set(column(res.vectors, 2, 2, i, 0), 0);
        V.set(column(res.vectors, 2, 2, i, 1), 2);
        return minimalSubspaceAngle(V, 2, 2, 1);
      });
    };
    const h = minAngles(henon(1.4, 0.3));
    const l = minAngles(lozi(1.7, 0.5));
    const smallShare = h.filter((a) => a < 0.1).length / h.length;
    expect(smallShare).toBeGreaterThan(0.01);
    expect(Math.min(...h)).toBeLessThan(0.01);
    expect(Math.min(...l)).toBeGreaterThan(0.4);
  });

  it("checkpoint-and-recompute gives the store-mode CLVs (1e-10) and leaves the loss history alone", () => {
    const runNet = (mode: "store" | "checkpoint") => {
      const sys = new NetworkSystem(backend, { shape: SHAPE, X, Y, w0: W0, rule: gd(0.5) });
      const res = covariantLyapunovVectors(sys, {
        to: 300,
        every: 3,
        backwardTransient: 200,
        mode,
        checkpointEvery: 37,
      });
      const losses = sys.lossHistory();
      const state = sys.state();
      const time = sys.time;
      sys.dispose();
      return { res, losses, state, time };
    };
    const a = runNet("store");
    const b = runNet("checkpoint");
    expect(a.res.plan.mode).toBe("store");
    expect(b.res.plan.mode).toBe("checkpoint");
    expect(b.res.stats.replayedSteps).toBe(500);
    expectSame(a.res, b.res);
    expect(b.time).toBe(500);
    expect(b.losses.length).toBe(500);
    expect(Array.from(b.losses)).toEqual(Array.from(a.losses));
    expect(Array.from(b.state)).toEqual(Array.from(a.state));

    const runMap = (mode: "store" | "checkpoint") =>
      covariantLyapunovVectors(new MapSystem(henon(1.4, 0.3), backend, { initialState: [0.1, 0.1] }), {
        transient: 100,
        to: 1100,
        every: 6,
        qrEvery: 2,
        backwardTransient: 300,
        mode,
        checkpointEvery: 50,
      });
    expectSame(runMap("store"), runMap("checkpoint"));
  });

  it("the memory estimate refuses an oversize request with a message before any step or allocation", () => {
    const sys = new MapSystem(henon(1.4, 0.3), backend, { initialState: [0.1, 0.1] });
    let err: unknown;
    try {
      covariantLyapunovVectors(sys, { to: 100000, backwardTransient: 1000, memoryBudget: 64 * 1024 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClvMemoryError);
    expect((err as Error).message).toMatch(
      /^CLVs from 0 to 100000 every 1 with k = 2 need [\d.]+ MiB in checkpoint mode/,
    );
    expect((err as Error).message).toContain("above the budget of 64 KiB (lyapunov.clv.memoryBudget)");
    expect(sys.time).toBe(0);
    // Through a run: refused before the first training step.
    let steps = 0;
    const config = networkConfig({ to: 400, backwardTransient: 300, mode: "store", memoryBudget: "100KiB" });
    expect(() => trainRun(config, { backend, onProgress: (d) => (steps = d) })).toThrow(ClvMemoryError);
    expect(steps).toBe(0);
  });

  it("weightdyn run outputs: clv.npy, weights.npy, clv-times.csv, clv-angles.csv equal the typed API's arrays", () => {
    const clv = {
      from: 0,
      to: 400,
      every: 10,
      backwardTransient: 200,
      pairs: [
        [0, 1],
        [2, 5],
      ],
      split: 3,
    };
    const dir = mkdtempSync(join(tmpdir(), "weightdyn-clv-"));
    try {
      const files = trainRun(networkConfig(clv), { backend, outDir: dir });
      const arrays = trainRun(networkConfig(clv), { backend }).clv?.arrays;
      if (!arrays) throw new Error("no arrays");
      const V = readNpy(join(dir, "clv.npy"));
      expect(V.shape).toEqual([41, 13, 13]);
      expect(Array.from(V.data)).toEqual(Array.from(arrays.vectors));
      const W = readNpy(join(dir, "weights.npy"));
      expect(W.shape).toEqual([41, 13]);
      expect(Array.from(W.data)).toEqual(Array.from(arrays.weights));
      // The weights at time 0 are w_0, and at the last time the weights of the run's own trajectory.
      expect(readFileSync(join(dir, "clv-times.csv"), "utf8").split("\n")[2]).toBe("1,10");
      const angles = readFileSync(join(dir, "clv-angles.csv"), "utf8").trim().split("\n");
      expect(angles[0]).toBe("time,angle_1_2,angle_3_6,min_angle_first_3");
      expect(angles.length).toBe(42);
      expect(angles[41].split(",").map(Number)).toEqual(Array.from(arrays.angles.values.subarray(40 * 4, 41 * 4)));
      expect(existsSync(join(dir, "clv-layers.npy"))).toBe(true);
      expect(files.clv?.summary.files).toMatchObject({ clv: "clv.npy", angles: "clv-angles.csv" });
      // Layer shares sum to 1 for every vector.
      const layers = arrays.layers as Float64Array;
      for (let r = 0; r < layers.length / 4; r++) {
        expect(Math.abs(layers[r * 4] + layers[r * 4 + 1] + layers[r * 4 + 2] + layers[r * 4 + 3] - 1)).toBeLessThan(
          1e-12,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("weightdyn run with the issue's clv section writes the CLV files and a clv summary", () => {
    const dir = mkdtempSync(join(tmpdir(), "weightdyn-clv-cli-"));
    try {
      const config = {
        network: { inputs: 1, hidden: 4, outputs: 1 },
        training: { learningRate: 0.5, steps: 4000 },
        lyapunov: { clv: { from: 0, to: 2000, every: 10, backwardTransient: 2000 } },
      };
      writeFileSync(join(dir, "cfg.json"), JSON.stringify(config));
      const out = join(dir, "out");
      const r = cli(["run", "-c", join(dir, "cfg.json"), "-o", out, "--backend", backend.name, "--quiet"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(readNpy(join(out, "clv.npy")).shape).toEqual([201, 13, 13]);
      expect(readNpy(join(out, "weights.npy")).shape).toEqual([201, 13]);
      expect(readFileSync(join(out, "clv-times.csv"), "utf8").trim().split("\n").length).toBe(202);
      expect(readFileSync(join(out, "clv-angles.csv"), "utf8").split("\n")[0]).toMatch(
        /^time,angle_1_2(,min_angle_first_\d+)?$/,
      );
      const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
      expect(summary.clv).toMatchObject({ computed: true, mode: "store", times: 201, backwardTransient: 2000 });
      // Refused before training, exit code 2, the message naming the budget.
      writeFileSync(
        join(dir, "big.json"),
        JSON.stringify({ ...config, lyapunov: { clv: { memoryBudget: "1 MiB", mode: "store", every: 10 } } }),
      );
      const big = cli([
        "run",
        "-c",
        join(dir, "big.json"),
        "-o",
        join(dir, "big"),
        "--backend",
        backend.name,
        "--quiet",
      ]);
      expect(big.status).toBe(2);
      expect(big.stderr).toMatch(
        /^weightdyn: CLVs from 0 to 3000 every 10 with k = 13 need .* above the budget of 1 MiB \(lyapunov\.clv\.memoryBudget\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

function expectSame(a: ClvResult, b: ClvResult): void {
  expect(b.times).toEqual(a.times);
  let diff = 0;
  for (let i = 0; i < a.vectors.length; i++) diff = Math.max(diff, Math.abs(a.vectors[i] - b.vectors[i]));
  for (let i = 0; i < a.states.length; i++) diff = Math.max(diff, Math.abs(a.states[i] - b.states[i]));
  expect(diff).toBeLessThanOrEqual(TOL.clvModes);
}

/** `weightdyn run` from the sources (as test/70-cli.test.ts does). */
function cli(args: string[]) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["WEIGHTDYN_DEBUG", "WEIGHTDYN_BACKEND", "WEIGHTDYN_PROGRESS"]) delete env[name];
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A system that must not be touched: planning alone has to refuse. */
function untouchable(D: number, k: number): TangentSystem {
  const fail = (): never => {
    throw new Error("the system was used before the memory check");
  };
  return { dimension: D, maxK: k, time: 0, state: fail, tangent: fail, evolve: fail, snapshot: fail, restore: fail };
}

describe("50 CLV memory plan, geometry and config (no backend)", () => {
  it("10^5 steps with D = k = 61 and CLVs every step: store mode is refused with advice, checkpoint mode fits 2 GiB", () => {
    const request = { to: 100000, every: 1, backwardTransient: 0, k: 61 };
    let err: unknown;
    try {
      planClv(untouchable(61, 61), { ...request, mode: "store" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClvMemoryError);
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(
      /^CLVs from 0 to 100000 every 1 with k = 61 need [\d.]+ GiB in store mode, above the budget of 2 GiB \(lyapunov\.clv\.memoryBudget\); use "mode": "checkpoint" \(needs [\d.]+ MiB\), fewer vectors \(lyapunov\.exponents\) or a larger stride \(lyapunov\.clv\.every\)$/,
    );
    const plan = planClv(untouchable(61, 61), request);
    expect(plan.mode).toBe("checkpoint");
    expect(plan.estimatedBytes).toBeLessThan(64 * 1024 ** 2);
    expect(plan.checkpointEvery).toBeGreaterThan(100);
    expect(plan.checkpointEvery).toBeLessThan(1000);
  });

  it("the estimate counts what the modes keep", () => {
    const e = clvMemoryEstimate({
      D: 3,
      k: 2,
      from: 0,
      to: 9,
      every: 3,
      end: 12,
      qrEvery: 1,
      checkpointEvery: 4,
      chunkSteps: 1,
    });
    const work = (3 * 4 + 2 * 6 + 6) * 8;
    // 4 times x (Q 6 + x 3) + 12 packed R x 3 + spectrum buffer 2 x 4
    expect(e.store).toBe((4 * 9 + 12 * 3 + 2 * 4) * 8 + work);
    // 4 snapshots (3 + 3 x 2) incl. the final state, 4 R, 2 times of a segment, 4 replay R (4 + 2)
    expect(e.checkpoint).toBe((4 * 9 + 4 * 3 + 2 * 9 + 4 * 6) * 8 + work);
    expect(parseByteSize("2GiB")).toBe(2 * 1024 ** 3);
    expect(parseByteSize("1.5 GB")).toBe(1.5e9);
    expect(parseByteSize("512mib")).toBe(512 * 1024 ** 2);
    expect(parseByteSize("lots")).toBeNull();
  });

  it("angles: exact in 2-D, the triangular shortcut equals the general principal angle, small angles keep precision", () => {
    const theta = 1e-9;
    const V = Float64Array.from([1, 0, Math.cos(theta), Math.sin(theta)]);
    expect(Math.abs(vectorAngle(V, 2, 0, 1) - theta)).toBeLessThan(1e-22);
    expect(Math.abs(minimalSubspaceAngle(V, 2, 2, 1) - theta)).toBeLessThan(1e-22);
    expect(Math.abs(triangularSplitAngle(V, 2, 1) - theta)).toBeLessThan(1e-22);
    const rand = fixtureRng(5);
    for (const [k, p] of [
      [5, 2],
      [6, 1],
      [6, 5],
      [7, 3],
    ]) {
      const C = new Float64Array(k * k);
      for (let c = 0; c < k; c++) for (let r = 0; r <= c; r++) C[c * k + r] = r === c ? 0.2 + rand() : rand() - 0.5;
      const general = minimalSubspaceAngle(C, k, k, p);
      expect(Math.abs(triangularSplitAngle(C, k, p) - general)).toBeLessThan(1e-12);
      // Rotating the coordinates (V = Q C) changes nothing.
      const Q = orthogonal(k + 2, rand);
      const QC = new Float64Array((k + 2) * k);
      for (let c = 0; c < k; c++)
        for (let r = 0; r < k + 2; r++)
          for (let l = 0; l < k; l++) QC[c * (k + 2) + r] += Q[l * (k + 2) + r] * C[c * k + l];
      expect(Math.abs(minimalSubspaceAngle(QC, k + 2, k, p) - general)).toBeLessThan(1e-12);
    }
  });

  it("config: defaults follow the rest of the config; errors name their field", () => {
    const resolve = (clv: unknown) =>
      resolveClvConfig(parseRunConfig({ training: { steps: 1000 }, lyapunov: { qrEvery: 2, transient: 100, clv } }));
    expect(resolve({ backwardTransient: 200 })).toEqual({
      from: 100,
      to: 800,
      every: 2,
      backwardTransient: 200,
      pairs: [[0, 1]],
      split: "positive",
      mode: "auto",
      memoryBudget: 2 * 1024 ** 3,
      checkpointEvery: undefined,
      seed: 0,
      topWeights: 5,
      k: 31,
    });
    expect(resolve({ backwardTransient: 200, memoryBudget: "512 MiB", split: 3 })).toMatchObject({
      memoryBudget: 512 * 1024 ** 2,
      split: 3,
    });
    const cases: [unknown, string, RegExp][] = [
      [{}, "lyapunov.clv.backwardTransient", /at most training\.steps - lyapunov\.clv\.from = 900 .* received 1000/],
      [
        { to: 900, backwardTransient: 200 },
        "lyapunov.clv.backwardTransient",
        /at most training\.steps - lyapunov\.clv\.to = 100/,
      ],
      [
        { every: 3, backwardTransient: 200 },
        "lyapunov.clv.every",
        /a multiple of lyapunov\.qrEvery \(2\) but received 3/,
      ],
      [{ to: 501, backwardTransient: 200 }, "lyapunov.clv.to", /a multiple of lyapunov\.qrEvery \(2\)/],
      [{ from: 50, backwardTransient: 200 }, "lyapunov.clv.from", />= lyapunov\.transient \(100\)/],
      [{ memoryBudget: "2 parsecs", backwardTransient: 200 }, "lyapunov.clv.memoryBudget", /a size like "2GiB"/],
      [{ pairs: [[0, 40]], backwardTransient: 200 }, "lyapunov.clv.pairs[0]", /two different CLV indices in \[0, 30\]/],
      [{ split: 31, backwardTransient: 200 }, "lyapunov.clv.split", /\[1, 30\]/],
      [{ evry: 2 }, "lyapunov.clv.evry", /unknown key/],
      [{ mode: "disk" }, "lyapunov.clv.mode", /one of "auto", "store", "checkpoint"/],
    ];
    for (const [clv, field, pattern] of cases) {
      let err: unknown;
      try {
        resolve(clv);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(clv)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
      expect((err as Error).message).toMatch(pattern);
    }
    expect(resolveClvConfig(parseRunConfig({}))).toBeNull();
  });
});

/** A random orthogonal n x n matrix, column-major (Gram-Schmidt). */
function orthogonal(n: number, rand: () => number): Float64Array {
  const Q = Float64Array.from({ length: n * n }, () => rand() - 0.5);
  for (let c = 0; c < n; c++) {
    for (let pass = 0; pass < 2; pass++)
      for (let d = 0; d < c; d++) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += Q[d * n + r] * Q[c * n + r];
        for (let r = 0; r < n; r++) Q[c * n + r] -= dot * Q[d * n + r];
      }
    const norm = Math.hypot(...Q.subarray(c * n, c * n + n));
    for (let r = 0; r < n; r++) Q[c * n + r] /= norm;
  }
  return Q;
}
