import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';

export async function docsPages(app: FastifyInstance, services: Services): Promise<void> {
  void app;
  void services;
}
