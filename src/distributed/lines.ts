/**
 * forEachLine(path, visit) -> partial
 *
 * Reads a newline-terminated file in 1 MiB chunks and calls visit(text, byteOffset, byteLength, lineNumber) for
 * every complete line (byteLength counts the newline, so offset and length address the line as it is on disk).
 * Returns true when the file ends in an unterminated line, which is not visited (a writer killed mid-line). UTF-8
 * never has the newline byte inside a multi-byte character, so splitting bytes at 0x0a is safe.
 */
import { closeSync, openSync, readSync } from "node:fs";

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

export function forEachLine(
  path: string,
  visit: (text: string, byteOffset: number, byteLength: number, lineNumber: number) => void,
): boolean {
  const fd = openSync(path, "r");
  try {
    let carry: Buffer = Buffer.alloc(0);
    let carryOffset = 0;
    let position = 0;
    let lineNumber = 0;
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, position);
      if (n === 0) break;
      position += n;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE, start); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        lineNumber++;
        visit(data.toString("utf8", start, nl), carryOffset + start, nl + 1 - start, lineNumber);
        start = nl + 1;
      }
      // Copy the tail: `chunk` is reused by the next read.
      carry = Buffer.from(data.subarray(start));
      carryOffset += start;
    }
    return carry.length > 0;
  } finally {
    closeSync(fd);
  }
}
