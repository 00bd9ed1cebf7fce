/**
 * The most recent answers of a text item, by the response's end date: a fixed-size list, so feeding
 * a million answers keeps at most `size` of them. Each kept text is cut to MAX_KEPT_CHARS.
 */
import type { LatestAnswer } from './types.ts';

export const LATEST_ANSWERS = 10;
export const MAX_KEPT_CHARS = 2000;

export class LatestAnswers {
  /** Newest first. */
  private readonly list: LatestAnswer[] = [];

  constructor(private readonly size = LATEST_ANSWERS) {}

  add(text: string, at: number, responseId: string): void {
    if (this.list.length === this.size && at < this.list[this.list.length - 1].at) return;
    // Equal dates: the answer fed later counts as newer (cursors feed in storage order).
    let i = 0;
    while (i < this.list.length && this.list[i].at > at) i++;
    const kept = text.length > MAX_KEPT_CHARS ? `${text.slice(0, MAX_KEPT_CHARS).replace(/[\uD800-\uDBFF]$/, '')}…` : text;
    this.list.splice(i, 0, { text: kept, at, responseId });
    if (this.list.length > this.size) this.list.pop();
  }

  result(): LatestAnswer[] {
    return this.list.map((a) => ({ ...a }));
  }
}
