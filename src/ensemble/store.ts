/**
 * The output directory of an ensemble: study.json and runs.ndjson.
 *
 *   study.json    the resolved study (studyHeader): study id, weightdyn version, the study as parsed, the grid order
 *                 and seed rule, and every grid point with its params and resolved config. Written (atomically) when
 *                 the ensemble starts; a resumed ensemble keeps the existing file.
 *   runs.ndjson   one RunRecord per line (record.ts), appended in completion order as each run finishes, with one
 *                 write(2) per line on a file opened for appending, so a killed ensemble leaves whole lines and at
 *                 most one trailing partial line.
 *
 *   RunStore.open(dir, header, { resume }) -> store        store.done: indices already in runs.ndjson; store.append
 *   readRuns(dir) -> { header, runs, partialLine }         for readers (predict, reports); does not modify anything
 *
 * Resuming reads runs.ndjson, truncates a trailing partial line (the run that was being written when the process
 * died; it is run again), and refuses a directory whose study id (in study.json or in any line) differs from the
 * study's. Without resume, a directory that already holds runs is refused rather than appended to.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { packageManifest } from "../backend/root.js";
import { writeFileAtomic } from "../io/atomic.js";
import { EnsembleOutputError } from "./errors.js";
import type { GridPoint } from "./grid.js";
import type { RunRecord } from "./record.js";
import { type Study, totalRuns } from "./study.js";
import { changedFiles } from "./study-files.js";

export const STUDY_FILE = "study.json";
export const RUNS_FILE = "runs.ndjson";

/** The contents of study.json. */
export interface StudyHeader {
  format: "weightdyn-ensemble/1";
  studyId: string;
  weightdynVersion: string;
  study: Omit<Study, "id" | "baseDir">;
  baseDir: string;
  gridPoints: number;
  totalRuns: number;
  gridOrder: string;
  seedRule: string;
  points: { gridPoint: number; params: Record<string, unknown>; config: GridPoint["config"] }[];
  /** Set when the directory holds one shard of the study: the runs whose index is `index` mod `count`. */
  shard?: { index: number; count: number };
}

/** "shard 1/4 of study <id>" or "study <id>", for messages. */
function describeHolding(header: Pick<StudyHeader, "studyId" | "shard">): string {
  return header.shard
    ? `shard ${header.shard.index}/${header.shard.count} of study ${header.studyId}`
    : `study ${header.studyId}`;
}

/** The version in weightdyn's package.json ("0.0.0" when it cannot be read). */
export function weightdynVersion(): string {
  return packageManifest().version ?? "0.0.0";
}

/** The study.json of a study. */
export function studyHeader(study: Study, points: GridPoint[]): StudyHeader {
  const { id, baseDir, ...rest } = study;
  return {
    format: "weightdyn-ensemble/1",
    studyId: id,
    weightdynVersion: weightdynVersion(),
    study: rest,
    baseDir,
    gridPoints: points.length,
    totalRuns: totalRuns(study),
    gridOrder:
      "cartesian product of the grid's value lists in key order, last key fastest; run index = gridPoint * runs + draw",
    seedRule: "seed = runSeed(study seed, index): the (index+1)-th splitmix64 output seeded with the study seed, >> 11",
    points: points.map((p) => ({ gridPoint: p.index, params: p.params, config: p.config })),
  };
}

/** The complete lines of runs.ndjson text and the byte length they span; text after the last newline is partial. */
function splitLines(text: string): { lines: string[]; completeBytes: number; partial: boolean } {
  const end = text.lastIndexOf("\n") + 1;
  const lines = text.slice(0, end).split("\n");
  lines.pop();
  return { lines, completeBytes: Buffer.byteLength(text.slice(0, end)), partial: end < text.length };
}

function parseLine(line: string, lineNumber: number, path: string): RunRecord {
  try {
    const value = JSON.parse(line) as RunRecord;
    if (typeof value !== "object" || value === null || !Number.isInteger(value.index)) throw new Error("no run index");
    return value;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new EnsembleOutputError(`${path}:${lineNumber}: not a run record (${reason})`);
  }
}

