import Fastify, { type FastifyInstance } from 'fastify';
import type { LoggerOptions } from 'pino';
import { wrapiEndpoint } from './api/wrapi/endpoint.ts';
import type { Services } from './services/index.ts';
import { webApp } from './web/app.ts';
import { respondentApp } from './web/respondent/app.ts';
import { mailRoutes } from './web/mail/routes.ts';

export interface AppOptions {
  logger?: boolean | LoggerOptions;
}

/** The HTTP application: the v2 API adapter and the web pages, over one set of services. */
export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: services.config.logLevel },
    trustProxy: services.config.trustProxy,
    // Never echo internals: unhandled errors become the documented envelope or a plain 500 page.
    return503OnClosing: true,
  });
  await app.register(wrapiEndpoint, { services });
  await app.register(webApp, { services });
  await app.register(respondentApp, { services });
  await app.register(mailRoutes, { services });
  return app;
}
