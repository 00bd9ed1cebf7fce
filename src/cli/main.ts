import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { ServiceError } from '../services/errors.ts';
import { withServices } from './context.ts';
import { runMaintenance } from '../services/maintenance.ts';
import { migrate } from '../store/migrate.ts';

const USAGE = `Usage: insight <command> [options]

Commands:
  serve                         start the web server and API (runs migrations first)
  migrate                       apply pending database migrations
  worker                        run background jobs only (imports, mail, webhooks); any number may run
  brand create --id ID --name NAME [--max-users N] [--max-active-surveys N]
  user create --brand ID --username NAME --password PW [--first F] [--last L] [--email E]
              [--type brand-admin|standard] [--api] [--token]
  token generate --username NAME#BRAND
  export --username NAME#BRAND --survey SV_… --format FORMAT --out FILE [--labels]
                                one survey's responses to a file (FORMAT: csv, tsv, legacy-csv, legacy-tsv,
                                json, ndjson, xlsx, sav), with a progress bar; the user's permissions apply

Configuration comes from the environment (PORT, HOST, DATA_DIR, DATABASE_URL, PUBLIC_URL, SECRET_KEY, LOG_LEVEL).`;

class UsageError extends Error {}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}

function need(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

const TYPES: Record<string, string> = { 'brand-admin': 'UT_BRANDADMIN', standard: 'UT_STANDARD', UT_BRANDADMIN: 'UT_BRANDADMIN', UT_STANDARD: 'UT_STANDARD' };

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      'max-users': { type: 'string' },
      'max-active-surveys': { type: 'string' },
      brand: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      first: { type: 'string' },
      last: { type: 'string' },
      email: { type: 'string' },
      type: { type: 'string' },
      api: { type: 'boolean' },
      token: { type: 'boolean' },
      survey: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      labels: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    console.log(USAGE);
    return;
  }
  switch (command) {
    case 'serve':
      // Loaded on demand: the other commands need neither the web app nor the API.
      return (await import('./serve.ts')).serve(loadConfig());
    case 'worker':
      return withServices(loadConfig(), async (services) => {
        const stop = new AbortController();
        process.once('SIGTERM', () => stop.abort());
        process.once('SIGINT', () => stop.abort());
        console.log('Insight worker started; stop it with SIGTERM.');
        const onError = (e: unknown) => console.error(`insight worker: ${e instanceof Error ? e.message : String(e)}`);
        await Promise.all([services.jobs.work(stop.signal, { onError }), runMaintenance(services, stop.signal, onError)]);
        // The SMTP pool keeps connections open; without this the process would linger after SIGTERM.
        services.distributions.transport.close();
      });
    case 'migrate':
      return withServices(loadConfig(), async (services) => {
        const applied = await migrate(services.store);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
      }, { migrate: false });
    case 'brand create':
      return withServices(loadConfig(), async (services) => {
        const brand = await services.accounts.createBrand({
          id: need(values.id, 'id'),
          name: need(values.name, 'name'),
          maxUsers: intOption(values['max-users'], 'max-users') ?? null,
          maxActiveSurveys: intOption(values['max-active-surveys'], 'max-active-surveys') ?? null,
        });
        console.log(JSON.stringify({ BrandID: brand.id, Name: brand.name, MaxUsers: brand.max_users, MaxActiveSurveys: brand.max_active_surveys }));
      });
    case 'user create':
      return withServices(loadConfig(), async (services) => {
        const type = values.type === undefined ? 'UT_STANDARD' : TYPES[values.type];
        if (!type) throw new UsageError(`--type must be brand-admin or standard, not ${JSON.stringify(values.type)}`);
        const brandId = need(values.brand, 'brand');
        if (!(await services.accounts.getBrand(brandId))) throw new UsageError(`no brand with ID ${JSON.stringify(brandId)}; create it with "insight brand create"`);
        const username = need(values.username, 'username');
        const user = await services.accounts.createUser(undefined, brandId, {
          username,
          password: need(values.password, 'password'),
          firstName: values.first ?? '',
          lastName: values.last ?? '',
          email: values.email ?? '',
          typeId: type,
          api: values.api ?? false,
        });
        const out: Record<string, string> = { UserID: user.id, Username: user.username, BrandID: user.brandId };
        if (values.token) out.Token = await services.accounts.generateTokenForUsername(user.username);
        console.log(JSON.stringify(out));
      });
    case 'token generate':
      return withServices(loadConfig(), async (services) => {
        console.log(await services.accounts.generateTokenForUsername(need(values.username, 'username')));
      });
    case 'export':
      return withServices(loadConfig(), async (services) => {
        const { ExportUsageError, exportResponses } = await import('./export.ts');
        try {
          await exportResponses(services, {
            username: need(values.username, 'username'), surveyId: need(values.survey, 'survey'), format: need(values.format, 'format'),
            out: need(values.out, 'out'), labels: values.labels ?? false,
          });
        } catch (error) {
          throw error instanceof ExportUsageError ? new UsageError(error.message) : error;
        }
      });
    default:
      throw new UsageError(`unknown command "${command}"; run "insight help"`);
  }
}

/** Runs a command; any failure is one clear line on stderr and a non-zero exit. */
export async function main(argv: string[]): Promise<void> {
  try {
    await run(argv);
  } catch (error) {
    const message =
      error instanceof ConfigError || error instanceof UsageError || error instanceof ServiceError
        ? error.message
        : error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')
          ? error.message
          : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    console.error(`insight: ${message}`);
    process.exitCode = error instanceof UsageError || (error as NodeJS.ErrnoException)?.code?.startsWith?.('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
