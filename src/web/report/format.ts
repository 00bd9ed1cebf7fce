/**
 * How the report writes numbers and texts. Charts and data tables both go through these, so the
 * figures a chart shows are character for character the ones its table gives.
 */
import { plainText } from '../pages/surveys/outline.ts';

export interface Formats {
  count(n: number): string;
  percent(p: number): string;
  stat(x: number | null): string;
}

export function formats(locale = 'en'): Formats {
  const count = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const pct = new Intl.NumberFormat(locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  const stat = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  return {
    count: (n) => count.format(n),
    percent: (p) => `${pct.format(p)}%`,
    stat: (x) => (x === null ? '–' : stat.format(x)),
  };
}

/** A survey text (QSF HTML, possibly hostile) as one line of plain text; the templates escape it. */
export function label(surveyHtml: string, fallback = ''): string {
  const text = plainText(surveyHtml).replace(/\s+/g, ' ').trim();
  return text === '' ? fallback : text;
}

/** Chart labels have a fixed width; the table next to the chart carries the full text. */
export function short(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}
