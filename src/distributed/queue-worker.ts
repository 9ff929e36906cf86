/**
 * A queue worker: serves every study registered on a Redis, computing its runs on a local pool of threads.
 *
 *   runWorker({ target, workers, backend, study, lockDurationMs, stalledIntervalMs, maxStalledCount, pollMs,
 *               idleExitMs, onNotice, onJob, signal }) -> Promise<WorkerSummary>
 *
 * One piscina pool of `workers` threads (default: all cores), each with one backend, as in a local ensemble
 * (runner.ts). The worker watches the registry (registry.ts: the channel for new studies, the set every `pollMs`);
 * for each study it fetches the spec, writes its data files into a private temporary directory and re-parses the
 * study (study-spec.ts; a study whose id this weightdyn does not reproduce is refused with a notice, and the worker
 * serves the others). It then runs a BullMQ Worker on the study's queue with concurrency `workers` + 1: each job's
 * runs are handed to the pool together, and their records are the job's return value, which the coordinator
 * collects. The one job more than there are threads is a prefetch: a thread that finishes finds its next run queued
 * instead of waiting for a Redis round trip (bench/queue.ts: it about halves the queue's cost per 1-run job).
 * A study that leaves the registry (finished, or withdrawn) is no longer served; with `study` only that id is.
 *
 * What comes through Redis is checked, since anyone who can reach the server may write there: a spec that does not
 * parse or restore (study-spec.ts), or names a file it did not send, is refused with a notice and the other studies
 * are served (it is looked at again only if it changes); a job whose data are not a range of the study within one
 * batch (jobs.ts: parseRange) fails at once, without retries, with a notice; the worker goes on. Every run is
 * planned (config/run-plan.ts) against the spec's memory budget, but never more than this machine's memory divided
 * by the threads.
 *
 * Faults: a job's lock is renewed every lockDurationMs / 2 while it runs (the main thread only waits for the
 * pool, so renewals are never starved). A worker that dies (SIGKILL, a lost machine) stops renewing; after
 * lockDurationMs its lock expires, and the next stalled-job check of any worker (every stalledIntervalMs) puts the
 * job back in the queue, so another worker takes it: a killed worker's jobs are running again within about
 * lockDurationMs + stalledIntervalMs. A job that stalls more than maxStalledCount times fails (a run that kills
 * its worker every time must not loop forever). Defaults: 30 000 ms, 15 000 ms, 3.
 *
 * The signal stops the worker gracefully: no new jobs, the running ones finish and are reported, then the pool and
 * the connections close. `idleExitMs` ends the worker after that long with no study to serve (default: never).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { BackendChoice } from "../backend/loader.js";
import type { GridPoint } from "../ensemble/grid.js";
import type { RunRecord } from "../ensemble/record.js";
import { createRunPool, DEFAULT_TASK_RUNS, runTask, taskBatches, workerInit } from "../ensemble/runner.js";
import type { Study } from "../ensemble/study.js";
import { bullConnection, checkRedis, type Notice, openRedis, watchConnection, watchLatency } from "./connection.js";
import type { JobResult } from "./coordinator.js";
import { parseRange, type RunRange, rangeIndices } from "./jobs.js";
import type { RedisTarget } from "./redis-url.js";
import {
  activeStudies,
  parseSpec,
  processName,
  QUEUE_PREFIX,
  removeLeftovers,
  STUDIES_CHANNEL,
  STUDIES_KEY,
  specKey,
} from "./registry.js";
import { restoreStudy } from "./study-spec.js";
import { WORKER_DEFAULTS } from "./worker-defaults.js";

export { WORKER_DEFAULTS } from "./worker-defaults.js";

export interface WorkerOptions {
  target: RedisTarget;
  /** Threads (default: all cores); jobs taken at a time per study: one more. */
  workers?: number;
  backend?: BackendChoice;
  /** Serve only this study id. */
  study?: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  /** Registry poll interval, ms. */
  pollMs?: number;
  /** Exit after this long with no study to serve, ms (default: never). */
  idleExitMs?: number;
  /** Lines for the operator; kind "fault" (Redis lost or not answering) is shown even under --quiet. */
  onNotice?: Notice;
  /** After each job: its study, its runs and their records. */
  onJob?: (studyId: string, range: RunRange, records: RunRecord[]) => void;
  /** Once connected, with the pool running: before any study is looked up. */
  onReady?: (info: Pick<WorkerSummary, "name" | "backend" | "threads">) => void;
  signal?: AbortSignal;
}

export interface WorkerSummary {
  name: string;
  backend: string;
  threads: number;
  jobs: number;
  runs: number;
  /** Ids of the studies served. */
  studies: string[];
}

interface Served {
  worker: Worker;
  dir: string;
  retiring: boolean;
}

