/**
 * The one reader of JSON files (configs, studies, initial weights, minibatch schedules).
 *
 *   readJsonFile(path, what, fail) -> the parsed value
 *
 * A byte-order mark is skipped. A file that cannot be read gives fail(`cannot read <what> <path>: <reason>`), malformed
 * JSON gives fail(`malformed JSON in <what> <path> (line L, column C): <parser message>`); `fail` builds the caller's
 * error class (ConfigError naming the field, StudyError, ...), so each layer keeps its own error type and the
 * messages read alike everywhere.
 */
import { readFileSync } from "node:fs";
import { describeSystemError } from "./errors.js";

export function readJsonFile(path: string, what: string, fail: (detail: string, cause: unknown) => Error): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw fail(`cannot read ${what} ${path}: ${describeSystemError(err)}`, err);
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw fail(`malformed JSON in ${what} ${path}${jsonErrorLocation(err, body)}: ${reason}`, err);
  }
}

/** ` (line L, column C)` when the JSON parser reports a position, else "". */
function jsonErrorLocation(err: unknown, text: string): string {
  const match = err instanceof Error ? /position (\d+)/.exec(err.message) : null;
  if (!match) return "";
  const position = Number(match[1]);
  const before = text.slice(0, position).split("\n");
  return ` (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}
