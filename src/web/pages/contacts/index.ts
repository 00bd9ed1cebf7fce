import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services/index.ts';
import { exportPages } from './export.ts';
import { importPages } from './import.ts';
import { memberPages } from './members.ts';
import { panelPages } from './panels.ts';

const CSS = readFileSync(new URL('../../assets/contacts.css', import.meta.url));
const JS = readFileSync(new URL('../../assets/contacts.js', import.meta.url));

/** The Contacts area: panels of the user's libraries, their members, CSV import and export. */
export async function contactsPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/assets/contacts.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(CSS));
  app.get('/assets/contacts.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(JS));
  await panelPages(app, services);
  // Import before members: its static segments (/contacts/import/…) sit beside the /:libraryId/:panelId routes.
  await importPages(app, services);
  await memberPages(app, services);
  await exportPages(app, services);
}
