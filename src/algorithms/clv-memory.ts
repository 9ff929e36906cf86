/**
 * Memory planning of the covariant-Lyapunov-vector computation (clv.ts), before anything large is allocated.
 *
 *   clvMemoryEstimate({ D, k, from, to, every, end, qrEvery, ... }) -> bytes of each mode
 *   chooseClvMode(estimate, mode, budget) -> "store" | "checkpoint", or throws ClvMemoryError
 *
 * With m = qrEvery, T = (to - from) / every + 1 output times, S = end - from QR-covered steps (end = to +
 * backwardTransient), P = k (k + 1) / 2 (a packed R factor) and 8 bytes per number:
 *
 *   store       T (D k + D)          Q and the state at every output time
 *             + (S / m) P            every R factor from `from` to `end`
 *             + (c / m + 1) k^2      the spectrum loop's R buffer for one chunk of c = chunkSteps steps
 *   checkpoint  (S / s + 1) (D + D maxK)   one snapshot per checkpoint (every s steps) and one of the final state
 *             + (s / m) P + (s / e + 1)(D k + D)   one segment's R factors, Qs and states, recomputed in the
 *                                                backward pass (e = every)
 *             + min(s / m, 128) (k^2 + k)           the replay's R buffer
 *
 * both plus T x sinkBytesPerTime (what a caller's sink keeps, e.g. collected arrays) and a few k x k and D x k
 * work arrays. The checkpoint interval that minimises the checkpoint total is
 * s* = sqrt(S a / b) with a = D + D maxK (one snapshot) and b = P / m + (D k + D) / e (one step of a segment), i.e.
 * about sqrt(S) steps when D = k = maxK and e = m = 1 (Griewank's checkpointing trade-off, one level).
 */
import { ConfigError } from "../config/errors.js";

/** Default lyapunov.clv.memoryBudget: 2 GiB. */
export const DEFAULT_CLV_MEMORY_BUDGET = 2 * 1024 ** 3;
/** Most QRs per replay call in the backward pass (bounds the unpacked R buffer). */
export const REPLAY_QR_CHUNK = 128;

export type ClvMode = "store" | "checkpoint";

export interface ClvMemoryInput {
  /** State dimension. */
  D: number;
  /** Number of CLVs (tangent vectors). */
  k: number;
  /** Width of the tangent block a snapshot copies (default k; a MapSystem's maxK defaults to D). */
  maxK?: number;
  from: number;
  to: number;
  every: number;
  /** to + backwardTransient. */
  end: number;
  qrEvery: number;
  /** Steps between checkpoints (default: the optimum s*, a multiple of qrEvery). */
  checkpointEvery?: number;
  /** Steps per chunk of the forward spectrum loop (default 1000). */
  chunkSteps?: number;
  /** Bytes a sink keeps per output time (default 0: streamed). */
  sinkBytesPerTime?: number;
}

export interface ClvMemoryEstimate {
  /** Number of output times T. */
  times: number;
  /** Bytes needed in store mode. */
  store: number;
  /** Bytes needed in checkpoint mode. */
  checkpoint: number;
  /** The checkpoint interval s used for `checkpoint`. */
  checkpointEvery: number;
  /** Number of checkpoints (segments). */
  checkpoints: number;
}

const F64 = 8;

/** The optimal checkpoint interval s* (module comment), a multiple of qrEvery in [qrEvery, span]. */
export function optimalCheckpointEvery(input: ClvMemoryInput): number {
  const { D, k, qrEvery: m, every } = input;
  const span = input.end - input.from;
  const a = D + D * (input.maxK ?? k);
  const b = (k * (k + 1)) / 2 / m + (D * k + D) / every;
  const s = Math.sqrt((span * a) / b);
  const rounded = Math.max(m, Math.round(s / m) * m);
  return Math.min(rounded, Math.max(m, Math.ceil(span / m) * m));
}

export function clvMemoryEstimate(input: ClvMemoryInput): ClvMemoryEstimate {
  const { D, k, from, to, every, end, qrEvery: m } = input;
  const maxK = input.maxK ?? k;
  const times = Math.floor((to - from) / every) + 1;
  const span = end - from;
  const P = (k * (k + 1)) / 2;
  const perTime = D * k + D;
  const sink = times * (input.sinkBytesPerTime ?? 0);
  const work = (3 * k * k + 2 * D * k + 2 * D) * F64;
  const chunk = input.chunkSteps ?? 1000;

  const store = (times * perTime + (span / m) * P + (Math.ceil(chunk / m) + 1) * k * k) * F64 + work + sink;

  const s = input.checkpointEvery ?? optimalCheckpointEvery(input);
  const checkpoints = Math.max(1, Math.ceil(span / s));
  const snapshot = D + D * maxK;
  const segmentTimes = Math.min(times, Math.floor(s / every) + 1);
  const checkpoint =
    ((checkpoints + 1) * snapshot +
      (s / m) * P +
      segmentTimes * perTime +
      Math.min(s / m, REPLAY_QR_CHUNK) * (k * k + k)) *
      F64 +
    work +
    sink;
  return { times, store, checkpoint, checkpointEvery: s, checkpoints };
}

