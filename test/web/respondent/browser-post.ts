/**
 * What a browser posts for a rendered page when the respondent presses a submit button without
 * changing anything: the HTML form data set (checked boxes, selected options, field values after the
 * browser's value sanitization, textarea text with CRLF line breaks), shaped as @fastify/formbody hands
 * it over (repeated names become arrays). The page itself is parsed with htmlparser2 (htmlparser2 and entities ship with
 * sanitize-html). survey.test in the browser suite checks this against what chromium really posts.
 */
import { decodeHTML } from 'entities';
import { DomUtils, parseDocument } from 'htmlparser2';

type Element = ReturnType<typeof DomUtils.findAll>[number];

export type PostedBody = Record<string, string | string[]>;

function add(body: PostedBody, name: string, value: string): void {
  const prev = body[name];
  if (prev === undefined) body[name] = value;
  else body[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
}

const VALID_FLOAT = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NEWLINES = /[\r\n]/g;

/** The value sanitization algorithm of the input types the pages use. */
function inputValue(type: string, value: string): string {
  switch (type) {
    case 'number':
      return VALID_FLOAT.test(value) ? value : '';
    case 'email':
      return value.replace(NEWLINES, '').trim();
    case 'hidden':
      return value;
    default:
      return value.replace(NEWLINES, '');
  }
}

function options(select: Element): Element[] {
  return DomUtils.findAll((e) => e.name === 'option', select.children);
}

/** Every element of the document in tree order. */
function elements(html: string): Element[] {
  return DomUtils.findAll(() => true, parseDocument(html).children);
}

/**
 * The post of the page's first form, submitted with the button whose `value` is `submitter`
 * (default: the first submit button, as Enter in a text box does).
 */
export function browserPost(html: string, submitter?: string): PostedBody {
  const body: PostedBody = {};
  let submitted = false;
  for (const el of elements(html)) {
    const name = el.attribs.name;
    if (name === undefined || name === '' || el.attribs.disabled !== undefined) continue;
    if (el.name === 'button' || (el.name === 'input' && el.attribs.type === 'submit')) {
      const isSubmit = el.name === 'input' || (el.attribs.type ?? 'submit') === 'submit';
      if (!isSubmit || submitted) continue;
      if (submitter === undefined || el.attribs.value === submitter) {
        submitted = true;
        add(body, name, el.attribs.value ?? '');
      }
      continue;
    }
    if (el.name === 'input') {
      const type = (el.attribs.type ?? 'text').toLowerCase();
      if (type === 'checkbox' || type === 'radio') {
        if (el.attribs.checked !== undefined) add(body, name, el.attribs.value ?? 'on');
      } else if (type !== 'file' && type !== 'reset' && type !== 'button' && type !== 'image') {
        add(body, name, inputValue(type, el.attribs.value ?? ''));
      }
    } else if (el.name === 'select') {
      const opts = options(el);
      let chosen = opts.filter((o) => o.attribs.selected !== undefined);
      const dropdown = el.attribs.multiple === undefined && Number(el.attribs.size ?? '1') <= 1;
      // A single-choice dropdown always has a selected option: the first, unless one is marked.
      if (el.attribs.multiple === undefined && chosen.length > 1) chosen = [chosen[chosen.length - 1]];
      if (dropdown && chosen.length === 0 && opts.length > 0) chosen = [opts[0]];
      for (const o of chosen) add(body, name, o.attribs.value ?? DomUtils.textContent(o).replace(/\s+/g, ' ').trim());
    } else if (el.name === 'textarea') {
      // The parser drops one newline right after <textarea>; the submission uses CRLF line breaks.
      // htmlparser2 keeps textarea content raw; browsers decode its character references.
      const text = decodeHTML(DomUtils.textContent(el)).replace(/^\n/, '');
      add(body, name, text.replace(/\r\n|\r|\n/g, '\r\n'));
    }
  }
  return body;
}

/** The parsed page, for structural checks (ids, labels). */
export function pageElements(html: string): Element[] {
  return elements(html);
}
