/**
 * Runs of one grid point trained in lockstep: up to Backend.ensembleLanes runs per kernel call, on the SIMD lanes of
 * the ensemble kernels (native/kernels/ensemble*.cc and their WASM twins), each condensed into the record that
 * computeRunRecord would write for it alone.
 *
 *   lockstepRecords(tasks, backend) -> RunRecord[] | null      (null: these runs cannot share a kernel)
 *
 * Runs can share a kernel when everything but their seeds is the same (one grid point: one data set, shape, rule,
 * route and minibatch schedule) and the network has one hidden layer (the lockstep kernels are three-layer); deeper
 * networks and backends without ensemble kernels return null and are trained one by one.
 *
 * Independence: a run's numbers come from its own lane, which never reads another, so its record is bit for bit the
 * same whatever runs shared its batch, the batch size, the number of workers or shards, and whether it was resumed.
 * Against the one-run path (trainRun) the records agree to rounding: the ensemble kernels evaluate exp and tanh with
 * their own vectorised code (a few ulps from glibc's) and form fused multiply-adds where the CPU has them (test/24).
 *
 * The steps follow lyapunovSpectrum's conventions: the tangent basis of each run (identity, or random from its
 * basisSeed), QRs every qrEvery steps from step 0 (the transient only decides what enters the exponents, which a
 * record does not hold: its early windows always start at w_0), a trailing piece shorter than qrEvery trained without
 * tangent vectors, and a run that diverges stops at its step with the reason recorded.
 */
import { performance } from "node:perf_hooks";
import { identityBasis, randomBasis } from "../algorithms/basis.js";
import { CHUNK_STEPS, chunkLength } from "../algorithms/spectrum.js";
import { layerWidths, parameterCount } from "../backend/layers.js";
import { type Backend, TangentRoute } from "../backend/types.js";
import { trainingRule } from "../config/optimizer.js";
import { exponentCount, networkShape } from "../config/shape.js";
import { buildPlannedDataset } from "../data/dataset.js";
import { initialWeights } from "../system/init.js";
import { routeName } from "../system/network.js";
import { batchScheduleOf } from "../system/schedule-file.js";
import { EarlyAccumulator } from "./early.js";
import { type RunRecord, type RunTask, recordOf } from "./record.js";
import { canonicalJson } from "./seeds.js";

/** The config of a task without what differs between the runs of one grid point (its seeds). */
function sharedConfig(task: RunTask): string {
  const { init, lyapunov, ...rest } = task.config;
  const sharedInit = "seed" in init ? { ...init, seed: null } : init;
  return canonicalJson({
    ...rest,
    init: sharedInit,
    lyapunov: { ...lyapunov, basisSeed: null },
    baseDir: task.baseDir,
  });
}

/** True when the tasks can run in one lockstep kernel on `backend` (module comment). */
export function canLockstep(tasks: readonly RunTask[], backend: Backend): boolean {
  if (tasks.length === 0 || tasks.length > backend.ensembleLanes) return false;
  const first = tasks[0].config;
  if (layerWidths(first.network).length !== 3 || first.lyapunov.clv !== undefined) return false;
  const key = sharedConfig(tasks[0]);
  return tasks.every((t) => sharedConfig(t) === key);
}

