import { formatDateTime } from '../../../domain/dates.ts';
import type { SubscriptionView } from '../../../services/subscriptions.ts';
import { defineRequest, id, optional, required } from '../registry.ts';

/**
 * Event subscriptions (spec §2.8). subscribe and getAllSubscriptions are recorded names whose
 * results were not recovered; getSubscription and deleteSubscription are Insight additions (the
 * spec expects such names "by symmetry"). The SharedKey is never echoed.
 */

const TOPICS_HELP =
  'Comma-separated topic patterns: surveyengine.completedResponse.<SurveyID>, surveyengine.partialResponse.<SurveyID>, controlpanel.activateSurvey, controlpanel.deactivateSurvey; a segment may be * (one segment, or the rest when last). Patterns covering every survey (surveyengine.*) are for brand administrators. At most 20 patterns of 200 characters.';

function subscriptionResult(s: SubscriptionView) {
  return {
    SubscriptionID: s.id,
    Name: s.name,
    PublicationURL: s.publicationUrl,
    Topics: s.topics.join(','),
    Encrypt: s.encrypt ? '1' : '0',
    BrandID: s.brandId,
    OwnerID: s.ownerId,
    CreationDate: formatDateTime(s.createdAt, 'UTC'),
  };
}

const example = {
  SubscriptionID: 'SUB_0abcdefghijklmn',
  Name: 'Completed responses',
  PublicationURL: 'https://hooks.example.com/qualtrics',
  Topics: 'surveyengine.completedResponse.SV_0abcdefghijklmn',
  Encrypt: '0',
  BrandID: 'acme',
  OwnerID: 'UR_0abcdefghijklmn',
  CreationDate: '2026-11-28 12:00:00',
};

defineRequest({
  name: 'subscribe',
  product: 'ControlPanel',
  area: 'Subscriptions',
  summary:
    'Subscribes a URL to events. Each matching event is POSTed (application/x-www-form-urlencoded) with fields Topic (<BrandID>.<topic>) and MSG (JSON such as {"Status":"Complete","SurveyID","ResponseID","CompletedDate","BrandID"}), and the Standard Webhooks headers webhook-id, webhook-timestamp and, with a SharedKey, webhook-signature (v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">). With Encrypt=1, MSG is base64(nonce ‖ AES-256-GCM ciphertext ‖ tag) under HKDF-SHA256(SharedKey, info "insight-webhook-msg"), the webhook-id as associated data. Deliveries are retried with backoff on network errors, 408, 429 and 5xx; redirects are not followed.',
  params: {
    Name: required('A name for the subscription, up to 255 characters', 1000),
    PublicationURL: required('The http(s) URL events are POSTed to (private and loopback addresses only when the operator allows them)', 2000),
    Topics: required(TOPICS_HELP, 4000),
    Encrypt: optional('1 to encrypt MSG with the SharedKey (default 0)', 10),
    SharedKey: optional('The key that signs (and with Encrypt=1 encrypts) each delivery; required with Encrypt=1', 512),
    BrandID: optional('Your brand (any other value is refused)', 100),
  },
  result: 'SubscriptionID (SUB_…)',
  example: { SubscriptionID: 'SUB_0abcdefghijklmn' },
  errors: ['InvalidParameter', 'AdminOnly'],
  async handler({ actor, params, services }) {
    const subscriptionId = await services.subscriptions.subscribe(actor, {
      name: params.Name, publicationUrl: params.PublicationURL, topics: params.Topics,
      encrypt: params.Encrypt, sharedKey: params.SharedKey, brandId: params.BrandID,
    });
    return { SubscriptionID: subscriptionId };
  },
});

defineRequest({
  name: 'getAllSubscriptions',
  product: 'ControlPanel',
  area: 'Subscriptions',
  summary: 'Your subscriptions (a brand administrator: every subscription of the brand), oldest first. The SharedKey is never returned.',
  params: {},
  result: 'Subscriptions: [{SubscriptionID, Name, PublicationURL, Topics, Encrypt, BrandID, OwnerID, CreationDate (UTC)}]',
  example: { Subscriptions: [example] },
  errors: [],
  async handler({ actor, services }) {
    return { Subscriptions: (await services.subscriptions.list(actor)).map(subscriptionResult) };
  },
});

defineRequest({
  name: 'getSubscription',
  product: 'ControlPanel',
  area: 'Subscriptions',
  addition: true,
  summary: 'One subscription of yours (a brand administrator: of the brand).',
  params: { SubscriptionID: id('SUB', 'The subscription (SUB_…)') },
  result: 'Subscription: {SubscriptionID, Name, PublicationURL, Topics, Encrypt, BrandID, OwnerID, CreationDate}',
  example: { Subscription: example },
  errors: ['InvalidParameter', 'NotFound'],
  async handler({ actor, params, services }) {
    return { Subscription: subscriptionResult(await services.subscriptions.get(actor, params.SubscriptionID)) };
  },
});

defineRequest({
  name: 'deleteSubscription',
  product: 'ControlPanel',
  area: 'Subscriptions',
  addition: true,
  summary: 'Deletes a subscription; deliveries still waiting are dropped.',
  params: { SubscriptionID: id('SUB', 'The subscription (SUB_…)') },
  result: 'Success: true',
  example: { Success: true },
  errors: ['InvalidParameter', 'NotFound'],
  async handler({ actor, params, services }) {
    await services.subscriptions.delete(actor, params.SubscriptionID);
    return { Success: true };
  },
});
