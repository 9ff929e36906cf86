/**
 * The atlas's statistics (src/stats/): the DerSimonian-Laird random-effects summary against a hand computation and
 * against the published BCG vaccine example (Colditz et al. 1994; log relative risks; the numbers of R's metafor
 * and Stata's metan, as in metafor's own tests), meta-regression against its identities (intercept only = DL; an
 * exact line is recovered with tau^2 = 0; a 0/1 moderator without heterogeneity = the difference of the two fixed-
 * effect means), the subgroup test, Sarle's bimodality coefficient against its known limits, and the quantiles.
 */
import { describe, expect, it } from "vitest";
import { bimodalityCoefficient } from "../src/stats/bimodality.js";
import { chiSquareSurvival, normalQuantile, tQuantile } from "../src/stats/distributions.js";
import { metaRegression, randomEffects, subgroups } from "../src/stats/meta-analysis.js";
import { createRng } from "../src/system/rng.js";

/** dat.bcg (metafor): tpos, tneg, cpos, cneg of the 13 trials. */
const BCG = [
  [4, 119, 11, 128],
  [6, 300, 29, 274],
  [3, 228, 11, 209],
  [62, 13536, 248, 12619],
  [33, 5036, 47, 5761],
  [180, 1361, 372, 1079],
  [8, 2537, 10, 619],
  [505, 87886, 499, 87892],
  [29, 7470, 45, 7232],
  [17, 1699, 65, 1600],
  [186, 50448, 141, 27197],
  [5, 2493, 3, 2338],
  [27, 16886, 29, 17825],
];
/** Allocation of each trial (random / alternate / systematic), for the subgroup example. */
const ALLOC = ["r", "r", "r", "r", "a", "a", "r", "r", "r", "s", "s", "s", "s"];

/** Log relative risk and its variance (metafor's escalc(measure = "RR")). */
const logRR = BCG.map(([a, b, c, d]) => ({
  y: Math.log(a / (a + b) / (c / (c + d))),
  v: 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d),
}));
const y = logRR.map((r) => r.y);
const v = logRR.map((r) => r.v);

describe("DerSimonian-Laird", () => {
  it("a hand-computed case: y = 0, 1, 3 with unit variances", () => {
    // ybar = 4/3, Q = 42/9, C = 3 - 3/3 = 2, tau^2 = (42/9 - 2) / 2 = 4/3, se = sqrt((1 + 4/3) / 3), I^2 = 4/7
    const s = randomEffects([0, 1, 3], [1, 1, 1]);
    expect(s.Q).toBeCloseTo(42 / 9, 14);
    expect(s.tau2).toBeCloseTo(4 / 3, 14);
    expect(s.estimate).toBeCloseTo(4 / 3, 14);
    expect(s.se).toBeCloseTo(Math.sqrt(7 / 9), 14);
    expect(s.I2).toBeCloseTo(400 / 7, 12);
    // prediction interval: t_{0.975, 1} = 12.7062 (tables) times sqrt(tau^2 + se^2)
    const half = (s.predictionInterval as [number, number])[1] - s.estimate;
    expect(half).toBeCloseTo(12.7062047 * Math.sqrt(4 / 3 + 7 / 9), 5);
  });

  it("the BCG example (log RR, 13 trials) gives metafor's and Stata's numbers", () => {
    const s = randomEffects(y, v);
    expect(s.fixed.estimate).toBeCloseTo(-0.4303, 4);
    expect(s.Q).toBeCloseTo(152.233, 3);
    expect(s.estimate).toBeCloseTo(-0.7141, 4);
    expect(s.ci[0]).toBeCloseTo(-1.0644, 4);
    expect(s.ci[1]).toBeCloseTo(-0.3638, 4);
    expect(s.z).toBeCloseTo(-3.9952, 4);
    expect(s.tau2).toBeCloseTo(0.3088, 4);
    expect(s.I2).toBeCloseTo(92.1173, 4);
    expect(Math.exp(s.estimate)).toBeCloseTo(0.4896, 4);
    expect(s.pQ).toBeLessThan(1e-20);
  });

  it("no heterogeneity: tau^2 = 0 and the random-effects summary is the fixed-effect one", () => {
    const s = randomEffects([0.1, 0.1, 0.1, 0.1], [0.01, 0.02, 0.04, 0.01]);
    expect(s.tau2).toBe(0);
    expect(s.estimate).toBeCloseTo(0.1, 15);
    expect(s.se).toBeCloseTo(s.fixed.se, 15);
    expect(s.I2).toBe(0);
  });

  it("bad input names the estimate", () => {
    expect(() => randomEffects([0.1, Number.NaN], [1, 1])).toThrow(/estimate 1/);
    expect(() => randomEffects([0.1, 0.2], [1, 0])).toThrow(/variance 1/);
  });
});

