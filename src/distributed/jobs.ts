/**
 * Queue jobs: which runs go into one job, and the job's id.
 *
 *   jobRanges(missing, batch) -> RunRange[]      the jobs that cover the missing run indices
 *   jobId(studyId, range) -> "<id>-<first>-<last>"
 *   defaultBatch(total) -> runs per job
 *
 * The run indices are cut into cells of `batch` consecutive indices aligned at multiples of `batch` (cell c holds
 * c*batch .. c*batch + batch - 1). A job is a contiguous range of missing runs inside one cell: a whole cell when
 * nothing of it is done yet, as on the first start, so a restarted coordinator enqueues exactly the jobs it enqueued
 * before, and BullMQ, which keeps one job per id, ignores those still in Redis. A job's id names its range, so a job
 * id always stands for one set of runs.
 *
 * Batching divides the queue's fixed cost per job (a job is moved to active and to completed by a Lua script each,
 * its result is read and removed by the coordinator) among `batch` runs; a job's runs are spread over the worker's
 * threads, in lockstep tasks of one grid point (src/ensemble/lockstep.ts). The default is MIN_DEFAULT_BATCH runs per
 * job, so that a worker can train a job's runs in lockstep, growing to keep the number of jobs of a big study near
 * 20 000 (bench/queue.ts measures the overhead; docs/distributed.md). A run appears exactly once in
 * the output whatever the batching: the coordinator writes each index once (coordinator.ts).
 */
import { DistributedInputError } from "./errors.js";

/** Runs first..last (inclusive). */
export interface RunRange {
  first: number;
  last: number;
}

/** Jobs above this count make the default batch grow. */
export const TARGET_JOBS = 20_000;
/** Largest default batch. */
export const MAX_DEFAULT_BATCH = 64;

/** Smallest default batch: the runs of one worker task (src/ensemble/runner.ts DEFAULT_TASK_RUNS). */
export const MIN_DEFAULT_BATCH = 8;

/** Runs per job by default: MIN_DEFAULT_BATCH, then enough to stay near TARGET_JOBS jobs (at most 64). */
export function defaultBatch(total: number): number {
  return Math.max(MIN_DEFAULT_BATCH, Math.min(MAX_DEFAULT_BATCH, Math.ceil(total / TARGET_JOBS)));
}

export function jobId(studyId: string, range: RunRange): string {
  return `${studyId}-${range.first}-${range.last}`;
}

/**
 * jobRanges(missing, batch) -> ranges
 *
 * `missing`: run indices in ascending order. Each range is a maximal run of consecutive missing indices inside one
 * cell of `batch` (module comment).
 */
export function jobRanges(missing: Iterable<number>, batch: number): RunRange[] {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`jobRanges: batch: expected a positive integer but received ${String(batch)}`);
  }
  const out: RunRange[] = [];
  let current: RunRange | null = null;
  for (const index of missing) {
    if (current && index === current.last + 1 && Math.floor(index / batch) === Math.floor(current.first / batch)) {
      current.last = index;
      continue;
    }
    if (current) out.push(current);
    current = { first: index, last: index };
  }
  if (current) out.push(current);
  return out;
}

/** The indices of a range. */
export function rangeIndices(range: RunRange): number[] {
  return Array.from({ length: range.last - range.first + 1 }, (_, i) => range.first + i);
}

/** Largest --batch: a job's runs are handed to a worker's pool at once, and its records travel as one value. */
export const MAX_BATCH = 10_000;

/**
 * parseRange(data, total, batch) -> RunRange
 *
 * A job's data, checked as a worker and the coordinator must check anything read from Redis, which anyone who can
 * reach it may write: {first, last} integer run indices of the study (below `total`), first <= last, both in one
 * cell of `batch` runs (so never more than `batch` runs, whatever the study's size). Anything else throws an Error
 * saying why (the data are quoted shortened).
 */
export function parseRange(data: unknown, total: number, batch: number): RunRange {
  const { first, last } = (data ?? {}) as Partial<RunRange>;
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < total;
  const shown = JSON.stringify(data)?.slice(0, 60) ?? String(data);
  if (!ok(first) || !ok(last) || last < first) {
    throw new Error(`job data ${shown}: expected {first, last} run indices below ${total}`);
  }
  if (Math.floor(first / batch) !== Math.floor(last / batch)) {
    throw new Error(`job data ${shown}: runs ${first}-${last} are not in one job of ${batch} runs`);
  }
  return { first, last };
}

/**
 * ownRange(studyId, job, total, batch) -> RunRange | null
 *
 * The runs of a job that the coordinator of `studyId` enqueued itself (valid data under the id jobId gives them),
 * null for anything else found in the study's queue.
 */
export function ownRange(
  studyId: string,
  job: { id?: string; data: unknown },
  total: number,
  batch: number,
): RunRange | null {
  try {
    const range = parseRange(job.data, total, batch);
    return job.id === jobId(studyId, range) ? range : null;
  } catch {
    return null;
  }
}

/** --batch: a positive integer, else a DistributedInputError naming the flag. */
export function parseBatch(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > MAX_BATCH) {
    throw new DistributedInputError(
      `--batch: expected a positive integer of at most ${MAX_BATCH} but received ${JSON.stringify(text)}`,
    );
  }
  return n;
}
