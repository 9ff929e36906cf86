/**
 * The coordinator of queue mode: enqueues a study's runs on Redis and collects the results into DIR/runs.ndjson.
 *
 *   runQueue(study, { target, outDir, resume, batch, onProgress, onNotice, signal }) -> Promise<QueueResult>
 *
 * Steps: check that Redis answers (fail fast); check the study's files; open the output directory (study.json,
 * resume as in a local ensemble: store.ts); take the study's lease (registry.ts: one coordinator per study); store
 * the study spec and register the study, so that every `weightdyn worker` on the Redis serves it; collect the
 * results that finished while no coordinator listened; retry jobs that failed; enqueue a job per range of missing
 * runs (jobs.ts; jobs still in Redis are kept, by job id); then collect until every run is written.
 *
 * Collecting: workers return a job's records as its return value, so they stay in Redis (BullMQ's completed set)
 * until a coordinator has appended them to runs.ndjson and then removed the job. A coordinator that dies loses
 * nothing: the next one, with --resume, finds them. Each run index is written once: a result for an index already
 * written (a job computed twice, after its worker was thought dead) is counted as a duplicate and dropped. A
 * QueueEvents listener wakes the collector when a job completes, fails or stalls (at most every 100 ms, so that
 * results are read and removed in batches); a 500 ms tick covers the rest.
 *
 * Every 5 s the coordinator checks that the queue still holds work while runs are missing, and enqueues the
 * missing runs again if not (a queue emptied by hand, a flushed Redis); every 2 s it counts the live workers. When
 * no worker has shown up after 10 s it says so (and how to start one). A failed job (a run that threw on a worker,
 * or a job whose workers died more than maxStalledCount times) stops the coordinator with its reason; --resume
 * retries it. The signal (Ctrl-C) pauses the study's queue, so workers finish their runs and take no more; the
 * results wait in Redis for --resume, which unpauses it. When every run is written, the study is retired: its queue,
 * spec and registry entry are removed from Redis.
 */
import { performance } from "node:perf_hooks";
import { type Job, Queue, QueueEvents } from "bullmq";
import { expandGrid, type GridPoint } from "../ensemble/grid.js";
import type { RunRecord } from "../ensemble/record.js";
import { checkStudyFiles } from "../ensemble/runner.js";
import { RunStore, studyHeader } from "../ensemble/store.js";
import { type Study, totalRuns } from "../ensemble/study.js";
import { lockDirectory } from "../io/dir-lock.js";
import { bullConnection, checkRedis, type Notice, openRedis, watchConnection, watchLatency } from "./connection.js";
import { QueueRunError } from "./errors.js";
import { defaultBatch, jobId, jobRanges, ownRange, type RunRange } from "./jobs.js";
import { RateMeter } from "./rate.js";
import type { RedisTarget } from "./redis-url.js";
import { isRegistered, Lease, QUEUE_PREFIX, readSpec, registerStudy, retireStudy } from "./registry.js";
import { queuedStudy } from "./study-spec.js";

/** What a worker returns for a job. */
export interface JobResult {
  worker: string;
  records: RunRecord[];
}

export interface QueueStatus {
  done: number;
  total: number;
  runsPerSecond: number;
  /** Workers that have returned results to this coordinator. */
  workersSeen: number;
  /** Workers connected to the study's queue now (null when the server does not list clients). */
  workersLive: number | null;
}

export interface QueueOptions {
  target: RedisTarget;
  outDir: string;
  resume?: boolean;
  /** Runs per job (default: the batch of the queue already in Redis, else defaultBatch(total)). */
  batch?: number;
  onProgress?: (status: QueueStatus) => void;
  /** Things worth a line on stderr: a stalled job taken again, no workers yet; kind "fault": a lost connection, a
   *  Redis that does not answer, a lease or a registration taken again after an outage (shown even under --quiet). */
  onNotice?: Notice;
  signal?: AbortSignal;
  /** Lease time to live, ms (15 000). */
  leaseMs?: number;
  /** Say "waiting for workers" after this long without any (10 000 ms). */
  workerHintMs?: number;
}

export interface QueueResult {
  studyId: string;
  outDir: string;
  /** The redacted Redis URL. */
  queue: string;
  total: number;
  resumed: number;
  completed: number;
  diverged: number;
  /** Results dropped because their run was already written. */
  duplicates: number;
  /** Jobs taken again after their worker stopped answering. */
  stalled: number;
  /** Jobs this coordinator enqueued (jobs still in Redis count too: adding them again does nothing). */
  jobs: number;
  batch: number;
  workersSeen: string[];
  interrupted: boolean;
  wallTimeSeconds: number;
}