export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const { target } = options;
  const notice = options.onNotice ?? (() => {});
  const settings = { ...WORKER_DEFAULTS, ...definedOnly(options) };
  await checkRedis(target);
  const threads = options.workers ?? availableParallelism();
  const init = workerInit(options.backend ?? "auto");
  const pool = createRunPool(threads, init);
  const name = processName();
  const summary: WorkerSummary = { name, backend: init.backend, threads, jobs: 0, runs: 0, studies: [] };
  const redis = openRedis(target);
  watchConnection(redis, target, notice);
  const stopLatency = watchLatency(redis, target, notice);
  const sub = redis.duplicate();
  watchConnection(sub, target, notice);
  const workDir = mkdtempSync(join(tmpdir(), "weightdyn-worker-"));
  const connection = bullConnection(target);
  const served = new Map<string, Served>();
  /** Studies refused, with the spec text refused: a spec that changes is looked at again. */
  const refused = new Map<string, string>();

  const serve = (study: Study, points: GridPoint[], dir: string, batch: number): Served => {
    const total = points.length * study.runs;
    const entryOf: Served = { worker: null as unknown as Worker, dir, retiring: false };
    const worker = new Worker<RunRange, JobResult>(
      study.id,
      async (job: Job<RunRange, JobResult>) => {
        let range: RunRange;
        try {
          range = parseRange(job.data, total, batch);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          notice(`job ${job.id} of study ${study.id} is not a valid job (${why}): skipped`);
          throw new UnrecoverableError(`not a valid job: ${why}`);
        }
        // The job's runs in lockstep tasks of one grid point, shared out over the pool.
        const batches = taskBatches(study, rangeIndices(range), DEFAULT_TASK_RUNS);
        const records = (
          await Promise.all(batches.map((b) => pool.run(b.map((i) => runTask(study, points, i)))))
        ).flat();
        summary.jobs++;
        summary.runs += records.length;
        options.onJob?.(study.id, range, records);
        return { worker: name, records };
      },
      {
        connection,
        prefix: QUEUE_PREFIX,
        name,
        concurrency: threads + 1,
        lockDuration: settings.lockDurationMs,
        stalledInterval: settings.stalledIntervalMs,
        maxStalledCount: settings.maxStalledCount,
      },
    );
    // Once the study is retired its jobs vanish under any duplicate still running here: nothing to report.
    const quiet = (message: string) => {
      if (!entryOf.retiring) notice(message);
    };
    watchConnection(worker, target, quiet);
    worker.on("failed", (job, err) => {
      // A malformed job was reported when it was refused.
      if (!(err instanceof UnrecoverableError))
        quiet(`study ${study.id}: job ${job?.id ?? "?"} failed: ${err.message}`);
    });
    entryOf.worker = worker;
    return entryOf;
  };

  let idleSince = Date.now();
  let refreshing: Promise<void> | null = null;
  const refreshOnce = async () => {
    const ids = options.study
      ? (await redis.sismember(STUDIES_KEY, options.study)) === 1
        ? [options.study]
        : []
      : await activeStudies(redis);
    for (const id of ids) {
      if (served.has(id)) continue;
      const text = await redis.get(specKey(id));
      if (text === null || refused.get(id) === text) continue;
      const dir = mkdtempSync(join(workDir, `${id}-`));
      try {
        const spec = parseSpec(text, id);
        // Each thread runs one run at a time: together they stay within this machine's memory.
        const { study, points } = restoreStudy(spec, dir, { memoryCap: Math.floor(totalmem() / threads) });
        served.set(id, serve(study, points, dir, spec.batch));
        refused.delete(id);
        if (!summary.studies.includes(id)) summary.studies.push(id);
        notice(`serving study ${id}: ${spec.totalRuns} runs, ${spec.batch} per job`);
      } catch (err) {
        // One bad spec never stops the others from being served.
        refused.set(id, text);
        rmSync(dir, { recursive: true, force: true });
        notice(`not serving study ${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const [id, entry] of served) {
      if (ids.includes(id)) continue;
      served.delete(id);
      entry.retiring = true;
      await entry.worker.close(true);
      await removeLeftovers(redis, id);
      rmSync(entry.dir, { recursive: true, force: true });
      notice(`study ${id} is finished or withdrawn: no longer serving it`);
    }
    if (served.size > 0) idleSince = Date.now();
  };
  // One refresh at a time; a request during one runs once more after it.
  let again = false;
  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        await refreshOnce().catch((err: unknown) => notice(`registry: ${err instanceof Error ? err.message : err}`));
      } while (again);
      refreshing = null;
    })();
    return refreshing;
  };

  try {
    sub.on("message", () => void refresh());
    await sub.subscribe(STUDIES_CHANNEL);
    options.onReady?.({ name, backend: summary.backend, threads });
    await refresh();
    await new Promise<void>((resolve) => {
      const timer = setInterval(
        () => {
          void refresh().then(() => {
            if (options.idleExitMs !== undefined && served.size === 0 && Date.now() - idleSince >= options.idleExitMs) {
              done();
            }
          });
        },
        Math.max(250, Math.min(settings.pollMs, options.idleExitMs ?? settings.pollMs)),
      );
      const done = () => {
        clearInterval(timer);
        options.signal?.removeEventListener("abort", done);
        resolve();
      };
      if (options.signal?.aborted) done();
      options.signal?.addEventListener("abort", done, { once: true });
    });
  } finally {
    stopLatency();
    await refreshing;
    // Graceful: the running jobs finish and are reported before the connections close.
    await Promise.all([...served.values()].map((entry) => entry.worker.close().catch(() => {})));
    await pool.destroy();
    sub.disconnect();
    redis.disconnect();
    rmSync(workDir, { recursive: true, force: true });
  }
  return summary;
}

/** The options that were given (undefined ones would override the defaults). */
function definedOnly(options: WorkerOptions): Partial<typeof WORKER_DEFAULTS> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(WORKER_DEFAULTS) as (keyof typeof WORKER_DEFAULTS)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
