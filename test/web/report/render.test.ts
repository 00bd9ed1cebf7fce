import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { storedValues, type StoredResponse } from '../../../src/domain/export/legacy-response-data.ts';
import { createReport, type SurveyReport } from '../../../src/domain/report/index.ts';
import { readQsf, type QsfQuestion, type QsfSurvey } from '../../../src/domain/survey/qsf.ts';
import type { QuestionAnswer } from '../../../src/domain/survey/session-state.ts';
import { fillDays, renderReport } from '../../../src/web/report/index.ts';
import { heatClass } from '../../../src/web/report/tables.ts';
import { everyTypeQsf } from '../../helpers/every-type-survey.ts';

// ---------------------------------------------------------------------------------------------
// A survey whose every text is hostile, and responses whose text answers are too.

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror="alert(2)">',
  '"><svg onload=alert(3)>',
  "<a href=\"javascript:alert(4)\" style=\"color:red\">link</a>",
  '<style>body{display:none}</style>',
  '</text></svg><iframe src="//evil"></iframe>',
];
const ANSWER = '<script>alert("answer")</script> & <b onclick=x()>great</b> service';

function hostile(q: QsfQuestion, i: number): void {
  const bad = HOSTILE[i % HOSTILE.length];
  q.questionText = `${bad}${q.questionText}${HOSTILE[(i + 1) % HOSTILE.length]}`;
  for (const [id, c] of q.choices) q.choices.set(id, { ...c, display: `${c.display}${HOSTILE[(Number(id) + i) % HOSTILE.length]}` });
  for (const [id, a] of q.answers) q.answers.set(id, { ...a, display: `${HOSTILE[(Number(id) + i + 2) % HOSTILE.length]}${a.display}` });
  q.additionalQuestions.forEach((sub, n) => hostile(sub, i + n + 1));
}

function hostileSurvey(): QsfSurvey {
  const s = readQsf(everyTypeQsf());
  s.surveyName = HOSTILE.join(' ');
  [...s.questions.values()].forEach(hostile);
  return s;
}

let seq = 0;
function response(s: QsfSurvey, answers: Record<string, QuestionAnswer>, o: Partial<StoredResponse> = {}): StoredResponse {
  seq++;
  const end = Date.UTC(2024, 4, 1 + (seq % 5), 10, 0, 0) + seq;
  return {
    responseId: `R_${String(seq).padStart(15, '0')}`, responseSetId: 'RS_default', name: null, externalRef: null, email: null, ipAddress: null,
    status: 0, startDate: end - 60_000, endDate: end, finished: seq % 3 === 0 ? 0 : 1,
    values: storedValues(s, answers), embedded: {}, displayed: Object.keys(answers), ...o,
  };
}

function sampleReport(s: QsfSurvey = hostileSurvey()): SurveyReport {
  const report = createReport(s, { timeZone: 'Europe/Paris' });
  for (let i = 0; i < 12; i++) {
    report.add(response(s, {
      QID1: { selected: [String((i % 3) + 1)] },
      QID6: { selected: [String((i % 11) + 1)] },
      QID7: { selected: i % 2 ? ['1', '2'] : ['4'] },
      QID12: { text: { '': i === 11 ? ANSWER : `answer number ${i} about service` } },
      QID15: { text: { '1': `First${i}`, '2': '<b>Last</b>' } },
      QID16: { matrix: { '1': [String((i % 4) + 1)], '2': ['1'] } },
      QID17: { matrix: { '1': ['1', '3'] } },
      QID22: { numeric: { '1': i, '2': -i } },
      QID23: { numeric: { '1': (i % 3) + 1, '2': ((i + 1) % 3) + 1, '3': ((i + 2) % 3) + 1 } },
      QID26: { numeric: { '1': 60, '2': 40 } },
      QID27: { matrix: { '1/1': ['1'], '2/2': ['1', '2'] } },
    }));
  }
  // Shown everything, answered nothing: shares of the shown and of the answered differ.
  report.add(response(s, {}, { displayed: [...s.questions.keys()] }));
  return report.result();
}

