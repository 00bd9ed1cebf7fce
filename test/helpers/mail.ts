import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { TestEnv } from './app.ts';
import { newId } from '../../src/domain/ids.ts';
import { panelsStore } from '../../src/store/panels.ts';
import { buildQsf, te } from './qsf.ts';
import { seedBrand, seedUser, type SeededUser } from './seed.ts';

export interface Received {
  from: string;
  to: string[];
  raw: string;
  /** The raw message with quoted-printable undone (the test mail is ASCII). */
  decoded: string;
  messageId: string;
  header(name: string): string | undefined;
}

export interface Sink {
  port: number;
  url: string;
  received: Received[];
  /** RCPT answers by address: a list of codes used in turn (then accepted). */
  rcptReplies: Map<string, number[]>;
  close(): Promise<void>;
}

function decodeQp(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(unfolded);
  return m?.[1]?.trim();
}

/** A real SMTP server in this process that keeps every message it accepts. */
export async function startSink(port = 0): Promise<Sink> {
  const received: Received[] = [];
  const rcptReplies = new Map<string, number[]>();
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    maxClients: 200,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const codes = rcptReplies.get(address.address);
      const code = codes?.shift();
      if (code === undefined) return callback();
      const error = new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later') as Error & { responseCode: number };
      error.responseCode = code;
      return callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          decoded: decodeQp(raw),
          messageId: headerOf(raw, 'Message-ID') ?? '',
          header: (name) => headerOf(raw, name),
        });
        callback();
      });
    },
  });
  // A client killed mid-conversation (the crash test) resets its connection: not the sink's failure.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    received,
    rcptReplies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface MailFixture {
  user: SeededUser;
  library: string;
  surveyId: string;
  panelId: string;
  members: { id: string; email: string; firstName: string }[];
  inviteId: string;
  reminderId: string;
}

export const INVITE_BODY =
  '<p>Dear ${m://FirstName} ${m://LastName},</p><p>Dept: ${e://Field/Dept}</p><p>${l://SurveyLink?d=Take the survey}</p><p>Plain: ${l://SurveyURL}</p><p>${l://OptOutLink?d=Unsubscribe}</p>';

/** A brand, a user, an active one-question survey, a panel of `n` members and two messages. */
export async function seedMailFixture(t: TestEnv, brand: string, n: number, extraMembers: { email: string; unsubscribed?: boolean }[] = []): Promise<MailFixture> {
  await seedBrand(t, brand);
  const user = await seedUser(t, brand, 'mailer');
  const library = user.id;
  const qsf = buildQsf({ pages: [['QID1']], questions: [te('QID1', 'Q1', { text: 'What do you think?' })] });
  const surveyId = await t.services.surveys.importSurvey(user.actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: true });
  const panel = await t.services.panels.createPanel(user.actor, library, 'Invitees');
  const members: MailFixture['members'] = [];
  const all = [...Array.from({ length: n }, (_, i) => ({ email: `person${i}@example.com`, unsubscribed: false })), ...extraMembers];
  // One multi-row insert: a large panel is seeded as importPanel would write it.
  const now = t.services.clock.now();
  const rows = all.map((m, i) => ({
    id: newId('MLRP'), brand_id: brand, panel_id: panel.id, position: i + 1, first_name: `First${i}`, last_name: `Last${i}`, email: m.email,
    external_ref: null, language: null, unsubscribed: m.unsubscribed ? 1 : 0, embedded_data: JSON.stringify({ Dept: `D${i}` }), created_at: now, updated_at: now,
  }));
  await panelsStore.insertMembers(t.store.db, rows);
  for (const r of rows) members.push({ id: r.id, email: r.email, firstName: r.first_name });
  const invite = await t.services.messages.create(user.actor, library, { category: 'InviteEmails', name: 'Invite', body: INVITE_BODY });
  const reminder = await t.services.messages.create(user.actor, library, { category: 'ReminderEmails', name: 'Reminder', body: '<p>Reminder for ${m://FirstName}: ${l://SurveyURL}</p>' });
  return { user, library, surveyId, panelId: panel.id, members, inviteId: invite.id, reminderId: reminder.id };
}

/** Runs due jobs until none is left. */
export async function drainJobs(t: TestEnv): Promise<number> {
  let n = 0;
  while (await t.services.jobs.runOne('test-worker')) n++;
  return n;
}

/** A recipient answers the mail fixture's one-question survey through their personal link (Q_DL) and finishes. */
export async function finishThroughLink(t: TestEnv, surveyId: string, personalLink: string): Promise<void> {
  const entry = await t.services.respondent.enter({ ip: '203.0.113.1', userAgent: 'test', surveyId, mode: 'personal', personalLink, query: {} });
  if (entry.kind !== 'page') throw new Error(JSON.stringify(entry));
  const end = await t.services.respondent.submit({
    ip: '203.0.113.1', userAgent: 'test', surveyId, sessionId: entry.page.sessionId, pageToken: entry.page.pageToken, action: 'next',
    answers: { QID1: { text: { '': 'fine' } } }, confirmSoft: false,
  });
  if (end.kind !== 'end') throw new Error(`the survey did not end: ${JSON.stringify(end)}`);
}
