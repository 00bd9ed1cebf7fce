import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH, blocksSubmit, isValidDate, validateAnswer, type AnswerValue } from '../../../src/domain/survey/validation.ts';

const codes = (question: unknown, answer: AnswerValue, locale?: string): string[] => validateAnswer(question, answer, { locale }).map((i) => i.code);

const te = (settings: Record<string, unknown>, selector = 'SL') => ({
  QuestionID: 'QID1', QuestionType: 'TE', Selector: selector,
  Validation: { Settings: { ForceResponse: 'OFF', ForceResponseType: 'ON', Type: 'ContentType', ...settings } },
});
const text = (value: string): AnswerValue => ({ text: { '': value } });

const mc = (selector: string, settings: Record<string, unknown> = {}) => ({
  QuestionID: 'QID2', QuestionType: 'MC', Selector: selector, SubSelector: 'TX',
  Choices: {
    '1': { Display: 'Apples' },
    '2': { Display: 'Pears' },
    '3': { Display: 'Other', TextEntry: 'true' },
    '4': { Display: '<b>None of these</b>', ExclusiveAnswer: true },
  },
  ChoiceOrder: ['1', '2', '3', '4'],
  Validation: { Settings: { ForceResponse: 'OFF', ForceResponseType: 'ON', Type: 'None', ...settings } },
});

describe('force and request response', () => {
  it('requires an answer when forced, in any question type', () => {
    const q = mc('SAVR', { ForceResponse: 'ON' });
    expect(codes(q, {})).toEqual(['required']);
    expect(codes(q, { selected: [] , text: { '3': '  ' } })).toEqual(['required']);
    expect(codes(q, { selected: ['1'] })).toEqual([]);
    expect(blocksSubmit(validateAnswer(q, {}))).toBe(true);
  });

  it('turns request response into a soft issue the respondent may pass', () => {
    const q = mc('SAVR', { ForceResponse: 'ON', ForceResponseType: 'RequestResponse' });
    const issues = validateAnswer(q, {});
    expect(issues).toEqual([{ code: 'request-response', message: expect.any(String), soft: true }]);
    expect(blocksSubmit(issues)).toBe(false);
    expect(validateAnswer(q, { selected: ['2'] })).toEqual([]);
  });

  it('accepts an empty answer when nothing is forced', () => {
    expect(codes(mc('SAVR'), {})).toEqual([]);
  });
});

