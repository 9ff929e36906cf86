/**
 * writeFileAtomic(path, data)
 *
 * Writes a file so that readers (and an interrupted run) see either the old file or the complete new one, never a
 * half-written file: the data goes to a temporary file in the same directory (`.<name>.<pid>.<random>.tmp`), is
 * flushed to disk (fsync), and is then renamed over `path` (rename is atomic within one file system on POSIX and
 * replaces the target on Windows). On failure the temporary file is removed and the error rethrown. `data` may be
 * an iterable of text chunks, written as they come, so a file larger than any one string can be written.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<string>): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx");
    const chunks = typeof data === "string" || data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      // write(2) may write less than asked: loop until everything is out.
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
}
