import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services/index.ts';
import { divisionPages } from './divisions.ts';
import { groupPages } from './groups.ts';
import { userPages } from './users.ts';

const ADMIN_CSS = readFileSync(new URL('../../assets/admin.css', import.meta.url));

/** The Brand Administrator pages: users, divisions, groups of the signed-in administrator's brand. */
export async function adminPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/assets/admin.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(ADMIN_CSS));
  await userPages(app, services);
  await divisionPages(app, services);
  await groupPages(app, services);
}
