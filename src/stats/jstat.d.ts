/** The part of jstat (MIT; a CommonJS module whose exports hold `jStat`) that weightdyn uses; jstat ships no types. */
declare module "jstat" {
  const jstat: {
    jStat: {
      normal: { inv(p: number, mean: number, sd: number): number; cdf(x: number, mean: number, sd: number): number };
      chisquare: { cdf(x: number, dof: number): number };
      studentt: { inv(p: number, dof: number): number };
    };
  };
  export default jstat;
}
