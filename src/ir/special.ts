/**
 * Special functions shared by the float kernels and the compiler's lookup tables (which live
 * below the simulator, so the function is defined once here): erf, Mish and the normal CDF of GELU.
 */
const SQRT_PI = Math.sqrt(Math.PI);

/**
 * erf to double precision where float32 can see it: the Maclaurin series below 3 (terms
 * shrink fast enough that cancellation costs < 1e-11) and erfc's continued fraction above.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    let term = a;
    let sum = a;
    const x2 = a * a;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / SQRT_PI) * sum;
  } else {
    let k = a;
    for (let n = 80; n >= 1; n--) k = a + n / 2 / k;
    r = 1 - Math.exp(-a * a) / SQRT_PI / k;
  }
  return x < 0 ? -r : r;
}

/** x · tanh(softplus(x)), softplus without overflow. */
export function mish(x: number): number {
  return x * Math.tanh(x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
}

/** The standard normal CDF Φ(x) = (1 + erf(x/√2))/2, or with `tanh` its tanh approximation (GELU's). */
export function normalCdf(x: number, tanh = false): number {
  if (tanh) return 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  return 0.5 * (1 + erf(x / Math.SQRT2));
}
