import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** Everything the process reads from its environment, validated once at start. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** postgres://… selects PostgreSQL; absent means the embedded SQLite file in dataDir. */
  databaseUrl: string | undefined;
  publicUrl: string;
  secretKey: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Brand created with a generated administrator on the first start of an empty database. */
  bootstrapBrandId: string;
  /** Let the server fetch URLs on private/loopback addresses (off by default: SSRF). */
  allowPrivateUrls: boolean;
  /** Behind a reverse proxy: take the client address from X-Forwarded-For (lockouts count per address). */
  trustProxy: boolean;
  /** smtp(s)://user:pass@host:port: where invitations go; absent means the built-in outbox. */
  smtpUrl: string | undefined;
  /** Invitations per second per brand and worker process (MAIL_RATE_PER_BRAND; 0 = no limit). */
  mailRatePerBrand: number;
  /** SMTP connections a worker process keeps open (SMTP_POOL_SIZE); a send job keeps twice as many messages in flight. */
  smtpPoolSize: number;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Env = Record<string, string | undefined>;

function check<T>(name: string, schema: z.ZodType<T>, raw: string | undefined): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]?.message ?? 'invalid value';
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: ${issue}`);
  }
  return parsed.data;
}

const port = z
  .string()
  .regex(/^\d+$/, 'expected a whole number from 0 to 65535')
  .transform(Number)
  .refine((n) => n >= 0 && n <= 65535, 'expected a whole number from 0 to 65535');

const httpUrl = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'expected an http:// or https:// URL');

const databaseUrl = z
  .string()
  .refine((s) => /^postgres(ql)?:\/\//.test(s), 'expected postgres://user@host:port/database (leave unset for the embedded SQLite)');

const smtpUrlSchema = z.string().refine((s) => /^smtps?:\/\/[^/\s]+/.test(s), 'expected smtp://user:password@host:port or smtps://…');

const poolSize = z
  .string()
  .regex(/^\d+$/, 'expected a whole number from 1 to 100')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 100, 'expected a whole number from 1 to 100');

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/**
 * SECRET_KEY signs session cookies. When unset it is generated once and kept in DATA_DIR so that
 * sessions survive restarts; several processes sharing PostgreSQL must be given the same value.
 */
function loadSecretKey(dataDir: string, raw: string | undefined): string {
  if (raw !== undefined) {
    return check('SECRET_KEY', z.string().min(32, 'expected at least 32 characters'), raw);
  }
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created it first; then we read theirs.
  try {
    writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch {
    return readFileSync(file, 'utf8').trim();
  }
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = resolve(env.DATA_DIR && env.DATA_DIR !== '' ? env.DATA_DIR : './data');
  const cfgPort = env.PORT === undefined ? 8080 : check('PORT', port, env.PORT);
  const host = env.HOST === undefined ? '0.0.0.0' : check('HOST', z.string().min(1, 'must not be empty'), env.HOST);
  const dbUrl = env.DATABASE_URL === undefined || env.DATABASE_URL === '' ? undefined : check('DATABASE_URL', databaseUrl, env.DATABASE_URL);
  const logLevel = env.LOG_LEVEL === undefined ? 'info' : check('LOG_LEVEL', z.enum(LOG_LEVELS), env.LOG_LEVEL);
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const publicUrl = (env.PUBLIC_URL === undefined ? `http://${shownHost}:${cfgPort}` : check('PUBLIC_URL', httpUrl, env.PUBLIC_URL)).replace(/\/+$/, '');
  const bootstrapBrandId =
    env.BOOTSTRAP_BRAND === undefined ? 'default' : check('BOOTSTRAP_BRAND', z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'expected a lower-case slug'), env.BOOTSTRAP_BRAND);
  const allowPrivateUrls = env.ALLOW_PRIVATE_URLS === undefined ? false : check('ALLOW_PRIVATE_URLS', flag, env.ALLOW_PRIVATE_URLS);
  const trustProxy = env.TRUST_PROXY === undefined ? false : check('TRUST_PROXY', flag, env.TRUST_PROXY);
  const smtpUrl = env.SMTP_URL === undefined || env.SMTP_URL === '' ? undefined : check('SMTP_URL', smtpUrlSchema, env.SMTP_URL);
  const mailRatePerBrand = env.MAIL_RATE_PER_BRAND === undefined ? 0 : check('MAIL_RATE_PER_BRAND', z.string().regex(/^\d+$/, 'expected a whole number').transform(Number), env.MAIL_RATE_PER_BRAND);
  const smtpPoolSize = env.SMTP_POOL_SIZE === undefined ? 10 : check('SMTP_POOL_SIZE', poolSize, env.SMTP_POOL_SIZE);
  if (!dbUrl || env.SECRET_KEY === undefined) mkdirSync(dataDir, { recursive: true });
  return {
    port: cfgPort,
    host,
    dataDir,
    databaseUrl: dbUrl,
    publicUrl,
    secretKey: loadSecretKey(dataDir, env.SECRET_KEY),
    logLevel,
    bootstrapBrandId,
    allowPrivateUrls,
    trustProxy,
    smtpUrl,
    mailRatePerBrand,
    smtpPoolSize,
  };
}
