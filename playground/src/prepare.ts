/**
 * A raw config (what the controls or the URL give) to what the engine trains, with the command line's own checks:
 * parseRunConfig (the CLI's zod schema and its messages), then problemOf (the data, the seeded weights and the
 * minibatches; pasted CSV text stands for data.csv). The page calls it to show errors before anything starts; the
 * worker calls it again on what it receives.
 */
import {
  ConfigError,
  CsvError,
  parseNumericCsv,
  parseRunConfig,
  problemOf,
  type RunConfig,
  type TrainProblem,
} from "../../src/browser.js";
import type { PastedCsv } from "./protocol.js";

/** The name pasted CSV goes by in messages (the command line names the file). */
export const PASTED_CSV = "the pasted data.csv";

/** The file name a config with pasted data refers to (downloaded beside config.json). */
export const CSV_FILE = "data.csv";

export interface Prepared {
  config: RunConfig;
  problem: TrainProblem;
  /** The parsed pasted CSV (when the config uses data.csv), for problemOf on the same data with other seeds. */
  pasted?: PastedTable;
}

/** What problemOf takes for pasted data. */
export type PastedTable = NonNullable<Parameters<typeof problemOf>[1]>;

/** Validates a raw config and builds its problem; every problem is a ConfigError naming the field. */
export function prepare(raw: unknown, csv: PastedCsv): Prepared {
  const config = parseRunConfig(raw);
  let table: ReturnType<typeof parseNumericCsv> | undefined;
  if ("csv" in config.data) {
    if (csv === null || csv.trim() === "") throw new ConfigError("data.csv", "expected CSV text in the data box");
    try {
      table = parseNumericCsv(csv, PASTED_CSV);
    } catch (err) {
      // As buildDataset does with a file: the CSV error becomes a ConfigError naming data.csv.
      if (err instanceof CsvError) throw new ConfigError("data.csv", err.message, { cause: err });
      throw err;
    }
  }
  const pasted = table ? { table, where: PASTED_CSV } : undefined;
  return { config, problem: problemOf(config, pasted), pasted };
}
