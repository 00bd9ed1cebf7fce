import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { buildMail, type MailMessage } from '../../src/domain/mail-message.ts';
import { SendError, smtpTransport, type MailTransport } from '../../src/services/mailer.ts';

interface Server {
  url: string;
  received: { to: string[]; raw: string }[];
  /** Connections open now, and the most ever open at once. */
  open: number;
  peak: number;
  connections: number;
  close(): Promise<void>;
}

const servers: Server[] = [];
const transports: MailTransport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) t.close();
  for (const s of servers.splice(0)) await s.close();
});

/** A real SMTP server that counts its connections; `options` may refuse, time out or ask for AUTH. */
async function startServer(options: Partial<SMTPServerOptions> = {}): Promise<Server> {
  const state: Server = { url: '', received: [], open: 0, peak: 0, connections: 0, close: async () => undefined };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onConnect(_session, cb) {
      state.open++;
      state.connections++;
      state.peak = Math.max(state.peak, state.open);
      cb();
    },
    onClose() {
      state.open--;
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        state.received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
    ...options,
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  state.url = `smtp://127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  servers.push(state);
  return state;
}

function transport(url: string, size: number): MailTransport {
  const t = smtpTransport(url, size);
  transports.push(t);
  return t;
}

const mail = (to: string, i = 0): MailMessage =>
  buildMail(
    { fromName: 'Résumé Team', fromEmail: 'r@acme.example', sentFromAddress: 'bounce@acme.example', to, subject: `Grüße ${i}`, messageId: `<m${i}@insight.test>` },
    { html: `<p>Message ${i} für dich</p>` },
    { optOutUrl: 'https://insight.test/u', oneClickUrl: 'https://insight.test/u' },
  );

const sendError = async (p: Promise<unknown>): Promise<SendError> => {
  try {
    await p;
  } catch (error) {
    if (error instanceof SendError) return error;
    throw error;
  }
  throw new Error('expected a SendError');
};

describe('smtpTransport', () => {
  it('delivers each message as sent, over at most the pool size of connections, reused', async () => {
    const server = await startServer();
    const t = transport(server.url, 3);
    await Promise.all(Array.from({ length: 30 }, (_, i) => t.send(mail(`p${i}@example.com`, i))));
    expect(server.received).toHaveLength(30);
    expect(server.peak).toBeLessThanOrEqual(3);
    expect(server.connections).toBeLessThanOrEqual(3);
    const got = server.received.find((r) => r.to[0] === 'p7@example.com');
    const parsed = await PostalMime.parse(got?.raw ?? '');
    expect(parsed.subject).toBe('Grüße 7');
    expect(parsed.from).toEqual({ name: 'Résumé Team', address: 'r@acme.example' });
    expect(parsed.messageId).toBe('<m7@insight.test>');
    expect(parsed.html?.trim()).toBe('<p>Message 7 für dich</p>');
  });

  it('a refused recipient is a permanent bounce, and the connection goes on to the next message', async () => {
    const server = await startServer({
      onRcptTo(address, _session, cb) {
        if (address.address !== 'nobody@example.com') return cb();
        const error = new Error('No such user') as Error & { responseCode: number };
        error.responseCode = 550;
        return cb(error);
      },
    });
    const t = transport(server.url, 1);
    await t.send(mail('a@example.com'));
    const e = await sendError(t.send(mail('nobody@example.com')));
    expect([e.permanent, e.bounced]).toEqual([true, true]);
    await t.send(mail('b@example.com'));
    expect(server.received.map((r) => r.to[0])).toEqual(['a@example.com', 'b@example.com']);
    expect(server.connections).toBe(1);
  });

  it('a 4xx at RCPT is temporary', async () => {
    const server = await startServer({
      onRcptTo(_address, _session, cb) {
        const error = new Error('Try later') as Error & { responseCode: number };
        error.responseCode = 451;
        cb(error);
      },
    });
    const e = await sendError(transport(server.url, 1).send(mail('a@example.com')));
    expect([e.permanent, e.bounced]).toEqual([false, false]);
  });

  it('a 421 that closes the connection mid-message is temporary, and the next message goes over a new one', async () => {
    const server = await startServer({
      onData(stream, session, cb) {
        stream.on('data', () => undefined);
        stream.on('end', () => {
          if (session.envelope.rcptTo[0]?.address !== 'drop@example.com') {
            server.received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: '' });
            return cb();
          }
          const error = new Error('Closing, try again later') as Error & { responseCode: number };
          error.responseCode = 421;
          cb(error);
        });
      },
    });
    const t = transport(server.url, 1);
    const e = await sendError(t.send(mail('drop@example.com')));
    expect([e.permanent, e.bounced]).toEqual([false, false]);
    await t.send(mail('next@example.com'));
    expect(server.received.map((r) => r.to[0])).toEqual(['next@example.com']);
    expect(server.connections).toBe(2);
  });

  it('opens a new connection when the server closed an idle one', async () => {
    const server = await startServer({ socketTimeout: 200 });
    const t = transport(server.url, 2);
    await Promise.all([t.send(mail('a@example.com', 1)), t.send(mail('b@example.com', 2))]);
    await new Promise((r) => setTimeout(r, 600));
    expect(server.open).toBe(0);
    await Promise.all([t.send(mail('c@example.com', 3)), t.send(mail('d@example.com', 4))]);
    expect(server.received.map((r) => r.to[0]).sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']);
  });

  it('logs in with the user and password of SMTP_URL', async () => {
    const server = await startServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === 'mailer' && auth.password === 'p@ss word') return cb(null, { user: 'mailer' });
        return cb(new Error('Invalid username or password'));
      },
    });
    const url = server.url.replace('smtp://', `smtp://mailer:${encodeURIComponent('p@ss word')}@`);
    await transport(url, 1).send(mail('a@example.com'));
    expect(server.received).toHaveLength(1);
    const e = await sendError(transport(server.url.replace('smtp://', 'smtp://mailer:wrong@'), 1).send(mail('b@example.com')));
    expect(e.permanent).toBe(true);
    expect(server.received).toHaveLength(1);
  });

  it('a server that cannot be reached is a temporary failure', async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const e = await sendError(transport(url, 2).send(mail('a@example.com')));
    expect(e.permanent).toBe(false);
  });

  it('a message that cannot be written is refused before any SMTP, for good', async () => {
    const server = await startServer();
    const e = await sendError(transport(server.url, 1).send(mail('a@example.com, b@example.com')));
    expect([e.permanent, e.bounced]).toEqual([true, false]);
    expect(server.connections).toBe(0);
  });
});

describe('SMTP_POOL_SIZE', () => {
  it('is 10 by default, a whole number from 1 to 100 otherwise', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'insight-pool-'));
    try {
      const env = { DATA_DIR: dataDir, SECRET_KEY: 'k'.repeat(40) };
      expect(loadConfig(env).smtpPoolSize).toBe(10);
      expect(loadConfig({ ...env, SMTP_POOL_SIZE: '25' }).smtpPoolSize).toBe(25);
      for (const bad of ['0', '101', 'ten', '2.5', '']) expect(() => loadConfig({ ...env, SMTP_POOL_SIZE: bad }), bad).toThrow(ConfigError);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
