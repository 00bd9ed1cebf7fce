import { readFileSync } from 'node:fs';
import { Script } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DomUtils, parseDocument } from 'htmlparser2';
import type { ValidationIssue } from '../../../src/domain/survey/validation.ts';
import { readPageForm } from '../../../src/web/respondent/form.ts';
import { DEFAULT_END_MESSAGE, renderMessagePage } from '../../../src/web/respondent/message.ts';
import { renderSurveyPage } from '../../../src/web/respondent/page.ts';
import { sanitizeSurveyHtml } from '../../../src/web/respondent/sanitize.ts';
import type { PageQuestionView } from '../../../src/web/respondent/view.ts';
import { everyTypeQsf } from '../../helpers/every-type-survey.ts';
import { fullAnswer } from './answers.ts';
import { browserPost } from './browser-post.ts';
import { fixtureSurveys, pageView, questionViews, withAnswer } from './views.ts';

type El = ReturnType<typeof DomUtils.findAll>[number];

const SURVEYS = [...fixtureSurveys(), { name: 'every-type', doc: everyTypeQsf() }];
const CONTROLS = new Set(['input', 'select', 'textarea']);

function parse(html: string): El[] {
  return DomUtils.findAll(() => true, parseDocument(html).children);
}

function ancestors(el: El): El[] {
  const out: El[] = [];
  for (let p = el.parent; p && p.type === 'tag'; p = p.parent) out.push(p as El);
  return out;
}

/** Problems a checker (axe, a validator) would report about ids, labels and CSP on a page. */
function structuralProblems(html: string): string[] {
  const els = parse(html);
  const problems: string[] = [];
  const ids = new Map<string, number>();
  for (const el of els) if (el.attribs.id !== undefined) ids.set(el.attribs.id, (ids.get(el.attribs.id) ?? 0) + 1);
  for (const [id, n] of ids) if (n > 1) problems.push(`duplicate id ${id}`);
  const labelled = new Set(els.filter((e) => e.name === 'label' && e.attribs.for).map((e) => e.attribs.for));
  for (const el of els) {
    for (const attr of ['for', 'aria-labelledby', 'aria-describedby']) {
      const v = el.attribs[attr];
      if (v !== undefined) for (const ref of v.split(' ')) if (!ids.has(ref)) problems.push(`${attr}="${ref}" on <${el.name}> points nowhere`);
    }
    for (const name of Object.keys(el.attribs)) {
      if (/^on/i.test(name)) problems.push(`event handler ${name}`);
      if (name === 'style') problems.push(`inline style on <${el.name}>`);
    }
    if (el.name === 'script' && !el.attribs.src) problems.push('inline script');
    if (el.name === 'style') problems.push('inline <style>');
    if (CONTROLS.has(el.name) && el.attribs.type !== 'hidden') {
      const ok = el.attribs['aria-labelledby'] !== undefined || (el.attribs.id !== undefined && labelled.has(el.attribs.id)) || ancestors(el).some((a) => a.name === 'label');
      if (!ok) problems.push(`unlabelled <${el.name} name="${el.attribs.name}">`);
    }
  }
  return problems;
}

function issues(v: PageQuestionView, list: ValidationIssue[]): PageQuestionView {
  return { ...v, issues: list };
}

