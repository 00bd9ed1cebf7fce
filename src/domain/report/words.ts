/**
 * Word frequencies of free-text answers in bounded memory. Counts are exact while an item has met at
 * most `limit` distinct words. Past that, each time the table goes past `limit` entries it is cut back
 * to the `keep` most frequent (lossy counting): a word that is rare when a cut happens loses its count
 * and starts again from zero if it comes back, so later counts can be undercounts — never overcounts —
 * and the words that are frequent throughout, which are the ones a top-20 list shows, keep their rank.
 *
 * Words are runs of letters and digits (apostrophes inside a word kept: "don't"), lower-cased; words
 * without a letter, one-character words, words longer than MAX_WORD and English stop words are left
 * out. Scripts written without spaces (Chinese, Japanese, Thai) come out as whole phrases.
 */
import type { WordCount } from './types.ts';

export const MAX_WORD = 40;

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;
const LETTER = /\p{L}/u;

export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again against all am an and any are aren't as at be because been before being below " +
    "between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each " +
    "few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers " +
    "herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's " +
    "me more most much mustn't my myself no nor not now of off on once only or other ought our ours ourselves out " +
    "over own same shan't she she'd she'll she's should shouldn't so some such than that that's the their " +
    "theirs them themselves then there there's these they they'd they'll they're they've this those through to too " +
    "under until up us very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's " +
    "which while who who's whom why why's will with won't would wouldn't you you'd you'll you're you've your " +
    'yours yourself yourselves'
  ).split(' '),
);

/** The counted words of one answer, in order, repeats included. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().replace(/’/g, "'").matchAll(WORD)) {
    const w = m[0];
    if (w.length < 2 || w.length > MAX_WORD || !LETTER.test(w) || STOP_WORDS.has(w)) continue;
    out.push(w);
  }
  return out;
}

export const DEFAULT_WORD_LIMIT = 4000;

export class WordCounter {
  private readonly counts = new Map<string, number>();
  private pruned = false;
  private readonly keep: number;

  constructor(private readonly limit = DEFAULT_WORD_LIMIT) {
    if (!(limit >= 2)) throw new RangeError('limit must be at least 2');
    this.keep = Math.floor(limit / 4) || 1;
  }

  addText(text: string): void {
    for (const w of words(text)) this.add(w);
  }

  add(word: string): void {
    this.counts.set(word, (this.counts.get(word) ?? 0) + 1);
    if (this.counts.size > this.limit) this.prune();
  }

  get approximate(): boolean {
    return this.pruned;
  }

  get size(): number {
    return this.counts.size;
  }

  /** The `n` most frequent words; ties in alphabetical order so the list is stable. */
  top(n: number): WordCount[] {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, n)
      .map(([word, count]) => ({ word, count }));
  }

  private prune(): void {
    const kept = this.top(this.keep);
    this.counts.clear();
    for (const { word, count } of kept) this.counts.set(word, count);
    this.pruned = true;
  }
}
