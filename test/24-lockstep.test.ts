/**
 * Runs in lockstep (issue 15; src/ensemble/lockstep.ts, native/kernels/ensemble*.cc and their WASM twins): a run's
 * numbers do not depend on the runs beside it, and agree with the one-run path to rounding.
 *
 * Tolerance against the one-run path (trainRun): the ensemble kernels evaluate exp and tanh with their own vectorised
 * code (within a few ulps of glibc's) and, natively, form fused multiply-adds; on converging runs these differences
 * stay at the level of rounding: TOL.lockstep (relative on losses, absolute on FTLEs).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RESOLVED_ROUTE_IDS } from "../src/backend/tables.js";
import { ACTIVATION_NAMES, ActivationId, type Backend, RuleId } from "../src/backend/types.js";
import { parseRunConfig } from "../src/config/validate.js";
import { lockstepRecords } from "../src/ensemble/lockstep.js";
import { computeRunRecord, computeRunRecords, type RunTask } from "../src/ensemble/record.js";
import { runEnsemble } from "../src/ensemble/runner.js";
import { runSeed, seededConfig } from "../src/ensemble/seeds.js";
import { parseStudy } from "../src/ensemble/study.js";
import { describeEachBackend } from "./support/backends.js";
import { TOL } from "./support/tolerances.js";

/** Tasks of runs 0 .. n-1 of one grid point of `base`. */
function tasks(base: unknown, n: number, first = 0): RunTask[] {
  const config = parseRunConfig(base);
  return Array.from({ length: n }, (_, d) => {
    const index = first + d;
    const seed = runSeed(7, index);
    return {
      studyId: "0000000000000000",
      index,
      gridPoint: 0,
      draw: index,
      params: {},
      seed,
      config: seededConfig(config, seed),
      baseDir: process.cwd(),
      early: [20, 60],
      lossCheckpoints: [0, 20, 60, config.training.steps],
    };
  });
}

const strip = (r: { wallTimeSeconds: number }) => ({ ...r, wallTimeSeconds: 0 });

