import { describe, expect, it } from 'vitest';
import { storedValues, type StoredResponse } from '../../../src/domain/export/legacy-response-data.ts';
import {
  createReport, LATEST_ANSWERS, MedianSketch, numericTextQuestions, ReportOptionError, WordCounter, words,
  type ChoiceReport, type MatrixReport, type NumericReport, type QuestionReport, type SideBySideReport, type SurveyReport, type TextReport,
} from '../../../src/domain/report/index.ts';
import { readQsf, type QsfSurvey } from '../../../src/domain/survey/qsf.ts';
import type { QuestionAnswer } from '../../../src/domain/survey/session-state.ts';
import { everyTypeQsf } from '../../helpers/every-type-survey.ts';

const survey: QsfSurvey = readQsf(everyTypeQsf());
const T0 = Date.UTC(2024, 2, 1, 12, 0, 0);

let seq = 0;
/** A stored response as the respondent engine writes it: values from answers, displayed = answered questions unless given. */
function response(answers: Record<string, QuestionAnswer>, o: Partial<StoredResponse> = {}, s: QsfSurvey = survey): StoredResponse {
  seq++;
  return {
    responseId: `R_${String(seq).padStart(15, '0')}`, responseSetId: 'RS_default', name: null, externalRef: null, email: null, ipAddress: null,
    status: 0, startDate: T0 + seq * 60_000 - 30_000, endDate: T0 + seq * 60_000, finished: 1,
    values: storedValues(s, answers), embedded: {}, displayed: Object.keys(answers), ...o,
  };
}

function build(rows: StoredResponse[], opts: Parameters<typeof createReport>[1] = {}, s: QsfSurvey = survey): SurveyReport {
  const report = createReport(s, opts);
  for (const r of rows) report.add(r);
  return report.result();
}

function question<T extends QuestionReport>(report: SurveyReport, qid: string): T {
  const q = report.questions.find((x) => x.qid === qid);
  if (!q) throw new Error(`no ${qid} in the report`);
  return q as T;
}

const close = (actual: number | null, expected: number, digits = 9): void => expect(actual).toBeCloseTo(expected, digits);

describe('choice questions', () => {
  it('counts single-answer choices against respondents who answered and who saw the question', () => {
    const report = build([
      response({ QID1: { selected: ['1'] } }),
      response({ QID1: { selected: ['1'] } }),
      response({ QID1: { selected: ['2'] } }),
      response({ QID1: { selected: ['3'], text: { '3': 'Mango' } } }),
      // Shown, left unanswered: stored values hold nothing for it (no UnansweredRecode).
      response({}, { displayed: ['QID1'] }),
    ]);
    const q = question<ChoiceReport>(report, 'QID1');
    expect(q.family).toBe('choice');
    expect(q.multi).toBe(false);
    expect([q.displayed, q.answered, q.unrecognised]).toEqual([5, 4, 0]);
    expect(q.choices.map((c) => [c.id, c.label, c.count])).toEqual([['1', 'Apple', 2], ['2', 'Banana', 1], ['3', 'Other', 1]]);
    expect(q.choices.map((c) => c.percentOfAnswered)).toEqual([50, 25, 25]);
    expect(q.choices.map((c) => c.percentOfDisplayed)).toEqual([40, 20, 20]);
    expect(q.nps).toBeUndefined();
  });

  it('maps recodes back to choices and reports values no choice carries', () => {
    const s = readQsf(everyTypeQsf());
    const q2 = s.questions.get('QID2')!;
    q2.recodeValues = new Map([['1', '10'], ['2', '20'], ['3', '30']]);
    const rows = [response({ QID2: { selected: ['3'] } }, {}, s), response({ QID2: { selected: ['1'] } }, {}, s)];
    // A value from a choice that was deleted after the response came in.
    rows.push(response({}, { displayed: ['QID2'], values: { QID2: 99 } }, s));
    const q = question<ChoiceReport>(build(rows, {}, s), 'QID2');
    expect(rows[0].values.QID2).toBe(30);
    expect(q.choices.map((c) => c.count)).toEqual([1, 0, 1]);
    expect([q.answered, q.unrecognised]).toEqual([3, 1]);
    close(q.choices[0].percentOfAnswered, 100 / 3);
  });

  it('counts multiple-answer choices per choice; shares may add up to more than 100%', () => {
    const report = build([
      response({ QID7: { selected: ['1', '2'] } }),
      response({ QID7: { selected: ['1'] } }),
      response({ QID7: { selected: ['4'] } }),
      response({}, { displayed: ['QID7'] }),
    ]);
    const q = question<ChoiceReport>(report, 'QID7');
    expect(q.multi).toBe(true);
    expect([q.displayed, q.answered]).toEqual([4, 3]);
    expect(q.choices.map((c) => c.count)).toEqual([2, 1, 0, 1]);
    close(q.choices[0].percentOfAnswered, 200 / 3);
    close(q.choices[1].percentOfAnswered, 100 / 3);
    expect(q.choices.map((c) => c.percentOfDisplayed)).toEqual([50, 25, 0, 25]);
  });

  it('computes the Net Promoter Score from the 0–10 scale', () => {
    // Choice ids 1–11 carry recodes 0–10; the ids are not the scores.
    const pick = (score: number): StoredResponse => response({ QID6: { selected: [String(score + 1)] } });
    const report = build([pick(10), pick(9), pick(9), pick(8), pick(6), pick(0)]);
    const q = question<ChoiceReport>(report, 'QID6');
    expect(q.nps).toEqual({ promoters: 3, passives: 1, detractors: 2, score: ((3 - 2) / 6) * 100 });
    expect(q.choices.find((c) => c.label === '9')!.count).toBe(2);
    expect(question<ChoiceReport>(build([]), 'QID6').nps!.score).toBeNull();
  });
});

