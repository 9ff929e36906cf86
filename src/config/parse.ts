/**
 * Validation of a run config given as a value: zod issues turned into ConfigErrors that name the field. No Node
 * built-in: the CLI (validate.ts, which adds reading a config file) and the browser entry (the playground) parse with
 * this one function, so a page shows exactly the messages of the command line.
 *
 * Messages follow sharp: `Invalid config: <field>: expected <what> but received <value>`, e.g.
 * `Invalid config: training.learningRate: expected a positive finite number but received -0.1`. Fields are dotted
 * paths with array indices in brackets (`data.range[0]`); an unknown key is named with its full path
 * (`network.widht: unknown key (known keys: inputs, hidden, ...)`). Every issue found is listed, one per line;
 * `ConfigError.field` is the first one.
 */
import type { z } from "zod";
import { ConfigError, type ConfigIssue, describeReceived } from "./errors.js";
import { type RunConfig, runConfigSchema } from "./schema.js";

/**
 * parseRunConfig(raw) -> RunConfig
 *
 * Validates a parsed JSON value against the run-config schema and applies the defaults (see schema.ts). Throws a
 * ConfigError naming every offending field. Files the config points to (data.csv, init.weights) are not read here:
 * buildDataset and initialWeights check them.
 */
export function parseRunConfig(raw: unknown): RunConfig {
  const parsed = runConfigSchema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.flatMap(toConfigIssues));
}

/** Dotted field path: `lyapunov.qrEvery`, `data.range[1]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** One zod issue -> one ConfigIssue per offending field (an unknown-keys issue names each key). */
function toConfigIssues(issue: z.core.$ZodIssue): ConfigIssue[] {
  const field = fieldPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      field: fieldPath([...issue.path, key]),
      detail: `unknown key (${issue.message})`,
    }));
  }
  // A zod default message ("Invalid input: ...") means a schema without a phrase: show it as it is.
  if (/^Invalid\b/.test(issue.message)) return [{ field, detail: issue.message }];
  const received =
    issue.input === undefined && issue.code === "invalid_type" && field !== ""
      ? "the field is missing"
      : `received ${describeReceived(issue.input)}`;
  return [{ field, detail: `expected ${issue.message} but ${received}` }];
}
