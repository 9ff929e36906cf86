/**
 * Random-effects meta-analysis: pooling k independent estimates y_i with known sampling variances v_i (here: the
 * FTLE gain of each setting of an atlas and its squared standard error).
 *
 *   randomEffects(y, v, level)                  DerSimonian & Laird (1986, Control. Clin. Trials 7:177)
 *   metaRegression(y, v, X, level)              mixed-effects meta-regression, residual tau^2 by the same method of
 *                                               moments (Raudenbush 2009, in The Handbook of Research Synthesis)
 *   subgroups(y, v, groups, level)              one random-effects summary per group and the test of their differences
 *
 * DerSimonian-Laird: with fixed-effect weights w_i = 1 / v_i, ybar = sum w y / sum w, Cochran's
 *   Q = sum w_i (y_i - ybar)^2   (df = k - 1),   C = sum w - sum w^2 / sum w,   tau^2 = max(0, (Q - df) / C);
 * random-effects weights w*_i = 1 / (v_i + tau^2), mu = sum w* y / sum w*, se(mu) = 1 / sqrt(sum w*), a normal
 * (Wald) interval mu +- z se, and I^2 = max(0, (Q - df) / Q) (Higgins & Thompson 2002, Stat. Med. 21:1539), the
 * share of the observed variation due to heterogeneity. The prediction interval for the effect in a new setting is
 * mu +- t_{k-2} sqrt(tau^2 + se^2) (Higgins, Thompson & Spiegelhalter 2009, J. R. Stat. Soc. A 172:137), for k >= 3.
 *
 * Meta-regression with design X (k x p, first column 1): the fixed-effect fit b = (X'WX)^-1 X'W y gives the residual
 * Q_E = sum w_i (y_i - x_i b)^2 and, with P = W - W X (X'WX)^-1 X'W, tau^2 = max(0, (Q_E - (k - p)) / tr P); then
 * the weighted fit with W* = diag(1 / (v_i + tau^2)): b*, Var b* = (X'W*X)^-1, Wald tests per coefficient. With X = 1
 * it is exactly the DerSimonian-Laird summary (tr P = C).
 *
 * Subgroups (Borenstein, Hedges, Higgins & Rothstein 2009, Introduction to Meta-Analysis, ch. 19, "separate
 * estimates of tau^2"): a random-effects summary (mu_g, se_g) per group, and Q_between = sum_g (mu_g - mu.)^2 / se_g^2
 * with mu. their inverse-variance mean, chi^2 with G - 1 degrees of freedom under "no difference between groups".
 */
import { choleskySolve } from "../predict/logistic.js";
import { chiSquareSurvival, normalQuantile, normalTwoSided, tQuantile } from "./distributions.js";

export interface RandomEffectsSummary {
  k: number;
  estimate: number;
  se: number;
  ci: [number, number];
  z: number;
  /** Two-sided p of estimate = 0. */
  p: number;
  tau2: number;
  /** Cochran's Q, its degrees of freedom and p (homogeneity test). */
  Q: number;
  df: number;
  pQ: number;
  /** Percent, 0..100. */
  I2: number;
  /** For a new setting (k >= 3), else null. */
  predictionInterval: [number, number] | null;
  fixed: { estimate: number; se: number };
}