describe('matrix questions', () => {
  it('counts each statement by scale point (single answer) with shares of the statement’s respondents', () => {
    const report = build([
      response({ QID16: { matrix: { '1': ['3'], '2': ['1'] } } }),
      response({ QID16: { matrix: { '1': ['3'] } } }),
      response({ QID16: { matrix: { '1': ['2'], '2': ['4'] } } }),
      response({}, { displayed: ['QID16'] }),
    ]);
    const q = question<MatrixReport>(report, 'QID16');
    expect(q.family).toBe('matrix');
    expect(q.multi).toBe(false);
    expect([q.displayed, q.answered]).toEqual([4, 3]);
    expect(q.points.map((p) => p.label)).toEqual(['Disagree', 'Neutral', 'Agree', 'Not applicable']);
    expect(q.rows.map((r) => [r.label, r.answered, r.counts])).toEqual([
      ['The site is fast', 3, [0, 1, 2, 0]],
      ['The site is clear', 2, [1, 0, 0, 1]],
      ['Other aspect', 0, [0, 0, 0, 0]],
    ]);
    close(q.rows[0].percents[2], 200 / 3);
    expect(q.rows[1].percents).toEqual([50, 0, 0, 50]);
    expect(q.rows[2].percents).toEqual([0, 0, 0, 0]);
  });

  it('counts multiple-answer cells', () => {
    const report = build([
      response({ QID17: { matrix: { '1': ['1', '2'], '2': ['3'] } } }),
      response({ QID17: { matrix: { '1': ['2'] } } }),
    ]);
    const q = question<MatrixReport>(report, 'QID17');
    expect(q.multi).toBe(true);
    expect(q.rows.map((r) => [r.answered, r.counts])).toEqual([[2, [1, 2, 0]], [1, [0, 0, 1]]]);
    expect(q.rows[0].percents).toEqual([50, 100, 0]);
  });
});

