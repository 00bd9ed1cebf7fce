import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import {
  buildMail, encodedWords, mailAddress, MailFormatError, mimeBoundary, quotedPrintable, toMime, type MailMessage,
} from '../../src/domain/mail-message.ts';

const DATE = new Date(Date.UTC(2026, 10, 28, 12, 15, 4));
const BOUNDARY = mimeBoundary('T3stB0undary');

function message(over: Partial<MailMessage> & { html?: string } = {}): MailMessage {
  const base = buildMail(
    {
      fromName: 'Research Team', fromEmail: 'research@acme.example', sentFromAddress: 'bounces@acme.example', to: 'person1@example.com',
      subject: 'Hello First1', messageId: '<EMD_abc.MLRP_def@insight.test>',
    },
    { html: over.html ?? '<p>Dear First1,</p><p><a href="https://insight.test/jfe/form/SV_x?Q_DL=a_b_MLRP_c">Take the survey</a></p>' },
    { optOutUrl: 'https://insight.test/mail/unsubscribe/tok', oneClickUrl: 'https://insight.test/mail/unsubscribe/tok' },
  );
  return { ...base, ...over };
}

const mime = (m: MailMessage) => toMime(m, { date: DATE, boundary: BOUNDARY });
const lines = (raw: string) => raw.split('\r\n');
const head = (raw: string) => raw.slice(0, raw.indexOf('\r\n\r\n'));

/** What every message must be on the wire: CRLF lines of printable ASCII, none over 998, headers folded to 78 where they can be. */
function expectWellFormed(raw: string): void {
  expect(raw.endsWith('\r\n')).toBe(true);
  expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  expect(raw).toMatch(/^[\x20-\x7e\r\n\t]*$/);
  for (const line of lines(raw)) expect(line.length).toBeLessThanOrEqual(998);
  for (const line of lines(head(raw))) expect(line.length).toBeLessThanOrEqual(78);
  // A folded header line starts with a blank and is not blank only.
  for (const line of lines(head(raw))) if (/^[ \t]/.test(line)) expect(line.trim()).not.toBe('');
}

