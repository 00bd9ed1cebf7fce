import { describe, expect, it } from 'vitest';
import { INVALID_SURVEY_FILE, SurveyFileError } from '../../../src/domain/survey/import.ts';
import { readQsf } from '../../../src/domain/survey/qsf.ts';
import { TXT_LINE_MAX_CHARS, parseAdvancedFormat } from '../../../src/domain/survey/txt-format.ts';

let counter = 0;
const ids = { newId: (p: string) => `${p}_${String(++counter).padStart(15, '0')}`, ownerId: 'UR_000000000000ann', brandId: 'acme', now: Date.UTC(2026, 0, 2, 3, 4, 5) };
const parse = (text: string) => parseAdvancedFormat(Buffer.from(text, 'utf8'), ids);
const survey = (text: string) => readQsf(JSON.parse(parse(text).text));
const question = (text: string, qid = 'QID1') => survey(text).questions.get(qid)!;
const payload = (text: string, qid = 'QID1') => {
  const el = (parse(text).qsf.SurveyElements as { Element: string; PrimaryAttribute: unknown; Payload: Record<string, unknown> }[]).find((e) => e.Element === 'SQ' && e.PrimaryAttribute === qid);
  return el!.Payload;
};

function expectInvalid(text: string | Buffer, detail?: RegExp) {
  let error: unknown;
  try {
    parseAdvancedFormat(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, ids);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SurveyFileError);
  const message = (error as Error).message;
  expect(message.startsWith(INVALID_SURVEY_FILE)).toBe(true);
  if (detail) expect(message).toMatch(detail);
  expect(message.length).toBeLessThan(300);
}

describe('parseAdvancedFormat: structure', () => {
  it('builds a minimal QSF: SurveyEntry and BL, FL, SO, SCO, STAT, QC, RS, SQ elements', () => {
    const file = parse('[[AdvancedFormat]]\n\n[[Question:MC]]\nPick one\n\n[[Choices]]\nRed\nBlue\n');
    expect(file.name).toBe('');
    expect(file.description).toBeNull();
    expect(JSON.parse(file.text)).toEqual(file.qsf);
    expect(Object.keys(file.qsf)).toEqual(['SurveyEntry', 'SurveyElements']);
    const entry = file.qsf.SurveyEntry as Record<string, unknown>;
    expect(entry).toMatchObject({ SurveyName: '', SurveyOwnerID: ids.ownerId, SurveyBrandID: 'acme', SurveyLanguage: 'EN', SurveyStatus: 'Inactive', SurveyCreationDate: '2026-01-02 03:04:05' });
    expect(entry.SurveyID).toMatch(/^SV_/);
    const elements = file.qsf.SurveyElements.map((e) => e.Element);
    expect(elements).toEqual(['BL', 'FL', 'SO', 'SCO', 'STAT', 'QC', 'RS', 'SQ']);
    const qc = file.qsf.SurveyElements.find((e) => e.Element === 'QC') as Record<string, unknown>;
    expect(qc.SecondaryAttribute).toBe('1');
    for (const e of file.qsf.SurveyElements) expect((e as Record<string, unknown>).SurveyID).toBe(entry.SurveyID);
  });

  it('puts questions before any [[Block]] into the default block; [[Block:Name]] starts a named standard block; [[PageBreak]] stays in place', () => {
    const s = survey(
      '[[AdvancedFormat]]\n[[Question:TE]]\nFirst?\n[[PageBreak]]\n[[Question:TE]]\nSecond?\n[[Block:Demographics]]\n[[Question:TE]]\nAge?\n[[Block]]\n[[Question:DB]]\nThanks\n',
    );
    expect(s.blocks.map((b) => [b.type, b.description])).toEqual([
      ['Default', 'Default Question Block'],
      ['Standard', 'Demographics'],
      ['Standard', 'Block 2'],
      ['Trash', 'Trash / Unused Questions'],
    ]);
    expect(s.blocks[0]!.elements).toEqual([
      { type: 'Question', questionId: 'QID1' },
      { type: 'Page Break', questionId: undefined },
      { type: 'Question', questionId: 'QID2' },
    ]);
    expect(s.blocks[1]!.elements).toEqual([{ type: 'Question', questionId: 'QID3' }]);
    expect(s.flow.map((f) => [f.type, f.id, f.flowId])).toEqual([
      ['Block', s.blocks[0]!.id, 'FL_2'],
      ['Standard', s.blocks[1]!.id, 'FL_3'],
      ['Standard', s.blocks[2]!.id, 'FL_4'],
    ]);
    expect(new Set(s.blocks.map((b) => b.id)).size).toBe(4);
    expect([...s.questions.values()].map((q) => q.dataExportTag)).toEqual(['Q1', 'Q2', 'Q3', 'Q4']);
  });

  it('a file with only the header is an empty survey with one default block', () => {
    const s = survey('\uFEFF\r\n[[AdvancedFormat]]\r\n');
    expect(s.questions.size).toBe(0);
    expect(s.blocks.map((b) => [b.type, b.elements.length])).toEqual([['Default', 0], ['Trash', 0]]);
    expect(s.flow).toHaveLength(1);
  });

  it('reads tags case-insensitively and with CRLF line ends', () => {
    const q = question('[[advancedformat]]\r\n[[question:mc:multipleanswer]]\r\nWhich?\r\n[[choices]]\r\nA\r\nB\r\n');
    expect([q.questionType, q.selector, q.subSelector]).toEqual(['MC', 'MAVR', 'TX']);
    expect(q.choiceOrder.map((id) => q.choices.get(id)!.display)).toEqual(['A', 'B']);
  });
});

