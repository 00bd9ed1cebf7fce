import { describe, expect, it } from 'vitest';
import { readQsf } from '../../../src/domain/survey/qsf.ts';
import { formatDate, pipeSurveyText, seededRandom, type SurveyPipingContext } from '../../../src/domain/survey/survey-piping.ts';

const survey = readQsf({
  SurveyElements: [
    {
      Element: 'SQ',
      Payload: {
        QuestionID: 'QID1', QuestionType: 'MC', Selector: 'MAVR',
        Choices: { '1': { Display: '<b>Apples</b>' }, '2': { Display: 'Pears &amp; plums' }, '3': { Display: 'Other', TextEntry: 'true' } },
        ChoiceOrder: ['1', '2', '3'],
        RecodeValues: { '1': '10', '3': '30' },
      },
    },
    { Element: 'SQ', Payload: { QuestionID: 'QID2', QuestionType: 'TE', Selector: 'SL' } },
    {
      Element: 'SQ',
      Payload: {
        QuestionID: 'QID3', QuestionType: 'Matrix', Selector: 'Likert', SubSelector: 'MultipleAnswer',
        Choices: { '1': { Display: 'Oranges' } }, ChoiceOrder: ['1'],
        Answers: { '1': { Display: 'Like' }, '2': { Display: '<em>Dislike</em>' } }, AnswerOrder: ['1', '2'],
      },
    },
  ],
});

const ctx: SurveyPipingContext = {
  questions: survey.questions,
  answers: {
    // Selected out of display order: piping follows the question's choice order.
    QID1: { selected: ['3', '1', '2'], text: { '3': 'Quince' }, matrix: {} },
    QID2: { selected: [], text: { '': 'Bananas' }, matrix: {} },
    QID3: { selected: [], text: {}, matrix: { '1': ['2', '1'] } },
  },
  embeddedData: { Department: 'R&D' },
  panelMember: { firstName: 'Jordan', lastName: 'Sample', email: 'j@example.com' },
  now: Date.UTC(2026, 0, 5, 15, 4, 9),
};

const pipe = (text: string, c: SurveyPipingContext = ctx, html = false): string => pipeSurveyText(text, c, { html });

describe('pipeSurveyText: question answers', () => {
  it('pipes selected choices, their text entry, recodes and text answers', () => {
    expect(pipe('${q://QID1/ChoiceGroup/SelectedChoices}')).toBe('Apples, Pears & plums, Other');
    expect(pipe('${q://QID1/ChoiceGroup/SelectedChoicesTextEntry}')).toBe('Quince');
    expect(pipe('${q://QID1/SelectedChoicesRecode}')).toBe('10, 2, 30');
    expect(pipe('${q://QID1/ChoiceTextEntryValue/3}')).toBe('Quince');
    expect(pipe('You said ${q://QID2/ChoiceTextEntryValue}.')).toBe('You said Bananas.');
    expect(pipe('${q://QID3/ChoiceGroup/SelectedAnswers/1}')).toBe('Like, Dislike');
  });

  it('pipes nothing for unanswered questions, unknown rows and unknown paths', () => {
    expect(pipe('[${q://QID9/ChoiceGroup/SelectedChoices}]')).toBe('[]');
    expect(pipe('[${q://QID3/ChoiceGroup/SelectedAnswers/7}]')).toBe('[]');
    expect(pipe('[${q://QID1/Whatever}]')).toBe('[]');
    expect(pipe('[${q://QID2/ChoiceTextEntryValue/5}]')).toBe('[]');
  });
});

describe('pipeSurveyText: other schemes', () => {
  it('pipes embedded data and panel member fields through the message piping', () => {
    expect(pipe('${e://Field/Department} / ${m://FirstName} ${m://LastName} / ${e://Field/Missing}')).toBe('R&D / Jordan Sample / ');
  });

  it('draws rand://int from the session RNG, stable for a seed and within bounds', () => {
    const a = pipe('${rand://int/1:10} ${rand://int/1:10} ${rand://int/1:10}', { random: seededRandom('FS_abc') });
    const b = pipe('${rand://int/1:10} ${rand://int/1:10} ${rand://int/1:10}', { random: seededRandom('FS_abc') });
    expect(a).toBe(b);
    const rng = seededRandom('bounds');
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(Number(pipe('${rand://int/10:1}', { random: rng })));
    expect([...seen].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(pipe('${rand://int/1:10}', { random: () => 0.999999 })).toBe('10');
    expect(pipe('[${rand://float/1:10}]', { random: () => 0 })).toBe('[]');
  });

  it('formats the current date and time', () => {
    expect(pipe('${date://CurrentDate/m/d/Y}')).toBe('01/05/2026');
    expect(pipe('${date://CurrentDate/Y-m-d}')).toBe('2026-01-05');
    expect(pipe('${date://CurrentDate/SL}')).toBe('01/05/2026');
    expect(pipe('${date://CurrentDate/FL}')).toBe('Monday, January 5, 2026');
    expect(pipe('${date://CurrentTime/PT}')).toBe('3:04 PM');
    expect(pipe('${date://CurrentTime}')).toBe('3:04 PM');
    expect(pipe('${date://CurrentDate/ISO}')).toBe('2026-01-05T15:04:09');
    expect(pipe('${date://CurrentTime/PT}', { ...ctx, timeZone: 'America/Los_Angeles' })).toBe('7:04 AM');
    expect(pipe('[${date://CurrentTime/PT}]', { ...ctx, timeZone: 'Not/AZone' })).toBe('[]');
    expect(pipe('[${date://Yesterday/Y}]')).toBe('[]');
    expect(formatDate(new Date(Date.UTC(2026, 11, 31, 0, 0, 0)), 'D j M y, h:i:s a \\Y')).toBe('Thu 31 Dec 26, 12:00:00 am Y');
  });

  it('pipes unknown schemes, gr:// scores and scheme-less tokens as nothing, and leaves other text alone', () => {
    expect(pipe('a${gr://SC_1/Score}b${x://y}c${plain}d $ {q://QID1} ${unclosed')).toBe('abcd $ {q://QID1} ${unclosed');
  });
});

describe('pipeSurveyText: escaping', () => {
  const hostile: SurveyPipingContext = {
    questions: survey.questions,
    answers: { QID2: { selected: [], text: { '': '<script>alert(1)</script>"\'&' }, matrix: {} } },
    embeddedData: { X: '<img src=x onerror=alert(1)>' },
    panelMember: { firstName: '"><svg onload=alert(1)>' },
  };

  it('escapes every value in html mode, including labels decoded from author HTML', () => {
    expect(pipe('<p>${q://QID2/ChoiceTextEntryValue}</p>', hostile, true)).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</p>');
    expect(pipe('${e://Field/X}|${m://FirstName}', hostile, true)).toBe('&lt;img src=x onerror=alert(1)&gt;|&quot;&gt;&lt;svg onload=alert(1)&gt;');
    expect(pipe('${q://QID1/ChoiceGroup/SelectedChoices}', ctx, true)).toBe('Apples, Pears &amp; plums, Other');
  });

  it('does not re-pipe tokens found inside piped values', () => {
    const c: SurveyPipingContext = { answers: { QID2: { selected: [], text: { '': '${e://Field/Secret}' }, matrix: {} } }, embeddedData: { Secret: 's3cret' } };
    expect(pipe('${q://QID2/ChoiceTextEntryValue}', c)).toBe('${e://Field/Secret}');
  });

  it('keeps values raw in text mode', () => {
    expect(pipe('${e://Field/X}', hostile)).toBe('<img src=x onerror=alert(1)>');
  });
});
