/**
 * L2-regularised logistic regression by Newton's method (iteratively reweighted least squares), and the
 * standardisation of features.
 *
 *   fitStandardiser(X) -> { mean, scale }      from the rows it is given (cv.ts gives it training rows only)
 *   standardise(X, s)  -> (X - mean) / scale
 *   fitLogistic(X, y, { lambda }) -> { intercept, coef, iterations, converged }
 *   linearPredictor(model, X), probability(model, X)
 *
 * The fit minimises the penalised negative log-likelihood
 *   L(b0, b) = sum_i [ log(1 + exp(eta_i)) - y_i eta_i ] + (lambda / 2) ||b||^2,   eta_i = b0 + x_i . b,
 * with the intercept b0 not penalised (Hastie, Tibshirani & Friedman, The Elements of Statistical Learning, 2nd ed.,
 * sec. 4.4.1 for IRLS and 4.4.4 for the L2 penalty). Gradient and Hessian:
 *   g = X1^T (p - y) + lambda (0, b),   H = X1^T W X1 + lambda diag(0, 1, ..., 1),   W = diag(p_i (1 - p_i)),
 * X1 = [1, X]. H is positive definite for lambda > 0 (the intercept row gets a 1e-10 n ridge for the corner case of
 * all p_i saturated), so L is strictly convex with one minimiser even on separable data; each Newton step is solved by
 * Cholesky and halved until L decreases (Armijo backtracking), which makes the iteration globally convergent.
 */

/** A dense matrix, row-major. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrixFromRows(rows: readonly (readonly number[])[], cols = rows[0]?.length ?? 0): Matrix {
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new RangeError(`matrixFromRows: row ${i} has ${r.length} values, expected ${cols}`);
    data.set(r, i * cols);
  });
  return { rows: rows.length, cols, data };
}

/** The rows `idx` of X, in that order (a copy: the callee cannot see the other rows). */
export function selectRows(X: Matrix, idx: readonly number[]): Matrix {
  const data = new Float64Array(idx.length * X.cols);
  idx.forEach((r, i) => {
    if (!(r >= 0 && r < X.rows)) throw new RangeError(`selectRows: row ${r} out of range 0..${X.rows - 1}`);
    data.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), i * X.cols);
  });
  return { rows: idx.length, cols: X.cols, data };
}

export interface Standardiser {
  mean: Float64Array;
  /** Population standard deviation, or 1 for a constant column (which then standardises to 0). */
  scale: Float64Array;
}

/** Column means and standard deviations of the rows of X (all of them: pass training rows only). */
export function fitStandardiser(X: Matrix): Standardiser {
  const { rows, cols, data } = X;
  const mean = new Float64Array(cols);
  const scale = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= Math.max(rows, 1);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) scale[j] += (data[i * cols + j] - mean[j]) ** 2;
  }
  for (let j = 0; j < cols; j++) {
    const sd = Math.sqrt(scale[j] / Math.max(rows, 1));
    scale[j] = sd > 1e-300 && Number.isFinite(sd) ? sd : 1;
  }
  return { mean, scale };
}

export function standardise(X: Matrix, s: Standardiser): Matrix {
  const out = new Float64Array(X.data.length);
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < X.cols; j++) out[i * X.cols + j] = (X.data[i * X.cols + j] - s.mean[j]) / s.scale[j];
  }
  return { rows: X.rows, cols: X.cols, data: out };
}

export interface LogisticOptions {
  /** L2 penalty on the slopes (default 1; features are expected standardised). */
  lambda?: number;
  maxIterations?: number;
  /** Convergence when the largest Newton step component is below tol (1 + |b|_inf). */
  tol?: number;
}

export interface LogisticModel {
  intercept: number;
  coef: Float64Array;
  iterations: number;
  converged: boolean;
}

/** log(1 + exp(eta)) without overflow. */
function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

function sigmoid(eta: number): number {
  return eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
}

function objective(X: Matrix, y: ArrayLike<number>, beta: Float64Array, lambda: number): number {
  const p = X.cols;
  let L = 0;
  for (let i = 0; i < X.rows; i++) {
    let eta = beta[0];
    for (let j = 0; j < p; j++) eta += X.data[i * p + j] * beta[j + 1];
    L += softplus(eta) - y[i] * eta;
  }
  for (let j = 1; j <= p; j++) L += (lambda / 2) * beta[j] ** 2;
  return L;
}

