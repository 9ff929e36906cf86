/**
 * `training.optimizer`: the update rule of the training map, generated from the rule table (src/backend/tables.ts).
 *
 *   "gd"                                              (the default)
 *   { "name": "momentum", "beta": 0.9 }               every parameter optional, defaults from the table
 *   { "name": "nesterov", "beta": 0.9 }
 *   { "name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8 }
 *
 * A name alone ("momentum") takes every default. The parsed value is always the object form with every parameter
 * filled in, so summary.json states exactly what ran. Errors name the field: `training.optimizer.beta: expected a
 * number in [0, 1) but received 1`.
 */
import * as z from "zod";
import { entryOf, inRange, RULE_NAMES, RULES, type RuleName, rangeText } from "../backend/tables.js";
import type { TrainingRule } from "../backend/types.js";
import { ConfigError } from "./errors.js";

/** A parsed optimizer: its name and every parameter of its table entry. */
export type OptimizerConfig = { name: RuleName } & { [param: string]: number | RuleName };

const NAMES = `one of ${RULE_NAMES.map((n) => JSON.stringify(n)).join(", ")}`;
const WHAT = `${NAMES}, or an object {"name": ..., <parameters>}`;

type Ctx = z.core.$RefinementCtx<unknown>;

function issue(ctx: Ctx, path: (string | number)[], message: string, input: unknown): void {
  ctx.addIssue({ code: "custom", path, message, input });
}

/** The object form with defaults filled in, or issues on ctx. */
function parseOptimizer(value: unknown, ctx: Ctx): OptimizerConfig | typeof z.NEVER {
  const raw = typeof value === "string" ? { name: value } : value;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    issue(ctx, [], WHAT, value);
    return z.NEVER;
  }
  const obj = raw as Record<string, unknown>;
  const spec = typeof obj.name === "string" ? entryOf(RULES, obj.name) : undefined;
  if (!spec) {
    issue(ctx, typeof value === "string" ? [] : ["name"], NAMES, typeof value === "string" ? value : obj.name);
    return z.NEVER;
  }
  const out: OptimizerConfig = { name: spec.name };
  let ok = true;
  const known = new Set<string>(["name", ...spec.params.map((p) => p.name)]);
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) {
      const keys = [...known].join(", ");
      ctx.addIssue({
        code: "unrecognized_keys",
        keys: [key],
        path: [],
        message: `known keys of ${spec.name}: ${keys}`,
      });
      ok = false;
    }
  }
  for (const p of spec.params) {
    const v = obj[p.name];
    if (v === undefined) out[p.name] = p.default;
    else if (typeof v === "number" && inRange(p, v)) out[p.name] = v;
    else {
      issue(ctx, [p.name], rangeText(p), v);
      ok = false;
    }
  }
  return ok ? out : z.NEVER;
}

export const optimizerSchema = z
  .unknown()
  .transform((value, ctx) => parseOptimizer(value, ctx)) as unknown as z.ZodType<OptimizerConfig, unknown>;

/**
 * trainingRule(optimizer, learningRate) -> TrainingRule
 *
 * The kernels' form of an optimizer with its learning rate (rule id and parameters in table order), from a parsed
 * `training.optimizer` or anything the config accepts there: `trainingRule("adam", 0.01)`,
 * `trainingRule({ name: "momentum", beta: 0.8 }, 0.05)` (missing parameters take their defaults; a bad one is a
 * ConfigError naming it).
 */
export function trainingRule(optimizer: unknown, learningRate: number): TrainingRule {
  const parsed = optimizerSchema.safeParse(optimizer);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ["training", "optimizer", ...issue.path].join(".");
    throw new ConfigError(field, `expected ${issue.message}`);
  }
  const spec = entryOf(RULES, parsed.data.name);
  if (!spec) throw new RangeError(`weightdyn: unknown optimizer ${JSON.stringify(parsed.data.name)}`);
  return { rule: spec.id, learningRate, params: spec.params.map((p) => Number(parsed.data[p.name])) };
}