describe('renderSurveyPage', () => {
  for (const { name, doc } of SURVEYS) {
    it(`${name}: every question on one page is labelled, referenced ids exist, nothing inline`, () => {
      const views = questionViews(doc);
      for (const withAnswers of [false, true]) {
        const qs = views.map((v) => (withAnswers ? withAnswer(v, fullAnswer(v)) : v));
        expect(structuralProblems(renderSurveyPage(pageView(qs)))).toEqual([]);
      }
      const withIssues = views.map((v) => issues(v, [{ code: 'required', message: 'Please answer this question.' }]));
      expect(structuralProblems(renderSurveyPage(pageView(withIssues)))).toEqual([]);
    });
  }

  it('is one document with lang, title, a main landmark and one h1, and loads only our assets', () => {
    const html = renderSurveyPage(pageView(questionViews(everyTypeQsf()), { lang: 'de', title: 'Umfrage <script>alert(1)</script>' }));
    const els = parse(html);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(els.find((e) => e.name === 'html')?.attribs.lang).toBe('de');
    expect(DomUtils.textContent(els.find((e) => e.name === 'title') as El)).toBe('Umfrage <script>alert(1)</script>');
    expect(html).not.toContain('<script>alert');
    expect(els.filter((e) => e.name === 'main')).toHaveLength(1);
    expect(els.filter((e) => e.name === 'h1')).toHaveLength(1);
    expect(els.filter((e) => e.name === 'script').map((e) => e.attribs.src)).toEqual(['/jfe/assets/survey.js']);
    expect(els.filter((e) => e.name === 'link').map((e) => e.attribs.href)).toEqual(['/jfe/assets/survey.css']);
    const form = els.find((e) => e.name === 'form') as El;
    expect(form.attribs).toMatchObject({ method: 'post', action: '/jfe/form/SV_test' });
  });

  it('puts Next first among the submit buttons, and Back only when allowed', () => {
    const views = questionViews(everyTypeQsf()).slice(0, 3);
    const buttons = (html: string) => parse(html).filter((e) => e.name === 'button').map((e) => `${e.attribs.name}=${e.attribs.value}:${DomUtils.textContent(e)}`);
    expect(buttons(renderSurveyPage(pageView(views, { nextLabel: 'Weiter', backLabel: 'Zurück' })))).toEqual(['action=next:Weiter', 'action=back:Zurück']);
    expect(buttons(renderSurveyPage(pageView(views, { backButton: false })))).toEqual(['action=next:Next']);
    // Enter in a text box submits the first button: Next.
    expect(readPageForm(browserPost(renderSurveyPage(pageView(views))), views).action).toBe('next');
  });

  it('renders every question of the every-type survey as its kind of control', () => {
    const views = questionViews(everyTypeQsf());
    const html = (qid: string): string => renderSurveyPage(pageView(views.filter((v) => v.qid === qid)));
    const controls = (qid: string): string[] => parse(html(qid)).filter((e) => CONTROLS.has(e.name) && e.attribs.name?.startsWith(`${qid}:`)).map((e) => `${e.name}:${e.attribs.type ?? ''}`);
    const count = (qid: string, kind: string): number => controls(qid).filter((c) => c === kind).length;
    expect(count('QID1', 'input:radio')).toBe(3);
    expect(count('QID1', 'input:text')).toBe(1);
    expect(controls('QID4')).toEqual(['select:']);
    expect(parse(html('QID5')).find((e) => e.name === 'select')?.attribs.size).toBe('4');
    expect(parse(html('QID10')).find((e) => e.name === 'select')?.attribs.multiple).toBe('');
    expect(count('QID6', 'input:radio')).toBe(11);
    expect(count('QID7', 'input:checkbox')).toBe(4);
    expect(parse(html('QID7')).filter((e) => e.attribs.class === 'sv-excl').map((e) => e.attribs.value)).toEqual(['4']);
    expect(controls('QID12')).toEqual(['textarea:']);
    expect(controls('QID14')).toEqual(['input:password']);
    expect(parse(html('QID11')).find((e) => e.name === 'input' && e.attribs.name === 'QID11:t:')?.attribs.inputmode).toBe('email');
    expect(count('QID15', 'input:text')).toBe(2);
    expect(count('QID16', 'input:radio')).toBe(12);
    expect(count('QID16', 'input:text')).toBe(1);
    expect(parse(html('QID16')).filter((e) => e.name === 'th' && e.attribs.scope === 'col')).toHaveLength(4);
    expect(count('QID17', 'input:checkbox')).toBe(6);
    expect(controls('QID18')).toEqual(['select:', 'select:']);
    expect(count('QID19', 'input:radio')).toBe(10);
    expect(DomUtils.textContent(parse(html('QID19')).find((e) => e.attribs.class === 'sv-right') as El)).toBe('Expensive');
    expect(count('QID20', 'input:text')).toBe(4);
    expect(count('QID21', 'input:text')).toBe(4);
    const slider = parse(html('QID22')).filter((e) => e.attribs.type === 'number');
    expect(slider.map((e) => [e.attribs.min, e.attribs.max, e.attribs.step])).toEqual([['0', '10', '1'], ['0', '10', '1']]);
    expect(controls('QID23')).toEqual(['select:', 'select:', 'select:']);
    expect(count('QID24', 'input:radio')).toBe(9);
    expect(count('QID25', 'input:text')).toBe(3);
    expect(DomUtils.textContent(parse(html('QID26')).find((e) => e.attribs.class === 'sv-cs-total') as El)).toBe('Total: 0 of 100');
    expect(count('QID27', 'input:radio') + count('QID27', 'input:checkbox')).toBe(8);
    expect(parse(html('QID28')).filter((e) => CONTROLS.has(e.name) && e.attribs.type !== 'hidden')).toHaveLength(0);
    expect(html('QID28')).toContain('<strong>Almost done</strong>');
    expect(parse(html('QID29')).filter((e) => e.name === 'input').map((e) => `${e.attribs.type}:${e.attribs.name}`)).toEqual(
      expect.arrayContaining(['hidden:QID29:c:first', 'hidden:QID29:c:last', 'hidden:QID29:c:clicks']),
    );
    expect(html('QID29')).not.toContain('<fieldset');
    expect(parse(html('QID30')).filter((e) => e.name === 'input' && e.attribs.name === '_res')).toHaveLength(1);
  });

  it('shows ranked items in rank order and the constant-sum total of the answer', () => {
    const views = questionViews(everyTypeQsf());
    const rank = views.find((v) => v.qid === 'QID23') as PageQuestionView;
    const items = parse(renderSurveyPage(pageView([withAnswer(rank, { numeric: { 1: 3, 2: 1, 3: 2 } })]))).filter((e) => e.attribs.class === 'sv-rank-item');
    expect(items.map((li) => DomUtils.textContent(li.children.find((c) => (c as El).name === 'label') as El))).toEqual(['Quality', 'Service', 'Price']);
    const cs = views.find((v) => v.qid === 'QID26') as PageQuestionView;
    const total = parse(renderSurveyPage(pageView([withAnswer(cs, { numeric: { 1: 0.1, 2: 0.2 } })]))).find((e) => e.name === 'output') as El;
    expect(DomUtils.textContent(total)).toBe('0.3');
  });

  it('renders nothing for unknown question types', () => {
    const v = questionViews(everyTypeQsf())[0];
    const odd = { ...v, qid: 'QID77', question: { ...v.question, questionId: 'QID77', questionType: 'HeatMap' } };
    const html = renderSurveyPage(pageView([odd]));
    expect(html).not.toContain('QID77');
    expect(readPageForm({ 'QID77:s': '1' }, [odd]).answers).toEqual({});
  });

  it('escapes hostile ids and sanitizes hostile texts, and still reads the post back', () => {
    const v = questionViews(everyTypeQsf()).find((q) => q.qid === 'QID7') as PageQuestionView;
    const evilId = '"><script>alert(1)</script>';
    const choices = new Map(v.question.choices);
    choices.set(evilId, { display: '<img src=x onerror=alert(1)>Evil <b>choice</b>', textEntry: true });
    const evil: PageQuestionView = {
      ...v,
      question: { ...v.question, questionText: '<script>alert(1)</script><p onclick="x">Which?</p>', choices },
      choiceOrder: [...v.choiceOrder, evilId],
    };
    const answer = { selected: ['1', evilId], text: { [evilId]: '</textarea><script>alert(2)</script>' } };
    const html = renderSurveyPage(pageView([withAnswer(evil, answer)]));
    expect(html).not.toMatch(/<script>alert|onerror|onclick/);
    expect(structuralProblems(html)).toEqual([]);
    expect(readPageForm(browserPost(html), [evil]).answers.QID7).toEqual(answer);
  });

  it('links an error summary to the questions at fault and marks their controls', () => {
    const views = questionViews(everyTypeQsf());
    const mc = issues(views.find((v) => v.qid === 'QID1') as PageQuestionView, [{ code: 'required', message: 'Please answer this question.' }]);
    const text = issues(views.find((v) => v.qid === 'QID11') as PageQuestionView, [
      { code: 'invalid-email', message: 'Please enter a valid email address.', field: '' },
      { code: 'invalid-regex', message: 'author problem', warning: true },
    ]);
    const fine = views.find((v) => v.qid === 'QID2') as PageQuestionView;
    const html = renderSurveyPage(pageView([mc, fine, text]));
    const els = parse(html);
    expect(DomUtils.textContent(els.find((e) => e.name === 'title') as El)).toBe('Error: Fruit survey');
    const summary = els.find((e) => e.attribs.id === 'sv-summary') as El;
    expect(summary.attribs.role).toBe('alert');
    const links = DomUtils.findAll((e) => e.name === 'a', summary.children);
    expect(links.map((a) => [a.attribs.href, DomUtils.textContent(a)])).toEqual([
      ['#q-QID1-c-1', 'Which fruit do you like best?: Please answer this question.'],
      ['#q-QID11-text', 'Your email address: Please enter a valid email address.'],
    ]);
    expect(html).not.toContain('author problem');
    const control = (name: string) => els.filter((e) => e.attribs.name === name);
    for (const radio of control('QID1:s')) expect(radio.attribs).toMatchObject({ 'aria-invalid': 'true', 'aria-describedby': 'q-QID1-err' });
    expect(control('QID11:t:')[0].attribs).toMatchObject({ 'aria-invalid': 'true', 'aria-describedby': 'q-QID11-err' });
    for (const radio of control('QID2:s')) expect(radio.attribs['aria-invalid']).toBeUndefined();
    expect(DomUtils.textContent(els.find((e) => e.attribs.id === 'q-QID1-err') as El)).toBe('Error: Please answer this question.');
    expect(control('_confirm')).toHaveLength(0);
  });

  it('offers to go on when only request-response notices stopped the page', () => {
    const v = issues(questionViews(everyTypeQsf())[1], [{ code: 'request-response', message: 'You have not answered this question. Continue anyway?', soft: true }]);
    const html = renderSurveyPage(pageView([v], { softOnly: true }));
    const els = parse(html);
    expect(DomUtils.textContent(els.find((e) => e.name === 'title') as El)).toBe('Fruit survey');
    expect(DomUtils.textContent(els.find((e) => e.name === 'h2') as El)).toBe('Some questions are not answered');
    expect(els.find((e) => e.attribs.name === 'QID2:s')?.attribs['aria-invalid']).toBeUndefined();
    expect(readPageForm(browserPost(html), [v]).confirmSoft).toBe(true);
  });

  it('shows progress only when the survey has a progress bar', () => {
    const v = questionViews(everyTypeQsf()).slice(0, 1);
    expect(renderSurveyPage(pageView(v, { progress: null }))).not.toContain('<progress');
    expect(renderSurveyPage(pageView(v, { progress: 140 }))).toContain('<progress id="sv-progress" max="100" value="100">');
    expect(renderSurveyPage(pageView(v, { progress: 33.4 }))).toContain('value="33"');
  });

  it('puts the (already safe) header and footer outside the form', () => {
    const html = renderSurveyPage(pageView([], { headerHtml: '<p>Acme research</p>', footerHtml: '<p>Privacy</p>' }));
    expect(html).toContain('<header class="sv-header"><p>Acme research</p></header>');
    expect(html).toContain('<footer class="sv-footer"><p>Privacy</p></footer>');
  });

  it('renders a 10-question page in well under a millisecond', () => {
    const many = fixtureSurveys().find((s) => s.name === 'many-different-question-types');
    const qs = questionViews(many?.doc as Record<string, unknown>).slice(0, 10).map((v) => withAnswer(v, fullAnswer(v)));
    const view = pageView(qs, { html: (raw) => sanitizeSurveyHtml(raw) });
    for (let i = 0; i < 300; i++) renderSurveyPage(view);
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const started = performance.now();
      renderSurveyPage(view);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    expect(times[500]).toBeLessThan(1);
  });
});