describe('content validation', () => {
  const cases: [string, Record<string, unknown>, string[], string[], string][] = [
    ['ValidEmail', {}, ['a@example.com', ' first.last+tag@sub.example.org '], ['a@', 'a@b', 'a b@example.com', '<x>@example.com', 'a@-x.com'], 'invalid-email'],
    ['ValidUSPhone', {}, ['(202) 555-0143', '202-555-0143', '+1 202.555.0143', '2025550143'], ['555-0143', '(102) 555-0143', '202-155-0143', '202555014x'], 'invalid-phone'],
    ['ValidZip', {}, ['12345', '12345-6789'], ['1234', '123456', '12345-678', 'ABCDE'], 'invalid-zip'],
    ['ValidNumber', {}, ['42', '-3.5', '0.25', '.5'], ['abc', '1e5', '1,5', '12 apples', 'Infinity'], 'invalid-number'],
    ['ValidDate', { ValidDateFormat: 'mm/dd/yyyy' }, ['02/29/2024', '12/31/1999', '1/5/2020'], ['02/30/2024', '13/01/2020', '2020/01/05', '01/05/20'], 'invalid-date'],
    ['ValidDate', { ValidDateFormat: 'dd/mm/yyyy' }, ['31/12/1999', '29-02-2024'], ['12/31/1999', '29/02/2023'], 'invalid-date'],
    ['ValidDate', { ValidDateFormat: 'yyyy/mm/dd' }, ['2024/02/29', '1999.12.31'], ['12/31/1999', '2023/02/29'], 'invalid-date'],
    ['ValidRegex', { Regex: '^[A-Z]{2}\\d{3}$' }, ['AB123'], ['ab123', 'AB1234'], 'regex-mismatch'],
  ];
  for (const [type, extra, valid, invalid, code] of cases) {
    it(`${type} ${JSON.stringify(extra)} accepts valid and rejects invalid values`, () => {
      const q = te({ ContentType: type, ...extra });
      for (const v of valid) expect(codes(q, text(v)), v).toEqual([]);
      for (const v of invalid) expect(codes(q, text(v)), v).toEqual([code]);
    });
  }

  it('checks number bounds and decimals, and reads a decimal comma only where the locale writes one', () => {
    const q = te({ ContentType: 'ValidNumber', ValidNumber: { Min: '1', Max: '10', NumDecimals: '1' } });
    expect(codes(q, text('5.5'))).toEqual([]);
    expect(codes(q, text('0.5'))).toEqual(['number-too-small']);
    expect(codes(q, text('11'))).toEqual(['number-too-large']);
    expect(codes(q, text('5.25'))).toEqual(['too-many-decimals']);
    expect(codes(q, text('5,5'), 'de-DE')).toEqual([]);
    expect(codes(q, text('5,5'), 'en-US')).toEqual(['invalid-number']);
    expect(validateAnswer(q, text('11'))[0]!.message).toBe('Please enter a number no greater than 10.');
  });

  it('treats an invalid or over-long regex as no constraint, with an author warning that does not block', () => {
    for (const Regex of ['([a-z', 'a'.repeat(600)]) {
      const issues = validateAnswer(te({ ContentType: 'ValidRegex', Regex }), text('anything'));
      expect(issues.map((i) => [i.code, i.warning])).toEqual([['invalid-regex', true]]);
      expect(blocksSubmit(issues)).toBe(false);
    }
  });

  it('checks min and max length in characters, not UTF-16 units', () => {
    const q = te({ Type: 'CharRange', MinChars: '3', MaxChars: '5' });
    expect(codes(q, text('abc'))).toEqual([]);
    expect(codes(q, text('😀😀😀'))).toEqual([]);
    expect(codes(q, text('ab'))).toEqual(['too-short']);
    expect(codes(q, text('abcdef'))).toEqual(['too-long']);
  });

  it('ignores ContentType when Type is None and validates every FORM field', () => {
    expect(codes(te({ Type: 'None', ContentType: 'ValidEmail' }), text('nope'))).toEqual([]);
    const form = { ...te({ ContentType: 'ValidZip', ForceResponse: 'ON' }, 'FORM'), Choices: { '1': { Display: 'Home' }, '2': { Display: 'Work' } }, ChoiceOrder: ['1', '2'] };
    expect(codes(form, { text: { '1': '12345', '2': '54321' } })).toEqual([]);
    expect(codes(form, { text: { '1': '12345', '2': 'x' } })).toEqual(['invalid-zip']);
    expect(codes(form, { text: { '1': '12345' } })).toEqual(['required']);
    expect(codes(form, { text: { '1': '12345', '2': '54321', '9': 'x' } })).toEqual(['unknown-choice']);
  });

  it('uses the custom error message of the QSF instead of the default text', () => {
    const q = te({ ContentType: 'ValidEmail', CustomErrorMessage: { Message: 'Work email, please' } });
    expect(validateAnswer(q, text('nope'))).toEqual([{ code: 'invalid-email', message: 'Work email, please', field: '' }]);
    const plain = te({ ContentType: 'ValidEmail', ErrorMessage: 'Type your email' });
    expect(validateAnswer(plain, text('nope'))[0]!.message).toBe('Type your email');
    expect(validateAnswer(te({ ContentType: 'ValidEmail' }), text('nope'))[0]!.message).toBe('Please enter a valid email address.');
  });

  it('isValidDate rejects impossible days', () => {
    expect(isValidDate('04/31/2021', 'mm/dd/yyyy')).toBe(false);
    expect(isValidDate('04/30/2021', 'mm/dd/yyyy')).toBe(true);
  });
});

