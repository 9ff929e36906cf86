/**
 * Reading an ensemble directory: DIR/runs.ndjson (one run per line) and DIR/study.json (optional here).
 *
 *   readEnsemble(dir) -> { runs, study, lines }
 *
 * runs.ndjson: one JSON object per line (the contract is src/ensemble/record.ts; the fields read here are listed in
 * RunRecord). Non-finite numbers are null. Blank lines are skipped. Text after the last newline is a run still being
 * written (the ensemble appends each line with one write) and is ignored, as the ensemble's own reader does (counted
 * in `lines.partialIgnored`); a complete line that does not parse, or lacks `index`, is an error naming the file and
 * line, as is a negative final loss (no loss is negative). A run index seen twice with the same result (wall time
 * aside) is read once (counted in `lines.duplicates`); with another result it is an error naming both lines, since
 * which line is the run cannot be told. study.json (src/ensemble/
 * store.ts: { studyId, study: { base, grid, runs, seed, early }, baseDir, points }) is read as-is; a missing file
 * gives study = null (the report then cannot rerun runs for the FTLE-over-time figure).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One early window of one run: FTLEs over the first `window` steps and the loss at step `window`. */
export interface EarlyEntry {
  window: number;
  ftle: (number | null)[] | null;
  max?: number | null;
  sum?: number | null;
  positive?: number | null;
  loss?: number | null;
}

export interface RunRecord {
  index: number;
  studyId?: string;
  gridPoint?: number;
  draw?: number;
  params?: Record<string, unknown>;
  seed?: number;
  backend?: string;
  steps?: number;
  diverged?: boolean;
  divergedAt?: number | null;
  finalLoss: number | null;
  lossCheckpoints?: [number, number | null][];
  early?: EarlyEntry[];
  wallTimeSeconds?: number;
}

export interface EnsembleInput {
  dir: string;
  runs: RunRecord[];
  /** Parsed study.json, or null when absent. */
  study: Record<string, unknown> | null;
  lines: { read: number; partialIgnored: number; duplicates: number };
}

/** A problem with the files of the ensemble directory; the message names the file (and line). */
export class PredictInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PredictInputError";
  }
}

function checkRecord(value: unknown, where: string): RunRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PredictInputError(`${where}: expected a JSON object`);
  }
  const r = value as Record<string, unknown>;
  if (typeof r.index !== "number" || !Number.isInteger(r.index)) {
    throw new PredictInputError(`${where}: index: expected an integer but received ${JSON.stringify(r.index)}`);
  }
  if (r.finalLoss !== null && r.finalLoss !== undefined && typeof r.finalLoss !== "number") {
    throw new PredictInputError(
      `${where}: finalLoss: expected a number or null but received ${JSON.stringify(r.finalLoss)}`,
    );
  }
  // C(w) = 1/(2N) sum ||f(x) - y||^2 is never negative: such a record was not written by a run.
  if (typeof r.finalLoss === "number" && r.finalLoss < 0) {
    throw new PredictInputError(
      `${where}: finalLoss: expected a number >= 0 (a loss is a mean of squares) or null but received ${r.finalLoss}`,
    );
  }
  if (r.early !== undefined && !Array.isArray(r.early)) {
    throw new PredictInputError(`${where}: early: expected an array`);
  }
  for (const [j, e] of ((r.early as unknown[]) ?? []).entries()) {
    const entry = e as Record<string, unknown> | null;
    if (!entry || typeof entry.window !== "number") {
      throw new PredictInputError(`${where}: early[${j}].window: expected a number`);
    }
    if (entry.ftle !== null && entry.ftle !== undefined && !Array.isArray(entry.ftle)) {
      throw new PredictInputError(`${where}: early[${j}].ftle: expected an array of numbers (or null)`);
    }
  }
  return { ...(r as unknown as RunRecord), finalLoss: (r.finalLoss as number | null | undefined) ?? null };
}

