/**
 * A study as it travels through Redis: everything a worker on another machine needs, data files included.
 *
 *   queuedStudy(study, points, batch) -> QueuedStudy      on the coordinator (reads every data and weights file)
 *   restoreStudy(spec, workDir) -> { study, points }      on a worker (writes the files under workDir, re-parses)
 *
 * The study goes as its fields (base, grid, runs, seed, early, lossCheckpoints), not as a path, so that a worker
 * needs only the Redis URL. Files that configs point to (data.csv, init.weights) travel with it, keyed by the path
 * as written in the study: the worker writes each one where that relative path resolves from a fresh directory
 * under `workDir` (deep enough for leading `..`), then parses the study against that directory. Nothing in a run
 * record depends on where a file lives, so the records are the same as on the coordinator's machine. Absolute
 * paths cannot be recreated elsewhere and are refused: queue mode needs paths relative to the study file.
 *
 * The worker re-derives the study id from the fields and files it received and refuses the study when it differs from
 * the coordinator's id: a worker whose weightdyn resolves configs differently (another version, other defaults)
 * would otherwise compute other runs under the same id. The id covers the file contents (study-files.ts), so a queue
 * left in Redis for other data files has another id and is never mixed in.
 *
 * A spec comes from Redis, which anyone who can reach it may write: the worker never opens a path that a spec names.
 * The study is parsed with a reader that takes file contents from the spec only (a config path missing from it is
 * refused), and the files are written only inside the worker's own directory (a path that would leave it is
 * refused), so the runs read nothing but what came with the study.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { isAbsolute, join, posix, resolve, sep } from "node:path";
import { StudyError } from "../ensemble/errors.js";
import { expandGrid, type GridPoint } from "../ensemble/grid.js";
import { weightdynVersion } from "../ensemble/store.js";
import { parseStudy, type Study, totalRuns } from "../ensemble/study.js";
import { configFiles } from "../ensemble/study-files.js";
import { InputFileError, readInputFile } from "../io/input-file.js";
import { DistributedInputError, QueueRunError } from "./errors.js";
import { MAX_BATCH } from "./jobs.js";

export const SPEC_FORMAT = "weightdyn-queued-study/1";

/** What the coordinator stores under weightdyn:study:<id> (JSON). */
export interface QueuedStudy {
  format: typeof SPEC_FORMAT;
  studyId: string;
  /** The coordinator's weightdyn version (informative: the id check is what guards against skew). */
  weightdynVersion: string;
  /** The study's fields, as parseStudy accepts them. */
  study: Pick<Study, "base" | "grid" | "runs" | "seed" | "early" | "lossCheckpoints" | "description"> & {
    /** Absent for a study without settings (and from coordinators that predate them). */
    settings?: Study["settings"];
  };
  /** Path as written in the configs -> file contents (UTF-8). */
  files: Record<string, string>;
  totalRuns: number;
  /** Runs per job (jobs.ts). */
  batch: number;
}

/**
 * queuedStudy(study, points, batch) -> QueuedStudy
 *
 * Reads every file the grid points use (module comment). An absolute path is a DistributedInputError naming the
 * field; an unreadable file is a StudyError (checkStudyFiles has normally caught it before).
 */
export function queuedStudy(study: Study, points: GridPoint[], batch: number): QueuedStudy {
  const files: Record<string, string> = {};
  for (const point of points) {
    for (const { field, path } of configFiles(point.config)) {
      if (Object.hasOwn(files, path)) continue;
      if (isAbsolute(path)) {
        throw new DistributedInputError(
          `--queue: ${field} is the absolute path ${JSON.stringify(path)}: queue mode sends files to the workers ` +
            "by their path relative to the study file; write it relative to the study file",
        );
      }
      try {
        files[path] = readInputFile(resolve(study.baseDir, path));
      } catch (err) {
        const detail = err instanceof InputFileError ? err.detail : String(err);
        throw new StudyError(field, `cannot read ${path}: ${detail}`, { cause: err });
      }
    }
  }
  const { base, grid, settings, runs, seed, early, lossCheckpoints, description } = study;
  return {
    format: SPEC_FORMAT,
    studyId: study.id,
    weightdynVersion: weightdynVersion(),
    study: {
      base,
      grid,
      ...(settings === null ? {} : { settings }),
      runs,
      seed,
      early,
      lossCheckpoints,
      ...(description === undefined ? {} : { description }),
    },
    files,
    totalRuns: totalRuns(study),
    batch,
  };
}

