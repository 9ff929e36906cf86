/**
 * Numeric CSV files: readNumericCsv and writeCsv, the file side of csv-text.ts (the parser and the formatter, and
 * their contract, are there; re-exported here). Writing is atomic (writeFileAtomic: never a half-written file).
 */
import { readFileSync } from "node:fs";
import { describeSystemError } from "../config/errors.js";
import { writeFileAtomic } from "./atomic.js";
import { CsvError, formatCsv, type NumericTable, parseNumericCsv } from "./csv-text.js";

export { CsvError, formatCsv, formatCsvNumber, type NumericTable, parseNumericCsv } from "./csv-text.js";

/**
 * readNumericCsv(path) -> NumericTable
 *
 * Reads and parses a numeric CSV file; errors (including a missing file, line 0) are CsvErrors naming `path`.
 */
export function readNumericCsv(path: string): NumericTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CsvError(path, 0, `cannot read: ${describeSystemError(err)}`);
  }
  return parseNumericCsv(text, path);
}

/**
 * writeCsv(path, header, rows)
 *
 * Writes a numeric table with full float64 precision, atomically (writeFileAtomic: never a half-written file).
 */
export function writeCsv(path: string, header: readonly string[], rows: Iterable<ArrayLike<number>>): void {
  writeFileAtomic(path, formatCsv(header, rows));
}
