/**
 * The error class of the configuration layer.
 *
 * Every problem with user input that can be traced to a config field (including the files a config points to: the
 * data CSV, the initial-weights JSON) is thrown as a `ConfigError` whose `field` is the dotted path of that field,
 * e.g. `training.learningRate` or `data.csv`, and whose message reads, in sharp's style,
 * `Invalid config: training.learningRate: expected a positive finite number but received -0.1`.
 * The CLI maps it to exit code 2.
 */

/** One problem found in a config: the dotted field path and the text after `Invalid config: <field>: `. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. `lyapunov.ftleWindow`; "" when the problem concerns the config as a whole. */
  field: string;
  /** What was expected and what was received. */
  detail: string;
}

/** Formats one issue as a message line: `Invalid config: <field>: <detail>` (or `Invalid config: <detail>`). */
export function formatConfigIssue(issue: ConfigIssue): string {
  return issue.field === "" ? `Invalid config: ${issue.detail}` : `Invalid config: ${issue.field}: ${issue.detail}`;
}

/**
 * A config (or a file it points to) is invalid.
 *
 * `field` is the dotted path of the first offending field ("" for the config file as a whole: missing file,
 * malformed JSON). `issues` lists every problem found; the message has one line per issue.
 */
export class ConfigError extends Error {
  readonly field: string;
  readonly issues: readonly ConfigIssue[];

  /**
   * new ConfigError(field, detail, options?)
   * new ConfigError(issues, options?)   (the first issue gives `field`; at least one issue)
   */
  constructor(fieldOrIssues: string | readonly ConfigIssue[], detail?: string, options?: { cause?: unknown }) {
    const issues: ConfigIssue[] =
      typeof fieldOrIssues === "string"
        ? [{ field: fieldOrIssues, detail: detail ?? "invalid value" }]
        : [...fieldOrIssues];
    if (issues.length === 0) issues.push({ field: "", detail: detail ?? "invalid config" });
    super(issues.map(formatConfigIssue).join("\n"), options);
    this.name = "ConfigError";
    this.field = issues[0].field;
    this.issues = issues;
  }
}

/**
 * Renders a received value for an error message: numbers as `String(x)` (so -0.1, NaN, Infinity), strings quoted,
 * arrays and objects as (shortened) JSON, a missing value as `nothing`.
 */
export function describeReceived(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return shorten(JSON.stringify(value));
  if (value === null || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "function") return "a function";
  let json: string | undefined;
  try {
    json = JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
  } catch {
    json = undefined;
  }
  if (json === undefined) return Array.isArray(value) ? "an array" : "an object";
  return shorten(json);
}

function shorten(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** The most characters of a data file any message quotes. */
export const MAX_FILE_EXCERPT = 12;

/**
 * quoteFromFile(value, partOfLine) -> how a message shows a piece of a file a config points to (which may be any
 * readable file: the user's own data, or /etc/shadow named by mistake or by someone else): quoted whole when it is
 * part of a line (a cell or a column name of a table with several columns) and at most MAX_FILE_EXCERPT characters;
 * otherwise its first min(MAX_FILE_EXCERPT, length / 2) characters, an ellipsis and its length, e.g.
 * `"daemon:*:190…" (27 characters)`. Never a whole line of the file.
 */
export function quoteFromFile(value: string, partOfLine: boolean): string {
  const chars = [...value];
  if (partOfLine && chars.length <= MAX_FILE_EXCERPT) return JSON.stringify(value);
  const shown = chars.slice(0, Math.min(MAX_FILE_EXCERPT, Math.floor(chars.length / 2))).join("");
  return `${JSON.stringify(`${shown}…`)} (${chars.length} characters)`;
}

/** What a value read from a JSON data file is, without its contents: `a string (40 characters)`, `an object`. */
export function describeFileValue(value: unknown): string {
  if (typeof value === "string") return `a string (${[...value].length} characters)`;
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  // A non-finite number (1e999 reads as Infinity) says nothing of the file's text.
  if (typeof value === "number") return Number.isFinite(value) ? "a number" : String(value);
  return `a ${typeof value}`;
}

/** `no such file`, `is a directory`, `permission denied`, or the message of another Node system error. */
export function describeSystemError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "is a directory";
  if (code === "EACCES") return "permission denied";
  return err instanceof Error ? err.message : String(err);
}