describeEachBackend("24 lockstep: a run's record is its own", (backend: Backend) => {
  const lanes = backend.ensembleLanes;
  if (lanes === 0) {
    it.skip(`${backend.name} has no lockstep kernels (its runs are trained one by one)`, () => {});
    return;
  }
  for (const activation of ACTIVATION_NAMES) {
    for (const route of RESOLVED_ROUTE_IDS) {
      const routeName = ["auto", "hessian", "hvp", "factored"][route];
      it(`${activation}, ${routeName}: records of runs in batches of ${lanes} and of 3 equal those of the runs alone`, () => {
        const base = {
          network: { hidden: 3, activation, outputActivation: "identity" },
          data: { function: "sin", samples: 12 },
          init: { scale: 1.5 },
          training: { learningRate: 0.8, steps: 120, optimizer: route === 2 ? "momentum" : "gd" },
          lyapunov: { ftleWindow: 20, tangentRoute: routeName },
        };
        const all = tasks(base, 2 * lanes);
        const alone = all.map((t) => lockstepRecords([t], backend));
        expect(alone.every((r) => r !== null)).toBe(true);
        const single = alone.map((r) => strip((r as NonNullable<typeof r>)[0]));
        const together = computeRunRecords(all, backend).map(strip);
        const threes = [0, 3, 6].flatMap((i) => computeRunRecords(all.slice(i, i + 3), backend)).map(strip);
        expect(together).toEqual(single);
        expect(threes).toEqual(single.slice(0, threes.length));
      });

      it(`${activation}, ${routeName}: a diverging run leaves its lane at its step; the other lanes are the runs alone, bit for bit`, () => {
        const shape = {
          inputs: 2,
          hidden: 3,
          outputs: 2,
          activation: ActivationId[activation],
          activationParam: 0.3,
          outputActivation: ActivationId.identity,
        };
        const N = 9;
        const X = Float64Array.from({ length: 2 * N }, (_, i) => Math.sin(1.3 * i));
        const Y = Float64Array.from({ length: 2 * N }, (_, i) => 0.5 * Math.cos(0.7 * i));
        const rule = { rule: RuleId.gd, learningRate: 0.4, params: [] };
        const D = 3 * 3 + 2 * 4;
        const starts = Array.from({ length: lanes }, (_, b) =>
          Float64Array.from({ length: D }, (_, p) => (b === 1 ? 1e200 : 0.6) * Math.sin(p + 3 * b)),
        );
        const steps = 60;
        const run = (runs: Float64Array[]) => {
          const ens = backend.createEnsemble({ shape, X, Y, maxK: D, rule, runs: runs.length });
          const I = new Float64Array(D * D);
          for (let j = 0; j < D; j++) I[j * D + j] = 1;
          runs.forEach((w, b) => {
            ens.setState(b, w);
            ens.setTangent(b, I);
          });
          const lossOut = new Float64Array(runs.length * steps).fill(-1);
          const logRDiag = new Float64Array(runs.length * steps * D).fill(-1);
          const res = ens.trainChunk({ k: D, nSteps: steps, qrEvery: 1, route, t0: 0, lossOut, logRDiag });
          const states = runs.map((_, b) => ens.getState(b));
          ens.dispose();
          return runs.map((_, b) => ({
            steps: res.steps[b],
            reason: res.reasons[b],
            loss: lossOut.slice(b * steps, (b + 1) * steps),
            logR: logRDiag.slice(b * steps * D, (b + 1) * steps * D),
            state: states[b],
          }));
        };
        const together = run(starts);
        const alone = starts.map((w) => run([w])[0]);
        expect(together).toEqual(alone);
        expect(together[1].reason).not.toBe(0);
        expect(together[1].steps).toBeLessThan(steps);
        expect(together.filter((r) => r.reason === 0).length).toBe(lanes - 1);
      });
    }
  }

  for (const optimizer of ["gd", "momentum", "adam"]) {
    it(`${optimizer}, minibatches: a lockstep run agrees with the one-run path (trainRun) to rounding`, () => {
      const base = {
        network: { inputs: 1, hidden: 4, outputs: 1, activation: "tanh" },
        data: { function: "sin", samples: 20 },
        init: { scale: 0.8 },
        training: {
          learningRate: optimizer === "adam" ? 0.01 : 0.1,
          steps: 300,
          optimizer,
          batchSize: 7,
        },
        lyapunov: { ftleWindow: 50 },
      };
      const ts = tasks(base, lanes);
      const lock = lockstepRecords(ts, backend);
      if (!lock) throw new Error("no lockstep kernel");
      ts.forEach((t, b) => {
        const one = computeRunRecord(t, backend);
        const l = lock[b];
        expect(l.diverged).toBe(false);
        expect(Math.abs((l.finalLoss as number) - (one.finalLoss as number))).toBeLessThanOrEqual(
          TOL.lockstep * Math.abs(one.finalLoss as number),
        );
        expect(l.lossCheckpoints.map(([step]) => step)).toEqual(t.lossCheckpoints);
        expect(one.lossCheckpoints.map(([step]) => step)).toEqual(t.lossCheckpoints);
        expect(l.early.map((e) => e.window)).toEqual(t.early);
        expect(one.early.map((e) => e.window)).toEqual(t.early);
        l.early.forEach((e, i) => {
          expect(e.ftle?.length ?? 0).toBeGreaterThan(0);
          expect(e.ftle).toHaveLength(one.early[i].ftle?.length ?? -1);
        });
        l.lossCheckpoints.forEach(([, v], i) => {
          const w = one.lossCheckpoints[i][1] as number;
          expect(Math.abs((v as number) - w)).toBeLessThanOrEqual(TOL.lockstep * Math.abs(w));
        });
        l.early.forEach((e, i) => {
          const f = one.early[i].ftle as number[];
          (e.ftle as number[]).forEach((v, j) => {
            expect(Math.abs(v - f[j])).toBeLessThan(TOL.lockstep);
          });
        });
      });
    });
  }

  it("deeper networks are not run in lockstep (their runs are trained one by one)", () => {
    const ts = tasks({ network: { hidden: [3, 3] }, training: { steps: 10 }, lyapunov: { ftleWindow: 10 } }, 2);
    expect(lockstepRecords(ts, backend)).toBeNull();
    expect(computeRunRecords(ts, backend)).toHaveLength(2);
  });
});

describe("24 lockstep: an ensemble's records do not depend on how it is cut", () => {
  it("runs.ndjson holds the same records for task sizes 1, 3 and 8, on 1 and 2 workers (timings aside)", async () => {
    const study = parseStudy({
      base: {
        network: { hidden: 2, activation: "tanh" },
        data: { function: "abs", samples: 16 },
        init: { scale: 0.5 },
        training: { learningRate: 0.5, steps: 200 },
        lyapunov: { ftleWindow: 50 },
      },
      grid: { "network.activation": ["tanh", "relu"] },
      runs: 11,
      seed: 3,
      early: [50, 100],
    });
    const read = (dir: string) =>
      readFileSync(join(dir, "runs.ndjson"), "utf8")
        .trim()
        .split("\n")
        .map((l) => ({ ...JSON.parse(l), wallTimeSeconds: 0 }))
        .sort((a, b) => a.index - b.index);
    const outs: unknown[] = [];
    for (const [taskRuns, workers] of [
      [1, 1],
      [3, 2],
      [8, 2],
      [8, 1],
    ]) {
      const dir = mkdtempSync(join(tmpdir(), "weightdyn-24-"));
      await runEnsemble(study, { outDir: dir, workers, taskRuns, backend: "auto" });
      outs.push(read(dir));
    }
    for (const o of outs.slice(1)) expect(o).toEqual(outs[0]);
    expect((outs[0] as unknown[]).length).toBe(22);
    // Four ensembles with their worker pools: seconds on a loaded machine.
  }, 60_000);
});
