/**
 * The parsers of numeric command-line flags, one place for their rules and their messages:
 * `--workers: expected a positive integer but received "0"` (a UsageError: exit code 2).
 *
 *   positiveFlag(flag, text, { integer })   a positive number (an integer when asked); undefined when absent
 *
 * and the argument parsers of commander options, which throw commander's InvalidArgumentError (commander names the
 * option: `option '--min-gap <decades>' argument '-1' is invalid. expected a number >= 0 but received "-1"`):
 *
 *   positiveNumber, nonNegativeNumber, seedValue   > 0, >= 0, an integer in [0, 2^53)
 *   addLabellingOptions(command, conflicts?)       --split, --min-gap, --min-share, --seed (predict, atlas)
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { UsageError } from "./errors.js";

export function positiveFlag(
  flag: string,
  text: string | undefined,
  options: { integer: boolean },
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const ok = options.integer
    ? /^\s*\d+\s*$/.test(text) && Number.isSafeInteger(n) && n >= 1
    : text.trim() !== "" && Number.isFinite(n) && n > 0;
  if (!ok) {
    const what = options.integer ? "a positive integer" : "a positive number";
    throw new UsageError(`${flag}: expected ${what} but received ${JSON.stringify(text)}`);
  }
  return n;
}

/** positiveFlag with integer: true. */
export function positiveIntFlag(flag: string, text: string | undefined): number | undefined {
  return positiveFlag(flag, text, { integer: true });
}

/** A commander argument parser: a finite number > 0. */
export function positiveNumber(value: string): number {
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x) || x <= 0) {
    throw new InvalidArgumentError(`expected a positive number but received "${value}"`);
  }
  return x;
}

/** A commander argument parser: a finite number >= 0. */
export function nonNegativeNumber(value: string): number {
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x) || x < 0) {
    throw new InvalidArgumentError(`expected a number >= 0 but received "${value}"`);
  }
  return x;
}

/** A commander argument parser: a seed, an integer between 0 and 2^53 (written in decimal digits). */
export function seedValue(value: string): number {
  const x = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(x)) {
    throw new InvalidArgumentError(`expected an integer between 0 and 2^53 but received "${value}"`);
  }
  return x;
}

/**
 * The options of the high/low labelling and its statistics (predict and atlas): --split, --min-gap, --min-share and
 * --seed. `conflicts`: an option of the command that sets the threshold itself, which excludes the first three.
 */
export function addLabellingOptions(command: Command, conflicts?: string): Command {
  const labelling = (option: Option) => (conflicts === undefined ? option : option.conflicts(conflicts));
  return command
    .addOption(
      labelling(
        new Option(
          "--split <rule>",
          "label high/low c_f by the largest gap in log10 c_f or by the median (default gap)",
        ).choices(["gap", "median"]),
      ),
    )
    .addOption(
      labelling(
        new Option(
          "--min-gap <decades>",
          "gap rule: smallest gap in log10 c_f it accepts, else the median (0.2)",
        ).argParser(nonNegativeNumber),
      ),
    )
    .addOption(
      labelling(
        new Option(
          "--min-share <s>",
          "gap rule: smallest share of runs on either side it accepts, else the median (0.1)",
        ).argParser(nonNegativeNumber),
      ),
    )
    .addOption(
      new Option("--seed <n>", "seed of the bootstrap and cross-validation shuffles (default 1)").argParser(seedValue),
    );
}
