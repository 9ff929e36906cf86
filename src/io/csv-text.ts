/**
 * Numeric CSV tables as text: parsing (strict) and formatting (exact), with no Node built-in, so the command line
 * (csv.ts: the same with files) and the browser entry (the playground's pasted data and downloads) share them.
 *
 * Reading (parseNumericCsv) is strict, because a silently dropped or misread cell changes the training data: every
 * data line must have as many cells as the header; a cell must be a decimal number (`-1.5`, `3`, `.5`, `2e-3`;
 * surrounding spaces and double quotes are ignored); empty cells, `NaN`, `Infinity`, `inf`, hexadecimal and numbers
 * beyond the float64 range are errors. Errors are CsvErrors naming the file, the 1-based line number and, for a bad
 * cell, the 1-based column and its header name (when short), quoting at most a short piece of the text
 * (quoteFromFile: a file named as data may be any readable file). Lines end in LF or CRLF; a UTF-8 byte-order mark is skipped; empty
 * lines at the end of the text are ignored (elsewhere they are errors). Quoted cells containing commas are not
 * supported (this is a reader for numeric tables).
 *
 * Writing (csvChunks, in chunks of whole lines: the loss of a run of 10^8 steps is more text than one JavaScript
 * string holds; formatCsv, the chunks joined) prints each number as String(x), the shortest decimal that reads back to the same float64
 * (ECMAScript Number::toString), so a round trip is exact; -0 is written as `-0`. Non-finite values are written as
 * `NaN`, `Infinity`, `-Infinity` (e.g. the loss of a diverged run); the strict reader rejects them.
 */
import { MAX_FILE_EXCERPT, quoteFromFile } from "../config/errors.js";

/** A numeric table: `rows` x `cols` values, row-major. */
export interface NumericTable {
  header: string[];
  rows: number;
  cols: number;
  /** rows x cols, row-major. */
  values: Float64Array;
}

/** A malformed CSV file. `line` is 1-based (0: the file as a whole); `column` is 1-based when a cell is at fault. */
export class CsvError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number | undefined;
  /** The header name of the offending column, if any. */
  readonly columnName: string | undefined;
  /** The message without the `file:line: ` prefix. */
  readonly detail: string;

  constructor(file: string, line: number, detail: string, column?: number, columnName?: string) {
    const where = line > 0 ? `${file}:${line}` : file;
    const cell = column === undefined ? "" : `column ${column}${columnName ? ` (${columnName})` : ""}: `;
    super(`${where}: ${cell}${detail}`);
    this.name = "CsvError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.columnName = columnName;
    this.detail = detail;
  }
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

function unquote(cell: string): string {
  const t = cell.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/**
 * parseNumericCsv(text, file) -> NumericTable
 *
 * Parses CSV text; `file` is only used in error messages. Throws CsvError (see the module comment).
 */
export function parseNumericCsv(text: string, file: string): NumericTable {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  let last = lines.length;
  while (last > 0 && lines[last - 1].trim() === "") last--;
  if (last === 0) throw new CsvError(file, 1, "expected a header row but the file is empty");
  const header = lines[0].split(",").map(unquote);
  const cols = header.length;
  const rows = last - 1;
  const values = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const lineNumber = r + 2;
    const cells = lines[r + 1].split(",");
    if (cells.length !== cols) {
      const blank = lines[r + 1].trim() === "" ? " (an empty line)" : "";
      throw new CsvError(
        file,
        lineNumber,
        `expected ${cols} columns (as in the header) but received ${cells.length}${blank}`,
      );
    }
    for (let c = 0; c < cols; c++) {
      const cell = unquote(cells[c]);
      // Cells and column names are quoted as pieces of the file only (quoteFromFile): it may be any readable file.
      const name = cols > 1 && [...header[c]].length <= MAX_FILE_EXCERPT ? header[c] : undefined;
      const fail = (detail: string) => new CsvError(file, lineNumber, detail, c + 1, name);
      const quoted = () => quoteFromFile(cell, cols > 1);
      if (cell === "") throw fail("expected a finite number but received an empty cell");
      // Only nan / inf / infinity with a sign match: safe to show as they are.
      if (NON_FINITE.test(cell)) throw fail(`expected a finite number but received ${JSON.stringify(cell)}`);
      if (!DECIMAL.test(cell)) throw fail(`expected a number but received ${quoted()}`);
      const value = Number(cell);
      if (!Number.isFinite(value)) throw fail(`expected a finite number but ${quoted()} overflows float64`);
      values[r * cols + c] = value;
    }
  }
  return { header, rows, cols, values };
}

/** The shortest round-trip decimal of x (String(x)), with -0 kept as `-0`. */
export function formatCsvNumber(x: number): string {
  return Object.is(x, -0) ? "-0" : String(x);
}

/** Lines per chunk of csvChunks: about a megabyte of text. */
const CHUNK_LINES = 40_000;

/**
 * csvChunks(header, rows) -> the CSV text of a table in chunks of whole lines: the header line, then one line per
 * row (every row must have header.length values). Header names must not contain commas, quotes or line breaks.
 */
export function* csvChunks(header: readonly string[], rows: Iterable<ArrayLike<number>>): Generator<string> {
  for (const name of header) {
    if (/[,"\r\n]/.test(name)) throw new RangeError(`formatCsv: header: invalid column name ${JSON.stringify(name)}`);
  }
  let parts: string[] = [header.join(",")];
  let index = 0;
  for (const row of rows) {
    if (row.length !== header.length) {
      throw new RangeError(`formatCsv: rows[${index}]: expected ${header.length} values but received ${row.length}`);
    }
    const cells = new Array<string>(row.length);
    for (let c = 0; c < row.length; c++) cells[c] = formatCsvNumber(row[c]);
    parts.push(cells.join(","));
    index++;
    if (parts.length >= CHUNK_LINES) {
      yield `${parts.join("\n")}\n`;
      parts = [];
    }
  }
  if (parts.length > 0) yield `${parts.join("\n")}\n`;
}

/** formatCsv(header, rows) -> the whole CSV text (csvChunks joined). */
export function formatCsv(header: readonly string[], rows: Iterable<ArrayLike<number>>): string {
  return [...csvChunks(header, rows)].join("");
}
