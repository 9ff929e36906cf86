/**
 * The run-config schema (zod 4) and the types of a validated config, with every default applied.
 *
 * Every object is strict (an unknown key is an error naming it). Every field carries the phrase of what it expects
 * ("a positive integer"); validate.ts turns zod issues into `Invalid config: <field>: expected <phrase> but received
 * <value>`. Defaults (see defaults.ts for the same values as one JSON document):
 *
 *   network   { inputs: 1, hidden: 10, outputs: 1, activation: "tanh", activationParam: null,
 *               outputActivation: "identity" }      activationParam null -> defaultActivationParam(activation);
 *             hidden, activation and activationParam may be lists, one entry per hidden layer (depth.ts)
 *   data      { function: "sin", samples: 40, range: [-1, 1], seed: 0 }   or   { csv: "path" }
 *   init      { distribution: "uniform", scale: 1, seed: 1 }              or   { weights: "path" }
 *   training  { learningRate: 0.1, steps: 5000, optimizer: "gd", batchSize: null, batchSeed: 0, schedule: null }
 *             optimizer: "gd" | {name: "momentum" | "nesterov", beta: 0.9} | {name: "adam", beta1: 0.9,
 *             beta2: 0.999, epsilon: 1e-8} (optimizer.ts); batchSize and schedule exclude each other (batches.ts)
 *   lyapunov  { exponents: "all", qrEvery: 1, ftleWindow: 100, transient: 0, basis: "identity", basisSeed: 0,
 *               tangentRoute: "auto", clv?: {...} (see clv.ts) }
 *   backend   "auto"
 *   limits    { memoryBudget: "2GiB" }       what one run may use (run-plan.ts: the plan is checked before a run)
 *
 * Paths (data.csv, init.weights, training.schedule) are relative to the directory of the config file. Seeds are integers in
 * [0, 2^53]. Cross-field rules: ftleWindow and transient are multiples of qrEvery; lyapunov.exponents <= S, the
 * dimension of the training state (D for gd, 2D for momentum and nesterov, 3D for adam);
 * a planar target (sin2d, ripple) needs network.inputs = 2.
 */
import * as z from "zod";
import {
  OUTPUT_ACTIVATION_NAMES,
  type OutputActivationName,
  TANGENT_ROUTE_NAMES,
  type TangentRouteName,
} from "../backend/tables.js";
import { TARGET_NAMES, TARGETS, targetAccepts } from "../data/targets.js";
import { clvRefinements, clvSchema } from "./clv.js";
import {
  activationParamSchema,
  activationSchema,
  depthRefinements,
  hiddenSchema,
  resolveActivationParams,
} from "./depth.js";
import { optimizerSchema } from "./optimizer.js";
import { limitsSchema } from "./run-plan.js";
import { parameterCount, stateDimensionOf } from "./shape.js";

/** Largest accepted seed: 2^53 (every integer up to it is exact in a float64). */
export const MAX_SEED = 2 ** 53;