/** Quoted-printable decoded by the rules of RFC 2045 §6.7, for checking the encoder against. */
function decodeQp(text: string): string {
  const bytes = Buffer.from(text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString('utf8');
}

describe('quotedPrintable', () => {
  it('keeps plain ASCII, escapes "=" and everything outside printable ASCII as UTF-8 bytes', () => {
    expect(quotedPrintable('Hello, world')).toBe('Hello, world');
    expect(quotedPrintable('a=b')).toBe('a=3Db');
    expect(quotedPrintable('Jöhn 😀')).toBe('J=C3=B6hn =F0=9F=98=80');
    expect(quotedPrintable('tab\there')).toBe('tab\there');
  });

  it('writes line breaks as CRLF and encodes a blank that would end a line', () => {
    expect(quotedPrintable('one \ntwo\t\r\nthree\rfour')).toBe('one=20\r\ntwo=09\r\nthree\r\nfour');
  });

  it('breaks long lines softly at 76 characters without splitting an escape', () => {
    for (const text of ['x'.repeat(500), 'é'.repeat(300), `${'a'.repeat(74)}é${'b'.repeat(200)}`, `${'a'.repeat(73)}=${'='.repeat(100)}`, '😀'.repeat(100)]) {
      const encoded = quotedPrintable(text);
      for (const line of encoded.split('\r\n')) {
        expect(line.length).toBeLessThanOrEqual(76);
        // Only whole =XX escapes, and at most a soft break's "=" at the end.
        expect(line).toMatch(/^(?:[\t\x20-\x3c\x3e-\x7e]|=[0-9A-F]{2})*=?$/);
      }
      expect(decodeQp(encoded)).toBe(text);
    }
  });
});

describe('encodedWords', () => {
  it('splits into words of whole characters, each at most 75 characters, that decode back', () => {
    const text = `Grüße aus Köln — 你好世界 ${'😀'.repeat(30)} and some plain words`;
    const words = encodedWords(text);
    expect(words.length).toBeGreaterThan(1);
    let decoded = '';
    for (const w of words) {
      expect(w.length).toBeLessThanOrEqual(75);
      const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(w);
      expect(m).not.toBeNull();
      const bytes = Buffer.from(m?.[1] as string, 'base64');
      // Whole characters in each: the bytes are valid UTF-8 on their own.
      expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toBe(bytes.toString('utf8'));
      decoded += bytes.toString('utf8');
    }
    expect(decoded).toBe(text);
  });
});

describe('mailAddress', () => {
  it('accepts one plain address and writes an international domain in its ASCII form', () => {
    expect(mailAddress(' person1@example.com ')).toBe('person1@example.com');
    expect(mailAddress('anna@bücher.example')).toBe('anna@xn--bcher-kva.example');
  });

  it('refuses what could add a recipient, a header or a display name', () => {
    for (const bad of ['a@b.example\r\nBcc: evil@x.example', 'a@b.example, evil@x.example', 'Ann <a@b.example>', 'a b@example.com', 'no-at-sign', '"a"@b.example', 'a@b.example;c@d.example', '']) {
      expect(() => mailAddress(bad)).toThrow(MailFormatError);
    }
  });
});

describe('toMime', () => {
  it('writes headers, a text and an HTML alternative that a mail parser reads back', async () => {
    const m = message();
    const raw = mime(m);
    expectWellFormed(raw);
    expect(head(raw)).toContain('From: "Research Team" <research@acme.example>');
    expect(head(raw)).toContain('Date: Sat, 28 Nov 2026 12:15:04 +0000');
    expect(head(raw)).toContain('MIME-Version: 1.0');
    const parsed = await PostalMime.parse(raw);
    expect(parsed.from).toEqual({ name: 'Research Team', address: 'research@acme.example' });
    expect(parsed.to).toEqual([{ name: '', address: 'person1@example.com' }]);
    expect(parsed.subject).toBe('Hello First1');
    expect(parsed.messageId).toBe('<EMD_abc.MLRP_def@insight.test>');
    expect(parsed.html?.trim()).toBe(m.html);
    expect(parsed.text?.trim()).toBe(m.text);
    expect(parsed.text).toContain('Take the survey (https://insight.test/jfe/form/SV_x?Q_DL=a_b_MLRP_c)');
    const header = (k: string) => parsed.headers.find((h) => h.key === k)?.value;
    expect(header('list-unsubscribe')).toBe('<https://insight.test/mail/unsubscribe/tok>');
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(header('content-type')).toMatch(/^multipart\/alternative;\s*boundary="----=_Insight_T3stB0undary"$/);
    expect(parsed.attachments).toEqual([]);
  });

  it('encodes non-ASCII subjects, names and bodies, and they come back unchanged', async () => {
    const subject = 'Grüße, Zoë! Ваш опрос 调查 😀 — bitte teilnehmen, es dauert nur fünf Minuten und hilft uns sehr';
    const html = `<p>Liebe Zoë, 你好 😀</p><p>${'Ünïcödé '.repeat(60)}</p>`;
    const m = message({ subject, fromName: 'Forschung Zürich "Team"', html, text: 'Liebe Zoë, 你好 😀' });
    const raw = mime(m);
    expectWellFormed(raw);
    expect(head(raw)).toMatch(/^Subject: =\?UTF-8\?B\?/m);
    const parsed = await PostalMime.parse(raw);
    expect(parsed.subject).toBe(subject);
    expect(parsed.from).toEqual({ name: 'Forschung Zürich "Team"', address: 'research@acme.example' });
    expect(parsed.html?.trim()).toBe(html);
    expect(parsed.text?.trim()).toBe('Liebe Zoë, 你好 😀');
  });

  it('folds long headers and keeps long body lines under the limits', async () => {
    const subject = `${'word '.repeat(60)}end`;
    const longWord = 'x'.repeat(1500);
    const html = `<p>${'a'.repeat(5000)}</p>\n<p>${'b '.repeat(3000)}</p>`;
    for (const m of [message({ subject, html }), message({ subject: `Hi ${longWord}`, fromName: 'N'.repeat(200) })]) {
      const raw = mime(m);
      expectWellFormed(raw);
      const parsed = await PostalMime.parse(raw);
      expect(parsed.subject).toBe(m.subject);
      expect(parsed.from).toEqual({ name: m.fromName, address: 'research@acme.example' });
      expect(parsed.html?.trim()).toBe(m.html);
    }
    // An ASCII subject that can fold stays readable: folded at its spaces, not encoded.
    expect(head(mime(message({ subject })))).toMatch(/^Subject: word word/m);
  });

  it('lets no value start a header of its own', async () => {
    const m = message({
      subject: 'Hi\r\nBcc: evil@x.example\r\n\r\n<p>injected</p>',
      fromName: 'Team\r\nReply-To: evil@x.example',
      headers: { 'List-Unsubscribe': '<https://insight.test/u>\r\nX-Evil: 1' },
    });
    const raw = mime(m);
    expectWellFormed(raw);
    expect(raw).not.toMatch(/^(Bcc|Reply-To|X-Evil):/im);
    const parsed = await PostalMime.parse(raw);
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.replyTo).toBeUndefined();
    expect(parsed.subject).toBe('Hi Bcc: evil@x.example <p>injected</p>');
    expect(parsed.from?.name).toBe('Team Reply-To: evil@x.example');
    expect(parsed.headers.map((h) => h.key)).not.toContain('x-evil');
  });

  it('keeps an ASCII text that merely looks like an encoded-word as text', async () => {
    const m = message({ subject: '=?UTF-8?B?SGk=?= is not a greeting', fromName: '=?UTF-8?B?SGk=?=' });
    const parsed = await PostalMime.parse(mime(m));
    expect(parsed.subject).toBe('=?UTF-8?B?SGk=?= is not a greeting');
    expect(parsed.from?.name).toBe('=?UTF-8?B?SGk=?=');
  });

  it('puts a body line that is the boundary, or a lone dot, through safely', async () => {
    const html = `<p>a</p>\n--${BOUNDARY}\n.\n--${BOUNDARY}--\n<p>b</p>`;
    const raw = mime(message({ html, text: 'x' }));
    expect(lines(raw).filter((l) => l === `--${BOUNDARY}`)).toHaveLength(2);
    const parsed = await PostalMime.parse(raw);
    expect(parsed.html?.trim()).toBe(html);
  });

  it('refuses a message it cannot write', () => {
    expect(() => mime(message({ to: 'a@b.example, c@d.example' }))).toThrow(MailFormatError);
    expect(() => mime(message({ fromEmail: 'research@acme.example\r\nBcc: x@y.example' }))).toThrow(MailFormatError);
    expect(() => mime(message({ messageId: 'no-brackets@x' }))).toThrow(MailFormatError);
    expect(() => mime(message({ messageId: '<a@b>\r\nBcc: x@y.example' }))).toThrow(MailFormatError);
    expect(() => mime(message({ headers: { 'Bad Name': 'x' } }))).toThrow(MailFormatError);
    expect(() => mime(message({ headers: { 'List-Unsubscribe': '<https://insight.test/ü>' } }))).toThrow(MailFormatError);
  });
});