describe('multiple choice', () => {
  it('enforces min and max choices on multi-answer questions', () => {
    const q = mc('MAVR', { Type: 'MinChoices', MinChoices: '2', MaxChoices: '2' });
    expect(codes(q, { selected: ['1'] })).toEqual(['too-few-choices']);
    expect(codes(q, { selected: ['1', '2'] })).toEqual([]);
    expect(codes(q, { selected: ['1', '2', '3'], text: { '3': 'Plums' } })).toEqual(['too-many-choices']);
    expect(validateAnswer(q, { selected: ['1'] })[0]!.message).toBe('Please select at least 2 choices.');
  });

  it('rejects an exclusive choice combined with others', () => {
    const q = mc('MAVR');
    expect(codes(q, { selected: ['4'] })).toEqual([]);
    expect(codes(q, { selected: ['1', '4'] })).toEqual(['exclusive-answer']);
    expect(validateAnswer(q, { selected: ['1', '4'] })[0]!.message).toBe('"None of these" cannot be combined with other choices.');
  });

  it('requires the text of a selected text-entry choice', () => {
    const q = mc('MAVR');
    expect(codes(q, { selected: ['3'] })).toEqual(['text-entry-required']);
    expect(codes(q, { selected: ['3'], text: { '3': 'Plums' } })).toEqual([]);
  });

  it('rejects tampered posts: unknown choices, text for choices without a box, several answers to a single-answer question', () => {
    expect(codes(mc('SAVR'), { selected: ['99'] })).toEqual(['unknown-choice']);
    expect(codes(mc('SAVR'), { selected: ['1'], text: { '1': 'x' } })).toEqual(['unknown-choice']);
    expect(codes(mc('SAVR'), { selected: ['1', '2'] })).toEqual(['single-answer']);
    expect(codes(mc('DL'), { selected: ['1', '2'] })).toEqual(['single-answer']);
  });

  it('keeps tamper messages even when the QSF has a custom message', () => {
    const q = mc('SAVR', { CustomErrorMessage: 'Custom' });
    expect(validateAnswer(q, { selected: ['99'] })[0]!.message).toBe('This answer is not one of the choices.');
  });
});

describe('over-long text', () => {
  it('rejects text over the cap in every kind of question, even in an otherwise empty answer', () => {
    const long = 'x'.repeat(MAX_TEXT_LENGTH + 1);
    expect(codes(te({}), text(long))).toEqual(['too-long']);
    expect(codes(mc('MAVR'), { selected: ['3'], text: { '3': long } })).toEqual(['too-long']);
    expect(codes({ QuestionType: 'DB', Selector: 'TB' }, { text: { '': long } })).toEqual(['too-long']);
    expect(codes(te({}), text('x'.repeat(MAX_TEXT_LENGTH)))).toEqual([]);
  });
});

describe('matrix', () => {
  const matrix = (sub: string, force = 'OFF') => ({
    QuestionType: 'Matrix', Selector: 'Likert', SubSelector: sub,
    Choices: { '1': { Display: 'Oranges' }, '2': { Display: 'Pears' } }, ChoiceOrder: ['1', '2'],
    Answers: { '1': { Display: 'Like' }, '2': { Display: 'Dislike' } }, AnswerOrder: [1, 2],
    Validation: { Settings: { ForceResponse: force, ForceResponseType: 'ON', Type: 'None' } },
  });

  it('checks rows and columns exist and one answer per row in single-answer matrices', () => {
    expect(codes(matrix('SingleAnswer'), { matrix: { '1': ['1'], '2': ['2'] } })).toEqual([]);
    expect(codes(matrix('SingleAnswer'), { matrix: { '1': ['1', '2'] } })).toEqual(['single-answer']);
    expect(codes(matrix('MultipleAnswer'), { matrix: { '1': ['1', '2'] } })).toEqual([]);
    expect(codes(matrix('SingleAnswer'), { matrix: { '7': ['1'] } })).toEqual(['unknown-choice']);
    expect(codes(matrix('SingleAnswer'), { matrix: { '1': ['9'] } })).toEqual(['unknown-choice']);
  });

  it('requires every row when forced', () => {
    expect(codes(matrix('SingleAnswer', 'ON'), { matrix: { '1': ['1'] } })).toEqual(['required']);
    expect(codes(matrix('SingleAnswer', 'ON'), {})).toEqual(['required']);
    expect(codes(matrix('SingleAnswer', 'ON'), { matrix: { '1': ['1'], '2': ['1'] } })).toEqual([]);
  });
});

describe('constant sum and slider', () => {
  const cs = {
    QuestionType: 'CS', Selector: 'VRTL',
    Choices: { '1': { Display: 'Rent' }, '2': { Display: 'Food' } }, ChoiceOrder: ['1', '2'],
    Validation: { Settings: { ForceResponse: 'OFF', Type: 'ChoicesTotal', ChoicesTotal: '100' } },
  };

  it('checks the total and that values are numbers for known choices', () => {
    expect(codes(cs, { text: { '1': '60', '2': '40' } })).toEqual([]);
    expect(codes(cs, { text: { '1': '60', '2': '30' } })).toEqual(['sum-mismatch']);
    expect(codes(cs, { text: { '1': '60', '2': 'lots' } })).toEqual(['invalid-number']);
    expect(codes(cs, { text: { '1': '100', '5': '0' } })).toEqual(['unknown-choice']);
    expect(validateAnswer(cs, { text: { '1': '1' } })[0]!.message).toBe('The values must add up to 100.');
  });

  it('keeps slider values within the configured range', () => {
    const slider = { QuestionType: 'Slider', Selector: 'HSLIDER', Configuration: { CSSliderMin: 0, CSSliderMax: 100 }, Choices: { '1': { Display: 'A' } } };
    expect(codes(slider, { text: { '1': '55' } })).toEqual([]);
    expect(codes(slider, { text: { '1': '101' } })).toEqual(['out-of-range']);
  });
});

