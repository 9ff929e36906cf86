/**
 * Shards of a study for batch schedulers: shard I of N runs the runs whose index is I mod N.
 *
 *   parseShard({ shard, shards }, env) -> { index, count, source }
 *   inShard(shard, index) -> boolean
 *   shardSize(shard, total) -> number of runs in the shard
 *
 * Flags (weightdyn ensemble):
 *   --shard I/N      shard I of N, 0 <= I < N
 *   --shard /N       shard I of N with I from the scheduler:
 *   --shards N         SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (so `--array=0-7` and `--array=1-8` both give
 *                      0..7), else JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), else an error saying so
 * An explicit I always wins over the environment. When Slurm says how many tasks its array has
 * (SLURM_ARRAY_TASK_COUNT) and that is not N, the result carries a warning: the shards would overlap or leave runs
 * out, which `weightdyn merge` would then report.
 *
 * Runs are dealt round-robin (index mod N) rather than in blocks, so that every shard gets a share of every grid
 * point and the shards take about the same time even when grid points differ in cost.
 */
import { DistributedInputError } from "./errors.js";

export interface Shard {
  index: number;
  count: number;
}

export interface ParsedShard extends Shard {
  /** Where the index came from: "--shard", "SLURM_ARRAY_TASK_ID" or "JOB_COMPLETION_INDEX". */
  source: string;
  /** Something worth a line on stderr (an array size that is not N), or null. */
  warning: string | null;
}

const NON_NEGATIVE = /^\s*\d+\s*$/;

function integer(text: string, what: string, flag: string): number {
  const n = Number(text);
  if (!NON_NEGATIVE.test(text) || !Number.isSafeInteger(n)) {
    throw new DistributedInputError(`${flag}: expected ${what} but received ${JSON.stringify(text)}`);
  }
  return n;
}

/** The index the scheduler gives this task, or null. */
function indexFromEnv(env: NodeJS.ProcessEnv): { index: number; source: string } | null {
  const slurm = env.SLURM_ARRAY_TASK_ID;
  if (slurm !== undefined && slurm.trim() !== "") {
    const id = integer(slurm, "an integer >= 0", "SLURM_ARRAY_TASK_ID");
    const minText = env.SLURM_ARRAY_TASK_MIN;
    const min =
      minText !== undefined && minText.trim() !== "" ? integer(minText, "an integer", "SLURM_ARRAY_TASK_MIN") : 0;
    return { index: id - min, source: "SLURM_ARRAY_TASK_ID" };
  }
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s.trim() !== "") {
    return { index: integer(k8s, "an integer >= 0", "JOB_COMPLETION_INDEX"), source: "JOB_COMPLETION_INDEX" };
  }
  return null;
}

/**
 * parseShard({ shard, shards }, env) -> ParsedShard | null
 *
 * Null when neither flag is given. Every problem is a DistributedInputError naming the flag or variable.
 */
export function parseShard(
  flags: { shard?: string; shards?: string },
  env: NodeJS.ProcessEnv = process.env,
): ParsedShard | null {
  if (flags.shard === undefined && flags.shards === undefined) return null;
  if (flags.shard !== undefined && flags.shards !== undefined) {
    throw new DistributedInputError("--shard and --shards: give one (--shards N is --shard /N)");
  }
  let indexText: string;
  let countText: string;
  let flag: string;
  if (flags.shards !== undefined) {
    [indexText, countText, flag] = ["", flags.shards, "--shards"];
  } else {
    const text = flags.shard as string;
    const slash = text.indexOf("/");
    if (slash < 0) throw new DistributedInputError(`--shard: expected I/N or /N but received ${JSON.stringify(text)}`);
    [indexText, countText, flag] = [text.slice(0, slash), text.slice(slash + 1), "--shard"];
  }
  const count = integer(countText, "a shard count N >= 1", flag);
  if (count < 1) throw new DistributedInputError(`${flag}: expected a shard count N >= 1 but received 0`);
  let index: number;
  let source = "--shard";
  if (indexText.trim() !== "") {
    index = integer(indexText, "a shard index I >= 0", flag);
  } else {
    const fromEnv = indexFromEnv(env);
    if (fromEnv === null) {
      throw new DistributedInputError(
        `${flag}: no shard index: set SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX (a Kubernetes ` +
          `Indexed Job), or write --shard I/${count}`,
      );
    }
    ({ index, source } = fromEnv);
  }
  if (index < 0 || index >= count) {
    throw new DistributedInputError(
      `${flag}: shard index ${index}${source === "--shard" ? "" : ` (from ${source})`} is not in 0..${count - 1}`,
    );
  }
  let warning: string | null = null;
  const tasks = env.SLURM_ARRAY_TASK_COUNT;
  if (source === "SLURM_ARRAY_TASK_ID" && tasks !== undefined && Number(tasks) !== count) {
    warning = `the Slurm array has ${tasks} tasks but the study is cut into ${count} shards: shards will overlap or be missing`;
  }
  return { index, count, source, warning };
}

export function inShard(shard: Shard | null | undefined, index: number): boolean {
  return !shard || index % shard.count === shard.index;
}

/** Number of runs of `total` in the shard. */
export function shardSize(shard: Shard | null | undefined, total: number): number {
  if (!shard) return total;
  return shard.index < total ? Math.floor((total - 1 - shard.index) / shard.count) + 1 : 0;
}
