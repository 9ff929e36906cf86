/**
 * The study file of an ensemble: a base run config, a grid of config values, and the draws per grid point.
 *
 *   parseStudy(raw, baseDir) -> Study          validates everything (every grid point's config included)
 *   loadStudyFile(path) -> Study               reads JSON; relative paths are resolved against the file's folder
 *
 * ```json
 * { "base": { "network": { "hidden": 3 }, "training": { "steps": 3000 }, "lyapunov": { "ftleWindow": 100 } },
 *   "grid": { "network.activation": ["tanh", "relu"], "init.scale": [1, 2] },
 *   "runs": 200, "seed": 7, "early": [100, 300], "lossCheckpoints": [0, 100, 300, 1000, 3000] }
 * ```
 *
 * Fields (defaults):
 *   base             a run config (see README "Configuration"; {}: every default)
 *   grid ({})        dotted run-config path -> non-empty list of values; points in grid order (grid.ts)
 *   settings (null)  a non-empty list of settings, each an object of dotted run-config path -> one value, crossed
 *                    with the grid (setting outermost; grid.ts): an atlas of settings that are no cartesian product.
 *                    A path may not be both in a setting and in the grid; two equal settings are refused
 *   runs             initial-condition draws per grid point (a positive integer)
 *   seed (0)         study seed; run i gets runSeed(seed, i) as init.seed (seeds.ts)
 *   early ([])       early windows e: the FTLE spectrum over steps [0, e) of every run; each e <= training.steps
 *                    and a multiple of lyapunov.qrEvery at every grid point; sorted, duplicates dropped
 *   lossCheckpoints  steps t at which C(w_t) is recorded, each <= training.steps; default (null): 0, the early
 *                    windows and training.steps of each grid point
 *   description      free text, ignored
 *
 * The grid and the settings may not set `backend` (one backend serves a whole ensemble: --backend) or `init.seed` (derived per run).
 * lyapunov.clv is refused: ensembles do not compute CLVs yet (each record's `clv` field is reserved, null).
 * Paths in the base or the grid (data.csv, init.weights) are relative to `baseDir`, the study file's folder.
 *
 * The study id (16 hex digits) is the hash of the canonical JSON of what determines the results: the grid (keys in
 * order, values), the settings (when given), runs, seed, early, lossCheckpoints, every grid point's resolved config
 * (without `backend`, `limits` and the seeds that each run replaces), and the SHA-256 of the contents of every file the
 * configs point to (data.csv, init.weights; study-files.ts), so that two datasets never share an id. Writing a field
 * with its default value, or the keys of an object in another order, does not change the id.
 */
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { type ConfigIssue, describeReceived } from "../config/errors.js";
import { readJsonFile } from "../config/json-file.js";
import { MAX_SEED, type RunConfig } from "../config/schema.js";
import { exponentCount } from "../config/shape.js";
import { fieldPath } from "../config/validate.js";
import { StudyError } from "./errors.js";
import { configPathProblem, expandGrid, type GridPoint, gridField, pointCount, settingField } from "./grid.js";
import { canonicalJson, studyIdOf } from "./seeds.js";
import { type StudyFile, type StudyFileReader, studyFiles } from "./study-files.js";

export { StudyError } from "./errors.js";

/** A validated study. */
export interface Study {
  /** The study id (see the module comment). */
  id: string;
  /** The base run config as written (validated through every grid point). */
  base: Record<string, unknown>;
  /** Config path -> values; Object.keys order is the grid order. */
  grid: Record<string, unknown[]>;
  /** Explicit settings crossed with the grid (grid.ts), or null. */
  settings: Record<string, unknown>[] | null;
  runs: number;
  seed: number;
  /** Early windows, ascending, distinct. */
  early: number[];
  /** Loss checkpoints, ascending, distinct; null: the default of each grid point (lossCheckpointsOf). */
  lossCheckpoints: number[] | null;
  /** Absolute directory that relative paths in configs are resolved against. */
  baseDir: string;
  /** Every file the configs point to, with the hash of its contents (covered by the id). */
  files: StudyFile[];
  description?: string;
}

const POSITIVE_INT = "a positive integer";
const NON_NEGATIVE_INT = "an integer >= 0";
const SEED = "an integer between 0 and 2^53";
const VALUES = "a non-empty list of values";

const positiveInt = () =>
  z.number({ error: POSITIVE_INT }).int({ error: POSITIVE_INT }).min(1, { error: POSITIVE_INT });
const nonNegativeInt = () =>
  z.number({ error: NON_NEGATIVE_INT }).int({ error: NON_NEGATIVE_INT }).min(0, { error: NON_NEGATIVE_INT });

const STUDY_KEYS = ["base", "grid", "settings", "runs", "seed", "early", "lossCheckpoints", "description"];
const SETTINGS = "a non-empty list of settings (objects mapping run-config paths to values)";

