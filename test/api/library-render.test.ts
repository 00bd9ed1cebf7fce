import { describe, expect, it } from 'vitest';
import { parseCategory, renderMessageHtml, sampleContext } from '../../src/services/messages.ts';

const ctx = sampleContext('https://insight.example', '${e://Field/Team}');

describe('renderMessageHtml (how a stored message body is shown)', () => {
  it('keeps the HTML of ordinary e-mails', () => {
    const body =
      '<h2>Hello</h2><p style="color: #336699; text-align: center">Dear <strong>${m://FirstName}</strong>, <em>welcome</em>.</p>' +
      '<table border="0" cellpadding="4"><tbody><tr><td colspan="2">cell</td></tr></tbody></table>' +
      '<ul><li>one</li></ul><img src="https://cdn.example/logo.png" alt="Logo" width="120">' +
      '<a href="mailto:help@example.com">help</a> <a href="https://example.com/about">about</a>';
    expect(renderMessageHtml(body, ctx)).toBe(
      '<h2>Hello</h2><p style="color:#336699;text-align:center">Dear <strong>Jordan</strong>, <em>welcome</em>.</p>' +
        '<table border="0" cellpadding="4"><tbody><tr><td colspan="2">cell</td></tr></tbody></table>' +
        '<ul><li>one</li></ul><img src="https://cdn.example/logo.png" alt="Logo" width="120" />' +
        '<a href="mailto:help@example.com" rel="noopener noreferrer">help</a> <a href="https://example.com/about" rel="noopener noreferrer">about</a>',
    );
  });

  it('removes scripts, handlers, dangerous URLs and styles that could carry code', () => {
    const out = renderMessageHtml(
      '<script>alert(1)</script><p onclick="x()" style="background-image:url(javascript:alert(1)); color: red">a</p>' +
        '<a href="javascript:alert(1)">b</a><a href="vbscript:x">c</a><img src="javascript:alert(1)"><img src="//evil.example/x.png">' +
        '<object data="x"></object><embed src="x"><meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/">',
      ctx,
    );
    expect(out).toBe('<p style="color:red">a</p><a rel="noopener noreferrer">b</a><a rel="noopener noreferrer">c</a><img /><img />');
  });

  it('fills piped text before sanitising: values are text, links are real anchors', () => {
    expect(renderMessageHtml('<p>${l://SurveyLink?d=Start}</p><p>${e://Field/Team}</p>', ctx)).toBe(
      '<p><a href="https://insight.example/jfe/form/SV_sample" rel="noopener noreferrer">Start</a></p><p>[Team]</p>',
    );
    const hostile = renderMessageHtml('<p>${m://FirstName}</p><a href="${e://Field/Url}">x</a>', {
      recipient: { firstName: '<img src=x onerror=alert(1)>' },
      embeddedData: { Url: 'javascript:alert(1)' },
    });
    expect(hostile).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p><a rel="noopener noreferrer">x</a>');
  });

  it('uses the sample recipient for previews', () => {
    expect(ctx.recipient).toEqual({ firstName: 'Jordan', lastName: 'Sample', email: 'jordan.sample@example.com', externalDataReference: 'SAMPLE-0001' });
    expect(ctx.surveyUrl).toBe('https://insight.example/jfe/form/SV_sample');
  });
});

describe('parseCategory', () => {
  it('maps names and listing keys to the create-time name, refusing anything else', () => {
    expect(parseCategory('InviteEmails')).toBe('InviteEmails');
    expect(parseCategory(' lookandfeelmessages ')).toBe('LookAndFeelMessages');
    expect(parseCategory('INACTIVESURVEY')).toBe('InactiveSurveyMessages');
    expect(() => parseCategory('VALIDATION')).toThrow(/Category/);
    expect(() => parseCategory('')).toThrow(/Category/);
    expect(() => parseCategory(undefined)).toThrow(/Category/);
  });
});
