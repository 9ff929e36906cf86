/**
 * The few distribution functions the atlas's statistics need, from jstat (one dependency-free package):
 *
 *   normalQuantile(p)          z with P(Z <= z) = p for a standard normal Z (1.959964 for p = 0.975)
 *   normalTwoSided(z)          P(|Z| >= |z|)
 *   chiSquareSurvival(x, df)   P(X >= x) for X ~ chi^2(df)
 *   tQuantile(p, df)           t with P(T <= t) = p for Student's T with df degrees of freedom
 */
import jstat from "jstat";

const { jStat } = jstat;

export function normalQuantile(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

export function normalTwoSided(z: number): number {
  return 2 * (1 - jStat.normal.cdf(Math.abs(z), 0, 1));
}

export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) return Number.NaN;
  return x <= 0 ? 1 : 1 - jStat.chisquare.cdf(x, df);
}

export function tQuantile(p: number, df: number): number {
  return df > 0 ? jStat.studentt.inv(p, df) : Number.NaN;
}
