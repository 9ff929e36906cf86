/**
 * The `lyapunov.clv` section of a run config: covariant Lyapunov vectors by Ginelli's method
 * (src/algorithms/clv.ts). Present means "compute CLVs"; every field is optional:
 *
 *   from               first output time (steps)                 default lyapunov.transient (0 by default)
 *   to                 last output time                          default training.steps - backwardTransient,
 *                                                                rounded down to a multiple of qrEvery
 *   every              stride between output times               default lyapunov.qrEvery
 *   backwardTransient  steps after `to` whose R factors only converge the backward iteration   default 1000
 *                      (the error of CLV j decays like exp(-(lambda_j - lambda_{j+1}) n) over n steps)
 *   pairs              [i, j] CLV pairs (0-based) whose angle is output   default [[0, 1]] when k >= 2
 *   split              "positive" (p = the number of positive exponents) or an integer p in [1, k-1]: output
 *                      the smallest angle between span(CLV 0..p-1) and span(CLV p..k-1)   default "positive"
 *   mode               "auto" | "store" | "checkpoint"           default "auto" (store when it fits the budget)
 *   memoryBudget       bytes, or a size string like "2GiB", "512 MiB", "1.5GB"   default "2GiB"
 *   checkpointEvery    steps between checkpoints (checkpoint mode)   default ~ sqrt(span), the memory optimum
 *   seed               seed of the random upper-triangular start of the backward iteration   default 0
 *   topWeights         how many weights dominating CLV 1 are listed per output time   default 5
 *
 * Times are step counts: time t is the state w_t after t updates. Rules checked against the whole config
 * (clvConfigIssues): lyapunov.exponents >= 1; from >= lyapunov.transient; from, to, every, backwardTransient
 * and checkpointEvery are multiples of lyapunov.qrEvery; from <= to; to + backwardTransient <= training.steps
 * (named as lyapunov.clv.backwardTransient); pair indices and split within [0, k).
 */
import * as z from "zod";
import { DEFAULT_CLV_MEMORY_BUDGET, parseByteSize } from "../algorithms/clv-memory.js";
import { ConfigError, type ConfigIssue, describeReceived } from "./errors.js";
import { exponentCount, type NetworkSection } from "./shape.js";

export const CLV_MODES = ["auto", "store", "checkpoint"] as const;

const POSITIVE_INT = "a positive integer";
const NON_NEGATIVE_INT = "an integer >= 0";
const SEED = "an integer between 0 and 2^53";
const SPLIT = '"positive" or a positive integer p (CLVs 1..p against the rest)';
const PAIR = "a pair [i, j] of CLV indices (integers >= 0)";
const BYTES = 'a positive number of bytes or a size like "2GiB", "512 MiB" or "1.5GB"';
const MODE = 'one of "auto", "store", "checkpoint"';

const int = (phrase: string, min: number) =>
  z.number({ error: phrase }).int({ error: phrase }).min(min, { error: phrase });

/** A size in bytes: a positive number, or a string like "2GiB" (parseByteSize); shared with limits.memoryBudget. */
export const byteSize = z.union([z.number(), z.string()], { error: BYTES }).transform((v, ctx) => {
  const bytes = parseByteSize(v);
  if (bytes === null) {
    ctx.addIssue({ code: "custom", message: BYTES, input: v });
    return z.NEVER;
  }
  return bytes;
});

const shape = {
  from: int(NON_NEGATIVE_INT, 0).optional(),
  to: int(NON_NEGATIVE_INT, 0).optional(),
  every: int(POSITIVE_INT, 1).optional(),
  backwardTransient: int(NON_NEGATIVE_INT, 0).default(1000),
  pairs: z
    .array(z.tuple([int(PAIR, 0), int(PAIR, 0)], { error: PAIR }), { error: "an array of [i, j] pairs" })
    .optional(),
  split: z.union([z.literal("positive"), int(POSITIVE_INT, 1)], { error: SPLIT }).default("positive"),
  mode: z.enum(CLV_MODES, { error: MODE }).default("auto"),
  memoryBudget: byteSize.default(DEFAULT_CLV_MEMORY_BUDGET),
  checkpointEvery: int(POSITIVE_INT, 1).optional(),
  seed: z
    .number({ error: SEED })
    .refine((v) => Number.isInteger(v) && v >= 0 && v <= 2 ** 53, { error: SEED })
    .default(0),
  topWeights: int(NON_NEGATIVE_INT, 0).default(5),
};

/** The schema of `lyapunov.clv` (strict: an unknown key is an error listing the known ones). */
export const clvSchema = z.strictObject(shape, {
  error: (iss) => (iss.code === "unrecognized_keys" ? `known keys: ${Object.keys(shape).join(", ")}` : "an object"),
});

export type ClvConfig = z.output<typeof clvSchema>;
export type ClvConfigInput = z.input<typeof clvSchema>;

/** `lyapunov.clv` with the defaults that depend on the rest of the config applied. */
export interface ResolvedClvConfig {
  from: number;
  to: number;
  every: number;
  backwardTransient: number;
  pairs: [number, number][];
  split: "positive" | number;
  mode: (typeof CLV_MODES)[number];
  /** Bytes. */
  memoryBudget: number;
  checkpointEvery?: number;
  seed: number;
  topWeights: number;
  /** Number of CLVs (lyapunov.exponents). */
  k: number;
}

