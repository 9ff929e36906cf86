/**
 * Loading a run config from a file (Node). The validation of a config value, with its messages, is parse.ts
 * (re-exported here): `Invalid config: <field>: expected <what> but received <value>`.
 */
import { dirname, resolve } from "node:path";
import { ConfigError } from "./errors.js";
import { readJsonFile } from "./json-file.js";
import { parseRunConfig } from "./parse.js";
import type { RunConfig } from "./schema.js";

export { ConfigError, type ConfigIssue } from "./errors.js";
export { fieldPath, parseRunConfig } from "./parse.js";

/** A config read from a file: the validated config and the directory its relative paths are resolved against. */
export interface LoadedRunConfig {
  config: RunConfig;
  /** Absolute directory of the config file. */
  baseDir: string;
  /** Absolute path of the config file. */
  path: string;
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