// ---------------------------------------------------------------------------------------------
// The rendered fragment is well-formed XML (no void elements are used), so it can be walked.

interface Node {
  tag: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, trimValues: false, parseTagValue: false, parseAttributeValue: false });

function toNodes(items: Array<Record<string, unknown>>): Node[] {
  return items.map((item) => {
    if ('#text' in item) return { tag: '#text', attrs: {}, children: [], text: String(item['#text']) };
    const tag = Object.keys(item).find((k) => k !== ':@') as string;
    return { tag, attrs: (item[':@'] ?? {}) as Record<string, string>, children: toNodes(item[tag] as Array<Record<string, unknown>>), text: '' };
  });
}

function parse(markup: string): Node {
  const doc = `<root>${markup}</root>`;
  const valid = XMLValidator.validate(doc);
  expect(valid).toBe(true);
  return toNodes(parser.parse(doc) as Array<Record<string, unknown>>)[0];
}

function all(n: Node, pred: (n: Node) => boolean, out: Node[] = []): Node[] {
  if (pred(n)) out.push(n);
  for (const c of n.children) all(c, pred, out);
  return out;
}
const byTag = (n: Node, tag: string): Node[] => all(n, (x) => x.tag === tag);
const hasClass = (n: Node, cls: string): boolean => (n.attrs.class ?? '').split(/\s+/).includes(cls);
const textOf = (n: Node): string => (n.tag === '#text' ? n.text : n.children.map(textOf).join('')).replace(/\s+/g, ' ').trim();
const parentOf = (root: Node, child: Node): Node | undefined => all(root, (x) => x.children.includes(child))[0];

const ALLOWED = new Set([
  'root', 'div', 'section', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'span', 'strong', 'figure', 'dl', 'dt', 'dd', 'ul', 'ol', 'li', 'time',
  'table', 'caption', 'thead', 'tbody', 'tr', 'th', 'td', 'svg', 'title', 'desc', 'g', 'rect', 'line', 'text', '#text',
]);

