/**
 * A median in bounded memory. Survey numbers mostly repeat (slider positions, ranks, points), so the
 * sketch counts distinct values exactly — the median is exact whatever the number of responses —
 * until an item has more than `limit` distinct values. From then on it keeps a streaming histogram
 * (after Ben-Haim & Tom-Tov): at most `limit` bins, each a (mean value, count) pair; new values
 * are batched, and when a batch would exceed the limit, neighbouring bins are merged into bins of about
 * equal counts. The approximate median is the mean of the bin where the cumulative count crosses n/2,
 * so its error is at most the spread of the values merged into that bin (about 2n / limit of them).
 * Memory: O(limit) numbers per item, however many values are added.
 */

export const DEFAULT_DISTINCT_LIMIT = 2048;

export class MedianSketch {
  private exact: Map<number, number> | null = new Map();
  /** Approximate mode: bins sorted by value. */
  private values: number[] = [];
  private counts: number[] = [];
  private pending: number[] = [];

  constructor(private readonly limit = DEFAULT_DISTINCT_LIMIT) {
    if (!(limit >= 2)) throw new RangeError('limit must be at least 2');
  }

  add(x: number): void {
    if (this.exact) {
      this.exact.set(x, (this.exact.get(x) ?? 0) + 1);
      if (this.exact.size > this.limit) this.toBins();
      return;
    }
    this.pending.push(x);
    if (this.pending.length >= this.limit) this.flush();
  }

  get approximate(): boolean {
    return this.exact === null;
  }

  /** Entries held (distinct values or bins plus the unmerged batch): never more than 2 × limit + 1. */
  get size(): number {
    return this.exact ? this.exact.size : this.values.length + this.pending.length;
  }

  median(): number | null {
    if (this.exact) {
      const entries = [...this.exact].sort((a, b) => a[0] - b[0]);
      return middle(entries.map((e) => e[0]), entries.map((e) => e[1]));
    }
    this.flush();
    return middle(this.values, this.counts);
  }

  private toBins(): void {
    const entries = [...(this.exact as Map<number, number>)].sort((a, b) => a[0] - b[0]);
    this.exact = null;
    this.values = entries.map((e) => e[0]);
    this.counts = entries.map((e) => e[1]);
    this.compress();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.sort((a, b) => a - b);
    this.pending = [];
    const values: number[] = [];
    const counts: number[] = [];
    let i = 0;
    let j = 0;
    while (i < this.values.length || j < batch.length) {
      const takeBin = j >= batch.length || (i < this.values.length && this.values[i] <= batch[j]);
      const v = takeBin ? this.values[i] : batch[j];
      const c = takeBin ? this.counts[i++] : (j++, 1);
      if (values.length > 0 && values[values.length - 1] === v) counts[counts.length - 1] += c;
      else {
        values.push(v);
        counts.push(c);
      }
    }
    this.values = values;
    this.counts = counts;
    this.compress();
  }

  /**
   * Equi-depth merge: neighbouring bins are merged while the merged bin holds at most `depth` values,
   * with `depth` = 2n / limit (doubled until the bins fit), so no bin spans more than about 2n / limit
   * ranks and the median's error stays within the spread of such a bin.
   */
  private compress(): void {
    const total = this.counts.reduce((s, c) => s + c, 0);
    let depth = (2 * total) / this.limit;
    while (this.values.length > this.limit) {
      const values: number[] = [];
      const counts: number[] = [];
      for (let i = 0; i < this.values.length; i++) {
        const last = counts.length - 1;
        if (last >= 0 && counts[last] + this.counts[i] <= depth) {
          const c = counts[last] + this.counts[i];
          values[last] = (values[last] * counts[last] + this.values[i] * this.counts[i]) / c;
          counts[last] = c;
        } else {
          values.push(this.values[i]);
          counts.push(this.counts[i]);
        }
      }
      this.values = values;
      this.counts = counts;
      depth *= 2;
    }
  }
}

/** The median of sorted values with multiplicities; the mean of the two middle values for an even n. */
function middle(values: number[], counts: number[]): number | null {
  const n = counts.reduce((s, c) => s + c, 0);
  if (n === 0) return null;
  const lower = valueAt(values, counts, Math.floor((n - 1) / 2));
  const upper = valueAt(values, counts, Math.floor(n / 2));
  return (lower + upper) / 2;
}

/** The value at 0-based rank k. */
function valueAt(values: number[], counts: number[], k: number): number {
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    seen += counts[i];
    if (k < seen) return values[i];
  }
  return values[values.length - 1];
}