describe('parseAdvancedFormat: question types', () => {
  it.each([
    ['MC', 'MC', 'SAVR', 'TX'],
    ['MC:SingleAnswer', 'MC', 'SAVR', 'TX'],
    ['MC:SingleAnswer:Vertical', 'MC', 'SAVR', 'TX'],
    ['MC:SingleAnswer:Horizontal', 'MC', 'SAHR', 'TX'],
    ['MC:MultipleAnswer', 'MC', 'MAVR', 'TX'],
    ['MC:MultipleAnswer:Horizontal', 'MC', 'MAHR', 'TX'],
    ['MC:DropDown', 'MC', 'DL', ''],
    ['MC:Dropdown', 'MC', 'DL', ''],
  ])('[[Question:%s]] → %s/%s/%s with its choices in order', (tag, type, selector, sub) => {
    const q = question(`[[AdvancedFormat]]\n[[Question:${tag}]]\nFavourite colour?\n\n[[Choices]]\nRed\n\nGreen\nBlue\n`);
    expect([q.questionType, q.selector, q.subSelector]).toEqual([type, selector, sub]);
    expect(q.questionText).toBe('Favourite colour?');
    expect(q.choiceOrder).toEqual(['1', '2', '3']);
    expect(q.choiceOrder.map((id) => q.choices.get(id)!.display)).toEqual(['Red', 'Green', 'Blue']);
  });

  it.each([
    ['TE', 'SL'],
    ['TE:SingleLine', 'SL'],
    ['TE:Essay', 'ESTB'],
    ['TE:MultiLine', 'ML'],
  ])('[[Question:%s]] → TE/%s without choices', (tag, selector) => {
    const q = question(`[[AdvancedFormat]]\n[[Question:${tag}]]\nYour comments\n`);
    expect([q.questionType, q.selector]).toEqual(['TE', selector]);
    expect(q.choices.size).toBe(0);
  });

  it('[[Question:TE:Form]] takes its fields as choices', () => {
    const q = question('[[AdvancedFormat]]\n[[Question:TE:Form]]\nContact details\n[[Choices]]\nName\nPhone\n');
    expect([q.questionType, q.selector]).toEqual(['TE', 'FORM']);
    expect(q.choiceOrder.map((id) => q.choices.get(id)!.display)).toEqual(['Name', 'Phone']);
  });

  it('[[Question:DB]] and [[Question:Text]] are descriptive text (DB/TB); paragraphs are kept', () => {
    for (const tag of ['DB', 'Text']) {
      const q = question(`[[AdvancedFormat]]\n[[Question:${tag}]]\nWelcome to the survey.\nIt takes 5 minutes.\n\nThank you!\n`);
      expect([q.questionType, q.selector]).toEqual(['DB', 'TB']);
      expect(q.questionText).toBe('Welcome to the survey.<br>It takes 5 minutes.<br><br>Thank you!');
      expect(q.questionDescription).toBe('Welcome to the survey. It takes 5 minutes. Thank you!');
    }
  });

  it('[[Question:Matrix]] has statements as choices and the scale as answers', () => {
    const text = '[[AdvancedFormat]]\n[[Question:Matrix]]\nHow do you rate\n[[Choices]]\nFood\nService\n[[Answers]]\nPoor\nFair\nGood\n';
    const q = question(text);
    expect([q.questionType, q.selector, q.subSelector]).toEqual(['Matrix', 'Likert', 'SingleAnswer']);
    expect(q.choiceOrder.map((id) => q.choices.get(id)!.display)).toEqual(['Food', 'Service']);
    expect(q.answerOrder.map((id) => q.answers.get(id)!.display)).toEqual(['Poor', 'Fair', 'Good']);
    expect(payload(text).ChoiceDataExportTags).toBe(false);
    expect(question(text.replace('Matrix]]', 'Matrix:MultipleAnswer]]')).subSelector).toBe('MultipleAnswer');
  });

  it('[[AdvancedChoices]] / [[Choice:<recode>]] and [[AdvancedAnswers]] / [[Answer:<n>]] set texts and recodes', () => {
    const mc = '[[AdvancedFormat]]\n[[Question:MC]]\nAgree?\n[[AdvancedChoices]]\n[[Choice:5]]\nYes\n[[Choice]]\nNo,\nnot at all\n[[Choice:-1]]\nDon\'t know\n';
    const q = question(mc);
    expect(q.choiceOrder.map((id) => q.choices.get(id)!.display)).toEqual(['Yes', 'No,<br>not at all', "Don't know"]);
    expect(Object.fromEntries(q.recodeValues)).toEqual({ '1': '5', '3': '-1' });

    const matrix = '[[AdvancedFormat]]\n[[Question:Matrix]]\nRate\n[[AdvancedChoices]]\n[[Choice]]\nFood\n[[AdvancedAnswers]]\n[[Answer:1]]\nBad\n[[Answer:7]]\nGood\n';
    const m = question(matrix);
    expect(m.choiceOrder.map((id) => m.choices.get(id)!.display)).toEqual(['Food']);
    expect(m.answerOrder.map((id) => m.answers.get(id)!.display)).toEqual(['Bad', 'Good']);
    expect(Object.fromEntries(m.recodeValues)).toEqual({ '1': '1', '2': '7' });
  });

  it('[[ID:tag]] sets the export tag; the other questions get Q<n> around the custom ones', () => {
    const s = survey('[[AdvancedFormat]]\n[[Question:TE]]\n[[ID:Q2]]\nA\n[[Question:TE]]\nB\n[[Question:TE]]\n[[ID:age_years]]\nC\n[[Question:TE]]\nD\n');
    expect([...s.questions.values()].map((q) => [q.questionId, q.dataExportTag])).toEqual([
      ['QID1', 'Q2'],
      ['QID2', 'Q1'],
      ['QID3', 'age_years'],
      ['QID4', 'Q3'],
    ]);
  });

  it('keeps question text as HTML and describes it as plain text', () => {
    const q = question('[[AdvancedFormat]]\n[[Question:TE]]\n<b>Bold</b> &amp; brave\n');
    expect(q.questionText).toBe('<b>Bold</b> &amp; brave');
    expect(q.questionDescription).toBe('Bold &amp; brave');
  });
});