describe('renderReport', () => {
  const report = sampleReport();
  const markup = renderReport(report, { idPrefix: 'r' }).value;
  const root = parse(markup);

  it('leaves hostile survey texts and answers inert: only our own elements and attributes', () => {
    for (const n of all(root, () => true)) {
      expect(ALLOWED.has(n.tag), `unexpected <${n.tag}>`).toBe(true);
      for (const name of Object.keys(n.attrs)) {
        expect(name.toLowerCase().startsWith('on'), `event handler ${name} on <${n.tag}>`).toBe(false);
        expect(['style', 'href', 'src', 'xlink:href']).not.toContain(name.toLowerCase());
      }
    }
    expect(markup).not.toMatch(/<(script|img|iframe|style|a)\b/i);
    expect(markup).not.toMatch(/\sstyle=/i);
    // The respondent's answer is shown as the text it is.
    expect(byTag(root, 'p').filter((p) => hasClass(p, 'rp-answer')).map(textOf)).toContain(ANSWER.replace(/\s+/g, ' '));
    // Survey HTML became plain text: its tags are gone and script bodies dropped, the words stayed.
    const headings = byTag(root, 'h3').map(textOf);
    expect(headings.some((h) => h.includes('Which fruit do you like best?'))).toBe(true);
    expect(headings.join(' ')).not.toMatch(/alert\(1\)|<|onerror/);
  });

  it('gives every chart a title, a description and a data table with the same numbers', () => {
    const svgs = byTag(root, 'svg');
    // Charts for answered questions only: QID1, QID6 (NPS), QID7; QID22, QID23, QID26; and the timeline.
    expect(svgs).toHaveLength(7);
    for (const svg of svgs) {
      expect(svg.attrs.role).toBe('img');
      const [titleId, descId] = svg.attrs['aria-labelledby'].split(' ');
      const title = byTag(svg, 'title').find((t) => t.attrs.id === titleId);
      expect(title && textOf(title)).toBeTruthy();
      expect(byTag(svg, 'desc').some((d) => d.attrs.id === descId)).toBe(true);
      expect(svg.attrs.viewBox).toMatch(/^0 0 \d+(\.\d+)? \d+(\.\d+)?$/);

      let figure = parentOf(root, svg)!;
      if (figure.tag !== 'figure') figure = parentOf(root, figure)!;
      expect(figure.tag).toBe('figure');
      const [table] = byTag(figure, 'table');
      expect(table, `no table beside "${textOf(title!)}"`).toBeDefined();
      expect(textOf(byTag(table, 'caption')[0])).not.toBe('');
      const rows = byTag(byTag(table, 'tbody')[0], 'tr');
      const marks = all(svg, (n) => n.tag === 'g' && (hasClass(n, 'rp-row') || hasClass(n, 'rp-col')));
      expect(marks.length).toBe(rows.length);
      const head = byTag(byTag(table, 'thead')[0], 'th').map(textOf).slice(1);
      // What each chart writes beside a bar or above a column, from that row's cells.
      const expected = (cells: string[]): string => {
        if (head.includes('% of answered')) return `${cells[head.indexOf('% of answered')]} (${cells[head.indexOf('Count')]})`;
        if (head.includes('Mean')) return cells[head.indexOf('Mean')];
        return cells[head.indexOf('Total')];
      };
      marks.forEach((mark, i) => {
        const cells = byTag(rows[i], 'td').map(textOf);
        const value = all(mark, (n) => n.tag === 'text' && hasClass(n, 'rp-value')).map(textOf)[0];
        if (hasClass(mark, 'rp-row')) expect(value).toBeDefined();
        if (value !== undefined) expect(value, `row ${i} of "${textOf(title!)}"`).toBe(expected(cells));
        const label = all(mark, (n) => n.tag === 'text' && hasClass(n, 'rp-label')).map(textOf)[0];
        if (label !== undefined) expect(textOf(byTag(rows[i], 'th')[0]).startsWith(label.replace(/…$/, ''))).toBe(true);
      });
    }
  });

  it('writes the counts the report holds', () => {
    const choice = report.questions.find((q) => q.qid === 'QID1');
    if (choice?.family !== 'choice') throw new Error('QID1 is a choice question');
    const section = all(root, (n) => n.tag === 'section' && textOf(n).includes('Which fruit do you like best?') && hasClass(n, 'rp-question'))[0];
    const rows = byTag(byTag(section, 'tbody')[0], 'tr').map((tr) => [textOf(byTag(tr, 'th')[0]), ...byTag(tr, 'td').map(textOf)]);
    expect(rows.map((r) => r.slice(1))).toEqual([['4', '33.3%', '30.8%'], ['4', '33.3%', '30.8%'], ['4', '33.3%', '30.8%']]);
    expect(rows[0][0]).toBe('Apple');
    const totals = byTag(all(root, (n) => n.tag === 'dl' && hasClass(n, 'rp-totals'))[0], 'dd').map(textOf);
    expect(totals).toEqual(['13', '9', '4']);
  });

  it('labels every table: caption, column headers and row headers with scope', () => {
    const tables = byTag(root, 'table');
    expect(tables.length).toBeGreaterThan(20);
    for (const t of tables) {
      expect(textOf(byTag(t, 'caption')[0] ?? { tag: '', attrs: {}, children: [], text: '' })).not.toBe('');
      for (const th of byTag(byTag(t, 'thead')[0], 'th')) expect(th.attrs.scope).toBe('col');
      for (const tr of byTag(byTag(t, 'tbody')[0], 'tr')) {
        const [th] = byTag(tr, 'th');
        expect(th?.attrs.scope).toBe('row');
      }
    }
  });

  it('shades heat-table cells by their share', () => {
    const heat = byTag(root, 'table').filter((t) => hasClass(t, 'rp-heat'));
    // QID16–QID19 and the two side-by-side columns of QID27.
    expect(heat).toHaveLength(6);
    const cells = heat.flatMap((t) => byTag(t, 'td')).filter((td) => /heat-\d/.test(td.attrs.class ?? ''));
    expect(cells.length).toBeGreaterThan(0);
    for (const td of cells) {
      const share = Number(textOf(td).split('%')[0]);
      expect(td.attrs.class).toContain(heatClass(share));
    }
    expect(cells.some((td) => hasClass(td, 'heat-5'))).toBe(true);
  });

  it('uses each id once and points every aria-labelledby at an element of the fragment', () => {
    const ids = all(root, (n) => n.attrs.id !== undefined).map((n) => n.attrs.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const n of all(root, (x) => x.attrs['aria-labelledby'] !== undefined)) {
      for (const ref of n.attrs['aria-labelledby'].split(' ')) expect(ids).toContain(ref);
    }
  });

  it('renders a survey without responses', () => {
    const empty = createReport(readQsf(everyTypeQsf())).result();
    const tree = parse(renderReport(empty).value);
    expect(byTag(tree, 'svg')).toHaveLength(0);
    expect(all(tree, (n) => hasClass(n, 'rp-empty')).length).toBeGreaterThan(5);
  });
});