/** Solves A x = b for symmetric positive definite A (m x m, row-major; overwritten by its Cholesky factor). */
export function choleskySolve(A: Float64Array, b: Float64Array, m: number): Float64Array {
  for (let j = 0; j < m; j++) {
    let d = A[j * m + j];
    for (let k = 0; k < j; k++) d -= A[j * m + k] ** 2;
    if (!(d > 0)) throw new RangeError("choleskySolve: matrix is not positive definite");
    const ljj = Math.sqrt(d);
    A[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let s = A[i * m + j];
      for (let k = 0; k < j; k++) s -= A[i * m + k] * A[j * m + k];
      A[i * m + j] = s / ljj;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < i; k++) x[i] -= A[i * m + k] * x[k];
    x[i] /= A[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let k = i + 1; k < m; k++) x[i] -= A[k * m + i] * x[k];
    x[i] /= A[i * m + i];
  }
  return x;
}

/** fitLogistic(X, y, options): the penalised maximum-likelihood fit (see the module comment). y in {0, 1}. */
export function fitLogistic(X: Matrix, y: ArrayLike<number>, options: LogisticOptions = {}): LogisticModel {
  const lambda = options.lambda ?? 1;
  const maxIterations = options.maxIterations ?? 100;
  const tol = options.tol ?? 1e-10;
  if (!(lambda > 0)) throw new RangeError(`fitLogistic: lambda: expected a positive number but received ${lambda}`);
  if (y.length !== X.rows) throw new RangeError(`fitLogistic: y has ${y.length} values for ${X.rows} rows`);
  const n = X.rows;
  const p = X.cols;
  const m = p + 1;
  const beta = new Float64Array(m);
  let L = objective(X, y, beta, lambda);
  const H = new Float64Array(m * m);
  const g = new Float64Array(m);
  const x1 = new Float64Array(m);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && !converged) {
    iterations++;
    H.fill(0);
    g.fill(0);
    for (let i = 0; i < n; i++) {
      x1[0] = 1;
      for (let j = 0; j < p; j++) x1[j + 1] = X.data[i * p + j];
      let eta = 0;
      for (let j = 0; j < m; j++) eta += x1[j] * beta[j];
      const pi = sigmoid(eta);
      const w = pi * (1 - pi);
      const r = pi - y[i];
      for (let a = 0; a < m; a++) {
        g[a] += x1[a] * r;
        const wa = w * x1[a];
        for (let b = 0; b <= a; b++) H[a * m + b] += wa * x1[b];
      }
    }
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) H[b * m + a] = H[a * m + b];
    H[0] += 1e-10 * Math.max(n, 1);
    for (let j = 1; j < m; j++) {
      H[j * m + j] += lambda;
      g[j] += lambda * beta[j];
    }
    const step = choleskySolve(H, g, m);
    let t = 1;
    const trial = new Float64Array(m);
    let Lnew = L;
    for (let halvings = 0; halvings < 50; halvings++) {
      for (let j = 0; j < m; j++) trial[j] = beta[j] - t * step[j];
      Lnew = objective(X, y, trial, lambda);
      if (Lnew <= L) break;
      t /= 2;
    }
    let stepMax = 0;
    let betaMax = 0;
    for (let j = 0; j < m; j++) {
      stepMax = Math.max(stepMax, Math.abs(trial[j] - beta[j]));
      betaMax = Math.max(betaMax, Math.abs(trial[j]));
    }
    if (Lnew <= L) {
      beta.set(trial);
      L = Lnew;
    }
    converged = stepMax <= tol * (1 + betaMax) || Lnew > L;
  }
  return { intercept: beta[0], coef: beta.slice(1), iterations, converged };
}

/** eta_i = b0 + x_i . b for every row of X. */
export function linearPredictor(model: LogisticModel, X: Matrix): Float64Array {
  const out = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    let eta = model.intercept;
    for (let j = 0; j < X.cols; j++) eta += X.data[i * X.cols + j] * model.coef[j];
    out[i] = eta;
  }
  return out;
}

export function probability(model: LogisticModel, X: Matrix): Float64Array {
  return linearPredictor(model, X).map(sigmoid);
}