function readHeader(path: string): StudyHeader {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as StudyHeader;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new EnsembleOutputError(`${path}: not a study header (${reason})`, { cause: err });
  }
}

/**
 * readRuns(dir) -> { header, runs, partialLine }
 *
 * The study header (null when study.json is absent) and every complete record of DIR/runs.ndjson in file order;
 * `partialLine` is true when the file ends in an unfinished line, which is ignored. A complete line that is not a
 * record is an EnsembleOutputError naming the file and line.
 */
export function readRuns(dir: string): { header: StudyHeader | null; runs: RunRecord[]; partialLine: boolean } {
  const studyPath = join(dir, STUDY_FILE);
  const runsPath = join(dir, RUNS_FILE);
  const header = existsSync(studyPath) ? readHeader(studyPath) : null;
  if (!existsSync(runsPath)) return { header, runs: [], partialLine: false };
  const { lines, partial } = splitLines(readFileSync(runsPath, "utf8"));
  const runs = lines.map((line, i) => parseLine(line, i + 1, runsPath));
  return { header, runs, partialLine: partial };
}

/** Appends run records to DIR/runs.ndjson (module comment). */
export class RunStore {
  private fd: number | null;

  private constructor(
    readonly dir: string,
    /** Indices of the runs already recorded (resume). */
    readonly done: ReadonlySet<number>,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * RunStore.open(dir, header, { resume })
   *
   * Creates DIR, checks or writes study.json, and opens runs.ndjson for appending (module comment). Throws an
   * EnsembleOutputError when DIR holds another study, or holds runs and resume is false.
   */
  static open(dir: string, header: StudyHeader, options: { resume?: boolean } = {}): RunStore {
    const studyPath = join(dir, STUDY_FILE);
    const runsPath = join(dir, RUNS_FILE);
    mkdirSync(dir, { recursive: true });
    const done = new Set<number>();
    const hasRuns = existsSync(runsPath) && readFileSync(runsPath).length > 0;
    if (!options.resume && hasRuns) {
      throw new EnsembleOutputError(`${runsPath} already holds runs: resume that study or choose another directory`);
    }
    if (options.resume && existsSync(studyPath)) {
      const stored = readHeader(studyPath);
      const previous = stored.studyId;
      if (previous !== header.studyId) {
        // The most common cause, said plainly: the same study file, another dataset.
        const changed = changedFiles(stored.study?.files, header.study.files);
        const why = changed === null ? "" : ` (made with other data: ${changed})`;
        throw new EnsembleOutputError(
          `${dir} holds study ${String(previous)} but this study is ${header.studyId}${why}: refusing to mix two ` +
            "studies; use another output directory",
        );
      }
      if (JSON.stringify(stored.shard ?? null) !== JSON.stringify(header.shard ?? null)) {
        throw new EnsembleOutputError(
          `${dir} holds ${describeHolding(stored)} but this is ${describeHolding(header)}: refusing to mix them`,
        );
      }
    }
    if (options.resume && hasRuns) {
      const { lines, completeBytes, partial } = splitLines(readFileSync(runsPath, "utf8"));
      lines.forEach((line, i) => {
        const record = parseLine(line, i + 1, runsPath);
        if (record.studyId !== header.studyId) {
          throw new EnsembleOutputError(
            `${runsPath}:${i + 1}: a run of study ${record.studyId}, not ${header.studyId}: refusing to mix two studies`,
          );
        }
        if (record.index < 0 || record.index >= header.totalRuns) {
          throw new EnsembleOutputError(`${runsPath}:${i + 1}: run index ${record.index} is not in this study`);
        }
        done.add(record.index);
      });
      // The partial line of a run killed mid-write goes; that run is done again.
      if (partial) truncateSync(runsPath, completeBytes);
    }
    if (!options.resume || !existsSync(studyPath)) writeFileAtomic(studyPath, `${JSON.stringify(header, null, 2)}\n`);
    return new RunStore(dir, done, openSync(runsPath, "a"));
  }

  /** Appends one record as one line with one write (loops only if the kernel writes less). */
  append(record: RunRecord): void {
    if (this.fd === null) throw new Error("RunStore: append after close");
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`, "utf8");
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