describe('numeric questions', () => {
  it('gives n, mean, median, sample sd, min and max per slider item', () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    const report = build(values.map((v, i) => response({ QID22: { numeric: { '1': v, ...(i < 3 ? { '2': 10 - i } : {}) } } })));
    const q = question<NumericReport>(report, 'QID22');
    expect([q.family, q.kind, q.displayed, q.answered]).toEqual(['numeric', 'slider', 8, 8]);
    const [overall, value] = q.items;
    expect(overall.label).toBe('Overall');
    expect(overall.stats).toMatchObject({ n: 8, mean: 5, median: 4.5, min: 2, max: 9, medianApproximate: false });
    close(overall.stats.sd, Math.sqrt(32 / 7));
    expect(value.stats).toMatchObject({ n: 3, mean: 9, median: 9, min: 8, max: 10 });
    close(value.stats.sd, 1);
  });

  it('summarises rank order (the rank each item got) and constant sum', () => {
    const report = build([
      response({ QID23: { numeric: { '1': 1, '2': 2, '3': 3 } }, QID26: { numeric: { '1': 70, '2': 30 } } }),
      response({ QID23: { numeric: { '1': 2, '2': 1, '3': 3 } }, QID26: { numeric: { '1': 40, '2': 60 } } }),
      response({ QID23: { numeric: { '1': 1, '2': 3, '3': 2 } }, QID26: { numeric: { '1': 100, '2': 0 } } }),
    ]);
    const rank = question<NumericReport>(report, 'QID23');
    expect(rank.kind).toBe('rank');
    expect(rank.items.map((i) => [i.label, i.stats.mean, i.stats.median])).toEqual([['Price', 4 / 3, 1], ['Quality', 2, 2], ['Service', 8 / 3, 3]]);
    const cs = question<NumericReport>(report, 'QID26');
    expect(cs.kind).toBe('constant-sum');
    expect(cs.items.map((i) => [i.stats.n, i.stats.mean, i.stats.median, i.stats.min, i.stats.max])).toEqual([[3, 70, 70, 40, 100], [3, 30, 30, 0, 60]]);
    close(cs.items[0].stats.sd, 30);
  });

  it('statistics of an empty item are null, of a single value have no sd', () => {
    const q = question<NumericReport>(build([response({ QID22: { numeric: { '1': 3 } } })]), 'QID22');
    expect(q.items[0].stats).toEqual({ n: 1, mean: 3, median: 3, sd: null, min: 3, max: 3, medianApproximate: false });
    expect(q.items[1].stats).toEqual({ n: 0, mean: null, median: null, sd: null, min: null, max: null, medianApproximate: false });
  });

  it('treats text entry with number validation as numbers, read from the QSF', () => {
    const doc = numericSurvey();
    const s = readQsf(doc);
    const numeric = numericTextQuestions(doc);
    expect([...numeric]).toEqual(['QID1']);
    const rows = ['3', ' 4.5 ', '12', 'about ten'].map((t) => response({ QID1: { text: { '': t } }, QID2: { text: { '': t } } }, {}, s));
    const report = build(rows, { numericText: numeric }, s);
    const age = question<NumericReport>(report, 'QID1');
    expect([age.kind, age.answered]).toEqual(['number', 4]);
    expect(age.items[0].stats).toMatchObject({ n: 3, mean: 6.5, median: 4.5, min: 3, max: 12 });
    expect(age.items[0].notNumeric).toBe(1);
    // Without the validation rule the same answers are text.
    expect(question<TextReport>(report, 'QID2').family).toBe('text');
    expect(question<TextReport>(build(rows, {}, s), 'QID1').family).toBe('text');
  });
});

describe('text questions', () => {
  it('counts answers, frequent words without stop words, and keeps the latest answers only', () => {
    const texts = ['The service was great, really great!', 'Great food; slow service.', "Don't like the SLOW service"];
    const rows = texts.map((t) => response({ QID12: { text: { '': t } } }));
    const q = question<TextReport>(build(rows), 'QID12');
    expect([q.family, q.displayed, q.answered, q.withheld]).toEqual(['text', 3, 3, false]);
    const [item] = q.items;
    expect(item.count).toBe(3);
    expect(item.words).toEqual([
      { word: 'great', count: 3 }, { word: 'service', count: 3 }, { word: 'slow', count: 2 },
      { word: 'food', count: 1 }, { word: 'like', count: 1 }, { word: 'really', count: 1 },
    ]);
    expect(item.wordsApproximate).toBe(false);
    expect(item.latest.map((a) => a.text)).toEqual([...texts].reverse());
  });

  it('keeps the newest answers by end date, whatever order rows arrive in', () => {
    const rows = Array.from({ length: 25 }, (_, i) => response({ QID12: { text: { '': `answer ${i}` } } }, { endDate: T0 + ((i * 7) % 25) * 1000 }));
    const q = question<TextReport>(build(rows), 'QID12');
    expect(q.items[0].count).toBe(25);
    const kept = q.items[0].latest;
    expect(kept).toHaveLength(LATEST_ANSWERS);
    expect(kept.map((a) => a.at)).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (24 - i) * 1000));
    for (const a of kept) expect(a.text).toBe(`answer ${rows.findIndex((r) => r.endDate === a.at)}`);
  });

  it('summarises each form field and text-entry matrix row; passwords are counted, never kept', () => {
    const report = build([
      response({ QID15: { text: { '1': 'Ada', '2': 'Lovelace' } }, QID14: { text: { '': 'hunter2 secret' } }, QID20: { text: { '1/1': 'eight hours' } } }),
      response({ QID15: { text: { '1': 'Grace' } }, QID14: { text: { '': 'correct horse' } } }),
    ]);
    const form = question<TextReport>(report, 'QID15');
    expect(form.items.map((i) => [i.label, i.count])).toEqual([['First name', 2], ['Last name', 1]]);
    expect(form.answered).toBe(2);
    const pw = question<TextReport>(report, 'QID14');
    expect(pw.withheld).toBe(true);
    expect(pw.items[0].count).toBe(2);
    expect(pw.items[0].words).toEqual([]);
    expect(pw.items[0].latest).toEqual([]);
    expect(JSON.stringify(report)).not.toContain('hunter2');
    const matrixText = question<TextReport>(report, 'QID20');
    expect(matrixText.items.map((i) => [i.label, i.count])).toEqual([['Work – Weekdays', 1], ['Work – Weekends', 0], ['Sleep – Weekdays', 0], ['Sleep – Weekends', 0]]);
    expect(matrixText.displayed).toBe(1);
  });

  it('splits words on letters and digits, dropping stop words, numbers and single letters', () => {
    expect(words("It's 5 o'clock: the café’s CAFÉ isn't open, x y 2024 résumé")).toEqual(["o'clock", "café's", 'café', 'open', 'résumé']);
  });
});

