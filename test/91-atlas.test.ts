/**
 * The atlas (src/atlas/, `weightdyn atlas`): studies with a list of settings (points, fields named in errors, ids
 * of studies without settings unchanged), the shipped design's orthogonal-array property, a small atlas end to end
 * (every setting's result is predict's on that setting's runs alone; the pooled numbers are the random-effects
 * summary of the settings' gains), an analysis interrupted and resumed (the same result, the finished settings
 * reused), shards merged to the same report, the CLI, and the figures' data (the plotted values are the results' and
 * the records').
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyseAtlas, groupByPoint } from "../src/atlas/atlas.js";
import { forestSpec, lossCurvesSpec, POOLED_ROW } from "../src/atlas/figures.js";
import { lossCurves, writeAtlasReport } from "../src/atlas/report.js";
import { LABEL_RULE } from "../src/atlas/summary.js";
import { loadDefaultStudy } from "../src/cli/start-command.js";
import { mergeShards } from "../src/distributed/merge.js";
import { expandGrid, parseStudy, runEnsemble, StudyError } from "../src/ensemble/index.js";
import { LOSS_FLOOR } from "../src/predict/figure-style.js";
import { readEnsemble } from "../src/predict/input.js";
import { finalLossOf, labelOf } from "../src/predict/labels.js";
import { predictRuns } from "../src/predict/predict.js";
import { randomEffects } from "../src/stats/meta-analysis.js";
import { repoRoot } from "./support/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "weightdyn-91-"));
const FAST = { resamples: 100, repeats: 2 };
const PROVENANCE = {
  command: "test",
  date: "2026-11-30",
  machine: "test",
  backend: null,
  ensembleSeconds: null,
  totalSeconds: null,
  runsNow: null,
  runsResumed: null,
  load: null,
};

/** A small atlas: 3 settings of a 1-h-1 network, 40 initial conditions each, 400 steps. */
const ATLAS = {
  description: "test atlas",
  base: {
    network: { inputs: 1, hidden: 2, outputs: 1, activation: "tanh" },
    data: { function: "abs", samples: 20 },
    init: { distribution: "uniform", scale: 1 },
    training: { learningRate: 0.3, steps: 400 },
    lyapunov: { exponents: "all", ftleWindow: 20 },
  },
  settings: [
    { "network.activation": "tanh", "network.hidden": 2 },
    { "network.activation": "relu", "network.hidden": 3 },
    { "network.activation": "sigmoid", "network.hidden": 2, "training.learningRate": 0.5 },
  ],
  runs: 40,
  seed: 4,
  early: [40, 100],
  lossCheckpoints: [0, 40, 100, 200, 400],
};

describe("studies with settings", () => {
  it("points are settings x grid (setting outermost), params hold both, and runs count them all", () => {
    const study = parseStudy({ ...ATLAS, grid: { "init.scale": [1, 2] } }, tmp);
    const points = expandGrid(study);
    expect(points).toHaveLength(6);
    expect(points[3].params).toEqual({ "network.activation": "relu", "network.hidden": 3, "init.scale": 2 });
    expect(points[3].config.network.hidden).toBe(3);
    expect(points[5].config.training.learningRate).toBe(0.5);
    expect(points[5].setting).toBe(2);
  });

  it.each([
    ["a bad value", { "network.hidden": 0 }, /settings\[1\]\["network\.hidden"\]/],
    ["an unknown path", { "network.widht": 2 }, /settings\[1\]\["network\.widht"\]: not a run-config field/],
    ["the backend", { backend: "wasm" }, /settings\[1\]\["backend"\]: one backend/],
  ])("%s in a setting is an error naming the setting and path", (_name, bad, message) => {
    const raw = { ...ATLAS, settings: [ATLAS.settings[0], bad] };
    expect(() => parseStudy(raw, tmp)).toThrow(StudyError);
    expect(() => parseStudy(raw, tmp)).toThrow(message);
  });

  it("a path in both a setting and the grid, a repeated setting and an empty list are refused", () => {
    expect(() => parseStudy({ ...ATLAS, grid: { "network.hidden": [2, 3] } }, tmp)).toThrow(
      /settings\[0\]\["network\.hidden"\]: also a grid key/,
    );
    expect(() => parseStudy({ ...ATLAS, settings: [ATLAS.settings[0], ATLAS.settings[0]] }, tmp)).toThrow(
      /settings\[1\]: repeats settings\[0\]/,
    );
    expect(() => parseStudy({ ...ATLAS, settings: [] }, tmp)).toThrow(/settings: expected a non-empty list/);
  });

  it("a study without settings keeps its id: the default study is still the one of its committed report", () => {
    const headline = readFileSync(join(repoRoot, "docs/default-study/headline.md"), "utf8");
    const id = /study ([0-9a-f]{16})/.exec(headline)?.[1];
    expect(loadDefaultStudy().id).toBe(id);
  });

  it("studies/atlas.json is OA(32, 4^5, 2) of index 2: every pair of levels of two factors in exactly 2 settings", () => {
    const study = JSON.parse(readFileSync(join(repoRoot, "studies/atlas.json"), "utf8")) as typeof ATLAS;
    const settings = study.settings as Record<string, unknown>[];
    expect(settings).toHaveLength(32);
    expect(new Set(settings.map((s) => JSON.stringify(s))).size).toBe(32);
    const factors = Object.keys(settings[0]);
    expect(factors).toHaveLength(5);
    for (const f of factors) {
      const counts = new Map<unknown, number>();
      for (const s of settings) counts.set(s[f], (counts.get(s[f]) ?? 0) + 1);
      expect([...counts.values()]).toEqual([8, 8, 8, 8]);
    }
    for (let a = 0; a < 5; a++) {
      for (let b = a + 1; b < 5; b++) {
        const pairs = new Map<string, number>();
        for (const s of settings) {
          const key = `${s[factors[a]]}|${s[factors[b]]}`;
          pairs.set(key, (pairs.get(key) ?? 0) + 1);
        }
        expect(pairs.size).toBe(16);
        expect([...pairs.values()].every((n) => n === 2)).toBe(true);
      }
    }
    expect(() => parseStudy(study, join(repoRoot, "studies"))).not.toThrow();
  });
});

