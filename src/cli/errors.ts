/**
 * How the CLI ends on an error: `weightdyn: <message>` on stderr, exit code 2 for config and usage errors (a bad
 * config field, a bad flag or environment variable, a missing file), 1 for everything else. No stack trace unless
 * WEIGHTDYN_DEBUG=1.
 */
import { CommanderError } from "commander";
import { ConfigError } from "../config/errors.js";
import { redactSecrets } from "../distributed/redis-url.js";

/** A bad command line or environment variable; the message names the flag or variable. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Exit code for an error: 0 for commander's --help/--version, 2 for config and usage errors, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof ConfigError || err instanceof UsageError) return 2;
  return 1;
}

/** A line without the `weightdyn: ` its thrower already put in front (errors of the backends carry it). */
function withoutPrefix(line: string): string {
  return line.startsWith("weightdyn: ") ? line.slice("weightdyn: ".length) : line;
}

/**
 * reportError(err, stderr, env) -> exit code
 *
 * Prints `weightdyn: <message>` (each line of a multi-line message prefixed once, also when the message already
 * starts with it) and, when env.WEIGHTDYN_DEBUG is "1", the stack. Every URL-like word is redacted (redactSecrets):
 * no message prints a password, whatever the thrower quoted. Commander errors are not printed again (commander has printed them through configureOutput).
 */
export function reportError(
  err: unknown,
  stderr: { write(text: string): unknown } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const code = exitCodeFor(err);
  if (err instanceof CommanderError) return code;
  const message = err instanceof Error ? err.message : String(err);
  const lines = (message === "" ? "unknown error" : message).split("\n");
  stderr.write(`${lines.map((line) => `weightdyn: ${withoutPrefix(redactSecrets(line))}`).join("\n")}\n`);
  if (env.WEIGHTDYN_DEBUG === "1" && err instanceof Error && err.stack) stderr.write(`${redactSecrets(err.stack)}\n`);
  return code;
}