describe('side by side', () => {
  it('summarises each column like a matrix', () => {
    const report = build([
      response({ QID27: { matrix: { '1/1': ['1'], '1/2': ['2'], '2/1': ['1', '2'] } } }),
      response({ QID27: { matrix: { '1/1': ['1'], '2/2': ['2'] } } }),
      response({ QID27: { matrix: { '2/1': ['2'] } } }),
    ]);
    const q = question<SideBySideReport>(report, 'QID27');
    expect([q.family, q.displayed, q.answered]).toEqual(['side-by-side', 3, 3]);
    const [aware, used] = q.columns;
    expect(aware.kind === 'matrix' && aware.multi).toBe(false);
    expect(aware.answered).toBe(2);
    if (aware.kind !== 'matrix' || used.kind !== 'matrix') throw new Error('matrix columns expected');
    expect(aware.label).toBe('Awareness');
    expect(aware.rows.map((r) => [r.label, r.answered, r.counts])).toEqual([['Brand A', 2, [2, 0]], ['Brand B', 1, [0, 1]]]);
    expect(used.multi).toBe(true);
    expect(used.answered).toBe(3);
    expect(used.rows.map((r) => [r.answered, r.counts])).toEqual([[2, [1, 2]], [1, [0, 1]]]);
    expect(used.rows[0].percents).toEqual([50, 100]);
  });
});

describe('which responses and questions count', () => {
  it('leaves previews out by default and counts them when asked', () => {
    const rows = [
      response({ QID1: { selected: ['1'] } }),
      response({ QID1: { selected: ['2'] } }, { status: 1 }),
      response({ QID1: { selected: ['2'] } }, { status: 2, finished: 0 }),
    ];
    const report = build(rows);
    expect(report.responses).toEqual({ total: 2, finished: 1, inProgress: 1, previewsExcluded: 1 });
    expect(question<ChoiceReport>(report, 'QID1').choices.map((c) => c.count)).toEqual([1, 1, 0]);
    const all = build(rows, { includePreviews: true });
    expect(all.responses).toEqual({ total: 3, finished: 2, inProgress: 1, previewsExcluded: 0 });
    expect(question<ChoiceReport>(all, 'QID1').choices.map((c) => c.count)).toEqual([1, 2, 0]);
  });

  it('does not count a question that was not displayed, even when a value is stored for it', () => {
    const stale = response({ QID1: { selected: ['1'] }, QID2: { selected: ['2'] } }, { displayed: ['QID2'] });
    expect(stale.values.QID1).toBe(1);
    const report = build([stale, response({ QID2: { selected: ['1'] } })]);
    const q1 = question<ChoiceReport>(report, 'QID1');
    expect([q1.displayed, q1.answered]).toEqual([0, 0]);
    expect(q1.choices.every((c) => c.count === 0 && c.percentOfAnswered === 0 && c.percentOfDisplayed === 0)).toBe(true);
    expect(question<ChoiceReport>(report, 'QID2').answered).toBe(2);
  });

  it('counts a displayed but unanswered question as shown only; nothing stands for the unanswered', () => {
    const report = build([response({}, { displayed: ['QID1', 'QID16', 'QID22', 'QID12'] }), response({ QID1: { selected: ['2'] } })]);
    const q1 = question<ChoiceReport>(report, 'QID1');
    expect([q1.displayed, q1.answered, q1.unrecognised]).toEqual([2, 1, 0]);
    expect(q1.choices[1].percentOfAnswered).toBe(100);
    expect(q1.choices[1].percentOfDisplayed).toBe(50);
    const m = question<MatrixReport>(report, 'QID16');
    expect([m.displayed, m.answered, m.unrecognised]).toEqual([1, 0, 0]);
    expect(m.rows.every((r) => r.answered === 0)).toBe(true);
    expect(question<NumericReport>(report, 'QID22').items[0].stats.n).toBe(0);
    expect(question<TextReport>(report, 'QID12').items[0].count).toBe(0);
  });

  it('treats responses without any display record (imported data) as shown what they hold', () => {
    const imported = response({ QID1: { selected: ['3'] } }, { displayed: [], status: 4 });
    const q = question<ChoiceReport>(build([imported]), 'QID1');
    expect([q.displayed, q.answered, q.choices[2].count]).toEqual([1, 1, 1]);
    expect(question<ChoiceReport>(build([imported]), 'QID2').displayed).toBe(0);
  });

  it('lists questions it does not summarise and leaves descriptive text out', () => {
    const report = build([]);
    expect(report.notSummarised.map((q) => q.qid)).toEqual(['QID29', 'QID30']);
    expect(report.questions.some((q) => q.qid === 'QID28')).toBe(false);
    expect(report.questions.map((q) => q.qid)).toEqual(
      ['QID1', 'QID2', 'QID3', 'QID4', 'QID5', 'QID6', 'QID7', 'QID8', 'QID9', 'QID10', 'QID11', 'QID12', 'QID13', 'QID14', 'QID15', 'QID16', 'QID17', 'QID18', 'QID19', 'QID20', 'QID21', 'QID22', 'QID23', 'QID24', 'QID25', 'QID26', 'QID27'],
    );
    expect(report.surveyName).toBe('Every question type');
  });
});

