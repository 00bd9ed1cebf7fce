import type { Services } from './index.ts';

/** How often each worker sweeps for survey sessions past their partial-data deadline (and old export files). */
export const SWEEP_INTERVAL_MS = 60_000;

/**
 * Periodic housekeeping that runs beside the job worker (in the server process and in every
 * `insight worker`). Running it in several processes at once is safe: each closing write is
 * version-checked, so a session another process already closed is skipped.
 */
export function runMaintenance(services: Services, signal: AbortSignal, onError: (e: unknown) => void): Promise<void> {
  const sweep = async () => {
    try {
      await services.respondent.expireSessions();
      await services.exportJobs.prune();
    } catch (e) {
      onError(e);
    }
  };
  return new Promise((resolve) => {
    let running: Promise<void> = sweep();
    const timer = setInterval(() => { running = running.then(sweep); }, SWEEP_INTERVAL_MS);
    timer.unref();
    signal.addEventListener('abort', () => {
      clearInterval(timer);
      void running.then(() => resolve());
    }, { once: true });
  });
}
