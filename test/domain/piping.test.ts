import { describe, expect, it } from 'vitest';
import { fillPipedText, findPipedText, parseToken, type PipingContext } from '../../src/domain/piping.ts';

const ctx: PipingContext = {
  surveyUrl: 'https://insight.example/jfe/form/SV_abc?Q_DL=x&y=1',
  optOutUrl: 'https://insight.example/optout/abc',
  recipient: { firstName: 'Jordan', lastName: 'Sample', email: 'jordan.sample@example.com', externalDataReference: 'EXT-1' },
  embeddedData: { Department: 'R&D', Team: 'A' },
};

describe('findPipedText', () => {
  it('finds every token in order with scheme, path, options and offset', () => {
    const text = 'Hi ${m://FirstName}, go to ${l://SurveyLink?d=Take the survey}. ${e://Field/Department}${weird}';
    const tokens = findPipedText(text);
    expect(tokens.map((t) => t.raw)).toEqual(['${m://FirstName}', '${l://SurveyLink?d=Take the survey}', '${e://Field/Department}', '${weird}']);
    expect(tokens[0]).toMatchObject({ index: 3, scheme: 'm', path: 'FirstName', options: {} });
    expect(tokens[1]).toMatchObject({ scheme: 'l', path: 'SurveyLink', options: { d: 'Take the survey' } });
    expect(tokens[2]).toMatchObject({ scheme: 'e', path: 'Field/Department' });
    expect(tokens[3]).toMatchObject({ scheme: '', path: 'weird' });
    expect(text.slice(tokens[1]!.index, tokens[1]!.index + tokens[1]!.raw.length)).toBe(tokens[1]!.raw);
  });

  it('does not take unbalanced or nested braces for tokens', () => {
    expect(findPipedText('$ {m://FirstName} ${m://First')).toEqual([]);
    expect(findPipedText('${a{b}').map((t) => t.raw)).toEqual([]);
  });

  it('decodes option values and keeps a lone % as text', () => {
    expect(parseToken('l://SurveyLink?d=Take%20it&x=1&y').options).toEqual({ d: 'Take it', x: '1&y' });
    expect(parseToken('l://SurveyLink?d=100% sure').options).toEqual({ d: '100% sure' });
  });
});

describe('fillPipedText', () => {
  it('fills recipient fields, embedded data and links in text mode', () => {
    const out = fillPipedText('Dear ${m://FirstName} ${m://LastName} <${m://Email}> [${m://ExternalDataReference}] ${e://Field/Department}: ${l://SurveyURL}', ctx, 'text');
    expect(out).toBe('Dear Jordan Sample <jordan.sample@example.com> [EXT-1] R&D: https://insight.example/jfe/form/SV_abc?Q_DL=x&y=1');
    expect(fillPipedText('${l://SurveyLink?d=Go}', ctx, 'text')).toBe('Go: https://insight.example/jfe/form/SV_abc?Q_DL=x&y=1');
    expect(fillPipedText('${l://OptOutLink}', ctx, 'text')).toBe('https://insight.example/optout/abc');
  });

  it('escapes every value filled into HTML and writes links as anchors', () => {
    const hostile: PipingContext = { ...ctx, recipient: { firstName: '<script>alert(1)</script>', lastName: '"><img src=x onerror=alert(1)>' } };
    expect(fillPipedText('<p>${m://FirstName} ${m://LastName}</p>', hostile, 'html')).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;</p>',
    );
    expect(fillPipedText('${e://Field/Department}', ctx, 'html')).toBe('R&amp;D');
    expect(fillPipedText('${l://SurveyURL}', ctx, 'html')).toBe('https://insight.example/jfe/form/SV_abc?Q_DL=x&amp;y=1');
    expect(fillPipedText('${l://SurveyLink?d=Take the survey}', ctx, 'html')).toBe(
      '<a href="https://insight.example/jfe/form/SV_abc?Q_DL=x&amp;y=1">Take the survey</a>',
    );
    expect(fillPipedText('${l://SurveyLink}', ctx, 'html')).toBe('<a href="https://insight.example/jfe/form/SV_abc?Q_DL=x&amp;y=1">Take the survey</a>');
    expect(fillPipedText('${l://OptOutLink}', ctx, 'html')).toBe('<a href="https://insight.example/optout/abc">Click here to unsubscribe</a>');
    expect(fillPipedText('${l://OptOutLink?d=Stop <b>mail</b> &amp; more}', ctx, 'html')).toBe(
      '<a href="https://insight.example/optout/abc">Stop &lt;b&gt;mail&lt;/b&gt; &amp; more</a>',
    );
  });

  it('never writes a non-web URL as a link', () => {
    const bad: PipingContext = { surveyUrl: 'javascript:alert(1)' };
    expect(fillPipedText('${l://SurveyLink?d=Go}', bad, 'html')).toBe('Go');
    expect(fillPipedText('${l://SurveyLink}', bad, 'html')).toBe('javascript:alert(1)');
  });

  it('leaves unknown tokens and missing values empty, and accepts any case for names', () => {
    const out = fillPipedText('a${x://Nope}b${e://Field/Missing}c${m://Phone}d${l://Other}e${plain}f${e://Field/constructor}g', ctx, 'html');
    expect(out).toBe('abcdefg');
    expect(fillPipedText('${m://firstname} ${L://surveyurl}', ctx, 'text')).toBe('Jordan https://insight.example/jfe/form/SV_abc?Q_DL=x&y=1');
    expect(fillPipedText('${l://SurveyLink}', {}, 'html')).toBe('');
    expect(fillPipedText('${m://FirstName}', { recipient: { firstName: null } }, 'text')).toBe('');
  });

  it('fills other schemes from extra values, keyed by the token text', () => {
    const out = fillPipedText('You chose ${q://QID1/ChoiceGroup/SelectedChoices}.', { extra: { 'q://QID1/ChoiceGroup/SelectedChoices': 'Red & <Blue>' } }, 'html');
    expect(out).toBe('You chose Red &amp; &lt;Blue&gt;.');
  });

  it('leaves text without tokens unchanged', () => {
    const body = '<p>Price: $5 {not a token} $ {x}</p>';
    expect(fillPipedText(body, ctx, 'html')).toBe(body);
  });
});
