/**
 * An atlas: one study whose points are settings (usually its `settings` list, a declared design; any grid works),
 * each an ensemble of initial conditions with its own prediction, and the view across them.
 *
 *   analyseAtlas(input, options, { onSetting }) -> AtlasResult     input = readEnsemble(DIR) (src/predict/input.ts)
 *   groupByPoint(input) -> grid point -> its runs, ascending index
 *
 * DIR holds study.json and runs.ndjson, as written by `weightdyn ensemble` / `weightdyn atlas`, or merged from
 * shards. The runs are grouped by grid point; analyses every complete setting (setting.ts) and summarises every early window
 * across the settings (summary.ts). A setting with runs missing is listed as incomplete and left out.
 *
 * Resumable: each setting's result is written to DIR/atlas/settings/point-NNNN.json as soon as it is computed,
 * with a fingerprint of what determines it (the study id, the options, the analysis format, and the setting's run
 * records without their wall times). A later call reuses every result whose fingerprint matches, so an analysis
 * killed at any point loses at most the setting it was working on, and a finished one is redone only when its runs
 * or the options change.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { canonicalJson } from "../ensemble/seeds.js";
import { writeFileAtomic } from "../io/atomic.js";
import { type EnsembleInput, PredictInputError, type RunRecord } from "../predict/input.js";
import { resolvePredictOptions } from "../predict/predict.js";
import type { PredictOptions, ResolvedPredictOptions } from "../predict/types.js";
import { analyseSetting, type SettingResult, settingLabel } from "./setting.js";
import { atlasFactors, summariseWindow, type WindowSummary } from "./summary.js";

/** Bumped whenever the analysis of a setting changes, so that cached results are recomputed. */
export const ANALYSIS_FORMAT = "weightdyn-atlas-setting/1";
export const ATLAS_DIR = "atlas";

export interface AtlasResult {
  tool: "weightdyn atlas";
  studyId: string;
  description: string | null;
  options: ResolvedPredictOptions;
  runsPerSetting: number;
  /** training.steps of the settings when they all share it (for windows as shares of the training), else null. */
  steps: number | null;
  windows: number[];
  factors: string[];
  settings: SettingResult[];
  incomplete: { gridPoint: number; label: string; runs: number; expected: number }[];
  summaries: WindowSummary[];
  analysis: { analysed: number; reused: number; wallTimeSeconds: number };
}

interface HeaderPoint {
  gridPoint: number;
  params: Record<string, unknown>;
  config?: { training?: { steps?: number } };
}

export interface AtlasHooks {
  /** After each setting: (done, total, label, reused). */
  onSetting?: (done: number, total: number, label: string, reused: boolean) => void;
}

function fingerprint(studyId: string, options: ResolvedPredictOptions, runs: RunRecord[]): string {
  const records = runs.map(({ wallTimeSeconds: _t, ...rest }) => rest);
  return createHash("sha256")
    .update(canonicalJson({ format: ANALYSIS_FORMAT, studyId, options, records }))
    .digest("hex");
}

function cached(path: string, print: string): SettingResult | null {
  if (!existsSync(path)) return null;
  try {
    const stored = JSON.parse(readFileSync(path, "utf8")) as { fingerprint?: string; result?: SettingResult };
    return stored.fingerprint === print && stored.result ? stored.result : null;
  } catch {
    return null; // a file cut short by a kill: computed again
  }
}

type Header = {
  studyId?: string;
  study?: { runs?: number; description?: string; early?: number[] };
  points?: HeaderPoint[];
} | null;

/** The runs of an ensemble by grid point (the record's gridPoint, else index / runs per point), ascending index. */
export function groupByPoint(input: EnsembleInput): Map<number, RunRecord[]> {
  const perPoint = (input.study as Header)?.study?.runs ?? 1;
  const out = new Map<number, RunRecord[]>();
  for (const run of input.runs) {
    const p = typeof run.gridPoint === "number" ? run.gridPoint : Math.floor(run.index / perPoint);
    if (!out.has(p)) out.set(p, []);
    (out.get(p) as RunRecord[]).push(run);
  }
  for (const runs of out.values()) runs.sort((a, b) => a.index - b.index);
  return out;
}

export function analyseAtlas(input: EnsembleInput, options: PredictOptions = {}, hooks: AtlasHooks = {}): AtlasResult {
  const t0 = performance.now();
  const opts = resolvePredictOptions(options);
  const dir = input.dir;
  const header = input.study as Header;
  if (!header?.points || typeof header.study?.runs !== "number" || typeof header.studyId !== "string") {
    throw new PredictInputError(`${dir}: no study.json with the study's points: an atlas needs the ensemble's header`);
  }
  const runsPerSetting = header.study.runs;
  const byPoint = groupByPoint(input);
  const cacheDir = join(dir, ATLAS_DIR, "settings");
  mkdirSync(cacheDir, { recursive: true });
  const settings: SettingResult[] = [];
  const incomplete: AtlasResult["incomplete"] = [];
  let reused = 0;
  header.points.forEach((point, i) => {
    const label = settingLabel(point.params);
    const runs = byPoint.get(point.gridPoint) ?? [];
    if (runs.length < runsPerSetting) {
      incomplete.push({ gridPoint: point.gridPoint, label, runs: runs.length, expected: runsPerSetting });
      hooks.onSetting?.(i + 1, header.points?.length ?? 0, label, false);
      return;
    }
    const print = fingerprint(header.studyId as string, opts, runs);
    const path = join(cacheDir, `point-${String(point.gridPoint).padStart(4, "0")}.json`);
    let result = cached(path, print);
    const wasCached = result !== null;
    if (result) reused++;
    else {
      result = analyseSetting({ ...input, runs }, point, opts);
      writeFileAtomic(path, `${JSON.stringify({ fingerprint: print, result })}\n`);
    }
    settings.push(result);
    hooks.onSetting?.(i + 1, header.points?.length ?? 0, label, wasCached);
  });
  const windows = [...new Set(settings.flatMap((s) => s.windows.map((w) => w.window)))].sort((a, b) => a - b);
  const factors = atlasFactors(settings);
  const stepsSet = new Set(header.points.map((p) => p.config?.training?.steps));
  const steps = stepsSet.size === 1 ? ([...stepsSet][0] ?? null) : null;
  return {
    tool: "weightdyn atlas",
    studyId: header.studyId,
    description: header.study.description ?? null,
    options: opts,
    runsPerSetting,
    steps,
    windows,
    factors,
    settings,
    incomplete,
    summaries: windows.map((w) => summariseWindow(settings, w, factors)),
    analysis: {
      analysed: settings.length - reused,
      reused,
      wallTimeSeconds: (performance.now() - t0) / 1000,
    },
  };
}
