/**
 * Event topics: dot-separated segments such as `surveyengine.completedResponse.SV_…`. A subscription
 * names patterns where a segment may be `*`: in the middle it stands for exactly one segment, as the
 * last segment for one or more (so `surveyengine.*` covers every survey-engine event).
 *
 * Matching is done by the database with plain equality: an event lists every pattern that would
 * match it (`candidatePatterns`), and the subscriptions whose stored patterns are among them get
 * the event. That keeps matching exact and case-sensitive on both SQLite and PostgreSQL and lets an
 * index do the work.
 */

export const TOPIC_NAMESPACES = ['surveyengine', 'controlpanel', 'mailinglist'] as const;
export const MAX_TOPIC_LENGTH = 200;
export const MAX_TOPICS = 20;
const MAX_SEGMENTS = 6;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Splits the Topics parameter (comma-separated) into trimmed, de-duplicated patterns. */
export function splitTopics(raw: string): string[] {
  return [...new Set(raw.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
}

/** Why a pattern is refused, or undefined when it is well-formed. */
export function topicProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_TOPIC_LENGTH) return `longer than ${MAX_TOPIC_LENGTH} characters`;
  const segments = pattern.split('.');
  if (segments.length > MAX_SEGMENTS) return `more than ${MAX_SEGMENTS} segments`;
  if (segments.some((s) => s !== '*' && !SEGMENT.test(s))) return 'a segment is empty or holds characters other than letters, digits, _ and -';
  const first = segments[0] as string;
  if (first !== '*' && !(TOPIC_NAMESPACES as readonly string[]).includes(first)) return `unknown namespace ${first} (expected ${TOPIC_NAMESPACES.join(', ')})`;
  return undefined;
}

/** Whether a pattern matches a concrete topic (the reference for `candidatePatterns`). */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string;
    if (i === p.length - 1 && seg === '*') return t.length >= p.length;
    if (i >= t.length || (seg !== '*' && seg !== t[i])) return false;
  }
  return p.length === t.length;
}

/** Every pattern that matches `topic`: each segment literal or `*`, at full length or as a prefix ending in `*`. */
export function candidatePatterns(topic: string): string[] {
  const segs = topic.split('.');
  const out: string[] = [];
  const masks = (n: number) => Array.from({ length: 2 ** n }, (_, m) => segs.slice(0, n).map((s, i) => ((m >> i) & 1 ? '*' : s)));
  for (const parts of masks(segs.length)) out.push(parts.join('.'));
  for (let k = 0; k < segs.length; k++) for (const parts of masks(k)) out.push([...parts, '*'].join('.'));
  return [...new Set(out)];
}
