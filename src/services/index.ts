import type { Config } from '../config.ts';
import type { Store } from '../store/db.ts';
import { AccountsService } from './accounts.ts';
import { AuthService } from './auth.ts';
import { systemClock, type Clock } from './clock.ts';
import { JobsService } from './jobs.ts';
import { LibrariesService } from './libraries.ts';
import { ContactsService } from './contacts.ts';
import { PanelsService } from './panels.ts';
import { MessagesService } from './messages.ts';
import { SurveysService } from './surveys.ts';
import { RespondentService } from './respondent.ts';
import { ResponsesService } from './responses.ts';
import { DistributionsService, SEND_JOB } from './distributions.ts';
import { outboxTransport, smtpTransport } from './mailer.ts';
import { ExportJobsService } from './export-jobs.ts';
import { SubscriptionsService } from './subscriptions.ts';
import { WebhookDelivery } from './webhooks.ts';
import { ThankYouMail } from './thank-you.ts';
import { RecipientHistoryService } from './recipient-history.ts';

/** Every use case, wired to one store. The HTTP adapters, the CLI and the workers all go through this. */
export interface Services {
  config: Config;
  store: Store;
  clock: Clock;
  accounts: AccountsService;
  auth: AuthService;
  jobs: JobsService;
  libraries: LibrariesService;
  contacts: ContactsService;
  panels: PanelsService;
  messages: MessagesService;
  surveys: SurveysService;
  respondent: RespondentService;
  responses: ResponsesService;
  exportJobs: ExportJobsService;
  subscriptions: SubscriptionsService;
  webhooks: WebhookDelivery;
  distributions: DistributionsService;
  recipientHistory: RecipientHistoryService;
}

export function createServices(config: Config, store: Store, clock: Clock = systemClock): Services {
  const accounts = new AccountsService(store, clock);
  const auth = new AuthService(store, clock);
  const libraries = new LibrariesService(accounts);
  const jobs = new JobsService(store, clock);
  const surveys = new SurveysService(store, clock);
  const respondent = new RespondentService(store, clock, accounts, jobs);
  surveys.onSurveyChanged = (surveyId) => respondent.forgetSurvey(surveyId);
  const responses = new ResponsesService(store, clock, accounts, surveys);
  const subscriptions = new SubscriptionsService(store, clock, surveys, config.allowPrivateUrls);
  const webhooks = new WebhookDelivery(store, clock, { allowPrivate: config.allowPrivateUrls }, jobs);
  const thankYou = new ThankYouMail(config.publicUrl, SEND_JOB);
  // Both written with the response: its webhook events, then its thank-you e-mail.
  respondent.responseEvents = (response, timeZone, options) => [
    ...subscriptions.responseStatements(response, timeZone),
    ...thankYou.responseStatements(response, options),
  ];
  surveys.onStatusChanged = (trx, brandId, surveyId, status) =>
    subscriptions.publish(trx, { brandId, topic: status === 'Active' ? 'controlpanel.activateSurvey' : 'controlpanel.deactivateSurvey', msg: { SurveyID: surveyId, Status: status, BrandID: brandId } });
  const panels = new PanelsService(store, clock, libraries);
  panels.onPanelEvent = (trx, event) => subscriptions.publish(trx, event);
  const mail = config.smtpUrl ? smtpTransport(config.smtpUrl, config.smtpPoolSize) : outboxTransport;
  const distributions = new DistributionsService(store, clock, accounts, libraries, jobs, respondent, config, mail);
  return {
    config,
    store,
    clock,
    accounts,
    auth,
    jobs,
    contacts: new ContactsService(store, clock, accounts, libraries, jobs, config.allowPrivateUrls),
    libraries,
    panels,
    messages: new MessagesService(store, clock, libraries, config.publicUrl),
    surveys,
    respondent,
    responses,
    exportJobs: new ExportJobsService(config.dataDir, clock, jobs, accounts, responses),
    subscriptions,
    webhooks,
    distributions,
    recipientHistory: new RecipientHistoryService(store, accounts),
  };
}