/** Parses the text of runs.ndjson (see the module comment). */
export function parseRunsNdjson(
  text: string,
  file = "runs.ndjson",
): { runs: RunRecord[]; lines: EnsembleInput["lines"] } {
  const parts = text.split("\n");
  const runs: RunRecord[] = [];
  /** Line number and result (the record without its wall time) of each run index seen. */
  const seen = new Map<number, { line: number; result: string }>();
  const lines = { read: 0, partialIgnored: 0, duplicates: 0 };
  parts.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    if (i === parts.length - 1) {
      lines.partialIgnored++; // no newline after it: still being written
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new PredictInputError(`${file}:${i + 1}: malformed JSON: ${(err as Error).message}`, { cause: err });
    }
    lines.read++;
    const record = checkRecord(value, `${file}:${i + 1}`);
    const { wallTimeSeconds: _time, ...rest } = value as Record<string, unknown>;
    const result = JSON.stringify(rest);
    const first = seen.get(record.index);
    if (first) {
      // The same run twice (a shard merged twice, a copied line) is read once; two results for one run are a
      // corrupted or tampered file, and which is the real one cannot be told.
      if (first.result !== result) {
        throw new PredictInputError(
          `${file}:${first.line} and :${i + 1} hold different results for run ${record.index}: refusing to choose one`,
        );
      }
      lines.duplicates++;
      return;
    }
    seen.set(record.index, { line: i + 1, result });
    runs.push(record);
  });
  runs.sort((a, b) => a.index - b.index);
  return { runs, lines };
}

export function readEnsemble(dir: string): EnsembleInput {
  const runsFile = join(dir, "runs.ndjson");
  if (!existsSync(runsFile))
    throw new PredictInputError(`${runsFile}: no such file (is ${dir} an ensemble directory?)`);
  const { runs, lines } = parseRunsNdjson(readFileSync(runsFile, "utf8"), runsFile);
  if (runs.length === 0) throw new PredictInputError(`${runsFile}: no complete runs`);
  const studyFile = join(dir, "study.json");
  let study: Record<string, unknown> | null = null;
  if (existsSync(studyFile)) {
    try {
      study = JSON.parse(readFileSync(studyFile, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new PredictInputError(`${studyFile}: malformed JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  return { dir, runs, study, lines };
}

/**
 * A grid value as a short label: strings as they are, a list (the widths or activations of the hidden layers) as
 * `[8,8]` or `[tanh,relu]`, an object with a name (an optimizer) as `momentum(beta=0.9)`, another object (a whole
 * config section) as `learningRate=0.05 optimizer=adam`, anything else as JSON.
 */
export function valueLabel(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(valueLabel).join(",")}]`;
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const { name, ...rest } = value as Record<string, unknown>;
    const params = Object.entries(rest).map(([k, v]) => `${k}=${valueLabel(v)}`);
    if (typeof name === "string") return params.length > 0 ? `${name}(${params.join(",")})` : name;
    return Object.entries(value)
      .map(([k, v]) => `${k}=${valueLabel(v)}`)
      .join(" ");
  }
  return JSON.stringify(value);
}

/**
 * The groups of an ensemble's runs: the grid values that vary between its runs (activation, optimizer, width, ...),
 * joined as `tanh, momentum(beta=0.9)` in the order of the grid's keys; runs of a study whose grid does not vary share
 * the group `fallback`. Returns the group of every run, in order.
 */
export function runGroups(runs: readonly RunRecord[], fallback: string): string[] {
  const varying = varyingKeys(runs);
  if (varying.length === 0) return runs.map(() => fallback);
  return runs.map((r) => varying.map((key) => valueLabel(r.params?.[key])).join(", "));
}

/**
 * What the groups of runGroups are, in words: "activation" when only network.activation varies (or nothing does, the
 * default study's case), else "group" (a depth, an optimizer, or several keys at once).
 */
export function groupNoun(runs: readonly RunRecord[]): "activation" | "group" {
  return varyingKeys(runs).every((key) => key === "network.activation") ? "activation" : "group";
}

/** The grid keys whose value differs between the runs, in the order they first appear. */
function varyingKeys(runs: readonly RunRecord[]): string[] {
  const keys: string[] = [];
  for (const run of runs) for (const key of Object.keys(run.params ?? {})) if (!keys.includes(key)) keys.push(key);
  return keys.filter((key) => new Set(runs.map((r) => JSON.stringify(r.params?.[key]))).size > 1);
}

function objectAt(value: unknown, key: string): Record<string, unknown> | null {
  const v = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** The base run config of study.json: study.base (the ensemble's header), else a top-level base. */
export function studyBaseConfig(study: Record<string, unknown> | null): Record<string, unknown> | null {
  return objectAt(objectAt(study, "study"), "base") ?? objectAt(study, "base");
}

/** The directory relative paths in the study's configs are resolved against (study.json's baseDir), if any. */
export function studyBaseDir(study: Record<string, unknown> | null): string | null {
  return typeof study?.baseDir === "string" ? study.baseDir : null;
}
