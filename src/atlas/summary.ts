/**
 * The atlas across its settings, one early window at a time (the settings are independent ensembles, so the gains
 * of one window can be pooled; the windows of one setting share their runs and are not pooled with each other).
 *
 *   summariseWindow(settings, window, factors) -> WindowSummary
 *   atlasFactors(settings) -> the paths whose value varies across the settings
 *
 * Per window:
 *   - counts: settings with a detectable gain (95% interval above 0), none, a loss (interval below 0), and not
 *     evaluable (too few runs in a class); under "no gain anywhere" about 2.5% of the settings would show a gain,
 *     and as many a loss, by chance alone;
 *   - pooled: the DerSimonian-Laird random-effects summary of the gains (src/stats/meta-analysis.ts) with tau^2, I^2,
 *     Cochran's Q and the prediction interval for a new setting of the same design;
 *   - moderators: for each factor of the design, one random-effects summary per level and the test of their
 *     differences (Q_between); the same for the label rule each setting ended up with (gap, or the median when the
 *     gap rule failed: an observed property, not a designed one, LABEL_RULE); for the bimodality of c_f, the
 *     meta-regression slope of the gain on Sarle's coefficient.
 * A setting enters the pooled numbers when its gain has a finite, positive standard error.
 */
import { BIMODALITY_THRESHOLD } from "../stats/bimodality.js";
import {
  type MetaRegression,
  metaRegression,
  type RandomEffectsSummary,
  randomEffects,
  type SubgroupAnalysis,
  subgroups,
} from "../stats/meta-analysis.js";
import type { SettingResult } from "./setting.js";

/** The observed moderator "which label rule the setting's runs got" (not a factor of the design). */
export const LABEL_RULE = "label rule (observed)";

function labelRule(s: SettingResult): string {
  return s.threshold?.fallback ? "median (gap failed)" : (s.threshold?.rule ?? "none");
}

export interface WindowSummary {
  window: number;
  counts: { gain: number; none: number; worse: number; notEvaluated: number };
  /** Labels of the settings with a detectable gain / loss. */
  gains: string[];
  losses: string[];
  pooled: RandomEffectsSummary | null;
  moderators: { factor: string; levels: string[]; analysis: SubgroupAnalysis }[];
  bimodality: { regression: MetaRegression; bimodal: number; settings: number } | null;
}

/** A level's name: the value as written (objects as compact JSON). */
export function levelName(value: unknown): string {
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Paths whose value differs between settings, in the order of the first setting's params. */
export function atlasFactors(settings: readonly SettingResult[]): string[] {
  const keys = [...new Set(settings.flatMap((s) => Object.keys(s.params)))];
  return keys.filter((key) => new Set(settings.map((s) => levelName(s.params[key]))).size > 1);
}

/** Levels of a factor in a fixed order: numbers ascending, anything else in order of first appearance. */
export function factorLevels(settings: readonly SettingResult[], factor: string): string[] {
  const values = settings.map((s) => s.params[factor]);
  const names = [...new Set(values.map(levelName))];
  return values.every((v) => typeof v === "number") ? names.sort((a, b) => Number(a) - Number(b)) : names;
}

export function summariseWindow(
  settings: readonly SettingResult[],
  window: number,
  factors: readonly string[],
): WindowSummary {
  const counts = { gain: 0, none: 0, worse: 0, notEvaluated: 0 };
  const gains: string[] = [];
  const losses: string[] = [];
  const usable: { s: SettingResult; y: number; v: number }[] = [];
  for (const s of settings) {
    const w = s.windows.find((x) => x.window === window);
    if (!w?.gain) {
      counts.notEvaluated++;
      continue;
    }
    counts[w.gain.verdict]++;
    if (w.gain.verdict === "gain") gains.push(s.label);
    if (w.gain.verdict === "worse") losses.push(s.label);
    if (Number.isFinite(w.gain.delta) && w.gain.se > 0 && Number.isFinite(w.gain.se)) {
      usable.push({ s, y: w.gain.delta, v: w.gain.se ** 2 });
    }
  }
  const y = usable.map((u) => u.y);
  const v = usable.map((u) => u.v);
  const pooled = usable.length > 0 ? randomEffects(y, v) : null;
  const moderators = [...factors, LABEL_RULE].flatMap((factor) => {
    const levelOf = (x: SettingResult) => (factor === LABEL_RULE ? labelRule(x) : levelName(x.params[factor]));
    const levels =
      factor === LABEL_RULE
        ? [...new Set(usable.map((u) => levelOf(u.s)))].sort()
        : factorLevels(
            usable.map((u) => u.s),
            factor,
          );
    if (levels.length < 2) return [];
    const groups = usable.map((u) => levelOf(u.s));
    const analysis = subgroups(y, v, groups);
    analysis.groups.sort((a, b) => levels.indexOf(a.name) - levels.indexOf(b.name));
    return [{ factor, levels, analysis }];
  });
  const withBc = usable.filter((u) => u.s.bimodality !== null);
  let bimodality: WindowSummary["bimodality"] = null;
  if (withBc.length >= 3) {
    bimodality = {
      regression: metaRegression(
        withBc.map((u) => u.y),
        withBc.map((u) => u.v),
        withBc.map((u) => [1, u.s.bimodality as number]),
      ),
      bimodal: withBc.filter((u) => (u.s.bimodality as number) > BIMODALITY_THRESHOLD).length,
      settings: withBc.length,
    };
  }
  return { window, counts, gains, losses, pooled, moderators, bimodality };
}
