/**
 * Covariant Lyapunov vectors inside a training run (trainRun in run.ts), when `lyapunov.clv` is set.
 *
 *   const clv = prepareRunClv(config, system, { files });    // validates and checks memory; allocates nothing
 *   lyapunovSpectrum(system, { ..., ...clv.hooks });          // the one forward pass (training + exponents)
 *   // read the final loss and weights here: checkpoint mode moves the system back during the backward pass
 *   const info = clv.finish(spectrum);                        // backward pass -> files in outDir, or arrays
 *
 * With `files` (Node: clvFileOutput(outDir) of io/clv-outputs.ts) the CLVs are streamed to files; without, they are
 * collected into arrays (ClvArrays), which the memory estimate counts. No Node built-in here: the playground collects
 * the CLVs of a run with this same code. The split
 * "positive" uses the exponents of this same forward pass. A run that diverged before the end of the backward
 * transient has no CLVs: the summary says why (a diverged training is a result, not an error).
 * summary.clv.memory: estimatedBytes (the chosen mode, sinks included), storeModeBytes, checkpointModeBytes,
 * budgetBytes, and peakBytes: what the CLV computation's own arrays and snapshots took at their peak.
 */
import { type ClvBackwardStats, type ClvPlan, ClvRecorder, planClv } from "./algorithms/clv.js";
import { formatBytes } from "./algorithms/clv-memory.js";
import type { SpectrumOptions, SpectrumResult } from "./algorithms/spectrum.js";
import { stateBlocks } from "./backend/layers.js";
import { type ResolvedClvConfig, resolveClvConfig } from "./config/clv.js";
import type { RunConfig } from "./config/schema.js";
import {
  type ClvArrays,
  ClvCollector,
  type ClvFileOutput,
  type ClvFilePaths,
  type ClvOutputSpec,
  clvSinkBytesPerTime,
} from "./io/clv-frames.js";
import type { NetworkSystem } from "./system/network.js";

export interface RunClvResult {
  /** The `clv` section of summary.json. */
  summary: Record<string, unknown>;
  /** The CLVs and derived quantities, when they were collected (no files). */
  arrays?: ClvArrays;
  /** The collector, for the texts of the CSV files of collected CLVs (ClvCollector.csvTexts). */
  collector?: ClvCollector;
  /** Paths of the files written, when streamed. */
  files?: ClvFilePaths;
  stats?: ClvBackwardStats;
}

export interface RunClv {
  plan: ClvPlan;
  hooks: Pick<SpectrumOptions, "onChunk" | "nextStop">;
  finish(spectrum: SpectrumResult): RunClvResult;
}

export function prepareRunClv(
  config: RunConfig,
  system: NetworkSystem,
  options: { files?: ClvFileOutput; onProgress?: (done: number, total: number) => void } = {},
): RunClv | null {
  const clv = resolveClvConfig(config);
  if (!clv) return null;
  const blocks = stateBlocks(config.network, config.training.optimizer.name);
  const baseSpec = (times: number, split: number | null): ClvOutputSpec => ({
    D: system.dimension,
    k: clv.k,
    times,
    pairs: clv.pairs,
    split,
    blocks,
    topWeights: clv.topWeights,
  });
  const output = options.files;
  const collect = output === undefined;
  const plan = planClv(system, {
    from: clv.from,
    to: clv.to,
    every: clv.every,
    backwardTransient: clv.backwardTransient,
    k: clv.k,
    qrEvery: config.lyapunov.qrEvery,
    mode: clv.mode,
    memoryBudget: clv.memoryBudget,
    checkpointEvery: clv.checkpointEvery,
    initialC: "random",
    seed: clv.seed,
    // The split column is counted whether or not it is output.
    sinkBytesPerTime: clvSinkBytesPerTime(baseSpec(0, 1), collect),
    collecting: collect,
  });
  const recorder = new ClvRecorder(system, plan);
  return {
    plan,
    hooks: recorder.hooks(),
    finish(spectrum) {
      const common = describePlan(plan, clv);
      if (system.time < plan.end) {
        const why = spectrum.diverged
          ? `the run diverged at step ${spectrum.divergedAt} (${spectrum.divergedReason}), before step ${plan.end} (lyapunov.clv.to + backwardTransient)`
          : `the run stopped at step ${system.time}, before step ${plan.end}`;
        return { summary: { ...common, computed: false, skipped: why } };
      }
      const { split, splitNote } = resolveSplit(clv, spectrum);
      const spec = baseSpec(plan.times, split);
      const splitInfo = { split, ...(splitNote ? { splitNote } : {}), layers: blocks.map((b) => b.name) };
      if (output !== undefined) {
        const writer = output.open(spec);
        let stats: ClvBackwardStats;
        let files: ClvFilePaths;
        try {
          stats = recorder.backward(writer.sink, { onProgress: options.onProgress });
          files = writer.finish();
        } catch (err) {
          writer.abort();
          throw err;
        }
        const names = Object.fromEntries(Object.entries(files).map(([key, path]) => [key, output.nameOf(path)]));
        return { summary: { ...common, ...describeStats(common, stats), ...splitInfo, files: names }, files, stats };
      }
      const collector = new ClvCollector(spec);
      const stats = recorder.backward(collector.sink, { onProgress: options.onProgress });
      return {
        summary: { ...common, ...describeStats(common, stats), ...splitInfo },
        arrays: collector.result(),
        collector,
        stats,
      };
    },
  };
}

/**
 * p for the subspace angle: the number of positive exponents or the configured integer; null when one side would
 * be empty. The QR order puts the largest exponents first only once they have separated: when the positive ones
 * are not the first p, the note says so (the split is still CLVs 1..p against the rest).
 */
function resolveSplit(clv: ResolvedClvConfig, spectrum: SpectrumResult): { split: number | null; splitNote?: string } {
  const ex = spectrum.exponents;
  const p = clv.split === "positive" ? ex.reduce((n, l) => n + (l > 0 ? 1 : 0), 0) : clv.split;
  const split = p >= 1 && p < clv.k ? p : null;
  if (clv.split !== "positive") return { split };
  if (split === null) return { split, splitNote: `${p} of ${clv.k} exponents are positive: no subspace angle` };
  const leading = ex.subarray(0, p).every((l) => l > 0);
  return leading
    ? { split }
    : {
        split,
        splitNote: `the ${p} positive exponents are not the first ${p} (the exponents are not yet in decreasing order)`,
      };
}

function describePlan(plan: ClvPlan, clv: ResolvedClvConfig): Record<string, unknown> {
  return {
    mode: plan.mode,
    times: plan.times,
    from: plan.from,
    to: plan.to,
    every: plan.every,
    backwardTransient: plan.backwardTransient,
    vectors: plan.k,
    ...(plan.mode === "checkpoint" ? { checkpointEvery: plan.checkpointEvery } : {}),
    pairs: clv.pairs,
    splitRequested: clv.split,
    memory: {
      estimatedBytes: plan.estimatedBytes,
      estimated: formatBytes(plan.estimatedBytes),
      storeModeBytes: plan.estimate.store,
      checkpointModeBytes: plan.estimate.checkpoint,
      budgetBytes: plan.budget,
    },
  };
}

function describeStats(common: Record<string, unknown>, stats: ClvBackwardStats): Record<string, unknown> {
  const memory = common.memory as Record<string, unknown>;
  return {
    computed: true,
    memory: { ...memory, peakBytes: stats.peakBytes, peak: formatBytes(stats.peakBytes) },
    replayedSteps: stats.replayedSteps,
    backwardSeconds: stats.seconds,
  };
}