export const INIT_DISTRIBUTIONS = ["uniform", "normal"] as const;
export const BASIS_NAMES = ["identity", "random"] as const;
export { TANGENT_ROUTE_NAMES };
export const BACKEND_CHOICES = ["auto", "native", "wasm"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** `one of "a", "b", "c"` */
export function oneOf(values: readonly string[]): string {
  return `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
}

const POSITIVE_INT = "a positive integer";
const POSITIVE_FINITE = "a positive finite number";
const SEED = "an integer between 0 and 2^53";
const RANGE = "two finite numbers [low, high] with low < high";
const PATH = "a non-empty path string (relative to the config file)";

// z.number() rejects NaN and +-Infinity in zod 4, so every number below is finite.
const positiveInt = () =>
  z.number({ error: POSITIVE_INT }).int({ error: POSITIVE_INT }).min(1, { error: POSITIVE_INT });
const nonNegativeInt = (phrase: string) => z.number({ error: phrase }).int({ error: phrase }).min(0, { error: phrase });
const positiveFinite = () => z.number({ error: POSITIVE_FINITE }).positive({ error: POSITIVE_FINITE });
const seed = () =>
  z.number({ error: SEED }).refine((v) => Number.isInteger(v) && v >= 0 && v <= MAX_SEED, { error: SEED });
const pathString = () => z.string({ error: PATH }).min(1, { error: PATH });
const choice = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: oneOf(values) });

/** A strict object whose own issues read "an object" or, for unknown keys, list the known keys. */
function section<S extends z.ZodRawShape>(shape: S, knownKeys = `known keys: ${Object.keys(shape).join(", ")}`) {
  return z.strictObject(shape, { error: (iss) => (iss.code === "unrecognized_keys" ? knownKeys : "an object") });
}

/**
 * An object that comes in two forms told apart by one key: objects having `key` are parsed by `withKey`, everything
 * else by `withoutKey`. (A plain z.union would report the issues of whichever branch zod guesses.)
 */
function keyedUnion<A extends z.ZodType, B extends z.ZodType>(key: string, withKey: A, withoutKey: B) {
  const dispatch = z.unknown().transform((value, ctx) => {
    const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
    const schema: z.ZodType = isObject && Object.hasOwn(value, key) ? withKey : withoutKey;
    const parsed = schema.safeParse(value, { reportInput: true });
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
  return dispatch as unknown as z.ZodType<z.output<A> | z.output<B>, z.input<A> | z.input<B>>;
}

export const networkSchema = section({
  inputs: positiveInt().default(1),
  /** One width, or one per hidden layer (depth.ts). */
  hidden: hiddenSchema.default(10),
  outputs: positiveInt().default(1),
  /** One name for every hidden layer, or one per layer. */
  activation: activationSchema.default("tanh"),
  activationParam: activationParamSchema.default(null),
  outputActivation: choice(OUTPUT_ACTIVATION_NAMES as [OutputActivationName, ...OutputActivationName[]]).default(
    "identity",
  ),
})
  .superRefine((n, ctx) => {
    for (const r of depthRefinements(n)) ctx.addIssue({ code: "custom", ...r });
  })
  .transform((n) => ({ ...n, activationParam: resolveActivationParams(n) }));

export const functionDataSchema = section(
  {
    function: choice(TARGET_NAMES).default("sin"),
    samples: positiveInt().default(40),
    range: z
      .tuple([z.number({ error: RANGE }), z.number({ error: RANGE })], { error: RANGE })
      .refine((r) => r[0] < r[1], { error: RANGE })
      .default((): [number, number] => [-1, 1]),
    seed: seed().default(0),
  },
  "known keys: function, samples, range, seed; or csv alone",
);

export const csvDataSchema = section({ csv: pathString() }, "the csv form of data takes only the key csv");

export const dataSchema = keyedUnion("csv", csvDataSchema, functionDataSchema);

export const randomInitSchema = section(
  {
    distribution: choice(INIT_DISTRIBUTIONS).default("uniform"),
    scale: positiveFinite().default(1),
    seed: seed().default(1),
  },
  "known keys: distribution, scale, seed; or weights alone",
);

export const fileInitSchema = section({ weights: pathString() }, "the file form of init takes only the key weights");

export const initSchema = keyedUnion("weights", fileInitSchema, randomInitSchema);

const BATCH_SIZE = "a positive integer (samples per step), or null for full batch";

export const trainingSchema = section({
  learningRate: positiveFinite().default(0.1),
  steps: positiveInt().default(5000),
  /** The update rule (optimizer.ts): "gd" or an object {name, parameters}. */
  optimizer: optimizerSchema.prefault("gd"),
  /** Minibatches of this many samples: each epoch a seeded permutation of the samples cut into consecutive slices. */
  batchSize: z
    .number({ error: BATCH_SIZE })
    .int({ error: BATCH_SIZE })
    .min(1, { error: BATCH_SIZE })
    .nullable()
    .default(null),
  /** Seed of the epochs' permutations (batchSize). */
  batchSeed: seed().default(0),
  /** A JSON file holding a list of index lists, used cyclically: step t uses entry t mod length. */
  schedule: pathString().nullable().default(null),
}).superRefine((t, ctx) => {
  if (t.batchSize !== null && t.schedule !== null) {
    const message = "null when training.schedule is given (a schedule fixes every batch)";
    ctx.addIssue({ code: "custom", path: ["batchSize"], message, input: t.batchSize });
  }
});

const EXPONENTS = '"all" or an integer >= 0';

export const lyapunovSchema = section({
  exponents: z.union([z.literal("all"), nonNegativeInt(EXPONENTS)], { error: EXPONENTS }).default("all"),
  qrEvery: positiveInt().default(1),
  ftleWindow: positiveInt().default(100),
  transient: nonNegativeInt("an integer >= 0").default(0),
  basis: choice(BASIS_NAMES).default("identity"),
  basisSeed: seed().default(0),
  tangentRoute: choice(TANGENT_ROUTE_NAMES as [TangentRouteName, ...TangentRouteName[]]).default("auto"),
  /** Covariant Lyapunov vectors (src/config/clv.ts). */
  clv: clvSchema.optional(),
}).superRefine((l, ctx) => {
  for (const key of ["ftleWindow", "transient"] as const) {
    if (l[key] % l.qrEvery !== 0) {
      const message = `a multiple of lyapunov.qrEvery (${l.qrEvery})`;
      ctx.addIssue({ code: "custom", path: [key], message, input: l[key] });
    }
  }
});

export const runConfigSchema = section({
  network: networkSchema.prefault({}),
  data: dataSchema.prefault({}),
  init: initSchema.prefault({}),
  training: trainingSchema.prefault({}),
  lyapunov: lyapunovSchema.prefault({}),
  backend: choice(BACKEND_CHOICES).default("auto"),
  /** What a run may use (run-plan.ts). */
  limits: limitsSchema.prefault({}),
}).superRefine((c, ctx) => {
  const S = stateDimensionOf(c);
  const D = parameterCount(c.network);
  const k = c.lyapunov.exponents;
  if (k !== "all" && k > S) {
    const what =
      S === D
        ? `D = ${D} (the parameter count of the network)`
        : `S = ${S} (the dimension of the training state of ${c.training.optimizer.name}: ${S / D} blocks of D = ${D})`;
    const message = `"all" or an integer between 0 and ${what}`;
    ctx.addIssue({ code: "custom", path: ["lyapunov", "exponents"], message, input: k });
  }
  if (c.lyapunov.clv) for (const r of clvRefinements(c.lyapunov.clv, c)) ctx.addIssue({ code: "custom", ...r });
  if (c.training.steps >= 1 && c.lyapunov.transient >= c.training.steps) {
    const message = `an integer below training.steps (${c.training.steps})`;
    ctx.addIssue({ code: "custom", path: ["lyapunov", "transient"], message, input: c.lyapunov.transient });
  }
  if ("function" in c.data) {
    const target = TARGETS[c.data.function];
    if (!targetAccepts(target, c.network.inputs)) {
      const message = `a target defined for network.inputs = ${c.network.inputs} (${target.name} takes exactly ${target.inputs} inputs)`;
      ctx.addIssue({ code: "custom", path: ["data", "function"], message, input: c.data.function });
    }
  }
});

/** A validated run config with every default applied. */
export type RunConfig = z.output<typeof runConfigSchema>;
/** What a config file may contain (every field optional). */
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type NetworkConfig = RunConfig["network"];
export type FunctionDataConfig = z.output<typeof functionDataSchema>;
export type CsvDataConfig = z.output<typeof csvDataSchema>;
export type DataConfig = FunctionDataConfig | CsvDataConfig;
export type RandomInitConfig = z.output<typeof randomInitSchema>;
export type FileInitConfig = z.output<typeof fileInitSchema>;
export type InitConfig = RandomInitConfig | FileInitConfig;
export type TrainingConfig = RunConfig["training"];
export type LyapunovConfig = RunConfig["lyapunov"];
