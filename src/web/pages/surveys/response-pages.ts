/** Registers the response pages of a survey: the table, one response, downloads and the report. */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services/index.ts';
import { downloadPages } from './downloads.ts';
import { exportJobPages } from './export-jobs.ts';
import { reportPages } from './report.ts';
import { responsePages } from './response.ts';
import { responsesTablePages } from './responses.ts';

const CSS = readFileSync(new URL('../../assets/responses.css', import.meta.url));

export function responseDataPages(app: FastifyInstance, services: Services): void {
  app.get('/assets/responses.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(CSS));
  responsesTablePages(app, services);
  responsePages(app, services);
  downloadPages(app, services);
  exportJobPages(app, services);
  reportPages(app, services);
}