describe('fillDays', () => {
  it('fills the days between responses, up to a limit', () => {
    const days = [{ date: '2024-02-28', finished: 1, inProgress: 0 }, { date: '2024-03-02', finished: 2, inProgress: 1 }];
    expect(fillDays(days, 400).map((d) => [d.date, d.finished + d.inProgress])).toEqual([['2024-02-28', 1], ['2024-02-29', 0], ['2024-03-01', 0], ['2024-03-02', 3]]);
    expect(fillDays(days, 3)).toEqual(days);
  });
});

// ---------------------------------------------------------------------------------------------
// report.css: contrast of every text colour against its background, and of chart marks against white.

function luminance(hex: string): number {
  const h = hex.replace('#', '');
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a: string, b: string): number => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

describe('report.css', () => {
  const css = readFileSync(new URL('../../../src/web/report/report.css', import.meta.url), 'utf8');
  const rules = [...css.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/([^{}]+)\{([^{}]*)\}/g)].map((m) => ({
    selector: m[1].trim(),
    decls: Object.fromEntries(m[2].split(';').map((d) => d.split(':').map((x) => x.trim())).filter((d) => d.length === 2)) as Record<string, string>,
  }));
  const rule = (selector: string): Record<string, string> => rules.find((r) => r.selector === selector)?.decls ?? {};

  it('gives every heat shade a text colour with contrast ≥ 4.5:1', () => {
    for (let i = 0; i <= 5; i++) {
      const d = rule(`.heat-${i}`);
      expect(d.background, `.heat-${i}`).toMatch(/^#[0-9a-f]{6}$/i);
      expect(contrast(d.color, d.background), `.heat-${i}`).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('keeps chart text ≥ 4.5:1 and chart marks ≥ 3:1 against white', () => {
    for (const sel of ['.rp-label', '.rp-value', '.rp-axis']) expect(contrast(rule(sel).fill, '#ffffff'), sel).toBeGreaterThanOrEqual(4.5);
    for (const sel of ['.rp-bar', '.rp-bar-alt']) expect(contrast(rule(sel).fill, '#ffffff'), sel).toBeGreaterThanOrEqual(3);
    for (const rule of rules) for (const [prop, value] of Object.entries(rule.decls)) {
      if (prop === 'color' && !rule.selector.startsWith('.heat-')) expect(contrast(value, '#ffffff'), rule.selector).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('is mobile first: the only media query widens the layout', () => {
    const queries = [...css.matchAll(/@media([^{]+)\{/g)].map((m) => m[1].trim());
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) expect(q).toMatch(/min-width/);
  });
});
