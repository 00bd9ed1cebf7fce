/**
 * Running statistics of one numeric item: n, mean and variance by Welford's method (stable for
 * large n, no stored values), min, max, and the bounded median of median.ts.
 */
import { MedianSketch } from './median.ts';
import type { NumericStats } from './types.ts';

export class NumericAccumulator {
  private n = 0;
  private mean = 0;
  /** Sum of squared distances from the running mean. */
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  readonly median: MedianSketch;

  constructor(distinctLimit?: number) {
    this.median = new MedianSketch(distinctLimit);
  }

  add(x: number): void {
    this.n++;
    const delta = x - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.median.add(x);
  }

  result(): NumericStats {
    if (this.n === 0) return { n: 0, mean: null, median: null, sd: null, min: null, max: null, medianApproximate: false };
    return {
      n: this.n,
      mean: this.mean,
      median: this.median.median(),
      sd: this.n < 2 ? null : Math.sqrt(this.m2 / (this.n - 1)),
      min: this.min,
      max: this.max,
      medianApproximate: this.median.approximate,
    };
  }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A stored cell as a number: numbers as they are, numeric text (a text-entry answer "42", " 3.5 ")
 * parsed; anything else (including a decimal comma, which the stored text cannot tell apart from a
 * thousands separator) is not a number.
 */
export function numericValue(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  const s = v.trim();
  if (!NUMBER.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}