export const studySchema = z.strictObject(
  {
    base: z.record(z.string(), z.unknown(), { error: "a run-config object" }).default({}),
    grid: z
      .record(z.string(), z.array(z.unknown(), { error: VALUES }).min(1, { error: VALUES }), {
        error: "an object mapping run-config paths to lists of values",
      })
      .default({}),
    settings: z
      .array(z.record(z.string(), z.unknown(), { error: "an object mapping run-config paths to values" }), {
        error: SETTINGS,
      })
      .min(1, { error: SETTINGS })
      .nullable()
      .default(null),
    runs: positiveInt(),
    seed: z
      .number({ error: SEED })
      .refine((v) => Number.isInteger(v) && v >= 0 && v <= MAX_SEED, { error: SEED })
      .default(0),
    early: z.array(positiveInt(), { error: `a list of ${POSITIVE_INT}s` }).default([]),
    lossCheckpoints: z.array(nonNegativeInt(), { error: "a list of integers >= 0" }).nullable().default(null),
    description: z.string({ error: "a string" }).optional(),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? `known keys: ${STUDY_KEYS.join(", ")}` : "an object") },
);

/** `grid["network.activation"][1]`, `early[0]`, `base` ... from a zod path into the study file. */
function studyFieldPath(path: readonly PropertyKey[]): string {
  if (path[0] === "grid" && path.length >= 2)
    return gridField(String(path[1])) + fieldPath(path.slice(2)).replace(/^(?=[^[])/, ".");
  if (path[0] === "settings" && path.length >= 3)
    return settingField(Number(path[1]), String(path[2])) + fieldPath(path.slice(3)).replace(/^(?=[^[])/, ".");
  return fieldPath(path);
}

/** Why a path may not be set by the grid or a setting, or null. */
function settablePathProblem(key: string): string | null {
  const problem = configPathProblem(key);
  if (problem) return problem;
  if (key === "backend" || key.startsWith("backend."))
    return "one backend runs a whole ensemble: choose it with --backend";
  if (key === "init.seed" || key === "init") return "init.seed is derived from the study seed and the run index";
  return null;
}

/** Every path of the grid and the settings: settable, not in both, and no setting twice. */
function pathIssues(grid: Record<string, unknown[]>, settings: Record<string, unknown>[] | null): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(grid)) {
    const problem = settablePathProblem(key);
    if (problem) issues.push({ field: gridField(key), detail: problem });
  }
  const seen = new Map<string, number>();
  settings?.forEach((setting, i) => {
    for (const key of Object.keys(setting)) {
      const problem = Object.hasOwn(grid, key)
        ? `also a grid key: a path is set either by the grid or by the settings`
        : settablePathProblem(key);
      if (problem) issues.push({ field: settingField(i, key), detail: problem });
    }
    const text = canonicalJson(setting);
    const first = seen.get(text);
    if (first !== undefined) issues.push({ field: `settings[${i}]`, detail: `repeats settings[${first}]` });
    else seen.set(text, i);
  });
  return issues;
}

function toIssues(issue: z.core.$ZodIssue): ConfigIssue[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      field: studyFieldPath([...issue.path, key]),
      detail: `unknown key (${issue.message})`,
    }));
  }
  const field = studyFieldPath(issue.path);
  if (/^Invalid\b/.test(issue.message)) return [{ field, detail: issue.message }];
  const received = issue.input === undefined ? "the field is missing" : `received ${describeReceived(issue.input)}`;
  return [{ field, detail: `expected ${issue.message} but ${received}` }];
}

