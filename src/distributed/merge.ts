/**
 * `weightdyn merge`: combines the output directories of the shards of one study into one.
 *
 *   mergeShards(dirs, { outDir, allowIncomplete, onWarning }) -> MergeResult
 *
 * Checks, before anything is written:
 *   - every directory holds an ensemble output (study.json) of one and the same study id; shards of different
 *     studies are refused, naming each directory and its study;
 *   - every complete line of every runs.ndjson is a run of that study (a trailing partial line, left by a shard
 *     killed mid-write, is skipped with a warning: that run counts as missing);
 *   - a run found in several directories is kept once when the copies are equal (wallTimeSeconds aside: the
 *     warning says how many were collapsed) and refused when they differ (the message names the run and the
 *     directories);
 *   - every run of the study is present; missing runs are refused (listed as index ranges, with the shards that
 *     were not given), unless allowIncomplete, which writes what there is: the merged directory can then be
 *     completed with `weightdyn ensemble --config study.json --out DIR --resume`.
 * Writes DIR/study.json (the study's header, without a shard, with `mergedFrom`) and DIR/runs.ndjson, sorted by
 * run index, each through a temporary file renamed into place. Lines are copied byte for byte from the shards.
 *
 * Memory: a few numbers per run (the line's file, offset, length and a hash of its content), never the records
 * themselves, so a merge of 10^6 runs fits in a small machine.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { EnsembleOutputError } from "../ensemble/errors.js";
import type { RunRecord } from "../ensemble/record.js";
import { canonicalJson } from "../ensemble/seeds.js";
import { RUNS_FILE, readRuns, STUDY_FILE, type StudyHeader } from "../ensemble/store.js";
import { writeFileAtomic } from "../io/atomic.js";
import { lockDirectory } from "../io/dir-lock.js";
import { DistributedInputError } from "./errors.js";
import { forEachLine } from "./lines.js";

export interface MergeOptions {
  outDir: string;
  /** Write the runs there are even when some are missing (default false: refuse). */
  allowIncomplete?: boolean;
  onWarning?: (message: string) => void;
}

export interface MergeResult {
  studyId: string;
  outDir: string;
  total: number;
  /** Runs written. */
  written: number;
  /** Equal copies of a run dropped. */
  duplicates: number;
  /** Runs of the study found in no directory. */
  missing: number;
  /** Each input: its directory, its shard (or null) and its number of runs. */
  sources: { dir: string; shard: { index: number; count: number } | null; runs: number }[];
}

/** "0-4, 7, 9-12" (at most `limit` ranges, then "and N more"). */
export function formatRanges(indices: readonly number[], limit = 20): string {
  const ranges: string[] = [];
  for (let i = 0; i < indices.length; ) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j] + 1) j++;
    ranges.push(i === j ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return ranges.length <= limit
    ? ranges.join(", ")
    : `${ranges.slice(0, limit).join(", ")} and ${ranges.length - limit} more ranges`;
}

function header(dir: string): StudyHeader {
  if (!existsSync(join(dir, STUDY_FILE))) {
    throw new DistributedInputError(`merge: ${dir} holds no ${STUDY_FILE}: not the output of weightdyn ensemble`);
  }
  try {
    const h = readRuns(dir).header as StudyHeader;
    if (typeof h?.studyId !== "string" || !Number.isInteger(h.totalRuns)) throw new Error("no study id");
    return h;
  } catch (err) {
    if (err instanceof EnsembleOutputError) throw new DistributedInputError(`merge: ${err.message}`, { cause: err });
    throw new DistributedInputError(`merge: ${join(dir, STUDY_FILE)}: not a study header`, { cause: err });
  }
}

/** Hash of a record without its wall time: equal runs computed twice hash alike. */
function contentHash(record: RunRecord): string {
  const { wallTimeSeconds: _t, ...rest } = record;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex").slice(0, 32);
}

