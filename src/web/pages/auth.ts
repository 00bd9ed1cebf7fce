import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';

export async function authPages(app: FastifyInstance, services: Services): Promise<void> {
  void app;
  void services;
}