/** Sorted, distinct. */
function ascending(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * lossCheckpointsOf(study, config) -> steps
 *
 * The loss checkpoints of a run with this config: the study's list, or by default 0, the early windows and
 * training.steps.
 */
export function lossCheckpointsOf(
  study: Pick<Study, "early" | "lossCheckpoints">,
  config: GridPoint["config"],
): number[] {
  return study.lossCheckpoints ?? ascending([0, ...study.early, config.training.steps]);
}

/** Where a point is, for messages: ` at grid point 2 ({"network.activation":"relu"})`, "" without a grid. */
function at(point: GridPoint, gridKeys: number): string {
  return gridKeys === 0 ? "" : ` at grid point ${point.index} (${describeReceived(point.params)})`;
}

/** early and lossCheckpoints against every grid point's steps, qrEvery and exponent count; no lyapunov.clv. */
function checkPoints(
  raw: { early: number[]; lossCheckpoints: number[] | null },
  points: GridPoint[],
  gridKeys: number,
) {
  const issues = new Map<string, ConfigIssue>();
  const add = (field: string, detail: string) => {
    if (!issues.has(field)) issues.set(field, { field, detail });
  };
  for (const point of points) {
    const { training, lyapunov } = point.config;
    raw.early.forEach((e, i) => {
      if (e > training.steps)
        add(
          `early[${i}]`,
          `expected at most training.steps (${training.steps})${at(point, gridKeys)} but received ${e}`,
        );
      else if (e % lyapunov.qrEvery !== 0) {
        add(
          `early[${i}]`,
          `expected a multiple of lyapunov.qrEvery (${lyapunov.qrEvery})${at(point, gridKeys)} but received ${e}`,
        );
      }
    });
    if (point.config.lyapunov.clv !== undefined) {
      // trainRun would compute the CLVs of every run only to drop them: the record's clv field is reserved.
      const field = Object.keys(point.params).some((key) => key === "lyapunov" || key.startsWith("lyapunov.clv"))
        ? "grid"
        : "base.lyapunov.clv";
      add(field, "covariant Lyapunov vectors are not computed in ensembles (yet): remove lyapunov.clv");
    }
    if (raw.early.length > 0 && exponentCount(point.config) === 0) {
      add("early", `early windows need Lyapunov exponents, but lyapunov.exponents is 0${at(point, gridKeys)}`);
    }
    raw.lossCheckpoints?.forEach((t, i) => {
      if (t > training.steps)
        add(
          `lossCheckpoints[${i}]`,
          `expected at most training.steps (${training.steps})${at(point, gridKeys)} but received ${t}`,
        );
    });
  }
  return [...issues.values()];
}

/** What the study id hashes (module comment). */
function identity(study: Omit<Study, "id">, points: GridPoint[]): unknown {
  return {
    format: "weightdyn-study/1",
    // Only when there are files, so that the ids of studies without files stay what they were.
    ...(study.files.length > 0 ? { files: study.files.map((f) => [f.path, f.sha256]) } : {}),
    grid: Object.entries(study.grid),
    // Absent without settings, so that the ids of studies written before settings existed stay the same.
    ...(study.settings === null ? {} : { settings: study.settings }),
    runs: study.runs,
    seed: study.seed,
    early: study.early,
    lossCheckpoints: study.lossCheckpoints,
    configs: points.map(({ config }) => {
      // Neither the backend nor the limits change a run's results.
      const { backend: _backend, limits: _limits, ...rest } = config;
      const init = "seed" in config.init ? { ...config.init, seed: null } : config.init;
      const lyapunov = config.lyapunov.basis === "random" ? { ...config.lyapunov, basisSeed: null } : config.lyapunov;
      return { ...rest, init, lyapunov, training: trainingIdentity(config.training) };
    }),
  };
}

/**
 * The training section as the id sees it: the fields added with the optimizers (optimizer, batchSize, batchSeed,
 * schedule) are left out while they hold the values that reproduce plain full-batch gradient descent, so the studies
 * made before them keep their ids (their results are bit for bit the same).
 */
function trainingIdentity(training: RunConfig["training"]): Record<string, unknown> {
  const { optimizer, batchSize, batchSeed, schedule, ...rest } = training;
  return {
    ...rest,
    ...(optimizer.name === "gd" ? {} : { optimizer }),
    ...(batchSize === null ? {} : { batchSize, batchSeed }),
    ...(schedule === null ? {} : { schedule }),
  };
}

/**
 * parseStudy(raw, baseDir) -> Study
 *
 * Validates a parsed study file (module comment): its own fields, every grid path against the run-config schema,
 * every grid point's config (parseRunConfig), and early / lossCheckpoints against every point, and hashes every file
 * the configs point to (through `readFile`, default: from disk; study-files.ts). Throws a StudyError (a ConfigError;
 * exit code 2 in the CLI) listing every problem, each naming its field. `baseDir` (default: the current directory)
 * is where relative paths in the configs are resolved.
 */
export function parseStudy(raw: unknown, baseDir: string = process.cwd(), readFile?: StudyFileReader): Study {
  const parsed = studySchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new StudyError(parsed.error.issues.flatMap(toIssues));
  const s = parsed.data;
  const badPaths = pathIssues(s.grid, s.settings);
  if (badPaths.length > 0) throw new StudyError(badPaths);
  const points = expandGrid({ base: s.base, grid: s.grid, settings: s.settings });
  const timeIssues = checkPoints(s, points, Object.keys(s.grid).length + (s.settings === null ? 0 : 1));
  if (timeIssues.length > 0) throw new StudyError(timeIssues);
  const absolute = resolve(baseDir);
  const study: Omit<Study, "id"> = {
    base: s.base,
    grid: s.grid,
    settings: s.settings,
    runs: s.runs,
    seed: s.seed,
    early: ascending(s.early),
    lossCheckpoints: s.lossCheckpoints === null ? null : ascending(s.lossCheckpoints),
    baseDir: absolute,
    files: studyFiles(points, absolute, readFile),
    ...(s.description === undefined ? {} : { description: s.description }),
  };
  return { id: studyIdOf(identity(study, points)), ...study };
}

/**
 * loadStudyFile(path) -> Study
 *
 * Reads and validates a study file; relative paths in it are resolved against its folder. A missing file or
 * malformed JSON is a StudyError with field "" naming the file.
 */
export function loadStudyFile(path: string): Study {
  const absolute = resolve(path);
  const raw = readJsonFile(absolute, "study file", (detail, cause) => new StudyError("", detail, { cause }));
  return parseStudy(raw, dirname(absolute));
}

/** Number of runs of a study: points (settings x grid) x runs. */
export function totalRuns(study: Pick<Study, "grid" | "runs"> & { settings?: Study["settings"] }): number {
  return pointCount(study) * study.runs;
}
