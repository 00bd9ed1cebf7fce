/**
 * Delivering events: one job per event and subscription (queued by the outbox statement in
 * subscriptions.ts), run by the job worker, never on a request's path.
 *
 * A delivery is a POST of form fields `Topic` (`<brand>.<topic>`) and `MSG` (the event's JSON, or its
 * encryption when the subscription asks for it), with the Standard Webhooks headers `webhook-id` (the
 * job id: the same on every retry, so a receiver can drop duplicates), `webhook-timestamp` and, when
 * there is a SharedKey, `webhook-signature` (domain/webhook-signing.ts).
 *
 * Outcomes: 2xx delivered; a network error, timeout (5 s), 408, 429 or 5xx is retried with the job
 * system's exponential backoff until its attempts run out, then failed; a redirect (never followed),
 * any other 4xx, or an address that may not be reached fails at once. Every attempt is logged.
 * Delivery is at least once: a worker dying after the POST and before marking the job done lets the
 * lease expire and the event be sent again under the same webhook-id.
 */
import { performance } from 'node:perf_hooks';
import { encryptMessage, signWebhook } from '../domain/webhook-signing.ts';
import type { Store } from '../store/db.ts';
import { WEBHOOK_JOB, subscriptionsStore } from '../store/subscriptions.ts';
import type { Clock } from './clock.ts';
import { MAX_ATTEMPTS, TemporaryJobError, type JobContext, type JobsService } from './jobs.ts';
import type { DeliveryPayload } from './subscriptions.ts';
import { UrlFetchError, postUrl, type Resolver } from './url-fetch.ts';

export interface WebhookOptions {
  allowPrivate: boolean;
  timeoutMs?: number;
  /** The DNS layer under the address check (tests inject a rebinding resolver). */
  resolve?: Resolver;
}

const DEFAULT_TIMEOUT_MS = 5000;
const ERROR_MAX = 500;

type Attempt = { outcome: 'delivered'; status: number } | { outcome: 'retryable' | 'permanent'; status: number | null; error: string };

function classify(status: number): Attempt {
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  const error = status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}`;
  const retry = status === 408 || status === 429 || status >= 500;
  return { outcome: retry ? 'retryable' : 'permanent', status, error };
}

export class WebhookDelivery {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly options: WebhookOptions,
    jobs: JobsService,
  ) {
    jobs.register(WEBHOOK_JOB, (ctx) => this.deliver(ctx));
  }

  /** The form body and headers of one delivery (exported for the tests' receivers to check against). */
  message(jobId: string, brandId: string, payload: DeliveryPayload, sub: { encrypt: number; shared_key: string | null }, timestamp: number) {
    const json = JSON.stringify(payload.msg);
    const msg = sub.encrypt === 1 && sub.shared_key !== null ? encryptMessage(sub.shared_key, jobId, json) : json;
    const body = new URLSearchParams({ Topic: `${brandId}.${payload.topic}`, MSG: msg }).toString();
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'Insight webhooks',
      'webhook-id': jobId,
      'webhook-timestamp': String(timestamp),
    };
    if (sub.shared_key !== null) headers['webhook-signature'] = signWebhook(sub.shared_key, jobId, timestamp, body);
    return { body, headers };
  }

  private async deliver(ctx: JobContext): Promise<unknown> {
    const { job } = ctx;
    const payload = ctx.payload as DeliveryPayload;
    const sub = await subscriptionsStore.findById(this.store.db, payload.subscriptionId);
    if (!sub || sub.brand_id !== job.brand_id) return { skipped: 'the subscription was deleted' };
    const { body, headers } = this.message(job.id, sub.brand_id, payload, sub, Math.floor(this.clock.now() / 1000));
    const started = performance.now();
    let attempt: Attempt;
    try {
      const res = await postUrl(sub.publication_url, Buffer.from(body), headers, {
        allowPrivate: this.options.allowPrivate,
        timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxBytes: 4096,
        ...(this.options.resolve ? { resolve: this.options.resolve } : {}),
      });
      attempt = classify(res.status);
    } catch (error) {
      const e = error instanceof UrlFetchError ? error : new UrlFetchError('network', String(error));
      const retry = e.reason === 'network' || e.reason === 'timeout';
      attempt = { outcome: retry ? 'retryable' : 'permanent', status: null, error: `${e.reason}: ${e.message}`.slice(0, ERROR_MAX) };
    }
    const latency = Math.round(performance.now() - started);
    const final = attempt.outcome === 'delivered' ? 'delivered' : attempt.outcome === 'retryable' && job.attempts < MAX_ATTEMPTS ? 'retry' : 'failed';
    await subscriptionsStore.insertDelivery(this.store.db, {
      id: `${job.id}#${job.attempts}`, subscription_id: sub.id, brand_id: sub.brand_id, job_id: job.id, topic: payload.topic,
      attempt: job.attempts, outcome: final, http_status: attempt.status, latency_ms: latency,
      error: attempt.outcome === 'delivered' ? null : attempt.error, created_at: this.clock.now(),
    });
    if (attempt.outcome === 'delivered') return { delivered: true };
    if (attempt.outcome === 'retryable') throw new TemporaryJobError(attempt.error);
    throw new Error(attempt.error);
  }
}