/** The records of up to backend.ensembleLanes runs of one grid point trained in lockstep, or null (module comment). */
export function lockstepRecords(tasks: readonly RunTask[], backend: Backend): RunRecord[] | null {
  if (!canLockstep(tasks, backend)) return null;
  const t0 = performance.now();
  const config = tasks[0].config;
  const baseDir = tasks[0].baseDir;
  const B = tasks.length;
  const D = parameterCount(config.network);
  const k = exponentCount(config);
  // The plan first, as trainRun does: runs that do not fit are refused before their arrays exist (config/run-plan.ts).
  const { X, Y, samples } = buildPlannedDataset(config, baseDir, backend.name).dataset;
  const rule = trainingRule(config.training.optimizer, config.training.learningRate);
  const shape = networkShape(config.network);
  const batches = batchScheduleOf(config, samples, baseDir);
  const route = resolveRoute(backend, { shape, X, Y, maxK: k, rule }, k, batches?.typicalSize ?? samples, config);
  const ens = backend.createEnsemble({ shape, X, Y, maxK: k, rule, runs: B });
  try {
    const S = ens.stateDimension;
    const Q = new Float64Array(S * k);
    tasks.forEach((task, b) => {
      const state = new Float64Array(S);
      state.set(initialWeights(task.config, D, baseDir));
      ens.setState(b, state);
      const ly = task.config.lyapunov;
      if (ly.basis === "random") randomBasis(backend, Q, S, k, ly.basisSeed);
      else identityBasis(Q, S, k);
      ens.setTangent(b, Q);
    });
    const steps = config.training.steps;
    const qrEvery = config.lyapunov.qrEvery;
    const losses = tasks.map(() => new Float64Array(steps + 1));
    const recorded = new Int32Array(B);
    const stopped = new Int32Array(B); // 0 running, else the reason
    const doneAt = new Int32Array(B);
    const early = tasks.map((t) => new EarlyAccumulator(k, qrEvery, t.early));
    // Steps per kernel call: any multiple of qrEvery gives the same numbers; this bounds the output buffers.
    const chunk = chunkLength(qrEvery, CHUNK_STEPS, { floor: true });
    const lossOut = new Float64Array(B * chunk);
    const logR = new Float64Array(B * Math.ceil(chunk / qrEvery) * k);
    let done = 0;
    while (done < steps) {
      let n = Math.min(chunk, steps - done);
      // A trailing piece shorter than qrEvery cannot end in a QR: trained without tangent vectors (lyapunovSpectrum).
      const tracked = k > 0 && n >= qrEvery ? k : 0;
      if (tracked > 0) n -= n % qrEvery;
      const nQr = tracked > 0 ? n / qrEvery : 0;
      const res = ens.trainChunk({
        k: tracked,
        nSteps: n,
        qrEvery: tracked > 0 ? qrEvery : 1,
        route,
        t0: done,
        batches: batches ? batches.batches(done, n) : null,
        lossOut,
        logRDiag: logR,
      });
      for (let b = 0; b < B; b++) {
        if (stopped[b] !== 0) continue;
        const st = res.steps[b];
        const reason = res.reasons[b];
        // A non-finite loss is recorded too: it is the step at which the run diverged (NetworkSystem.evolve).
        const count = reason === 1 ? st + 1 : st;
        losses[b].set(lossOut.subarray(b * n, b * n + count), recorded[b]);
        recorded[b] += count;
        if (tracked > 0) early[b].add(done, logR.subarray(b * nQr * k, (b * nQr + Math.floor(st / qrEvery)) * k));
        if (reason !== 0) {
          stopped[b] = reason;
          doneAt[b] = done + st;
        }
      }
      done += n;
      if (stopped.every((r) => r !== 0)) break;
    }
    const final = ens.losses();
    const seconds = (performance.now() - t0) / 1000 / B;
    return tasks.map((task, b) => {
      const diverged = stopped[b] !== 0;
      // trainRun: the loss after the last update, or the non-finite loss a run diverged with (NaN otherwise).
      const finalLoss = diverged ? (stopped[b] === 1 ? losses[b][recorded[b] - 1] : Number.NaN) : final[b];
      if (!diverged) losses[b][recorded[b]++] = finalLoss;
      return recordOf(task, {
        backend: backend.name,
        diverged,
        divergedAt: diverged ? doneAt[b] : null,
        finalLoss,
        losses: losses[b].subarray(0, recorded[b]),
        earlyFtle: early[b].ftle,
        wallTimeSeconds: seconds,
      });
    });
  } finally {
    ens.dispose();
  }
}

/** The route of the runs: the configured one, or what the one-run cost model picks for k vectors on n samples. */
function resolveRoute(
  backend: Backend,
  spec: Parameters<Backend["createNetwork"]>[0],
  k: number,
  n: number,
  config: RunTask["config"],
): number {
  const requested = config.lyapunov.tangentRoute;
  if (requested !== "auto") return TangentRoute[requested];
  const probe = backend.createNetwork(spec);
  try {
    const id = probe.chooseRoute(Math.max(k, 1), n);
    routeName(id); // a resolved route, never auto
    return id;
  } finally {
    probe.dispose();
  }
}
