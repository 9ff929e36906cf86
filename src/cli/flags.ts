/**
 * The parsers of numeric command-line flags, one place for their rules and their messages:
 * `--workers: expected a positive integer but received "0"` (a UsageError: exit code 2).
 *
 *   positiveFlag(flag, text, { integer })   a positive number (an integer when asked); undefined when absent
 */
import { UsageError } from "./errors.js";

export function positiveFlag(
  flag: string,
  text: string | undefined,
  options: { integer: boolean },
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const ok = options.integer
    ? /^\s*\d+\s*$/.test(text) && Number.isSafeInteger(n) && n >= 1
    : text.trim() !== "" && Number.isFinite(n) && n > 0;
  if (!ok) {
    const what = options.integer ? "a positive integer" : "a positive number";
    throw new UsageError(`${flag}: expected ${what} but received ${JSON.stringify(text)}`);
  }
  return n;
}

/** positiveFlag with integer: true. */
export function positiveIntFlag(flag: string, text: string | undefined): number | undefined {
  return positiveFlag(flag, text, { integer: true });
}
