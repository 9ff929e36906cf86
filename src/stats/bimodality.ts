/**
 * bimodalityCoefficient(values) -> Sarle's bimodality coefficient, or null for fewer than 4 values or no spread.
 *
 *   BC = (G1^2 + 1) / (G2 + 3 (n - 1)^2 / ((n - 2)(n - 3)))
 *
 * with G1 the sample skewness and G2 the sample excess kurtosis, both with the usual small-sample corrections
 * (Joanes & Gill 1998, The Statistician 47:183, "G1" and "G2"): g1 = m3 / m2^(3/2), g2 = m4 / m2^2 - 3 from the
 * central moments m_r = mean((x - xbar)^r), G1 = g1 sqrt(n (n - 1)) / (n - 2),
 * G2 = ((n + 1) g2 + 6) (n - 1) / ((n - 2)(n - 3)). SAS/STAT User's Guide (PROC CLUSTER); Pfister et al. 2013,
 * Front. Psychol. 4:700. For large n: 1/3 for a normal distribution, 5/9 for a uniform one (the usual threshold:
 * above it suggests bimodality), 1 for two equal point masses (any two point masses, in fact).
 */
export function bimodalityCoefficient(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 4) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const x of values) {
    const d = x - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  if (!(m2 > 0)) return null;
  const g1 = m3 / m2 ** 1.5;
  const g2 = m4 / (m2 * m2) - 3;
  const G1 = (g1 * Math.sqrt(n * (n - 1))) / (n - 2);
  const G2 = (((n + 1) * g2 + 6) * (n - 1)) / ((n - 2) * (n - 3));
  return (G1 * G1 + 1) / (G2 + (3 * (n - 1) ** 2) / ((n - 2) * (n - 3)));
}

/** Sarle's threshold: the coefficient of a uniform distribution. */
export const BIMODALITY_THRESHOLD = 5 / 9;
