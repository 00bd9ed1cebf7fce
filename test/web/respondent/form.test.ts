import { describe, expect, it } from 'vitest';
import { exportColumns } from '../../../src/domain/survey/export-columns.ts';
import { readQsf } from '../../../src/domain/survey/qsf.ts';
import { responseValues } from '../../../src/domain/survey/response-values.ts';
import type { QuestionAnswer } from '../../../src/domain/survey/session-state.ts';
import { MAX_TEXT_LENGTH } from '../../../src/domain/survey/validation.ts';
import { readPageForm } from '../../../src/web/respondent/form.ts';
import { renderSurveyPage } from '../../../src/web/respondent/page.ts';
import type { PageQuestionView } from '../../../src/web/respondent/view.ts';
import { everyTypeQsf } from '../../helpers/every-type-survey.ts';
import { fullAnswer, partialAnswer } from './answers.ts';
import { browserPost } from './browser-post.ts';
import { fixtureSurveys, pageView, questionViews, withAnswer } from './views.ts';

const SURVEYS = [...fixtureSurveys(), { name: 'every-type (test helper)', doc: everyTypeQsf() }];

/** Render one question with an answer, post the page as a browser would, read it back. */
function roundTrip(v: PageQuestionView, answer: QuestionAnswer | undefined, submitter?: string) {
  const html = renderSurveyPage(pageView([withAnswer(v, answer)]));
  return readPageForm(browserPost(html, submitter), [v]);
}

/** Question columns of the legacy export the respondent side cannot fill (server-side or not yet in the domain). */
function exportable(v: PageQuestionView): boolean {
  const q = v.question;
  return q.questionType !== 'Timing' && q.questionType !== 'Meta';
}

describe('readPageForm reads back what the rendered page posts', () => {
  for (const { name, doc } of SURVEYS) {
    describe(name, () => {
      const survey = readQsf(doc);
      const columns = exportColumns(survey);
      for (const v of questionViews(doc)) {
        const label = `${v.qid} ${v.question.questionType}/${v.question.selector}/${v.question.subSelector}`;
        it(`${label}: full answer`, () => {
          const answer = fullAnswer(v);
          const form = roundTrip(v, answer);
          if (answer === undefined) {
            expect(form.answers[v.qid]).toBeUndefined();
            return;
          }
          expect(form.answers[v.qid]).toEqual(answer);
          // The keys are the ones the export reads: every column of the question gets a value.
          if (exportable(v)) {
            // Only this question's columns: in the 'v' dialect two matrices may share row tags as names.
            const own = columns.filter((c) => c.qid === v.qid);
            const cells = responseValues(survey, own, { [v.qid]: form.answers[v.qid] });
            const empty = own.filter((c) => cells[c.name] === '').map((c) => c.name);
            expect(empty).toEqual([]);
          }
        });
        it(`${label}: partial answer`, () => {
          const answer = partialAnswer(v);
          if (answer !== undefined) expect(roundTrip(v, answer).answers[v.qid]).toEqual(answer);
        });
        it(`${label}: nothing answered`, () => {
          const form = roundTrip(v, undefined);
          if (fullAnswer(v) === undefined) expect(form.answers[v.qid]).toBeUndefined();
          else expect(form.answers[v.qid]).toEqual({});
        });
      }
    });
  }

  it('keeps the display order of a randomized question and reads only shown choices', () => {
    const v = questionViews(everyTypeQsf()).find((q) => q.qid === 'QID7') as PageQuestionView;
    const shuffled = { ...v, choiceOrder: ['3', '1', '2'] };
    const form = roundTrip(shuffled, { selected: ['3', '2'], text: { 3: 'bike' } });
    expect(form.answers.QID7).toEqual({ selected: ['3', '2'], text: { 3: 'bike' } });
    // Choice 4 is not on the page: a post naming it changes nothing.
    expect(readPageForm({ 'QID7:s': ['4', '1'] }, [shuffled]).answers.QID7).toEqual({ selected: ['1'] });
  });

  it('reads the page fields and the button', () => {
    const v = questionViews(everyTypeQsf()).find((q) => q.qid === 'QID2') as PageQuestionView;
    const html = renderSurveyPage(pageView([v], { softOnly: true }));
    const next = readPageForm(browserPost(html), [v]);
    expect(next).toMatchObject({ sessionId: 'FS_abcdefghijklmno', pageToken: 'tok-123', action: 'next', confirmSoft: true });
    expect(readPageForm(browserPost(html, 'back'), [v]).action).toBe('back');
    expect(readPageForm(browserPost(renderSurveyPage(pageView([v]))), [v]).confirmSoft).toBe(false);
  });

  it('reads Timing figures and the screen resolution that survey.js fills in', () => {
    const views = questionViews(everyTypeQsf());
    const timing = views.find((q) => q.question.questionType === 'Timing') as PageQuestionView;
    const meta = views.find((q) => q.question.questionType === 'Meta') as PageQuestionView;
    const html = renderSurveyPage(pageView([timing, meta]));
    const posted = browserPost(html);
    expect(readPageForm(posted, [timing, meta]).clientTiming).toEqual({});
    const filled = { ...posted, [`${timing.qid}:c:first`]: '1.250', [`${timing.qid}:c:last`]: '9.5', [`${timing.qid}:c:clicks`]: '4', _res: '1920x1080' };
    const form = readPageForm(filled, [timing, meta]);
    expect(form.clientTiming).toEqual({ [timing.qid]: { firstClick: 1.25, lastClick: 9.5, clicks: 4 } });
    expect(form.clientMeta).toEqual({ resolution: '1920x1080' });
    expect(form.answers).toEqual({});
  });
});