describe("a small atlas end to end", async () => {
  const studyFile = join(tmp, "atlas.json");
  writeFileSync(studyFile, JSON.stringify(ATLAS));
  const study = parseStudy(ATLAS, tmp);
  const local = join(tmp, "local");
  await runEnsemble(study, { outDir: local, workers: 2 });
  const input = readEnsemble(local);
  const result = analyseAtlas(input, FAST);

  it("every setting's result is predict's on that setting's runs alone", () => {
    expect(result.settings).toHaveLength(3);
    expect(result.incomplete).toEqual([]);
    expect(result.windows).toEqual([40, 100]);
    expect(result.factors).toEqual(["network.activation", "network.hidden", "training.learningRate"]);
    let compared = 0;
    for (const s of result.settings) {
      const runs = input.runs.filter((r) => Math.floor(r.index / ATLAS.runs) === s.gridPoint);
      expect(runs).toHaveLength(ATLAS.runs);
      const alone = predictRuns({ ...input, runs }, FAST);
      expect(s.runs).toBe(40);
      expect(s.high + s.low).toBe(40);
      for (const w of alone.scopes[0].windows) {
        const mine = s.windows.find((x) => x.window === w.window);
        if (!("models" in w.cv)) {
          expect(mine?.gain).toBeNull();
          continue;
        }
        expect(mine?.gain?.delta).toBe(w.cv.gain.delta);
        expect(mine?.auc?.loss.auc).toBe(w.cv.models.loss.auc);
        expect(mine?.auc?.combined.auc).toBe(w.cv.models.combined.auc);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(0);
  }, 60_000);

  it("the pooled gain of each window is the random-effects summary of the settings' gains and standard errors", () => {
    for (const sum of result.summaries) {
      const gains = result.settings.flatMap((s) => {
        const g = s.windows.find((w) => w.window === sum.window)?.gain;
        return g ? [g] : [];
      });
      const counts = sum.counts;
      expect(counts.gain + counts.none + counts.worse).toBe(gains.length);
      expect(counts.gain).toBe(gains.filter((g) => g.ci[0] > 0).length);
      expect(counts.worse).toBe(gains.filter((g) => g.ci[1] < 0).length);
      const ref = randomEffects(
        gains.map((g) => g.delta),
        gains.map((g) => g.se ** 2),
      );
      expect(sum.pooled?.estimate).toBeCloseTo(ref.estimate, 14);
      expect(sum.pooled?.tau2).toBeCloseTo(ref.tau2, 14);
      const designed = sum.moderators.map((m) => m.factor).filter((f) => f !== LABEL_RULE);
      expect(designed).toEqual(result.factors);
    }
  });

  it("writes report.md, atlas.json and the figures", async () => {
    const files = await writeAtlasReport(result, groupByPoint(input), local, PROVENANCE);
    const md = readFileSync(join(local, "report.md"), "utf8");
    expect(md).toMatch(/## Verdict per early window/);
    for (const s of result.settings) expect(md).toContain(s.label);
    expect(md).toMatch(/rule used/);
    const json = JSON.parse(readFileSync(join(local, "atlas.json"), "utf8"));
    expect(json.summaries).toHaveLength(2);
    for (const name of ["forest", "auc", "moderators", "bimodality", "loss-curves"]) {
      expect(files).toContain(join(local, "figures", `${name}.png`));
      expect(
        readFileSync(join(local, "figures", `${name}.png`))
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
    }
  }, 120_000);

  it("an analysis killed after one setting resumes with it reused, and gives the same result", () => {
    const other = join(tmp, "interrupted");
    const copy = { ...input, dir: other };
    expect(() =>
      analyseAtlas(copy, FAST, {
        onSetting: (done) => {
          if (done === 1) throw new Error("killed");
        },
      }),
    ).toThrow("killed");
    expect(readdirSync(join(other, "atlas", "settings"))).toHaveLength(1);
    // A result file cut short by the kill is computed again, not trusted.
    writeFileSync(join(other, "atlas", "settings", "point-0002.json"), '{"fingerprint": "');
    const resumed = analyseAtlas(copy, FAST);
    expect(resumed.analysis).toMatchObject({ reused: 1, analysed: 2 });
    expect(resumed.settings).toEqual(result.settings);
    expect(resumed.summaries).toEqual(result.summaries);
    expect(analyseAtlas(copy, FAST).analysis).toMatchObject({ reused: 3, analysed: 0 });
    // Other options: every setting is analysed again.
    expect(analyseAtlas(copy, { ...FAST, minGap: 0.5 }).analysis.reused).toBe(0);
  }, 60_000);

  it("two shards merged give the same atlas", async () => {
    const shards = [0, 1].map((i) => join(tmp, `shard${i}`));
    for (const [i, out] of shards.entries())
      await runEnsemble(study, { outDir: out, workers: 1, shard: { index: i, count: 2 } });
    const merged = join(tmp, "merged");
    mergeShards(shards, { outDir: merged });
    const fromShards = analyseAtlas(readEnsemble(merged), FAST);
    expect(fromShards.settings).toEqual(result.settings);
    expect(fromShards.summaries).toEqual(result.summaries);
  }, 120_000);

  it("the CLI on the finished directory (--resume) runs nothing and writes the report", () => {
    const res = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(repoRoot, "src/cli/main.ts"),
        "atlas",
        "--config",
        studyFile,
        "--out",
        local,
        "--resume",
        "--quiet",
      ],
      { cwd: repoRoot, encoding: "utf8", timeout: 120_000 },
    );
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/120\/120 runs, 120 resumed, 0 run now/);
    expect(res.stdout).toMatch(new RegExp(`atlas ${study.id}: 3 settings`));
    expect(res.stdout).toMatch(/e = 40: gain in \d+, none in \d+, loss in \d+ of 3 settings/);
    expect(existsSync(join(local, "report.md"))).toBe(true);
  }, 180_000);

  it("figure data: the forest plots each setting's gain and interval and the pooled row; loss curves plot the records", () => {
    const spec = forestSpec(result.settings, result.summaries, 400) as unknown as {
      data: { values: Record<string, unknown>[] };
    };
    let plotted = 0;
    for (const s of result.settings) {
      for (const w of s.windows) {
        if (!w.gain) continue;
        const row = spec.data.values.find((v) => v.row === s.label && v.w === w.window);
        expect(row).toMatchObject({ delta: w.gain.delta, lo: w.gain.ci[0], hi: w.gain.ci[1], verdict: w.gain.verdict });
        plotted++;
      }
    }
    expect(plotted).toBeGreaterThan(0);
    const pooled = spec.data.values.filter((v) => v.row === POOLED_ROW);
    expect(pooled.map((v) => v.delta)).toEqual(result.summaries.map((s) => s.pooled?.estimate));

    const byPoint = groupByPoint(input);
    const curves = lossCurves(result, byPoint);
    const values = (lossCurvesSpec(curves) as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) {
      const run = input.runs.find((r) => r.index === v.run);
      const s = result.settings.find((x) => x.label === v.setting);
      if (!run || !s?.threshold) throw new Error("a plotted curve that is no run");
      const recorded = run.lossCheckpoints?.find(([t]) => t === v.step)?.[1] as number;
      expect(v.loss).toBe(Math.max(recorded, LOSS_FLOOR));
      const label = labelOf(finalLossOf(run).log10, s.threshold);
      expect(v.outcome).toBe(label === 1 ? "high final loss" : "low final loss");
    }
  });
});
