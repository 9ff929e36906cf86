/**
 * Numeric CSV files: readNumericCsv and writeCsv, the file side of csv-text.ts (the parser and the formatter, and
 * their contract, are there; re-exported here). Reading goes through the input-file reader (a regular file of bounded
 * size); writing is atomic (writeFileAtomic: never a half-written file) and in chunks.
 */
import { writeFileAtomic } from "./atomic.js";
import { CsvError, csvChunks, type NumericTable, parseNumericCsv } from "./csv-text.js";
import { InputFileError, readInputFile } from "./input-file.js";

export { CsvError, csvChunks, formatCsv, formatCsvNumber, type NumericTable, parseNumericCsv } from "./csv-text.js";

/**
 * readNumericCsv(path) -> NumericTable
 *
 * Reads (readInputFile: a regular file of bounded size) and parses a numeric CSV file; errors (including a missing
 * file or a FIFO, line 0) are CsvErrors naming `path`.
 */
export function readNumericCsv(path: string): NumericTable {
  let text: string;
  try {
    text = readInputFile(path);
  } catch (err) {
    if (err instanceof InputFileError) throw new CsvError(path, 0, `cannot read: ${err.detail}`);
    throw err;
  }
  return parseNumericCsv(text, path);
}

/**
 * writeCsv(path, header, rows)
 *
 * Writes a numeric table with full float64 precision, atomically (writeFileAtomic: never a half-written file), in
 * chunks: the loss of a run of 10^8 steps is more text than one JavaScript string holds.
 */
export function writeCsv(path: string, header: readonly string[], rows: Iterable<ArrayLike<number>>): void {
  writeFileAtomic(path, csvChunks(header, rows));
}
