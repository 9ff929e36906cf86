/**
 * Validation of run configs: zod issues turned into ConfigErrors that name the field, and the loading of a config
 * file.
 *
 * Messages follow sharp: `Invalid config: <field>: expected <what> but received <value>`, e.g.
 * `Invalid config: training.learningRate: expected a positive finite number but received -0.1`. Fields are dotted
 * paths with array indices in brackets (`data.range[0]`); an unknown key is named with its full path
 * (`network.widht: unknown key (known keys: inputs, hidden, ...)`). Every issue found is listed, one per line;
 * `ConfigError.field` is the first one.
 */
import { dirname, resolve } from "node:path";
import type { z } from "zod";
import { ConfigError, type ConfigIssue, describeReceived } from "./errors.js";
import { readJsonFile } from "./json-file.js";
import { type RunConfig, runConfigSchema } from "./schema.js";

export { ConfigError, type ConfigIssue } from "./errors.js";

/** A config read from a file: the validated config and the directory its relative paths are resolved against. */
export interface LoadedRunConfig {
  config: RunConfig;
  /** Absolute directory of the config file. */
  baseDir: string;
  /** Absolute path of the config file. */
  path: string;
}

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

/**
 * loadRunConfigFile(path) -> {config, baseDir, path}
 *
 * Reads (readJsonFile: a regular file of bounded size) and validates a JSON config file. A missing or unreadable
 * file and malformed JSON are ConfigErrors with field "" whose message names the file (and, for malformed JSON, the
 * line and column and the parser's message without any excerpt of the file).
 */
export function loadRunConfigFile(path: string): LoadedRunConfig {
  const absolute = resolve(path);
  const raw = readJsonFile(absolute, "config file", (detail, cause) => new ConfigError("", detail, { cause }));
  return { config: parseRunConfig(raw), baseDir: dirname(absolute), path: absolute };
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