/** How a request is described in messages, e.g. "CLVs from 0 to 100000 every 1 with k = 61". */
export function describeClvRequest(input: Pick<ClvMemoryInput, "from" | "to" | "every" | "k">): string {
  return `CLVs from ${input.from} to ${input.to} every ${input.every} with k = ${input.k}`;
}

/** The CLV request does not fit the memory budget. A ConfigError (field lyapunov.clv.memoryBudget), exit code 2. */
export class ClvMemoryError extends ConfigError {
  constructor(
    message: string,
    readonly estimate: ClvMemoryEstimate,
    readonly budget: number,
  ) {
    super("lyapunov.clv.memoryBudget", message);
    this.name = "ClvMemoryError";
    // The message stands on its own (it names the field), without the "Invalid config" prefix.
    this.message = message;
  }
}

/**
 * chooseClvMode(estimate, mode, budget, request) -> the mode to use
 *
 * "auto" picks store when it fits the budget, else checkpoint; an explicit mode is kept. Throws ClvMemoryError,
 * saying what to change, when the chosen mode needs more than `budget` bytes.
 */
export function chooseClvMode(
  estimate: ClvMemoryEstimate,
  mode: "auto" | ClvMode,
  budget: number,
  request: Pick<ClvMemoryInput, "from" | "to" | "every" | "k"> & { collecting?: boolean },
): ClvMode {
  const chosen: ClvMode = mode === "auto" ? (estimate.store <= budget ? "store" : "checkpoint") : mode;
  const need = chosen === "store" ? estimate.store : estimate.checkpoint;
  if (need <= budget) return chosen;
  const [needText, budgetText] = formatPair(need, budget);
  const every = chosen === "checkpoint" ? ` (checkpoints every ${estimate.checkpointEvery} steps)` : "";
  const what = `${describeClvRequest(request)} need ${needText} in ${chosen} mode${every}`;
  const advice: string[] = [];
  if (chosen === "store" && estimate.checkpoint <= budget) {
    advice.push(`"mode": "checkpoint" (needs ${formatBytes(estimate.checkpoint)})`);
  }
  if (request.collecting) advice.push("an output directory (vectors streamed to files instead of collected)");
  advice.push("fewer vectors (lyapunov.exponents)", "a larger stride (lyapunov.clv.every)");
  if (chosen === "checkpoint") advice.push("a shorter range (lyapunov.clv.from / to)");
  const list = `${advice.slice(0, -1).join(", ")} or ${advice[advice.length - 1]}`;
  throw new ClvMemoryError(
    `${what}, above the budget of ${budgetText} (lyapunov.clv.memoryBudget); use ${list}`,
    estimate,
    budget,
  );
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** Bytes in binary units: "512 B", "45 MiB", "3.0 GiB" (integers stay integers: "2 GiB"). */
export function formatBytes(bytes: number, digits = 1): string {
  let u = 0;
  let v = bytes;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (Number.isInteger(v)) return `${v} ${UNITS[u]}`;
  return `${v < 10 ? v.toFixed(digits) : v.toFixed(Math.max(0, digits - 1))} ${UNITS[u]}`;
}

/** Two sizes formatted so that different numbers never read the same. */
function formatPair(a: number, b: number): [string, string] {
  for (let digits = 1; digits < 6; digits++) {
    const pa = formatBytes(a, digits);
    const pb = formatBytes(b, digits);
    if (pa !== pb || a === b) return [pa, pb];
  }
  return [`${a} B`, `${b} B`];
}

const SIZE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(b|kib|mib|gib|tib|kb|mb|gb|tb|k|m|g|t)?\s*$/i;
const FACTOR: Record<string, number> = {
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/**
 * parseByteSize(value) -> bytes, or null when the value is not a size
 *
 * A positive number of bytes, or a string: a number and a unit, B, KiB/MiB/GiB/TiB (powers of 1024; K, M, G, T
 * alone mean the same) or KB/MB/GB/TB (powers of 1000), case-insensitive, e.g. "2GiB", "512 MiB", "1.5 GB".
 */
export function parseByteSize(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? Math.floor(value) : null;
  if (typeof value !== "string") return null;
  const match = SIZE.exec(value);
  if (!match) return null;
  const bytes = Math.floor(Number(match[1]) * FACTOR[(match[2] ?? "b").toLowerCase()]);
  return bytes > 0 ? bytes : null;
}
