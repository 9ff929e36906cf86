/**
 * The files a study's run configs point to (data.csv, init.weights, training.schedule) and the content hashes the study id covers.
 *
 *   configFiles(config) -> [{ field, path }]                  the paths a config reads, as written
 *   studyFiles(points, baseDir, read?) -> StudyFile[]          every distinct path with the SHA-256 of its contents
 *   changedFiles(before, now) -> text | null                   what differs, for the message of a refused resume
 *
 * Two studies whose configs are equal but whose data files differ compute different runs, so the study id hashes
 * the contents of every file as well (study.ts): a resumed study, a merged shard or a queued study then can never
 * mix the runs of two datasets under one id. A path is keyed as written in the study (relative to the study file),
 * so a study copied with its files elsewhere keeps its id. `read` supplies the contents: from disk by default
 * (readInputFile: a regular file of bounded size), from the study spec on a queue worker, which never opens a path
 * named by what it received through Redis (study-spec.ts).
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { ConfigIssue } from "../config/errors.js";
import type { RunConfig } from "../config/schema.js";
import { InputFileError, readInputFile } from "../io/input-file.js";
import { StudyError } from "./errors.js";
import { type GridPoint, studyIssue } from "./grid.js";

/** A file of a study: its path as written, the config field that names it, the SHA-256 (hex) of its contents. */
export interface StudyFile {
  path: string;
  field: "data.csv" | "init.weights" | "training.schedule";
  sha256: string;
}

/** The file paths a config reads, as written. */
export function configFiles(
  config: Pick<RunConfig, "data" | "init" | "training">,
): { field: StudyFile["field"]; path: string }[] {
  const out: { field: StudyFile["field"]; path: string }[] = [];
  if ("csv" in config.data) out.push({ field: "data.csv", path: config.data.csv });
  if ("weights" in config.init) out.push({ field: "init.weights", path: config.init.weights });
  if (config.training.schedule !== null) out.push({ field: "training.schedule", path: config.training.schedule });
  return out;
}

/** Reads a file of the study (path as written); throws InputFileError (or any error with a message). */
export type StudyFileReader = (path: string) => string;

/**
 * studyFiles(points, baseDir, read) -> the distinct files of every grid point, sorted by path
 *
 * A file that cannot be read is a StudyError naming the study field (`base.data.csv`, `grid["data"][0].csv`).
 */
export function studyFiles(
  points: readonly GridPoint[],
  baseDir: string,
  read: StudyFileReader = (path) => readInputFile(resolve(baseDir, path)),
): StudyFile[] {
  const files = new Map<string, StudyFile>();
  const issues = new Map<string, ConfigIssue>();
  for (const point of points) {
    for (const { field, path } of configFiles(point.config)) {
      if (files.has(path)) continue;
      let text: string;
      try {
        text = read(path);
      } catch (err) {
        const detail = err instanceof InputFileError ? err.detail : err instanceof Error ? err.message : String(err);
        const named = studyIssue({ field, detail: `cannot read ${path}: ${detail}` }, point.sources);
        issues.set(`${named.field}\n${named.detail}`, named);
        continue;
      }
      files.set(path, { path, field, sha256: createHash("sha256").update(text, "utf8").digest("hex") });
    }
  }
  if (issues.size > 0) throw new StudyError([...issues.values()]);
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * changedFiles(before, now) -> e.g. `data.csv d.csv changed (content 3f2a9c01..., now 77b0e4d2...)`, or null
 *
 * What differs between the files of a study as recorded (before) and as they are now; null when they agree.
 */
export function changedFiles(before: readonly StudyFile[] | undefined, now: readonly StudyFile[]): string | null {
  if (before === undefined) return null;
  const old = new Map(before.map((f) => [f.path, f]));
  const parts: string[] = [];
  for (const f of now) {
    const was = old.get(f.path);
    if (!was) parts.push(`${f.field} ${f.path} is new`);
    else if (was.sha256 !== f.sha256) {
      parts.push(`${f.field} ${f.path} changed (content ${was.sha256.slice(0, 8)}..., now ${f.sha256.slice(0, 8)}...)`);
    }
    old.delete(f.path);
  }
  for (const f of old.values()) parts.push(`${f.field} ${f.path} is no longer used`);
  return parts.length > 0 ? parts.join("; ") : null;
}