describe('readPageForm with hostile posts', () => {
  const views = questionViews(everyTypeQsf());
  const byId = (qid: string) => views.find((q) => q.qid === qid) as PageQuestionView;
  const huge = 'x'.repeat(1024 * 1024);

  it('drops objects, nested arrays and numbers where strings are expected, without throwing', () => {
    const body: Record<string, unknown> = {
      _session: { $ne: 1 }, _token: ['tok', { a: 1 }], action: ['back', 'next'], _confirm: { 1: 1 }, _res: ['<script>'],
      'QID1:s': { 0: '1' }, 'QID7:s': [['1'], { v: '2' }, 3, '2'], 'QID16:m:1': [null, undefined, '2'],
      'QID11:t:': ['a@b.co', 'second'], 'QID22:n:1': { valueOf: 5 }, 'QID26:n:1': 7,
    };
    const form = readPageForm(body, views);
    expect(form.sessionId).toBe('');
    expect(form.pageToken).toBe('tok');
    expect(form.action).toBe('back');
    expect(form.confirmSoft).toBe(false);
    expect(form.clientMeta).toEqual({});
    expect(form.answers.QID1).toEqual({});
    expect(form.answers.QID7).toEqual({ selected: ['2'] });
    expect(form.answers.QID16).toEqual({ matrix: { 1: ['2'] } });
    expect(form.answers.QID11).toEqual({ text: { '': 'a@b.co' } });
    expect(form.answers.QID22).toEqual({});
    expect(form.answers.QID26).toEqual({});
  });

  it('never throws on bodies that are not records', () => {
    for (const body of [null, undefined, 'QID1:s=1', 42, ['QID1:s', '1'], new Map([['QID1:s', '1']])]) {
      const form = readPageForm(body as unknown as Record<string, unknown>, views);
      expect(form.action).toBe('next');
      expect(Object.values(form.answers).every((a) => Object.keys(a).length === 0)).toBe(true);
    }
  });

  it('ignores unknown ids, unknown fields and prototype keys', () => {
    const body = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "QID1:s": "99", "QID16:m:1": "99", "QID16:m:99": "1", "QID99:s": "1", "QID15:t:__proto__": "x", "QID23:n:1": "4", "QID24:n:2": "0", "QID25:n:3": "1.5", "QID1:t:1": "text for a choice without a box"}') as Record<string, unknown>;
    const form = readPageForm(body, views);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(form.answers)).toBe(Object.prototype);
    expect(form.answers.QID1).toEqual({});
    expect(form.answers.QID16).toEqual({});
    expect(form.answers.QID15).toEqual({});
    expect(form.answers.QID99).toBeUndefined();
    // Ranks are whole numbers from 1 to the number of items.
    expect(form.answers.QID23).toEqual({});
    expect(form.answers.QID24).toEqual({});
    expect(form.answers.QID25).toEqual({});
    expect(Object.keys(form.answers)).not.toContain('__proto__');
  });

  it('never offers or reads a choice whose id is __proto__', () => {
    const v = byId('QID7');
    const choices = new Map(v.question.choices);
    choices.set('__proto__', { display: 'Proto', textEntry: true });
    const evil = { ...v, question: { ...v.question, choices }, choiceOrder: [...v.choiceOrder, '__proto__'] };
    const html = renderSurveyPage(pageView([evil]));
    expect(html).not.toContain('__proto__');
    const form = readPageForm({ 'QID7:s': ['__proto__', '1'], 'QID7:t:__proto__': 'x' }, [evil]);
    expect(form.answers.QID7).toEqual({ selected: ['1'] });
  });

  it('drops 1 MB strings, over-long texts and blanks', () => {
    const body = {
      _session: huge, _token: huge, action: huge, _res: huge,
      'QID11:t:': huge, 'QID12:t:': 'y'.repeat(MAX_TEXT_LENGTH + 1), 'QID13:t:': ' \r\n\t ', 'QID14:t:': 'z'.repeat(MAX_TEXT_LENGTH),
      'QID7:s': huge, 'QID22:n:1': huge, 'QID26:n:1': `1${'0'.repeat(400)}`,
      [`${'QID29'}:c:first`]: huge, 'QID29:c:clicks': '1e9',
    };
    const started = performance.now();
    const form = readPageForm(body, views);
    expect(performance.now() - started).toBeLessThan(200);
    expect(form.sessionId).toBe('');
    expect(form.pageToken).toBe('');
    expect(form.action).toBe('next');
    expect(form.clientMeta).toEqual({});
    expect(form.answers.QID11).toEqual({});
    expect(form.answers.QID12).toEqual({});
    expect(form.answers.QID13).toEqual({});
    expect(form.answers.QID14).toEqual({ text: { '': 'z'.repeat(MAX_TEXT_LENGTH) } });
    expect(form.answers.QID7).toEqual({});
    expect(form.answers.QID22).toEqual({});
    expect(form.answers.QID26).toEqual({});
    expect(form.clientTiming).toEqual({});
  });

  it('keeps an unparsable number as text so validation can report it, and accepts negative and decimal numbers', () => {
    const form = readPageForm({ 'QID26:n:1': 'ten', 'QID26:n:2': '-2.5', 'QID22:n:1': ' 7 ' }, views);
    expect(form.answers.QID26).toEqual({ text: { 1: 'ten' }, numeric: { 2: -2.5 } });
    expect(form.answers.QID22).toEqual({ numeric: { 1: 7 } });
  });

  it('drops hostile Timing figures and resolutions', () => {
    const form = readPageForm({ 'QID29:c:first': '-1', 'QID29:c:last': 'NaN', 'QID29:c:clicks': '2.5', _res: '1920x1080;drop' }, views);
    expect(form.clientTiming).toEqual({});
    expect(form.clientMeta).toEqual({});
  });
});