describe('parseAdvancedFormat: malformed input is a SurveyFileError', () => {
  it.each([
    ['no header', '[[Question:TE]]\nHi\n', /must start with \[\[AdvancedFormat\]\]/],
    ['empty file', '', /must start/],
    ['unknown tag', '[[AdvancedFormat]]\n[[Question:TE]]\nHi\n[[Bogus]]\n', /line 4: unknown tag \[\[Bogus\]\]/],
    ['unknown question type', '[[AdvancedFormat]]\n[[Question:Slider]]\nHi\n', /unknown tag \[\[Question:Slider\]\]/],
    ['embedded data (not in §4.3)', '[[AdvancedFormat]]\n[[ED:source:web]]\n', /unknown tag/],
    ['question without text', '[[AdvancedFormat]]\n[[Question:TE]]\n\n[[Question:TE]]\nHi\n', /line 2: a question without text/],
    ['MC without choices', '[[AdvancedFormat]]\n[[Question:MC]]\nPick\n', /without choices/],
    ['matrix without answers', '[[AdvancedFormat]]\n[[Question:Matrix]]\nRate\n[[Choices]]\nFood\n', /matrix without answers/],
    ['answers on MC', '[[AdvancedFormat]]\n[[Question:MC]]\nPick\n[[Choices]]\nA\n[[Answers]]\nX\n', /matrix questions only/],
    ['choices on TE', '[[AdvancedFormat]]\n[[Question:TE]]\nName\n[[Choices]]\nA\n', /takes no choices/],
    ['text before any question', '[[AdvancedFormat]]\nHello\n', /text outside a question/],
    ['[[Choices]] outside a question', '[[AdvancedFormat]]\n[[Choices]]\n', /outside a question/],
    ['[[ID]] not after the question tag', '[[AdvancedFormat]]\n[[Question:TE]]\nHi\n[[ID:x]]\n', /must directly follow/],
    ['bad ID', '[[AdvancedFormat]]\n[[Question:TE]]\n[[ID:has space]]\nHi\n', /question ID/],
    ['duplicate ID', '[[AdvancedFormat]]\n[[Question:TE]]\n[[ID:x]]\nA\n[[Question:TE]]\n[[ID:X]]\nB\n', /used twice/],
    ['[[Choice]] without [[AdvancedChoices]]', '[[AdvancedFormat]]\n[[Question:MC]]\nPick\n[[Choice]]\nA\n', /outside \[\[AdvancedChoices\]\]/],
    ['empty advanced choice', '[[AdvancedFormat]]\n[[Question:MC]]\nPick\n[[AdvancedChoices]]\n[[Choice]]\n[[Choice]]\nB\n', /without text/],
    ['non-numeric recode', '[[AdvancedFormat]]\n[[Question:MC]]\nPick\n[[AdvancedChoices]]\n[[Choice:abc]]\nA\n', /whole number/],
    ['recode on matrix choices', '[[AdvancedFormat]]\n[[Question:Matrix]]\nRate\n[[AdvancedChoices]]\n[[Choice:3]]\nA\n[[Answers]]\nX\n', /recodes its answers/],
    ['NUL byte', '[[AdvancedFormat]]\n[[Question:TE]]\nHi\u0000there\n', /line 3: control character/],
  ])('%s', (_, text, detail) => expectInvalid(text, detail));

  it('refuses a 10 MB single line quickly, and quotes no more than a little of it', () => {
    const started = Date.now();
    expectInvalid(`[[AdvancedFormat]]\n[[Question:TE]]\n${'x'.repeat(10 * 1024 * 1024)}\n`, new RegExp(`line 3: longer than ${TXT_LINE_MAX_CHARS}`));
    expectInvalid(`[[AdvancedFormat]]\n[[${'y'.repeat(50_000)}]]\n`, /unknown tag \[\[y{40}…\]\]/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses bytes that are not UTF-8', () => {
    expectInvalid(Buffer.from([0x5b, 0x5b, 0xff, 0xfe, 0x5d, 0x5d]), /not UTF-8/);
  });

  it('accepts a line of exactly the maximum length', () => {
    const q = question(`[[AdvancedFormat]]\n[[Question:TE]]\n${'z'.repeat(TXT_LINE_MAX_CHARS)}\n`);
    expect(q.questionText).toHaveLength(TXT_LINE_MAX_CHARS);
  });
});
