/**
 * Reading the files a user names as input (a run config, a study, a data CSV, an initial-weights JSON): regular
 * files of bounded size, read without ever blocking, and described in errors without their contents.
 *
 *   readInputFile(path, { maxBytes }) -> text        or InputFileError
 *   readJsonFile(path, { maxBytes }) -> value        or InputFileError (malformed JSON: line and column, no excerpt)
 *
 * The file is opened with O_NONBLOCK, so a FIFO opens at once instead of waiting for a writer, and is then checked
 * with fstat on the open descriptor (not on the name, which could change in between): anything but a regular file
 * (a FIFO, a device such as /dev/zero, a directory, a socket) is refused, as is a file above maxBytes (default
 * MAX_INPUT_FILE_BYTES, 256 MiB: more than any data set this package trains on full-batch, and below V8's largest
 * string). At most maxBytes + 1 bytes are ever read, so a file that grows while it is read is refused too.
 *
 * Messages name the file and the problem, never its contents: a JSON parser's message is cut before the excerpt it
 * quotes. Callers turn an InputFileError into the ConfigError of their field.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { describeSystemError } from "../config/errors.js";

/** Largest input file read: 256 MiB. */
export const MAX_INPUT_FILE_BYTES = 256 * 1024 ** 2;

/** A file cannot be used as input; `detail` says why without quoting it. */
export class InputFileError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    /** Where the JSON is malformed (` (line L, column C)` or ""), for malformed JSON; undefined otherwise. */
    readonly jsonWhere?: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${jsonWhere === undefined ? detail : `malformed JSON${jsonWhere}: ${detail}`}`, options);
    this.name = "InputFileError";
  }

  /** `cannot read <what>: <detail>` or `malformed JSON in <what> (line L, column C): <detail>`. */
  describe(what: string): string {
    return this.jsonWhere === undefined
      ? `cannot read ${what}: ${this.detail}`
      : `malformed JSON in ${what}${this.jsonWhere}: ${this.detail}`;
  }
}

function kindOf(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * readInputFile(path, { maxBytes }) -> UTF-8 text (module comment)
 *
 * Throws InputFileError: `no such file`, `permission denied`, `is a FIFO (named pipe), not a regular file`,
 * `is 300000000 bytes, above the limit of 268435456 bytes for an input file`.
 */
export function readInputFile(path: string, options: { maxBytes?: number } = {}): string {
  const maxBytes = options.maxBytes ?? MAX_INPUT_FILE_BYTES;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new InputFileError(path, describeSystemError(err), undefined, { cause: err });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputFileError(path, `is ${kindOf(stat)}, not a regular file`);
    const tooBig = () =>
      new InputFileError(path, `is ${stat.size} bytes, above the limit of ${maxBytes} bytes for an input file`);
    if (stat.size > maxBytes) throw tooBig();
    const buffer = Buffer.alloc(Math.min(maxBytes, stat.size) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw tooBig();
      if (length === buffer.length) break;
    }
    return buffer.toString("utf8", 0, length);
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(path, describeSystemError(err), undefined, { cause: err });
  } finally {
    closeSync(fd);
  }
}

/** ` (line L, column C)` for a parser message with `position N`, else "". */
function jsonLocation(message: string, text: string): string {
  const match = /position (\d+)/.exec(message);
  if (!match) return "";
  const before = text.slice(0, Number(match[1])).split("\n");
  return ` (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}

/**
 * The parser's message without the excerpt of the text it may quote (`Unexpected token 'r', "root:x:0:0"... is not
 * valid JSON` -> `Unexpected token 'r'`) or its position (given as line and column instead).
 */
function jsonReason(message: string): string {
  const quote = message.indexOf('"');
  const cut = (quote < 0 ? message : message.slice(0, quote)).replace(/,?\s*$/, "");
  return cut.replace(/\s*in JSON at position \d+.*$/, "").replace(/\s*at position \d+.*$/, "") || "not valid JSON";
}

/** readJsonFile(path, { maxBytes }) -> the parsed value; a UTF-8 byte-order mark is skipped. */
export function readJsonFile(path: string, options: { maxBytes?: number } = {}): unknown {
  const raw = readInputFile(path, options);
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new InputFileError(path, jsonReason(message), jsonLocation(message, text), { cause: err });
  }
}