function check(y: readonly number[], v: readonly number[]): void {
  if (y.length !== v.length) throw new RangeError(`meta-analysis: ${y.length} estimates but ${v.length} variances`);
  if (y.length === 0) throw new RangeError("meta-analysis: no estimates");
  y.forEach((yi, i) => {
    if (!Number.isFinite(yi)) throw new RangeError(`meta-analysis: estimate ${i} is ${yi}`);
    if (!(v[i] > 0 && Number.isFinite(v[i])))
      throw new RangeError(`meta-analysis: variance ${i} must be > 0, got ${v[i]}`);
  });
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export function randomEffects(y: readonly number[], v: readonly number[], level = 0.95): RandomEffectsSummary {
  check(y, v);
  const k = y.length;
  const w = v.map((vi) => 1 / vi);
  const sw = sum(w);
  const ybar = sum(w.map((wi, i) => wi * y[i])) / sw;
  const Q = sum(w.map((wi, i) => wi * (y[i] - ybar) ** 2));
  const df = k - 1;
  const C = sw - sum(w.map((wi) => wi * wi)) / sw;
  const tau2 = df > 0 && C > 0 ? Math.max(0, (Q - df) / C) : 0;
  const ws = v.map((vi) => 1 / (vi + tau2));
  const sws = sum(ws);
  const estimate = sum(ws.map((wi, i) => wi * y[i])) / sws;
  const se = 1 / Math.sqrt(sws);
  const zc = normalQuantile(1 - (1 - level) / 2);
  const t = k >= 3 ? tQuantile(1 - (1 - level) / 2, k - 2) : Number.NaN;
  const half = t * Math.sqrt(tau2 + se * se);
  return {
    k,
    estimate,
    se,
    ci: [estimate - zc * se, estimate + zc * se],
    z: estimate / se,
    p: normalTwoSided(estimate / se),
    tau2,
    Q,
    df,
    pQ: df > 0 ? chiSquareSurvival(Q, df) : Number.NaN,
    I2: Q > 0 && df > 0 ? Math.max(0, (100 * (Q - df)) / Q) : 0,
    predictionInterval: k >= 3 ? [estimate - half, estimate + half] : null,
    fixed: { estimate: ybar, se: 1 / Math.sqrt(sw) },
  };
}

export interface MetaRegression {
  k: number;
  /** Coefficients with standard errors, Wald z, two-sided p and interval, in the order of X's columns. */
  coefficients: { estimate: number; se: number; z: number; p: number; ci: [number, number] }[];
  tau2: number;
  /** Residual heterogeneity Q_E, df = k - p, and its p. */
  QE: number;
  df: number;
  pQE: number;
}

/** (X'WX) and X'W y for a row-major k x p design. */
function normalEquations(X: readonly (readonly number[])[], w: readonly number[], y: readonly number[]) {
  const p = X[0].length;
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  X.forEach((row, i) => {
    for (let a = 0; a < p; a++) {
      b[a] += w[i] * row[a] * y[i];
      for (let c = 0; c < p; c++) A[a * p + c] += w[i] * row[a] * row[c];
    }
  });
  return { A, b, p };
}

/** The inverse of a small symmetric positive definite matrix, column by column. */
function inverse(A: Float64Array, p: number): Float64Array {
  const inv = new Float64Array(p * p);
  for (let c = 0; c < p; c++) {
    const e = new Float64Array(p);
    e[c] = 1;
    const col = choleskySolve(Float64Array.from(A), e, p);
    for (let r = 0; r < p; r++) inv[r * p + c] = col[r];
  }
  return inv;
}

function weightedFit(X: readonly (readonly number[])[], w: readonly number[], y: readonly number[]) {
  const { A, b, p } = normalEquations(X, w, y);
  const V = inverse(A, p);
  const beta = Array.from({ length: p }, (_, r) => sum(Array.from(b, (bc, c) => V[r * p + c] * bc)));
  return { beta, V, p };
}

export function metaRegression(
  y: readonly number[],
  v: readonly number[],
  X: readonly (readonly number[])[],
  level = 0.95,
): MetaRegression {
  check(y, v);
  const k = y.length;
  if (X.length !== k) throw new RangeError(`meta-regression: ${X.length} design rows for ${k} estimates`);
  const w = v.map((vi) => 1 / vi);
  const fe = weightedFit(X, w, y);
  const p = fe.p;
  if (k <= p) throw new RangeError(`meta-regression: ${k} estimates for ${p} coefficients`);
  const fitted = X.map((row) => sum(row.map((x, a) => x * fe.beta[a])));
  const QE = sum(w.map((wi, i) => wi * (y[i] - fitted[i]) ** 2));
  // tr P = tr W - tr((X'WX)^-1 X'W^2 X)
  const { A: XW2X } = normalEquations(
    X,
    w.map((wi) => wi * wi),
    y,
  );
  let trace = sum(w);
  for (let a = 0; a < p; a++) for (let c = 0; c < p; c++) trace -= fe.V[a * p + c] * XW2X[c * p + a];
  const tau2 = Math.max(0, (QE - (k - p)) / trace);
  const re = weightedFit(
    X,
    v.map((vi) => 1 / (vi + tau2)),
    y,
  );
  const zc = normalQuantile(1 - (1 - level) / 2);
  return {
    k,
    coefficients: re.beta.map((estimate, a) => {
      const se = Math.sqrt(re.V[a * p + a]);
      return {
        estimate,
        se,
        z: estimate / se,
        p: normalTwoSided(estimate / se),
        ci: [estimate - zc * se, estimate + zc * se] as [number, number],
      };
    }),
    tau2,
    QE,
    df: k - p,
    pQE: chiSquareSurvival(QE, k - p),
  };
}

export interface SubgroupAnalysis {
  groups: { name: string; summary: RandomEffectsSummary }[];
  /** Test of subgroup differences: Q_between, df = G - 1, p. */
  Qbetween: number;
  df: number;
  p: number;
}

/** Groups in the order of first appearance in `groups` (module comment). */
export function subgroups(
  y: readonly number[],
  v: readonly number[],
  groups: readonly string[],
  level = 0.95,
): SubgroupAnalysis {
  check(y, v);
  const names = [...new Set(groups)];
  const summaries = names.map((name) => {
    const idx = groups.flatMap((g, i) => (g === name ? [i] : []));
    return {
      name,
      summary: randomEffects(
        idx.map((i) => y[i]),
        idx.map((i) => v[i]),
        level,
      ),
    };
  });
  const w = summaries.map((g) => 1 / g.summary.se ** 2);
  const mean = sum(summaries.map((g, i) => w[i] * g.summary.estimate)) / sum(w);
  const Qbetween = sum(summaries.map((g, i) => w[i] * (g.summary.estimate - mean) ** 2));
  const df = names.length - 1;
  return { groups: summaries, Qbetween, df, p: df > 0 ? chiSquareSurvival(Qbetween, df) : Number.NaN };
}
