import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.ts';

export async function webApp(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  void opts;
  app.get('/', async (_req, reply) => reply.type('text/html').send('<!doctype html><title>Insight</title><p>Insight</p>'));
}