describe('responses over time', () => {
  const at = (iso: string, finished: 0 | 1 = 1): StoredResponse => response({}, { endDate: Date.parse(iso), finished });

  it('buckets days in the given time zone across local midnight', () => {
    const rows = [
      at('2024-03-09T14:59:59.999Z'), // 23:59:59 in Tokyo
      at('2024-03-09T15:00:00.000Z', 0), // 00:00 on the 10th in Tokyo
      at('2024-03-09T18:29:00Z'), // 23:59 in Kolkata (+05:30)
      at('2024-03-09T18:30:00Z'), // 00:00 in Kolkata
    ];
    expect(build(rows, { timeZone: 'Asia/Tokyo' }).timeline).toEqual([
      { date: '2024-03-09', finished: 1, inProgress: 0 },
      { date: '2024-03-10', finished: 2, inProgress: 1 },
    ]);
    expect(build(rows, { timeZone: 'Asia/Kolkata' }).timeline).toEqual([
      { date: '2024-03-09', finished: 2, inProgress: 1 },
      { date: '2024-03-10', finished: 1, inProgress: 0 },
    ]);
    expect(build(rows).timeline).toEqual([{ date: '2024-03-09', finished: 3, inProgress: 1 }]);
    expect(build(rows, { timeZone: 'Asia/Kathmandu' }).timeline.map((d) => d.date)).toEqual(['2024-03-09', '2024-03-10']);
  });

  it('follows daylight-saving changes and sorts days whatever the feeding order', () => {
    const rows = [
      at('2024-11-03T04:00:00Z'), // 00:00 EDT, Nov 3
      at('2024-03-10T04:59:59Z'), // 23:59:59 EST, Mar 9
      at('2024-11-03T03:59:59Z'), // 23:59:59 EDT, Nov 2
      at('2024-03-10T05:00:00Z'), // 00:00 EST, Mar 10 (clocks go forward at 07:00Z)
      at('2024-11-04T04:59:00Z'), // 23:59 EST, Nov 3 (clocks went back)
    ];
    const days = build(rows, { timeZone: 'America/New_York' }).timeline;
    expect(days.map((d) => [d.date, d.finished])).toEqual([['2024-03-09', 1], ['2024-03-10', 1], ['2024-11-02', 1], ['2024-11-03', 2]]);
  });

  it('can place responses by start date, and rejects unknown zones', () => {
    const r = response({}, { startDate: Date.parse('2024-03-09T23:00:00Z'), endDate: Date.parse('2024-03-10T01:00:00Z') });
    expect(build([r]).timeline[0].date).toBe('2024-03-10');
    expect(build([r], { dateField: 'startDate' }).timeline[0].date).toBe('2024-03-09');
    expect(() => createReport(survey, { timeZone: 'Mars/Olympus' })).toThrow(ReportOptionError);
  });
});