describe("meta-regression and subgroups", () => {
  it("with an intercept only it is the DerSimonian-Laird summary", () => {
    const r = metaRegression(
      y,
      v,
      y.map(() => [1]),
    );
    const s = randomEffects(y, v);
    expect(r.tau2).toBeCloseTo(s.tau2, 12);
    expect(r.coefficients[0].estimate).toBeCloseTo(s.estimate, 12);
    expect(r.coefficients[0].se).toBeCloseTo(s.se, 12);
    expect(r.QE).toBeCloseTo(s.Q, 9);
  });

  it("estimates on an exact line are recovered with tau^2 = 0", () => {
    const x = [0, 1, 2, 3, 4, 5];
    const r = metaRegression(
      x.map((xi) => 0.1 + 0.5 * xi),
      x.map((xi) => 0.01 * (1 + xi)),
      x.map((xi) => [1, xi]),
    );
    expect(r.tau2).toBe(0);
    expect(r.coefficients[0].estimate).toBeCloseTo(0.1, 12);
    expect(r.coefficients[1].estimate).toBeCloseTo(0.5, 12);
    expect(r.QE).toBeCloseTo(0, 20);
  });

  it("a 0/1 moderator without heterogeneity: the slope is the difference of the two groups' fixed-effect means", () => {
    const ys = [0.1, 0.12, 0.09, 0.3, 0.31];
    const vs = [0.01, 0.02, 0.01, 0.02, 0.01];
    const g = [0, 0, 0, 1, 1];
    const r = metaRegression(
      ys,
      vs,
      g.map((gi) => [1, gi]),
    );
    const fe = (sel: number) => {
      const idx = g.flatMap((gi, i) => (gi === sel ? [i] : []));
      return randomEffects(
        idx.map((i) => ys[i]),
        idx.map((i) => vs[i]),
      ).fixed;
    };
    expect(r.tau2).toBe(0); // the spread within groups is below the sampling variance
    expect(r.coefficients[1].estimate).toBeCloseTo(fe(1).estimate - fe(0).estimate, 12);
    expect(r.coefficients[1].se).toBeCloseTo(Math.sqrt(fe(0).se ** 2 + fe(1).se ** 2), 12);
  });

  it("subgroups: one DL summary per group; Q_between is the FE Q of the group summaries, chi^2 with G - 1 df", () => {
    const a = subgroups(y, v, ALLOC);
    expect(a.groups.map((g) => g.name)).toEqual(["r", "a", "s"]);
    for (const g of a.groups) {
      const idx = ALLOC.flatMap((x, i) => (x === g.name ? [i] : []));
      expect(g.summary.estimate).toBeCloseTo(
        randomEffects(
          idx.map((i) => y[i]),
          idx.map((i) => v[i]),
        ).estimate,
        14,
      );
    }
    const fe = randomEffects(
      a.groups.map((g) => g.summary.estimate),
      a.groups.map((g) => g.summary.se ** 2),
    );
    expect(a.Qbetween).toBeCloseTo(fe.Q, 12);
    expect(a.df).toBe(2);
    expect(a.p).toBeCloseTo(chiSquareSurvival(a.Qbetween, 2), 14);
  });
});

describe("bimodality coefficient and quantiles", () => {
  it("normal draws give about 1/3, a uniform grid about 5/9, two point masses about 1", () => {
    const rng = createRng(2);
    const normal = Array.from({ length: 20000 }, () => rng.normal());
    expect(bimodalityCoefficient(normal) as number).toBeCloseTo(1 / 3, 1);
    const uniform = Array.from({ length: 20001 }, (_, i) => i / 20000);
    expect(bimodalityCoefficient(uniform) as number).toBeCloseTo(5 / 9, 3);
    const twoPoints = Array.from({ length: 1000 }, (_, i) => (i < 150 ? -30 : -2));
    expect(bimodalityCoefficient(twoPoints) as number).toBeCloseTo(1, 2);
    expect(bimodalityCoefficient([1, 1, 1, 1])).toBeNull();
    expect(bimodalityCoefficient([1, 2, 3])).toBeNull();
  });

  it("quantiles agree with the tables: z 0.975 = 1.959964, t(0.975, 11) = 2.200985, chi^2(1) tail at 3.841459 = 0.05", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(tQuantile(0.975, 11)).toBeCloseTo(2.200985, 6);
    expect(chiSquareSurvival(3.841459, 1)).toBeCloseTo(0.05, 6);
  });
});