/** The parts of a run config the CLV rules read. */
export interface ClvContext {
  network: NetworkSection;
  training: { steps: number; optimizer: { name: string } };
  lyapunov: { exponents: "all" | number; qrEvery: number; transient: number; clv?: unknown };
}

/** A broken cross-field rule, in the form a zod superRefine takes: path from the config root, the phrase of
 *  what is expected, the offending value. */
export interface ClvRefinement {
  path: (string | number)[];
  message: string;
  input: unknown;
}

/**
 * clvRefinements(clv, config) -> one entry per broken cross-field rule (module comment). For the run-config
 * schema: `for (const r of clvRefinements(c.lyapunov.clv, c)) ctx.addIssue({ code: "custom", ...r })`.
 */
export function clvRefinements(clv: ClvConfig, config: ClvContext): ClvRefinement[] {
  return resolve(clv, config).refinements;
}

/** The same as ConfigIssues (`field`: dotted path, `detail`: "expected ... but received ..."). */
export function clvConfigIssues(clv: ClvConfig, config: ClvContext): ConfigIssue[] {
  return resolve(clv, config).refinements.map(toIssue);
}

function toIssue(r: ClvRefinement): ConfigIssue {
  return { field: dotted(r.path), detail: `expected ${r.message} but received ${describeReceived(r.input)}` };
}

function resolve(clv: ClvConfig, config: ClvContext): { resolved: ResolvedClvConfig; refinements: ClvRefinement[] } {
  const refinements: ClvRefinement[] = [];
  const bad = (field: string, message: string, input: unknown) => {
    const path = field.split(".").flatMap((part) => {
      const m = /^(\w+)\[(\d+)\]$/.exec(part);
      return m ? [m[1], Number(m[2])] : [part];
    });
    refinements.push({ path, message, input });
  };
  const { qrEvery: m, transient } = config.lyapunov;
  const steps = config.training.steps;
  const k = exponentCount(config);
  if (k < 1) bad("lyapunov.exponents", 'at least 1 vector ("all" or an integer >= 1) when lyapunov.clv is set', k);
  const bT = clv.backwardTransient;
  const from = clv.from ?? transient;
  const to = clv.to ?? Math.floor((steps - bT) / m) * m;
  const every = clv.every ?? m;
  const multiple = `a multiple of lyapunov.qrEvery (${m})`;
  for (const [name, value] of [
    ["from", clv.from],
    ["to", clv.to],
    ["every", clv.every],
    ["backwardTransient", bT],
    ["checkpointEvery", clv.checkpointEvery],
  ] as const) {
    if (value !== undefined && value % m !== 0) bad(`lyapunov.clv.${name}`, multiple, value);
  }
  if (from < transient) bad("lyapunov.clv.from", `an integer >= lyapunov.transient (${transient})`, from);
  if (clv.to !== undefined && clv.to < from)
    bad("lyapunov.clv.to", `an integer >= lyapunov.clv.from (${from})`, clv.to);
  if (to + bT > steps || (clv.to === undefined && to < from)) {
    const limit =
      clv.to === undefined
        ? `training.steps - lyapunov.clv.from = ${steps - from}`
        : `training.steps - lyapunov.clv.to = ${steps - to}`;
    bad(
      "lyapunov.clv.backwardTransient",
      `at most ${limit} (the CLVs at lyapunov.clv.to need this many steps after it)`,
      bT,
    );
  }
  (clv.pairs ?? []).forEach(([i, j], n) => {
    if (i >= k || j >= k || i === j)
      bad(`lyapunov.clv.pairs[${n}]`, `two different CLV indices in [0, ${k - 1}]`, [i, j]);
  });
  if (clv.split !== "positive" && k >= 1 && clv.split >= k) {
    bad("lyapunov.clv.split", `"positive" or an integer p in [1, ${k - 1}] (k = ${k})`, clv.split);
  }
  const resolved: ResolvedClvConfig = {
    from,
    to,
    every,
    backwardTransient: bT,
    pairs: clv.pairs ?? (k >= 2 ? [[0, 1]] : []),
    split: clv.split,
    mode: clv.mode,
    memoryBudget: clv.memoryBudget,
    checkpointEvery: clv.checkpointEvery,
    seed: clv.seed,
    topWeights: clv.topWeights,
    k,
  };
  return { resolved, refinements };
}

/**
 * resolveClvConfig(config) -> ResolvedClvConfig, or null when lyapunov.clv is absent
 *
 * Parses config.lyapunov.clv (raw or already parsed: parsing is idempotent), applies the cross-field rules and
 * the defaults that depend on the rest of the config. Throws a ConfigError naming every offending field.
 */
export function resolveClvConfig(config: ClvContext): ResolvedClvConfig | null {
  const raw = config.lyapunov.clv;
  if (raw === undefined || raw === null) return null;
  const parsed = clvSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.flatMap((iss): ConfigIssue[] => {
        const path = ["lyapunov", "clv", ...iss.path];
        if (iss.code === "unrecognized_keys") {
          return iss.keys.map((key) => ({ field: dotted([...path, key]), detail: `unknown key (${iss.message})` }));
        }
        return [{ field: dotted(path), detail: `expected ${iss.message} but received ${describeReceived(iss.input)}` }];
      }),
    );
  }
  const { resolved, refinements } = resolve(parsed.data, config);
  if (refinements.length > 0) throw new ConfigError(refinements.map(toIssue));
  return resolved;
}

/** `lyapunov.clv.pairs[0]` from a path. */
function dotted(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out;
}