const PAGE = 500;
const ADD_CHUNK = 1000;
const TICK_MS = 500;
const MIN_DRAIN_GAP_MS = 100;
const SWEEP_MS = 5000;
const LIVE_MS = 2000;
const PENDING_STATES = ["waiting", "active", "delayed", "prioritized", "completed", "failed"] as const;

export async function runQueue(study: Study, options: QueueOptions): Promise<QueueResult> {
  const t0 = performance.now();
  const { target } = options;
  const points = expandGrid(study);
  checkStudyFiles(study, points);
  await checkRedis(target);
  const total = totalRuns(study);
  const lock = lockDirectory(options.outDir, { what: `queue coordinator of study ${study.id}` });
  try {
    return await collect(study, points, total, options, t0);
  } finally {
    lock.release();
  }
}

/** runQueue once the output directory is locked. */
async function collect(
  study: Study,
  points: GridPoint[],
  total: number,
  options: QueueOptions,
  t0: number,
): Promise<QueueResult> {
  const { target } = options;
  const notice = options.onNotice ?? (() => {});
  const store = RunStore.open(options.outDir, studyHeader(study, points), { resume: options.resume });
  const done = new Set<number>(store.done);
  const result: QueueResult = {
    studyId: study.id,
    outDir: options.outDir,
    queue: target.display,
    total,
    resumed: done.size,
    completed: 0,
    diverged: 0,
    duplicates: 0,
    stalled: 0,
    jobs: 0,
    batch: 0,
    workersSeen: [],
    interrupted: false,
    wallTimeSeconds: 0,
  };
  const seen = new Set<string>();
  const finish = (): QueueResult => {
    result.workersSeen = [...seen].sort();
    result.wallTimeSeconds = (performance.now() - t0) / 1000;
    return result;
  };
  const redis = openRedis(target);
  watchConnection(redis, target, notice);
  const stopLatency = watchLatency(redis, target, notice);
  const connection = bullConnection(target);
  let queue: Queue | null = null;
  let events: QueueEvents | null = null;
  let lease: Lease | null = null;
  let leaseLostTo: string | null = null;
  try {
    lease = await Lease.acquire(redis, study.id, {
      ttlMs: options.leaseMs,
      onWait: (holder) => notice(`study ${study.id} is held by coordinator ${holder}: waiting for its lease to expire`),
      onLost: (holder) => {
        leaseLostTo = holder;
      },
      onRegained: () =>
        notice(
          `the lease of study ${study.id} expired while Redis did not answer; no one else held it: taken again`,
          "fault",
        ),
    });
    queue = new Queue(study.id, { connection, prefix: QUEUE_PREFIX });
    watchConnection(queue, target, notice);
    events = new QueueEvents(study.id, { connection, prefix: QUEUE_PREFIX });
    watchConnection(events, target, notice);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const q = queue;

    const existing = await readSpec(redis, study.id);
    let batch = options.batch ?? existing?.batch ?? defaultBatch(total);
    const spec = queuedStudy(study, points, batch);
    if (existing && existing.batch !== batch) {
      notice(`the queue of study ${study.id} holds jobs of ${existing.batch} runs: keeping that batch size`);
      batch = existing.batch;
      spec.batch = batch;
    }
    result.batch = batch;

    const rate = new RateMeter();
    let live: number | null = null;
    const progress = () =>
      options.onProgress?.({
        done: done.size,
        total,
        runsPerSecond: rate.perSecond(),
        workersSeen: seen.size,
        workersLive: live,
      });

    /** Appends the records of completed jobs, then removes the jobs from Redis. */
    const drain = async () => {
      for (;;) {
        const jobs = (await q.getJobs(["completed"], 0, PAGE - 1, true)) as Job<RunRange, JobResult>[];
        if (jobs.length === 0) return;
        for (const job of jobs) {
          const range = ownRange(study.id, job, total, batch);
          if (range === null) {
            notice(`job ${job.id} is not one of study ${study.id}'s jobs: removed, its results ignored`);
            continue;
          }
          const value = job.returnvalue;
          if (value?.worker) seen.add(value.worker);
          for (const record of value?.records ?? []) {
            const index = record?.index;
            if (record?.studyId !== study.id || !Number.isInteger(index) || index < range.first || index > range.last) {
              notice(`job ${job.id} returned a record that is not a run of study ${study.id}: ignored`);
              continue;
            }
            if (done.has(index)) {
              result.duplicates++;
              continue;
            }
            store.append(record);
            done.add(index);
            result.completed++;
            if (record.diverged) result.diverged++;
          }
        }
        rate.sample(done.size);
        progress();
        await Promise.all(jobs.map((job) => job.remove()));
        if (jobs.length < PAGE) return;
      }
    };

    const enqueue = async (ranges: RunRange[]) => {
      for (let i = 0; i < ranges.length; i += ADD_CHUNK) {
        const chunk = ranges.slice(i, i + ADD_CHUNK);
        await q.addBulk(chunk.map((range) => ({ name: "runs", data: range, opts: { jobId: jobId(study.id, range) } })));
      }
      result.jobs += ranges.length;
    };
    /** The failed jobs of this study; anything else that failed in its queue is removed with a notice. */
    const ownFailedJobs = async (): Promise<Job<RunRange, JobResult>[]> => {
      const failed = (await q.getJobs(["failed"])) as Job<RunRange, JobResult>[];
      const own: Job<RunRange, JobResult>[] = [];
      for (const job of failed) {
        if (ownRange(study.id, job, total, batch) !== null) own.push(job);
        else {
          notice(`job ${job.id} is not one of study ${study.id}'s jobs: removed`);
          await job.remove();
        }
      }
      return own;
    };
    const missing = () => {
      const out: number[] = [];
      for (let i = 0; i < total; i++) if (!done.has(i)) out.push(i);
      return out;
    };

    if (done.size === total) {
      // Everything is on disk already: only clear what a previous coordinator may have left in Redis.
      await retireStudy(redis, study.id);
      await q.obliterate({ force: true });
      return finish();
    }
    await registerStudy(redis, spec);
    await q.resume();
    await drain();
    const failedAtStart = await ownFailedJobs();
    if (failedAtStart.length > 0) {
      notice(
        `retrying ${failedAtStart.length} failed job${failedAtStart.length === 1 ? "" : "s"} of study ${study.id}`,
      );
      await Promise.all(failedAtStart.map((job) => job.retry("failed")));
    }
    await enqueue(jobRanges(missing(), batch));
    rate.sample(done.size);
    progress();

    let wake: (() => void) | null = null;
    const poke = () => wake?.();
    events.on("completed", poke);
    events.on("failed", poke);
    events.on("stalled", ({ jobId: id }) => {
      result.stalled++;
      notice(`job ${id} was taken again: the worker running it stopped answering (stalled)`);
    });
    options.signal?.addEventListener("abort", poke, { once: true });
    const hintMs = options.workerHintMs ?? 10_000;
    let lastSweep = performance.now();
    let lastDrain = Number.NEGATIVE_INFINITY;
    let lastLive = Number.NEGATIVE_INFINITY;
    let nextHint = performance.now() + hintMs;
    while (done.size < total && !options.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, TICK_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      // Collect in batches: a drain per completed job would spend more on round trips than on the results.
      const since = performance.now() - lastDrain;
      if (since < MIN_DRAIN_GAP_MS && !options.signal?.aborted) {
        await new Promise((resolve) => setTimeout(resolve, MIN_DRAIN_GAP_MS - since));
      }
      lastDrain = performance.now();
      if (leaseLostTo !== null) {
        throw new QueueRunError(`study ${study.id}: another coordinator (${leaseLostTo}) took over the lease`);
      }
      await drain();
      const failed = await ownFailedJobs();
      if (failed.length > 0) {
        const job = failed[0];
        throw new QueueRunError(
          `runs ${job.data.first}-${job.data.last} of study ${study.id} failed on worker ${job.processedBy ?? "?"}: ` +
            `${job.failedReason}; the other runs go on in Redis: continue with --resume (failed jobs are retried)`,
        );
      }
      const now = performance.now();
      if (now - lastLive > LIVE_MS) {
        lastLive = now;
        live = await q.getWorkersCount().catch(() => null);
        progress();
      }
      if (seen.size === 0 && (live ?? 0) === 0 && now > nextHint) {
        nextHint = now + 60_000;
        notice(`waiting for workers: start \`weightdyn worker --queue ${target.display}\` on any machine`);
      }
      if (now - lastSweep > SWEEP_MS && done.size < total) {
        lastSweep = now;
        // Redis restarted empty or flushed: the workers learn of the study from the registry only.
        if (!(await isRegistered(redis, study.id))) {
          notice(
            `study ${study.id} was no longer registered on Redis (restarted empty or flushed?): registered again`,
            "fault",
          );
          await registerStudy(redis, spec);
        }
        const counts = await q.getJobCounts(...PENDING_STATES);
        if (Object.values(counts).every((n) => n === 0)) {
          const ranges = jobRanges(missing(), batch);
          notice(`${total - done.size} runs were in no job (was the queue emptied?): enqueued again`);
          await enqueue(ranges);
        }
      }
    }
    if (done.size < total) {
      result.interrupted = true;
      await q.pause();
    } else {
      await retireStudy(redis, study.id);
      await q.obliterate({ force: true });
    }
  } finally {
    stopLatency();
    store.close();
    await events?.close().catch(() => {});
    await queue?.close().catch(() => {});
    await lease?.release().catch(() => {});
    redis.disconnect();
  }
  return finish();
}
