/**
 * The minibatches of a run: which samples each training step uses (training.batchSize or training.schedule).
 *
 *   new EpochBatches(N, B, seed) / new ListedBatches(entries)       (schedule-file.ts: batchScheduleOf(config, ...))
 *   schedule.batches(t0, n) -> { indices, offsets }                    the batches of steps t0 .. t0 + n - 1
 *
 * batchSize B (with batchSeed): the steps run in epochs of nb = ceil(N / B) steps. Epoch e draws a permutation of
 * the N samples by a Fisher-Yates shuffle from createRng(substreamSeed(batchSeed, e)) and cuts it into consecutive
 * slices of B samples; when B does not divide N the last slice of an epoch holds the N mod B samples left (it is not
 * dropped: PyTorch's drop_last = False), and its loss is averaged over those samples. B >= N is full batch (one
 * batch of all samples in their own order, so the run equals gd without minibatches bit for bit).
 *
 * schedule (a JSON file, relative to the config file): a non-empty list of non-empty lists of sample indices in
 * [0, N), each list at most N long (an index may repeat); step t uses entry t mod length, so another tool can replay a
 * run exactly. A problem with the file is a ConfigError naming training.schedule.
 *
 * Both forms are random-access in t (an epoch's permutation depends on the seed and the epoch alone), so a resumed
 * or replayed stretch of a run (the checkpoints of the CLV backward pass) sees the same batches.
 */
import type { ChunkBatches } from "../backend/types.js";
import { ConfigError, describeReceived } from "../config/errors.js";
import { createRng, substreamSeed } from "./rng.js";

export interface BatchSchedule {
  /** "minibatches of 8, 5 per epoch of 40 samples, batchSeed 0" or "schedule of 3 entries, used cyclically". */
  readonly description: string;
  /** The usual number of samples per step (the cost model of the tangent routes weighs it). */
  readonly typicalSize: number;
  /** The batches of steps t0 .. t0 + n - 1: step t0 + j uses indices[offsets[j] .. offsets[j + 1]). */
  batches(t0: number, n: number): ChunkBatches;
  /** The samples of step t. */
  batchAt(t: number): Int32Array;
}

/** Packs the batches of n consecutive steps. */
function pack(n: number, batchAt: (j: number) => Int32Array): ChunkBatches {
  const lists: Int32Array[] = [];
  const offsets = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) {
    const b = batchAt(j);
    lists.push(b);
    offsets[j + 1] = offsets[j] + b.length;
  }
  const indices = new Int32Array(offsets[n]);
  lists.forEach((b, j) => {
    indices.set(b, offsets[j]);
  });
  return { indices, offsets };
}

/** Seeded permutations cut into batches of B samples (module comment). */
export class EpochBatches implements BatchSchedule {
  readonly description: string;
  readonly typicalSize: number;
  private readonly perEpoch: number;
  private epoch = -1;
  private perm = new Int32Array(0);

  constructor(
    private readonly N: number,
    private readonly B: number,
    private readonly seed: number,
  ) {
    this.perEpoch = Math.ceil(N / B);
    this.typicalSize = B;
    this.description = `minibatches of ${B}, ${this.perEpoch} per epoch of ${N} samples, batchSeed ${seed}`;
  }

  /** The permutation of epoch e. */
  private permutation(e: number): Int32Array {
    if (e !== this.epoch) {
      const rng = createRng(substreamSeed(this.seed, e));
      const p = Int32Array.from({ length: this.N }, (_, i) => i);
      for (let i = this.N - 1; i > 0; i--) {
        const j = Math.floor(rng.uniform() * (i + 1));
        const x = p[i];
        p[i] = p[j];
        p[j] = x;
      }
      this.perm = p;
      this.epoch = e;
    }
    return this.perm;
  }

  batchAt(t: number): Int32Array {
    const e = Math.floor(t / this.perEpoch);
    const j = t - e * this.perEpoch;
    return this.permutation(e).slice(j * this.B, Math.min((j + 1) * this.B, this.N));
  }

  batches(t0: number, n: number): ChunkBatches {
    return pack(n, (j) => this.batchAt(t0 + j));
  }
}

/**
 * epochBatchesOf({batchSize, batchSeed}, N) -> EpochBatches | null
 *
 * The minibatches of training.batchSize for N samples, or null for full batch (batchSize null or >= N). The one
 * place of that rule: schedule-file.ts (the command line) and the playground call it.
 */
export function epochBatchesOf(
  training: { batchSize: number | null; batchSeed: number },
  N: number,
): EpochBatches | null {
  const { batchSize, batchSeed } = training;
  return batchSize === null || batchSize >= N ? null : new EpochBatches(N, batchSize, batchSeed);
}

/** An explicit schedule, used cyclically (module comment). */
export class ListedBatches implements BatchSchedule {
  readonly description: string;
  readonly typicalSize: number;

  constructor(private readonly entries: readonly Int32Array[]) {
    this.typicalSize = Math.max(1, Math.round(entries.reduce((n, e) => n + e.length, 0) / entries.length));
    this.description = `schedule of ${entries.length} entr${entries.length === 1 ? "y" : "ies"}, used cyclically`;
  }

  batchAt(t: number): Int32Array {
    return this.entries[t % this.entries.length];
  }

  batches(t0: number, n: number): ChunkBatches {
    return pack(n, (j) => this.batchAt(t0 + j));
  }
}

/** The entries of a schedule file, checked against N (ConfigError naming training.schedule). */
export function parseSchedule(raw: unknown, N: number, path: string): Int32Array[] {
  const fail = (detail: string) => new ConfigError("training.schedule", `${detail} in ${path}`);
  if (!Array.isArray(raw) || raw.length === 0) {
    throw fail(`expected a non-empty JSON array of index lists but received ${describeReceived(raw)}`);
  }
  return raw.map((entry: unknown, e) => {
    if (!Array.isArray(entry) || entry.length === 0 || entry.length > N) {
      throw fail(
        `expected entry ${e} to be a list of 1 to N = ${N} sample indices but received ${describeReceived(entry)}`,
      );
    }
    return Int32Array.from(entry, (v: unknown, i) => {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= N) {
        throw fail(
          `expected a sample index in [0, ${N - 1}] at entry ${e}, position ${i} but received ${describeReceived(v)}`,
        );
      }
      return v;
    });
  });
}
