import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';
import { accountPages } from './account.ts';
import { adminPages } from './admin/index.ts';
import { authPages } from './auth.ts';
import { docsPages } from './docs.ts';

/** Every page group of the web UI; each file owns its routes. */
export async function pages(app: FastifyInstance, services: Services): Promise<void> {
  await authPages(app, services);
  await accountPages(app, services);
  await adminPages(app, services);
  await docsPages(app, services);
}