/** Number of leading `..` segments of a normalised relative path. */
function ups(path: string): number {
  const parts = posix.normalize(path.split(sep).join("/")).split("/");
  let n = 0;
  while (n < parts.length && parts[n] === "..") n++;
  return n;
}

/**
 * restoreStudy(spec, workDir, { memoryCap }) -> { study, points }
 *
 * memoryCap (bytes) bounds the memory budget of every run (limits.memoryBudget, which the spec sets): a worker
 * plans each run against at most what it allows.
 * Writes the spec's files under workDir (module comment), parses its study against the directory they resolve
 * from, and checks the study id. A spec that is not one, or whose id this weightdyn does not reproduce, is a
 * QueueRunError saying why.
 */
export function restoreStudy(
  spec: QueuedStudy,
  workDir: string,
  options: { memoryCap?: number } = {},
): { study: Study; points: GridPoint[] } {
  if (spec?.format !== SPEC_FORMAT) {
    throw new QueueRunError(
      `not a weightdyn study spec (format ${JSON.stringify(spec?.format)}, expected ${SPEC_FORMAT})`,
    );
  }
  if (spec.files === null || typeof spec.files !== "object" || Array.isArray(spec.files)) {
    throw new QueueRunError(`study ${spec.studyId}: the spec's files are not an object of path -> contents`);
  }
  if (!Number.isInteger(spec.batch) || spec.batch < 1 || spec.batch > MAX_BATCH) {
    throw new QueueRunError(`study ${spec.studyId}: the spec's batch is not an integer in 1..${MAX_BATCH}`);
  }
  const depth = Math.max(0, ...Object.keys(spec.files).map(ups));
  const baseDir = join(workDir, "study", ...Array.from({ length: depth }, (_, i) => `up${i}`));
  mkdirSync(baseDir, { recursive: true });
  const root = resolve(workDir) + sep;
  for (const [path, text] of Object.entries(spec.files)) {
    const target = resolve(baseDir, path);
    if (isAbsolute(path) || !target.startsWith(root)) {
      throw new QueueRunError(`study ${spec.studyId}: file path ${JSON.stringify(path)} leaves the work directory`);
    }
    mkdirSync(resolve(target, ".."), { recursive: true });
    writeFileSync(target, text);
  }
  // File contents from the spec only: a path the spec names but did not send is refused, never read from disk.
  const fromSpec = (path: string): string => {
    if (!Object.hasOwn(spec.files, path) || typeof spec.files[path] !== "string") {
      throw new Error("the file did not come with the study (a worker reads no file a spec names)");
    }
    return spec.files[path];
  };
  const study = parseStudy(spec.study, baseDir, fromSpec);
  if (study.id !== spec.studyId) {
    throw new QueueRunError(
      `study ${spec.studyId}: this worker's weightdyn (${weightdynVersion()}) derives the study id ${study.id} from ` +
        `it, the coordinator's (${spec.weightdynVersion}) ${spec.studyId}: run the same weightdyn version on both`,
    );
  }
  if (spec.totalRuns !== totalRuns(study)) {
    throw new QueueRunError(
      `study ${spec.studyId}: the spec says ${spec.totalRuns} runs, its study has ${totalRuns(study)}`,
    );
  }
  // limits.memoryBudget came from Redis too (it is not part of the id): never above what this worker allows.
  const cap = options.memoryCap ?? Number.POSITIVE_INFINITY;
  const points = expandGrid(study).map((p) =>
    p.config.limits.memoryBudget <= cap
      ? p
      : { ...p, config: { ...p.config, limits: { ...p.config.limits, memoryBudget: cap } } },
  );
  return { study, points };
}
