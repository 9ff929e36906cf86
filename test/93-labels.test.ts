/**
 * The label rule of weightdyn predict (src/predict/labels.ts): the gap rule with a minimum gap width and class
 * balance, and its fallback to the median split, on constructed distributions whose answer is known by
 * construction: a continuous unimodal sample (no real gap: falls back), two separated groups (kept, split between
 * them), separated but lopsided groups (falls back for balance), and the criteria's edges.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  computeThreshold,
  DEFAULT_GAP_RULE,
  gapThreshold,
  labelOf,
  medianThreshold,
  splitThreshold,
} from "../src/predict/labels.js";
import { predictStudy } from "../src/predict/predict.js";
import { describeThreshold, ruleUsed } from "../src/predict/report.js";
import { createRng } from "../src/system/rng.js";
import { writeFixture } from "./support/predict-fixture.js";

/** n evenly spaced values from lo to hi (deterministic "groups" with known spacing). */
const spaced = (n: number, lo: number, hi: number) =>
  Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

/** The median by sorting, computed here independently of labels.ts. */
function median(values: number[]): number {
  const v = values.slice().sort((a, b) => a - b);
  const h = (v.length - 1) / 2;
  return (v[Math.floor(h)] + v[Math.ceil(h)]) / 2;
}

const count = (values: number[], t: { log10: number }) => values.filter((v) => labelOf(v, t as never) === 1).length;

describe("the gap rule's fallback to the median", () => {
  it("a continuous unimodal sample (500 normal draws, sd 0.5 decades) falls back to the median: no gap is wide", () => {
    const rng = createRng(3);
    const values = Array.from({ length: 500 }, () => -2 + 0.5 * rng.normal());
    const raw = gapThreshold(values);
    // the raw gap rule finds some gap, narrow against 0.2 decades (spacing of 500 draws over ~3 decades)
    expect(raw.gap?.width).toBeLessThan(DEFAULT_GAP_RULE.minGap);
    const t = splitThreshold(values);
    expect(t.rule).toBe("median");
    expect(t.fallback).toMatch(/decades wide \(< 0\.2\)/);
    expect(t.log10).toBe(median(values));
    expect(count(values, t)).toBe(250);
    expect(ruleUsed(t)).toBe("median (gap failed)");
    expect(describeThreshold(t)).toMatch(/because the gap rule not used: its gap is 0\.\d\d decades wide/);
  });

  it("two separated groups (300 around -4, 200 around -1.5) keep the gap rule, split between them", () => {
    const values = [...spaced(300, -4.3, -3.7), ...spaced(200, -1.8, -1.2)];
    const t = splitThreshold(values);
    expect(t.rule).toBe("gap");
    expect(t.fallback).toBeUndefined();
    expect(t.log10).toBeCloseTo((-3.7 + -1.8) / 2, 12);
    expect(count(values, t)).toBe(200);
    expect(ruleUsed(t)).toBe("gap");
  });

  it("separated but lopsided groups (462 high, 38 low, 2 decades apart) fall back for balance", () => {
    const values = [...spaced(38, -5.2, -4.8), ...spaced(462, -2.5, -1.5)];
    // The raw rule splits at the real gap, leaving 38 of 500 (7.6%) low.
    const raw = gapThreshold(values);
    expect(raw.gap?.ranks).toEqual([37, 38]);
    const t = splitThreshold(values);
    expect(t.rule).toBe("median");
    expect(t.fallback).toMatch(/leaves 38 of 500 converged runs on one side \(< 10%\)/);
    expect(t.gap?.width).toBeCloseTo(2.3, 12); // the rejected gap is reported
    expect(count(values, t)).toBe(250);
  });

  it("a narrow gap between lopsided groups fails both criteria, both reasons given", () => {
    const values = [...spaced(40, -3, -2.5), ...spaced(460, -2.45, -1)];
    const t = splitThreshold(values, { minGap: 0.3 });
    expect(t.fallback).toMatch(/decades wide .* and it leaves 40 of 500/);
  });

  it("the criteria are inclusive: a gap of exactly minGap with exactly minShare on the smaller side is kept", () => {
    // 10 low values 0, 1, ..., 9; 90 high values from 14 to 23 (gap exactly 5): smaller side 10 of 100
    const values = [...spaced(10, 0, 9), ...spaced(90, 14, 23)];
    const t = splitThreshold(values, { minGap: 5, minShare: 0.1, central: 0.8 });
    expect(t.rule).toBe("gap");
    expect(t.log10).toBe(11.5);
    const stricter = splitThreshold(values, { minGap: 5 + 1e-9, minShare: 0.1, central: 0.8 });
    expect(stricter.rule).toBe("median");
    const share = splitThreshold(values, { minGap: 5, minShare: 0.11, central: 0.8 });
    expect(share.rule).toBe("median");
  });

  it("computeThreshold: --split median never tries the gap; a given threshold overrides both; one run is its own median", () => {
    const values = [...spaced(300, -4.3, -3.7), ...spaced(200, -1.8, -1.2)];
    expect(computeThreshold(values, { split: "median" })).toEqual(medianThreshold(values));
    expect(computeThreshold(values, { split: "gap", threshold: 1e-3 }).rule).toBe("threshold");
    expect(computeThreshold([-2], { split: "gap" })).toMatchObject({ rule: "median", log10: -2 });
  });

  it("computeThreshold without minGap and minShare takes the gap rule's defaults (the playground calls it so)", () => {
    // Two groups 0.5 decades apart, 40% on the smaller side: the default rule (0.2 decades, 10%) keeps the gap.
    const values = [...spaced(300, -4.3, -3.7), ...spaced(200, -3.2, -2.9)];
    const t = computeThreshold(values, { split: "gap" });
    expect(t).toEqual(splitThreshold(values));
    expect(t.rule).toBe("gap");
    expect(t.log10).toBeCloseTo(-3.45, 12);
  });
});

describe("predict prints the rule used per group", () => {
  it("a fixture with one separated and one continuous group: gap for one, median (gap failed) for the other", () => {
    const dir = mkdtempSync(join(tmpdir(), "weightdyn-93-"));
    const runs = writeFixture(dir, { perGroup: 80, activations: ["relu", "tanh"], partialLine: false });
    // tanh's c_f are replaced by a continuous spread (no gap); relu keeps the fixture's two groups.
    const rng = createRng(8);
    const lines = runs.map((r) =>
      r.params && (r.params as Record<string, unknown>)["network.activation"] === "tanh" && r.finalLoss !== null
        ? { ...r, finalLoss: 10 ** (-3 + 0.4 * rng.normal()) }
        : r,
    );
    writeFileSync(join(dir, "runs.ndjson"), lines.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const report = predictStudy(dir, { perGroup: true, resamples: 50, repeats: 1 });
    const byName = Object.fromEntries(report.groups.map((g) => [g.name, g.threshold]));
    expect(byName.relu?.rule).toBe("gap");
    expect(byName.tanh?.rule).toBe("median");
    expect(byName.tanh?.fallback).toMatch(/gap rule not used/);
    expect(report.labelling.description).toMatch(/otherwise above their median/);
  });
});