describe('every Validation object in the fixture QSFs', () => {
  const root = join(process.cwd(), '..', 'shared', 'fixtures', 'qsf');
  const payloads: Record<string, unknown>[] = [];
  for (const dir of readdirSync(root)) {
    const doc = JSON.parse(readFileSync(join(root, dir, 'survey.qsf'), 'utf8')) as { SurveyElements: { Element: string; Payload: Record<string, unknown> }[] };
    for (const el of doc.SurveyElements) if (el.Element === 'SQ' && el.Payload.Validation !== undefined) payloads.push(el.Payload);
  }

  /** A plausible complete answer built from the question's own choices. */
  function sensibleAnswer(p: Record<string, unknown>): AnswerValue {
    const choices = Object.entries((p.Choices ?? {}) as Record<string, { TextEntry?: unknown }>);
    const answers = Object.keys((p.Answers ?? {}) as object);
    const first = choices[0]?.[0] ?? '1';
    const textFor = Object.fromEntries(choices.filter(([, c]) => c.TextEntry === 'true' || c.TextEntry === true).map(([id]) => [id, 'typed']));
    switch (p.QuestionType) {
      case 'MC': return { selected: [first], text: textFor[first] ? { [first]: 'typed' } : {} };
      case 'Matrix': return { matrix: Object.fromEntries(choices.map(([id]) => [id, [answers[0] ?? '1']])), text: textFor };
      case 'Slider': case 'CS': return { text: Object.fromEntries(choices.map(([id]) => [id, '50'])) };
      case 'TE': return { text: { '': 'Bananas, because they are yellow.' } };
      default: return { text: { '': 'answer' } };
    }
  }

  it('finds the fixture questions', () => expect(payloads.length).toBeGreaterThan(100));

  it('accepts a sensible answer to every question, and rejects an empty one exactly when forced', () => {
    for (const p of payloads) {
      expect(validateAnswer(p, sensibleAnswer(p)), String(p.QuestionID)).toEqual([]);
      const forced = { ...p, Validation: { Settings: { ...(p.Validation as { Settings: object }).Settings, ForceResponse: 'ON' } } };
      const settings = (p.Validation as { Settings: { ForceResponse?: string } }).Settings;
      expect(codes(p, {}), String(p.QuestionID)).toEqual(settings.ForceResponse === 'ON' ? ['required'] : []);
      expect(codes(forced, {}), String(p.QuestionID)).toEqual(['required']);
      expect(validateAnswer(forced, sensibleAnswer(p)), String(p.QuestionID)).toEqual([]);
    }
  });
});