export function mergeShards(dirs: readonly string[], options: MergeOptions): MergeResult {
  const warn = options.onWarning ?? (() => {});
  if (dirs.length === 0) throw new DistributedInputError("merge: no directories given");
  const outDir = options.outDir;
  for (const dir of dirs) {
    if (resolve(dir) === resolve(outDir)) {
      throw new DistributedInputError(`merge: --out ${outDir} is also an input: write the merge to a new directory`);
    }
  }
  const headers = dirs.map(header);
  const studyId = headers[0].studyId;
  if (headers.some((h) => h.studyId !== studyId)) {
    const lines = dirs.map((dir, i) => `${dir}: study ${headers[i].studyId}`).join("; ");
    throw new DistributedInputError(`merge: the directories hold different studies (${lines}): refusing to merge`);
  }
  const total = headers[0].totalRuns;
  const counts = new Set(headers.filter((h) => h.shard).map((h) => h.shard?.count));
  if (counts.size > 1) warn(`the directories were cut into different numbers of shards (${[...counts].join(", ")})`);

  // Where each run's line is: source directory (-1: none), byte offset, length, content hash.
  const source = new Int32Array(total).fill(-1);
  const offset = new Float64Array(total);
  const length = new Int32Array(total);
  const hashes: string[] = new Array(total);
  const conflicts: string[] = [];
  let duplicates = 0;
  const sources: MergeResult["sources"] = [];
  dirs.forEach((dir, d) => {
    const path = join(dir, RUNS_FILE);
    let runs = 0;
    const partial = !existsSync(path)
      ? false
      : forEachLine(path, (line, at, bytes, lineNumber) => {
          let record: RunRecord;
          try {
            record = JSON.parse(line) as RunRecord;
          } catch (err) {
            throw new DistributedInputError(
              `merge: ${path}:${lineNumber}: not a run record (${(err as Error).message})`,
            );
          }
          const index = record?.index;
          if (record?.studyId !== studyId || !Number.isInteger(index) || index < 0 || index >= total) {
            throw new DistributedInputError(`merge: ${path}:${lineNumber}: not a run of study ${studyId}`);
          }
          runs++;
          const hash = contentHash(record);
          if (source[index] >= 0) {
            if (hashes[index] === hash) duplicates++;
            else if (conflicts.length < 20) conflicts.push(`run ${index} (${dirs[source[index]]} and ${dir})`);
            else conflicts.push("");
            return;
          }
          source[index] = d;
          offset[index] = at;
          length[index] = bytes;
          hashes[index] = hash;
        });
    if (partial) warn(`${path} ends in a partial line (a run killed while being written): skipped`);
    sources.push({ dir, shard: headers[d].shard ?? null, runs });
  });
  if (conflicts.length > 0) {
    const shown = conflicts.filter((c) => c !== "");
    const more = conflicts.length - shown.length;
    throw new DistributedInputError(
      `merge: ${conflicts.length} run${conflicts.length === 1 ? " differs" : "s differ"} between directories: ` +
        `${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}; refusing to merge`,
    );
  }
  if (duplicates > 0) warn(`${duplicates} run${duplicates === 1 ? "" : "s"} found twice with equal results: kept once`);
  const missing: number[] = [];
  for (let i = 0; i < total; i++) if (source[i] < 0) missing.push(i);
  if (missing.length > 0) {
    const shardCount = [...counts][0];
    const given = new Set(headers.filter((h) => h.shard?.count === shardCount).map((h) => h.shard?.index));
    const absent =
      shardCount === undefined ? [] : Array.from({ length: shardCount }, (_, i) => i).filter((i) => !given.has(i));
    const shardNote =
      absent.length > 0
        ? ` (shard${absent.length === 1 ? "" : "s"} ${absent.join(", ")} of ${shardCount} not given)`
        : "";
    const message = `${missing.length} of ${total} runs are missing: ${formatRanges(missing)}${shardNote}`;
    if (!options.allowIncomplete) {
      throw new DistributedInputError(`merge: ${message}; refusing to merge (--allow-incomplete writes the rest)`);
    }
    warn(message);
  }
  writeMerged(outDir, dirs, headers[0], { source, offset, length });
  return { studyId, outDir, total, written: total - missing.length, duplicates, missing: missing.length, sources };
}

function writeMerged(
  outDir: string,
  dirs: readonly string[],
  first: StudyHeader,
  where: { source: Int32Array; offset: Float64Array; length: Int32Array },
): void {
  // Locked while written (io/dir-lock.ts): a merge and an ensemble never write one directory at once.
  const lock = lockDirectory(outDir, { what: `merge of study ${first.studyId}` });
  try {
    writeLocked(outDir, dirs, first, where);
  } finally {
    lock.release();
  }
}

function writeLocked(
  outDir: string,
  dirs: readonly string[],
  first: StudyHeader,
  where: { source: Int32Array; offset: Float64Array; length: Int32Array },
): void {
  const runsPath = join(outDir, RUNS_FILE);
  if (existsSync(runsPath) && statSync(runsPath).size > 0) {
    throw new DistributedInputError(`merge: ${runsPath} already holds runs: choose another --out`);
  }
  const { shard: _shard, ...rest } = first;
  writeFileAtomic(
    join(outDir, STUDY_FILE),
    `${JSON.stringify({ ...rest, mergedFrom: dirs.map((d) => resolve(d)) }, null, 2)}\n`,
  );
  const temp = join(outDir, `.${RUNS_FILE}.${process.pid}.tmp`);
  const fds = dirs.map((dir) => (existsSync(join(dir, RUNS_FILE)) ? openSync(join(dir, RUNS_FILE), "r") : -1));
  const out = openSync(temp, "w");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let used = 0;
    const flush = () => {
      for (let done = 0; done < used; ) done += writeSync(out, buffer, done, used - done);
      used = 0;
    };
    for (let i = 0; i < where.source.length; i++) {
      const d = where.source[i];
      if (d < 0) continue;
      const n = where.length[i];
      if (used + n > buffer.length) flush();
      const target = n > buffer.length ? Buffer.allocUnsafe(n) : buffer;
      const at = target === buffer ? used : 0;
      readSync(fds[d], target, at, n, where.offset[i]);
      if (target === buffer) used += n;
      else for (let done = 0; done < n; ) done += writeSync(out, target, done, n - done);
    }
    flush();
    fsyncSync(out);
  } catch (err) {
    closeSync(out);
    rmSync(temp, { force: true });
    throw err;
  } finally {
    for (const fd of fds) if (fd >= 0) closeSync(fd);
  }
  closeSync(out);
  renameSync(temp, runsPath);
}