describe('bounded memory', () => {
  it('keeps the median exact over many values with few distinct ones', () => {
    const m = new MedianSketch(16);
    for (let i = 0; i < 200_001; i++) m.add(i % 11);
    expect(m.median()).toBe(5);
    expect(m.approximate).toBe(false);
    expect(m.size).toBe(11);
  });

  it('switches to a bounded histogram past the distinct-value limit, with a close median', () => {
    const limit = 64;
    const m = new MedianSketch(limit);
    let maxSize = 0;
    // 100 000 distinct values in a scrambled order (7919 is prime, coprime with 100 000).
    for (let i = 0; i < 100_000; i++) {
      m.add((i * 7919) % 100_000);
      maxSize = Math.max(maxSize, m.size);
    }
    expect(m.approximate).toBe(true);
    expect(maxSize).toBeLessThanOrEqual(2 * limit + 1);
    expect(Math.abs(m.median()! - 49_999.5)).toBeLessThan(100_000 * 0.02);
  });

  it('marks approximate medians in the report', () => {
    const rows = Array.from({ length: 50 }, (_, i) => response({ QID22: { numeric: { '1': i } } }));
    const q = question<NumericReport>(build(rows, { limits: { medianDistinct: 16 } }), 'QID22');
    expect(q.items[0].stats.medianApproximate).toBe(true);
    expect(q.items[0].stats.mean).toBe(24.5);
    // Bins of at most 2n / limit ≈ 6 values: the estimate is within about 3 of the true median.
    expect(Math.abs(q.items[0].stats.median! - 24.5)).toBeLessThanOrEqual(3.5);
    expect(question<NumericReport>(build(rows), 'QID22').items[0].stats).toMatchObject({ median: 24.5, medianApproximate: false });
  });

  it('bounds the word table and keeps frequent words on top', () => {
    const counter = new WordCounter(100);
    let maxSize = 0;
    for (let i = 0; i < 20_000; i++) {
      counter.add(`word${i.toString(36)}x`);
      if (i % 10 === 0) counter.add('pineapple');
      maxSize = Math.max(maxSize, counter.size);
    }
    expect(maxSize).toBeLessThanOrEqual(101);
    expect(counter.approximate).toBe(true);
    const [top] = counter.top(1);
    expect(top.word).toBe('pineapple');
    expect(top.count).toBeLessThanOrEqual(2000);
    expect(top.count).toBeGreaterThan(1500);
  });

  it('keeps counts exact below the word limit', () => {
    const counter = new WordCounter(100);
    for (let i = 0; i < 1000; i++) counter.add(`w${i % 50}`);
    expect(counter.approximate).toBe(false);
    expect(counter.top(3)).toEqual([{ word: 'w0', count: 20 }, { word: 'w1', count: 20 }, { word: 'w10', count: 20 }]);
  });
});

function numericSurvey(): Record<string, unknown> {
  const q = (qid: string, tag: string, validation: Record<string, unknown>) => ({
    Element: 'SQ', PrimaryAttribute: qid,
    Payload: { QuestionID: qid, DataExportTag: tag, QuestionText: tag, QuestionType: 'TE', Selector: 'SL', Validation: { Settings: validation } },
  });
  return {
    SurveyEntry: { SurveyID: 'SV_numbers', SurveyName: 'Numbers' },
    SurveyElements: [
      { Element: 'BL', Payload: [{ Type: 'Default', ID: 'BL_1', BlockElements: [{ Type: 'Question', QuestionID: 'QID1' }, { Type: 'Question', QuestionID: 'QID2' }, { Type: 'Question', QuestionID: 'QID3' }] }] },
      { Element: 'FL', Payload: { Type: 'Root', Flow: [{ Type: 'Block', ID: 'BL_1' }] } },
      q('QID1', 'age', { ForceResponse: 'OFF', Type: 'ContentValidation', ContentType: 'ValidNumber', ValidNumber: { Min: '0' } }),
      q('QID2', 'comment', { ForceResponse: 'OFF', Type: 'None' }),
      // A leftover ContentType with validation switched off is no rule.
      q('QID3', 'zip', { ForceResponse: 'OFF', Type: 'None', ContentType: 'ValidNumber' }),
    ],
  };
}