describe('text-entry and constant-sum matrices', () => {
  const cells = (selector: string, settings: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
    QuestionType: 'Matrix', Selector: selector,
    Choices: { '1': { Display: 'Budget A' }, '2': { Display: 'Budget B' }, '3': { Display: 'Other', TextEntry: 'true' } }, ChoiceOrder: ['1', '2', '3'],
    Answers: { '1': { Display: 'Rent' }, '2': { Display: 'Food' } }, AnswerOrder: ['1', '2'],
    Validation: { Settings: { ForceResponse: 'OFF', ForceResponseType: 'ON', Type: 'None', ...settings } },
    ...extra,
  });
  const oneColumn = { Answers: { '1': { Display: 'Hours' } }, AnswerOrder: ['1'] };

  it('accepts the cells a text matrix with several scale points posts, and nothing else', () => {
    expect(codes(cells('TE'), { text: { '1/1': 'eight', '2/2': 'nine', '3/1': 'x', '3': 'other row' } })).toEqual([]);
    const issues = validateAnswer(cells('TE'), { text: { '1': 'by row', '9/1': 'no row', '1/9': 'no column', '1/1/1': 'x' } });
    expect(issues.map((i) => [i.code, i.field])).toEqual([['unknown-choice', '1'], ['unknown-choice', '9/1'], ['unknown-choice', '1/9'], ['unknown-choice', '1/1/1']]);
    expect(blocksSubmit(issues)).toBe(true);
  });

  it('keys a text matrix with one scale point by row', () => {
    expect(codes(cells('TE', {}, oneColumn), { text: { '1': 'eight', '2': 'nine' } })).toEqual([]);
    expect(codes(cells('TE', {}, oneColumn), { text: { '1/1': 'eight' } })).toEqual(['unknown-choice']);
  });

  it('requires numbers in constant-sum cells, typed with the locale decimal comma where used', () => {
    expect(codes(cells('CS'), { text: { '1/1': '70', '1/2': '30.5', '2/1': '-2' } })).toEqual([]);
    expect(validateAnswer(cells('CS'), { text: { '1/1': 'lots', '2/2': '3' } }).map((i) => [i.code, i.field])).toEqual([['invalid-number', '1/1']]);
    expect(codes(cells('CS'), { text: { '1/1': '3,5' } }, 'de')).toEqual([]);
    expect(codes(cells('CS'), { text: { '1/1': '3,5' } }, 'en')).toEqual(['invalid-number']);
    expect(codes(cells('CS'), { text: { '1': '5', '1/3': '5' } })).toEqual(['unknown-choice', 'unknown-choice']);
    expect(codes(cells('CS', {}, oneColumn), { text: { '1': '5', '2': 'x' } })).toEqual(['invalid-number']);
  });

  it('checks a required total per row that has values', () => {
    const total = cells('CS', { Type: 'ChoicesTotal', ChoicesTotal: '100' });
    expect(codes(total, { text: { '1/1': '70', '1/2': '30', '2/1': '100' } })).toEqual([]);
    expect(codes(total, { text: { '1/1': '0.1', '1/2': '99.9' } })).toEqual([]);
    const issues = validateAnswer(total, { text: { '1/1': '60', '1/2': '40', '2/1': '50', '2/2': '40' } });
    expect(issues.map((i) => [i.code, i.field, i.message])).toEqual([['sum-mismatch', '2', 'The values must add up to 100.']]);
    // A cell that is not a number is reported once, not also as a wrong total.
    expect(codes(total, { text: { '1/1': 'x', '1/2': '40' } })).toEqual(['invalid-number']);
    expect(codes(cells('CS', { MustTotal: 10 }), { text: { '1/1': '5' } })).toEqual(['sum-mismatch']);
  });

  it('needs a value in every row when forced', () => {
    const issues = validateAnswer(cells('CS', { ForceResponse: 'ON' }), { text: { '1/1': '5', '3/2': '1' } });
    expect(issues.map((i) => [i.code, i.field])).toEqual([['required', '2']]);
    expect(codes(cells('TE', { ForceResponse: 'ON' }), { text: { '1/2': 'a', '2/1': 'b', '3/1': 'c' } })).toEqual([]);
    expect(codes(cells('TE', { ForceResponse: 'ON' }), {})).toEqual(['required']);
  });

  it('follows the rows and scale points the page showed', () => {
    const shown = { choices: ['2', '1'], answers: ['2'] };
    expect(validateAnswer(cells('TE'), { text: { '1': 'a', '2': 'b' } }, { shown })).toEqual([]);
    expect(validateAnswer(cells('TE'), { text: { '1/2': 'a' } }, { shown }).map((i) => i.code)).toEqual(['unknown-choice']);
    const hidden = validateAnswer(cells('CS'), { text: { '1/1': '1', '3/1': '2' } }, { shown: { choices: ['1', '2'] } });
    expect(hidden.map((i) => [i.code, i.field])).toEqual([['unknown-choice', '3/1']]);
  });

  it('accepts what the service makes of posted numbers (String of each number)', () => {
    const numeric = { '1/1': 0.1, '1/2': 0.2, '2/1': 0.3, '2/2': 0 };
    const text = Object.fromEntries(Object.entries(numeric).map(([k, n]) => [k, String(n)]));
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(codes(cells('CS', { ChoicesTotal: 0.3 }), { text })).toEqual([]);
    expect(codes(cells('CS', { ChoicesTotal: 0.3 }), { text: { ...text, '2/2': String(0.01) } })).toEqual(['sum-mismatch']);
  });
});
