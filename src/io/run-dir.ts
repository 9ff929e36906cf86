/**
 * The output directory of `weightdyn run` as one unit: it holds the files of one run, never a mix of two.
 *
 *   const out = openRunDir(dir)   locks dir (dir-lock.ts); out.staging is a fresh directory inside it
 *   ...                           every output goes to out.staging (the CLV files are streamed there during the run)
 *   out.commit()                  the staged set replaces the previous run's set
 *   out.close()                   releases the lock; drops the staging directory if nothing was committed
 *
 * Commit order: the previous run's summary.json goes first (a directory without one holds no complete run), then
 * its other run files that the new run does not write, then the new files are renamed in (one file system: each
 * rename is atomic), summary.json last, and the directory is fsynced. A run killed before its commit leaves the
 * previous run whole (and a staging directory, which the next run removes); one killed within the commit, a few
 * renames long, leaves no summary.json. Only run outputs (RUN_OUTPUT_FILES, CLV_FILES) are ever replaced or removed;
 * other files in the directory are left alone.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CLV_FILES } from "./clv-outputs.js";
import { type DirLock, lockDirectory } from "./dir-lock.js";
import { RUN_OUTPUT_FILES } from "./outputs.js";

export const STAGING_DIR = ".weightdyn-staging";
const RUN_FILES: readonly string[] = [...Object.values(RUN_OUTPUT_FILES), ...Object.values(CLV_FILES)];

export interface RunDir {
  /** Where this run writes its outputs until commit(). */
  readonly staging: string;
  commit(): void;
  close(): void;
}

/** Flushes a directory's entries (renames, removals) to disk; a no-op where directories cannot be opened. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Not every platform lets a directory be opened or fsynced; the renames are atomic either way.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * openRunDir(dir) -> RunDir (module comment)
 *
 * Creates and locks `dir`; throws DirLockedError when another live process writes into it. A staging directory left
 * by a killed run is removed (the lock says no one else writes here).
 */
export function openRunDir(dir: string): RunDir {
  const lock: DirLock = lockDirectory(dir, { what: "run" });
  const staging = join(dir, STAGING_DIR);
  try {
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    staging,
    commit() {
      const incoming = new Set(readdirSync(staging).filter((name) => RUN_FILES.includes(name)));
      rmSync(join(dir, RUN_OUTPUT_FILES.summary), { force: true });
      for (const name of RUN_FILES) if (!incoming.has(name)) rmSync(join(dir, name), { force: true });
      for (const name of incoming)
        if (name !== RUN_OUTPUT_FILES.summary) renameSync(join(staging, name), join(dir, name));
      if (incoming.has(RUN_OUTPUT_FILES.summary)) {
        renameSync(join(staging, RUN_OUTPUT_FILES.summary), join(dir, RUN_OUTPUT_FILES.summary));
      }
      fsyncDir(dir);
    },
    close() {
      try {
        rmSync(staging, { recursive: true, force: true });
      } finally {
        lock.release();
      }
    },
  };
}
