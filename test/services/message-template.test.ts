import { describe, expect, it } from 'vitest';
import type { PipingContext } from '../../src/domain/piping.ts';
import { compileMessageHtml, MessageTemplates } from '../../src/services/message-template.ts';
import { renderMessageHtml } from '../../src/services/messages.ts';
import { INVITE_BODY } from '../helpers/mail.ts';

const contexts: Record<string, PipingContext> = {
  ordinary: {
    surveyUrl: 'https://insight.example/jfe/form/SV_abc?Q_DL=abc_def_MLRP_x',
    optOutUrl: 'https://insight.example/mail/unsubscribe/tok',
    recipient: { firstName: 'Jordan', lastName: 'Sample', email: 'jordan@example.com', externalDataReference: 'EXT-1' },
    embeddedData: { Dept: 'Research', Url: 'https://example.com/x', Color: 'red' },
  },
  hostile: {
    surveyUrl: 'https://insight.example/jfe/form/SV_abc?a=1&b=2',
    optOutUrl: 'http://insight.example/out?x=1&y=2',
    recipient: { firstName: '<script>alert(1)</script>', lastName: `"quoted" & 'single'`, email: 'a&b@example.com', externalDataReference: '</p><img src=x onerror=alert(1)>' },
    embeddedData: { Dept: 'R&D <b>bold</b> &amp; &#60;', Url: 'javascript:alert(1)', Color: 'expression(alert(1))' },
  },
  'non-web links': {
    surveyUrl: 'javascript:alert(1)',
    optOutUrl: 'https://insight.example/out with space',
    recipient: { firstName: 'Ann' },
    embeddedData: {},
  },
  empty: {},
  'with extra tokens': { recipient: { firstName: 'Ann' }, extra: { 'q://QID1/ChoiceGroup/SelectedChoices': 'Blue & <green>' } },
};

const bodies: Record<string, string> = {
  invitation: INVITE_BODY,
  'no tokens': '<p>Hello <b>there</b></p><script>x()</script>',
  'link address in attributes': '<p><a href="${l://SurveyURL}">go</a> <img src="${l://SurveyURL}" alt="${l://OptOutURL}"> <span title="${l://OptOutURL}">t</span></p>',
  'repeated tokens': '<p>${m://FirstName} ${m://FirstName} ${l://SurveyLink} ${l://SurveyLink?d=Again}</p>',
  'link label with entities': '<p>${l://SurveyLink?d=Start &amp; go} ${l://OptOutLink?d=Leave%20now}</p>',
  'values in a table and an unknown tag': '<table><tr><td>${e://Field/Dept}</td></tr></table><foo>${m://LastName}</foo><center>${m://Email}</center>',
  'unknown and nested tokens': '<p>${unknown} ${${m://FirstName}} $${m://LastName}} ${q://QID1/ChoiceGroup/SelectedChoices}</p>',
  'value in an href': '<a href="${e://Field/Url}">x</a><p>${m://FirstName}</p>',
  'value in a style': '<p style="color: ${e://Field/Color}">x ${m://FirstName}</p>',
  'value in a script and a comment': '<script>var n = "${m://FirstName}";</script><!-- ${m://LastName} --><p>${e://Field/Dept}</p>',
  'value as an attribute name': '<p ${m://FirstName}>x</p>',
  'link inside an attribute': '<a title="${l://SurveyLink}">x</a>',
  'value in a textarea': '<textarea>${m://FirstName}</textarea><p>${m://LastName}</p>',
};

describe('compileMessageHtml', () => {
  for (const [bodyName, body] of Object.entries(bodies)) {
    for (const [ctxName, ctx] of Object.entries(contexts)) {
      it(`renders "${bodyName}" for the ${ctxName} recipient exactly as renderMessageHtml does`, () => {
        // The non-web links recipient and the one with extra tokens take renderMessageHtml's path; the others test the template.
        expect(compileMessageHtml(body).render(ctx)).toBe(renderMessageHtml(body, ctx));
      });
    }
  }

  it('compiles ordinary bodies, and leaves to the sanitiser those where a value could change what it keeps', () => {
    const compiled = (name: string) => compileMessageHtml(bodies[name] as string).compiled;
    expect(['invitation', 'no tokens', 'link address in attributes', 'repeated tokens', 'link label with entities', 'values in a table and an unknown tag', 'unknown and nested tokens'].map(compiled)).toEqual([
      true, true, true, true, true, true, true,
    ]);
    expect(['value in an href', 'value in a style', 'value in a script and a comment', 'value as an attribute name', 'value in a textarea'].map(compiled)).toEqual([
      false, false, false, false, false,
    ]);
  });

  it('escapes every value it puts in: no markup from recipient data', () => {
    const html = compileMessageHtml(INVITE_BODY).render(contexts.hostile as PipingContext);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<a href="http://insight.example/out?x=1&amp;y=2" rel="noopener noreferrer">Unsubscribe</a>');
    expect(html).toContain('<p>Plain: https://insight.example/jfe/form/SV_abc?a=1&amp;b=2</p>');
  });

  it('does not take a body text that looks like its marker for one', () => {
    // Markers are random per compile; a body can only collide by chance, and then another is drawn.
    const body = '<p>Zq ${m://FirstName} Zqx0y http://Zq.invalid/Zqx0y</p>';
    expect(compileMessageHtml(body).render(contexts.ordinary as PipingContext)).toBe('<p>Zq Jordan Zqx0y http://Zq.invalid/Zqx0y</p>');
  });
});

describe('MessageTemplates', () => {
  it('compiles a body once and keeps the most recently used', () => {
    const templates = new MessageTemplates(2);
    const a = templates.get('<p>${m://FirstName}</p>');
    expect(templates.get('<p>${m://FirstName}</p>')).toBe(a);
    templates.get('<p>b</p>');
    templates.get('<p>${m://FirstName}</p>');
    templates.get('<p>c</p>');
    // 'b' was the least recently used of the two kept.
    expect(templates.get('<p>${m://FirstName}</p>')).toBe(a);
    expect(a.render({ recipient: { firstName: 'Ann' } })).toBe('<p>Ann</p>');
  });
});
