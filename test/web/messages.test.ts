import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { signedInBrowser } from '../helpers/web.ts';

let t: TestApp;
let admin: SeededUser;
let ann: SeededUser;
let bob: SeededUser;
let other: SeededUser;

beforeEach(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://insight.example' });
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  bob = await seedUser(t, 'acme', 'bob');
  other = await seedBrand(t, 'globex');
});
afterEach(async () => t?.close());

const browser = (who: SeededUser) => signedInBrowser(t, who, '/account/ids');

const list = (libraryId: string) => `/libraries/${libraryId}/messages`;
const form = (over: Record<string, string> = {}) => ({ category: 'InviteEmails', name: 'Spring invite', language: 'EN', body: '<p>Dear ${m://FirstName},</p>', ...over });

/** The inside of the preview box. */
function previewOf(page: string): string {
  const m = /<div class="message-preview">([\s\S]*?)<\/div>\s*<\/section>/.exec(page);
  if (!m) throw new Error('no preview on the page');
  return m[1] as string;
}

describe('messages pages', () => {
  it('sends signed-out visitors to sign in, and /messages to the user’s own library', async () => {
    const anon = await t.app.inject({ method: 'GET', url: list(ann.id) });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toMatch(/^\/login\?next=/);
    const b = await browser(ann);
    const res = await b.get('/messages');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(list(ann.id));
  });

  it('lists messages grouped by category, every category with a heading, in an accessible page', async () => {
    await t.services.messages.create(ann.actor, ann.id, { category: 'ReminderEmails', name: 'Nudge', body: 'x' });
    await t.services.messages.create(ann.actor, ann.id, { category: 'ValidationMessages', name: 'Check it', body: 'x' });
    const b = await browser(ann);
    const res = await b.get(list(ann.id));
    expect(res.statusCode).toBe(200);
    for (const heading of ['Invitations', 'Reminders', 'Thank-you e-mails', 'End-of-survey messages', 'Inactive-survey messages', 'General messages', 'Look-and-feel messages', 'Validation messages']) {
      expect(res.body).toContain(`>${heading} <span class="hint">`);
    }
    expect(res.body).toMatch(/Reminders <span class="hint">\(1\)<\/span>[\s\S]*Nudge/);
    expect(res.body).toMatch(/Validation messages <span class="hint">\(1\)<\/span>[\s\S]*Check it/);
    expect(res.body).toContain('<label for="f-category">Category</label>');
    expect(res.body).toContain('<label for="f-body">Message</label>');
    expect(res.body).toContain('<legend>Message</legend>');
    expect(res.body).toContain('href="/messages" aria-current="page"');
    expect(res.body).toContain('<link rel="stylesheet" href="/assets/messages.css">');
    const css = await b.get('/assets/messages.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
  });

  it('offers the user’s libraries (own and group) to pick from', async () => {
    const group = await t.services.accounts.createGroup(admin.actor, 'Research <team>');
    await t.services.accounts.addUserToGroup(admin.actor, group.id, ann.id);
    const b = await browser(ann);
    const res = await b.get(list(group.id));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`<a href="${list(group.id)}" aria-current="page">Research &lt;team&gt; (group)</a>`);
    expect(res.body).toContain(`<a href="${list(ann.id)}">Ann Tester (own library)</a>`);
  });

  it('creates a message through the form; the API listing then shows it', async () => {
    const b = await browser(ann);
    const res = await b.post(list(ann.id), form());
    expect(res.statusCode).toBe(303);
    const [m] = await t.services.messages.list(ann.actor, ann.id);
    expect(m).toMatchObject({ name: 'Spring invite', category: 'InviteEmails', language: 'EN' });
    expect(res.headers.location).toBe(`${list(ann.id)}/${m!.id}?done=created`);
    const page = await b.get(res.headers.location as string);
    expect(page.body).toContain('The message was created.');
    expect((await t.services.messages.get(ann.actor, ann.id, m!.id)).body).toBe('<p>Dear ${m://FirstName},</p>');
  });

  it('shows a refused form again with an error summary linking to the field, keeping what was typed', async () => {
    const b = await browser(ann);
    const res = await b.post(list(ann.id), form({ name: '', body: '<p>keep "me"</p>' }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('role="alert"');
    expect(res.body).toContain('<a href="#f-name">Name</a>');
    expect(res.body).toContain('&lt;p&gt;keep &quot;me&quot;&lt;/p&gt;</textarea>');
    const noBody = await b.post(list(ann.id), form({ body: '' }));
    expect(noBody.statusCode).toBe(400);
    expect(noBody.body).toContain('<a href="#f-body">Message</a>');
    const badCategory = await b.post(list(ann.id), form({ category: 'Evil' }));
    expect(badCategory.statusCode).toBe(400);
    expect(badCategory.body).toContain('<a href="#f-category">Category</a>');
    expect(await t.services.messages.list(ann.actor, ann.id)).toEqual([]);
  });

  it('refuses a POST without the CSRF token', async () => {
    const b = await browser(ann);
    const m = await t.services.messages.create(ann.actor, ann.id, { category: 'InviteEmails', name: 'Keep', body: 'x' });
    expect((await b.post(list(ann.id), form(), { csrf: false })).statusCode).toBe(403);
    expect((await b.post(list(ann.id), form(), { csrf: 'forged' })).statusCode).toBe(403);
    expect((await b.post(`${list(ann.id)}/${m.id}`, form({ name: 'Changed' }), { csrf: false })).statusCode).toBe(403);
    expect((await b.post(`${list(ann.id)}/${m.id}/delete`, {}, { csrf: false })).statusCode).toBe(403);
    const left = await t.services.messages.list(ann.actor, ann.id);
    expect(left.map((x) => x.name)).toEqual(['Keep']);
  });

  it('edits a message and previews it with sample data filled in', async () => {
    const m = await t.services.messages.create(ann.actor, ann.id, {
      category: 'InviteEmails',
      name: 'Invite',
      body: '<p>Dear ${m://FirstName} ${m://LastName} (${m://Email}), team ${e://Field/Team}</p><p>${l://SurveyLink?d=Take the survey}</p><p>${l://OptOutLink?d=Unsubscribe}</p><p>${l://SurveyURL}</p>',
    });
    const b = await browser(ann);
    const url = `${list(ann.id)}/${m.id}`;
    const page = await b.get(url);
    expect(page.statusCode).toBe(200);
    const preview = previewOf(page.body);
    expect(preview).toContain('Dear Jordan Sample (jordan.sample@example.com), team [Team]');
    expect(preview).toContain('<a href="https://insight.example/jfe/form/SV_sample" rel="noopener noreferrer">Take the survey</a>');
    expect(preview).toContain('<a href="https://insight.example/optout/sample" rel="noopener noreferrer">Unsubscribe</a>');
    expect(preview).toContain('<p>https://insight.example/jfe/form/SV_sample</p>');
    // The form shows the stored source, escaped.
    expect(page.body).toContain('&lt;p&gt;Dear ${m://FirstName}');

    const saved = await b.post(url, form({ name: 'Invite v2', category: 'ReminderEmails', language: 'de', body: '<p>Hallo ${m://FirstName}</p>', action: 'save' }));
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`${url}?done=saved`);
    expect(await t.services.messages.get(ann.actor, ann.id, m.id)).toMatchObject({ name: 'Invite v2', category: 'ReminderEmails', language: 'DE', body: '<p>Hallo ${m://FirstName}</p>' });
    expect((await b.get(`${url}?done=saved`)).body).toContain('Your changes were saved.');
  });

  it('previews unsaved changes without saving them', async () => {
    const m = await t.services.messages.create(ann.actor, ann.id, { category: 'InviteEmails', name: 'Invite', body: '<p>Stored</p>' });
    const b = await browser(ann);
    const url = `${list(ann.id)}/${m.id}`;
    const res = await b.post(url, form({ body: '<p>Draft for ${m://FirstName}</p>', action: 'preview' }));
    expect(res.statusCode).toBe(200);
    expect(previewOf(res.body)).toBe('<p>Draft for Jordan</p>');
    expect(res.body).toContain('The preview shows your unsaved changes.');
    expect((await t.services.messages.get(ann.actor, ann.id, m.id)).body).toBe('<p>Stored</p>');
  });

  it('renders hostile HTML inert in the preview, and escapes it everywhere else', async () => {
    const hostile = [
      '<p>Hi</p><script>alert(1)</script>',
      '<img src="x" onerror="alert(2)">',
      '<a href="javascript:alert(3)" onclick="alert(4)">click</a>',
      '<a href="JaVaScRiPt&colon;alert(5)">two</a>',
      '<iframe src="https://evil.example"></iframe>',
      '<svg onload="alert(6)"><circle/></svg>',
      '<form action="https://evil.example"><input name="pw"></form>',
      '<p style="background:url(javascript:alert(7))" onmouseover="alert(8)">styled</p>',
      '<style>body{display:none}</style>',
      '<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="d">',
      '</div></section><script>alert(9)</script>',
    ].join('');
    const m = await t.services.messages.create(ann.actor, ann.id, { category: 'InviteEmails', name: '<script>alert("name")</script>', body: hostile });
    const b = await browser(ann);
    const page = await b.get(`${list(ann.id)}/${m.id}`);
    expect(page.statusCode).toBe(200);
    const preview = previewOf(page.body);
    expect(preview).not.toMatch(/<script|<iframe|<svg|<form|<input|<style|\son\w+=|javascript:|data:/i);
    expect(preview).toContain('<p>Hi</p>');
    expect(preview).toContain('click</a>');
    expect(preview).toContain('styled');
    expect(preview).toContain('<img alt="d" />');
    expect(preview).not.toContain('src=');
    // Nowhere on the page does the hostile markup appear unescaped.
    expect(page.body).not.toMatch(/<script|<iframe|<svg|<img src="(?!https?:)|\son\w+="/i);
    expect(page.body).toContain('Edit message: &lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
    const listing = await b.get(list(ann.id));
    expect(listing.body).not.toContain('<script>alert("name")');
    expect(listing.body).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
  });

  it('deletes through a confirmation step that works without script', async () => {
    const m = await t.services.messages.create(ann.actor, ann.id, { category: 'InviteEmails', name: 'Doomed', body: 'x' });
    const b = await browser(ann);
    const url = `${list(ann.id)}/${m.id}`;
    expect((await b.get(url)).body).toContain(`href="${url}/delete"`);
    const confirm = await b.get(`${url}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Delete the message <strong>Doomed</strong>');
    expect(confirm.body).toContain(`<form method="post" action="${url}/delete">`);
    expect(await t.services.messages.list(ann.actor, ann.id)).toHaveLength(1);
    const res = await b.post(`${url}/delete`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${list(ann.id)}?done=deleted`);
    expect(await t.services.messages.list(ann.actor, ann.id)).toEqual([]);
    expect((await b.get(`${list(ann.id)}?done=deleted`)).body).toContain('The message was deleted.');
    expect((await b.get(url)).statusCode).toBe(404);
  });

  it('answers 404 for libraries and messages the user cannot use, and changes nothing', async () => {
    const bobs = await t.services.messages.create(bob.actor, bob.id, { category: 'InviteEmails', name: 'Bob secret', body: '<p>secret body</p>' });
    const foreign = await t.services.messages.create(other.actor, other.id, { category: 'InviteEmails', name: 'Globex secret', body: '<p>globex body</p>' });
    const b = await browser(ann);
    const attempts = [
      b.get(list(bob.id)),
      b.get(list(other.id)),
      b.get(`${list(bob.id)}/${bobs.id}`),
      b.get(`${list(ann.id)}/${bobs.id}`),
      b.get(`${list(ann.id)}/${foreign.id}`),
      b.get(`${list(other.id)}/${foreign.id}/delete`),
      b.get(`${list(ann.id)}/not-an-id`),
      b.post(list(other.id), form()),
      b.post(`${list(bob.id)}/${bobs.id}`, form({ name: 'pwned', action: 'save' })),
      b.post(`${list(ann.id)}/${bobs.id}`, form({ name: 'pwned', action: 'preview' })),
      b.post(`${list(other.id)}/${foreign.id}/delete`, {}),
      b.post(`${list(ann.id)}/${foreign.id}/delete`, {}),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toMatch(/secret/);
    }
    expect((await t.services.messages.get(bob.actor, bob.id, bobs.id)).name).toBe('Bob secret');
    expect((await t.services.messages.get(other.actor, other.id, foreign.id)).name).toBe('Globex secret');
  });

  it('lets a brand administrator manage a user’s library of the brand, not another brand’s', async () => {
    const b = await browser(admin);
    expect((await b.get(list(ann.id))).statusCode).toBe(200);
    expect((await b.post(list(ann.id), form())).statusCode).toBe(303);
    expect(await t.services.messages.list(ann.actor, ann.id)).toHaveLength(1);
    expect((await b.get(list(other.id))).statusCode).toBe(404);
  });
});
