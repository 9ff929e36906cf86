/**
 * One writer per output directory: while a run, an ensemble, a shard, a queue coordinator or a merge writes into DIR,
 * DIR/.weightdyn.lock names it, and every other weightdyn process that would write there is refused.
 *
 *   lockDirectory(dir, { what }) -> DirLock      creates dir if needed; or throws DirLockedError naming the holder
 *   lock.release()                              (also done when the process exits normally)
 *
 * The lock file is created with O_EXCL (atomic on local file systems and NFSv3+) and holds JSON:
 * { pid, host, token, procStart, since, what }. An existing lock is stale, and is taken over, when its holder ran on
 * this host and its process is gone: kill(pid, 0) fails with ESRCH, or (Linux) the process now holding that pid
 * started at another time than the holder did (`procStart`, field 22 of /proc/<pid>/stat), i.e. the pid was reused.
 * A lock of another host is never judged stale (that host may be alive); the error says how to remove it by hand
 * when its holder is known to be dead. A lock file that cannot be parsed (a holder killed while writing it, within
 * microseconds of creating it) is stale when it is older than 10 s.
 *
 * Takeover is serialised by a second file, .weightdyn.lock.takeover, also created with O_EXCL: only its creator
 * re-reads the lock, checks that it is still the stale one, and replaces it; so two processes that find one stale
 * lock never both take it over. A takeover file left by a process that died in those few microseconds is itself
 * judged by the same rule.
 *
 * Why not a time-based lock (proper-lockfile renews an mtime from a timer): `weightdyn run` trains on its main
 * thread, so a timer could not renew the lock during a long run, and the lock would be taken over while its holder
 * still writes. A process's lifetime is the right measure of a lock here.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export const LOCK_FILE = ".weightdyn.lock";
const TAKEOVER_FILE = ".weightdyn.lock.takeover";
const UNREADABLE_STALE_MS = 10_000;

interface LockInfo {
  pid: number;
  host: string;
  token: string;
  procStart: string | null;
  since: string;
  what: string;
}

/** Another live process writes into the directory. */
export class DirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: Partial<LockInfo>,
  ) {
    const who = `weightdyn (process ${holder.pid ?? "?"} on ${holder.host ?? "?"}${holder.what ? `, ${holder.what}` : ""}${holder.since ? `, since ${holder.since}` : ""})`;
    const remote =
      holder.host !== undefined && holder.host !== hostname()
        ? `; if that process is gone, delete ${join(dir, LOCK_FILE)}`
        : "";
    super(`${dir} is in use by ${who}: one process writes into a directory at a time${remote}`);
    this.name = "DirLockedError";
  }
}

/** Field 22 (starttime, clock ticks since boot) of /proc/<pid>/stat, or null where there is no /proc. */
function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True when the holder is a process of this host that no longer exists (module comment). */
function holderGone(info: Partial<LockInfo>): boolean {
  if (info.host !== hostname() || !Number.isInteger(info.pid) || (info.pid as number) <= 0) return false;
  const pid = info.pid as number;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
  const now = procStart(pid);
  return info.procStart != null && now !== null && now !== info.procStart;
}

function readLock(path: string): { info: Partial<LockInfo> | null; text: string | null } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { info: null, text: null };
    throw err;
  }
  try {
    return { info: JSON.parse(text) as Partial<LockInfo>, text };
  } catch {
    return { info: {}, text };
  }
}

function isStale(path: string, info: Partial<LockInfo>): boolean {
  if (info.pid === undefined) {
    try {
      return Date.now() - statSync(path).mtimeMs > UNREADABLE_STALE_MS;
    } catch {
      return false;
    }
  }
  return holderGone(info);
}

/** Creates `path` exclusively with `text`; false when it exists. */
function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

export class DirLock {
  private released = false;
  private readonly onExit = () => this.release();

  constructor(
    readonly dir: string,
    private readonly path: string,
    private readonly token: string,
  ) {
    process.once("exit", this.onExit);
  }

  /** Removes the lock file if it is still this process's (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off("exit", this.onExit);
    const { info } = readLock(this.path);
    if (info?.token === this.token) rmSync(this.path, { force: true });
  }
}

/**
 * lockDirectory(dir, { what }) -> DirLock
 *
 * Creates `dir` (recursively) and takes its lock (module comment); `what` says what the holder does, for the
 * message others get ("ensemble of study 1a2b..."). Throws DirLockedError when a live process holds it.
 */
export function lockDirectory(dir: string, options: { what?: string } = {}): DirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    token: randomBytes(8).toString("hex"),
    procStart: procStart(process.pid),
    since: new Date().toISOString(),
    what: options.what ?? "",
  };
  const text = `${JSON.stringify(info)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, text)) return new DirLock(dir, path, info.token);
    const held = readLock(path);
    if (held.info === null) continue; // released meanwhile: try again
    if (!isStale(path, held.info)) throw new DirLockedError(dir, held.info);
    takeOver(dir, path, held.text, text);
    if (readLock(path).info?.token === info.token) return new DirLock(dir, path, info.token);
  }
  const last = readLock(path).info ?? {};
  throw new DirLockedError(dir, last);
}

/** Replaces the stale lock whose text was `staleText` by ours, under the takeover file (module comment). */
function takeOver(dir: string, path: string, staleText: string | null, text: string): void {
  const takeoverPath = join(dir, TAKEOVER_FILE);
  if (!createExclusive(takeoverPath, text)) {
    const other = readLock(takeoverPath);
    if (other.info !== null && isStale(takeoverPath, other.info)) rmSync(takeoverPath, { force: true });
    return; // someone else is taking over (or was and died): the caller looks again
  }
  try {
    if (readLock(path).text !== staleText) return; // changed meanwhile: not ours to replace
    // Written aside and renamed over the stale lock: the lock file never exists half-written.
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, path);
  } finally {
    rmSync(takeoverPath, { force: true });
  }
}
