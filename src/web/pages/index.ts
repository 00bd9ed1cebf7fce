import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';
import { accountPages } from './account.ts';
import { adminPages } from './admin/index.ts';
import { authPages } from './auth.ts';
import { contactsPages } from './contacts/index.ts';
import { docsPages } from './docs.ts';
import { messagePages } from './messages.ts';
import { outboxPages } from './outbox.ts';
import { surveysPages } from './surveys/index.ts';
import { subscriptionsPages } from './subscriptions.ts';

/** Every page group of the web UI; each file owns its routes. */
export async function pages(app: FastifyInstance, services: Services): Promise<void> {
  await authPages(app, services);
  await accountPages(app, services);
  await adminPages(app, services);
  await docsPages(app, services);
  await contactsPages(app, services);
  await messagePages(app, services);
  await outboxPages(app, services);
  await surveysPages(app, services);
  await subscriptionsPages(app, services);
}