describe('renderMessagePage', () => {
  it('shows the title escaped and the safe body as it is', () => {
    const html = renderMessagePage({ title: 'Closed <b>now</b>', bodyHtml: '<p>This survey is <strong>closed</strong>.</p>', lang: 'fr' });
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('<title>Closed &lt;b&gt;now&lt;/b&gt;</title>');
    expect(html).toContain('<p>This survey is <strong>closed</strong>.</p>');
    expect(structuralProblems(html)).toEqual([]);
    expect(parse(html).filter((e) => e.name === 'main')).toHaveLength(1);
  });

  it('falls back to the default end-of-survey message', () => {
    expect(renderMessagePage({ title: 'Done', bodyHtml: '  ', lang: 'en' })).toContain(DEFAULT_END_MESSAGE);
  });
});

describe('survey assets', () => {
  const js = readFileSync(new URL('../../../src/web/respondent/assets/survey.js', import.meta.url));
  const css = readFileSync(new URL('../../../src/web/respondent/assets/survey.css', import.meta.url));

  it('stay small', () => {
    expect(gzipSync(js).length + gzipSync(css).length).toBeLessThan(30 * 1024);
  });

  it('survey.js is plain script that parses, posts only to its own form and uses no eval', () => {
    const text = js.toString('utf8');
    expect(() => new Script(text)).not.toThrow();
    expect(text).not.toMatch(/\beval\(|new Function|import\(|XMLHttpRequest|innerHTML|document\.write/);
    // The one request it makes is the page post, to the form's own action.
    expect(text.match(/fetch\(/g)).toEqual(['fetch(']);
    expect(text).toMatch(/var url = new URL\(target\.getAttribute\('action'\) \|\| '', window\.location\.href\)\.href;\s*fetch\(url, \{\s*method: 'POST'/);
  });

  it('survey.css reflows matrices with a width query and fetches nothing', () => {
    const text = css.toString('utf8');
    expect(text).toMatch(/@media \(min-width: 40em\)[^]*\.sv-matrix \{ display: table;/);
    expect(text).not.toMatch(/url\(|@import/);
  });
});
