/**
 * `weightdyn merge`: one ensemble output from the outputs of a study's shards (src/distributed/merge.ts).
 *
 *   weightdyn merge DIR1 DIR2 ... --out DIR [--allow-incomplete] [--quiet]
 *
 * Refuses (exit code 2, nothing written) directories of different studies, runs whose copies differ between
 * directories, and, without --allow-incomplete, missing runs, listed as index ranges with the shards that were not
 * given. Equal copies of a run are kept once, with a warning. Writes DIR/study.json and DIR/runs.ndjson sorted by
 * run index; the summary goes to stdout:
 *   merged study 45b83aa1ad0d2984: 60/60 runs from 3 directories (shards 0, 1, 2 of 3) into out/runs.ndjson
 */
import type { Command } from "commander";
import { mergeShards } from "../distributed/merge.js";
import { asCliError } from "./ensemble-queue.js";

interface MergeFlags {
  out: string;
  allowIncomplete?: boolean;
  quiet?: boolean;
}

function mergeAction(dirs: string[], flags: MergeFlags): void {
  let result: ReturnType<typeof mergeShards>;
  try {
    result = mergeShards(dirs, {
      outDir: flags.out,
      allowIncomplete: flags.allowIncomplete,
      onWarning: (message) => {
        if (!flags.quiet) process.stderr.write(`weightdyn: warning: ${message}\n`);
      },
    });
  } catch (err) {
    throw asCliError(err);
  }
  const shards = result.sources.filter((s) => s.shard !== null).map((s) => s.shard as { index: number; count: number });
  const counts = [...new Set(shards.map((s) => s.count))];
  const shardText =
    shards.length > 0 && counts.length === 1
      ? ` (shard${shards.length === 1 ? "" : "s"} ${shards
          .map((s) => s.index)
          .sort((a, b) => a - b)
          .join(", ")} of ${counts[0]})`
      : "";
  const parts = [
    `${result.written}/${result.total} runs from ${result.sources.length} director${result.sources.length === 1 ? "y" : "ies"}${shardText}`,
    ...(result.duplicates > 0 ? [`${result.duplicates} duplicates collapsed`] : []),
    ...(result.missing > 0 ? [`${result.missing} missing`] : []),
  ];
  process.stdout.write(`merged study ${result.studyId}: ${parts.join(", ")} into ${flags.out}/runs.ndjson\n`);
}

/**
 * registerMergeCommand(program)
 *
 * Adds the `merge` command (module comment) to the weightdyn commander program.
 */
export function registerMergeCommand(program: Command): Command {
  return program
    .command("merge")
    .description("combine the output directories of a study's shards (weightdyn ensemble --shard) into one")
    .argument("<dirs...>", "shard output directories (each with study.json and runs.ndjson)")
    .requiredOption("-o, --out <dir>", "output directory (study.json, runs.ndjson sorted by run index)")
    .option("--allow-incomplete", "write the runs there are even when some are missing (resume the rest later)")
    .option("-q, --quiet", "no warnings on stderr")
    .action(mergeAction);
}
