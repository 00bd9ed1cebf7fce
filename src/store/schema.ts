import type { Generated } from 'kysely';

/**
 * Column conventions shared by both dialects: times are integer milliseconds since the epoch (UTC),
 * flags are integers 0/1, structured values are JSON text. That keeps every query portable.
 */
export interface BrandsTable {
  id: string;
  name: string;
  max_users: number | null;
  max_active_surveys: number | null;
  time_zone: string;
  created_at: number;
}

export interface DivisionsTable {
  id: string;
  brand_id: string;
  name: string;
  created_at: number;
}

export interface UsersTable {
  id: string;
  brand_id: string;
  username: string;
  password_hash: string | null;
  first_name: string;
  last_name: string;
  email: string;
  type_id: string;
  division_id: string | null;
  language: string;
  status: string;
  permissions: string;
  api_token_hash: string | null;
  api_token_created_at: number | null;
  api_token_last_used_at: number | null;
  password_changed_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface GroupsTable {
  id: string;
  brand_id: string;
  name: string;
  division_id: string | null;
  created_at: number;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
  brand_id: string;
  added_at: number;
}

export interface LoginEventsTable {
  user_id: string;
  at: number;
  channel: string;
}

export interface AuthCountersTable {
  key: string;
  failures: number;
  window_started_at: number;
  locked_until: number;
}

/** Numbers moved by triggers on every write to a group of tables (migrations/0009_accounts_version.ts). */
export interface ChangeCountersTable {
  name: string;
  value: number;
}

export interface WebSessionsTable {
  id_hash: string;
  user_id: string;
  brand_id: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

export interface Database {
  brands: BrandsTable;
  divisions: DivisionsTable;
  users: UsersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  login_events: LoginEventsTable;
  auth_counters: AuthCountersTable;
  web_sessions: WebSessionsTable;
  change_counters: ChangeCountersTable;
  panels: PanelsTable;
  panel_members: PanelMembersTable;
  library_messages: LibraryMessagesTable;
  contacts: ContactsTable;
  contact_lists: ContactListsTable;
  contact_list_members: ContactListMembersTable;
  jobs: JobsTable;
  job_blobs: JobBlobsTable;
  surveys: SurveysTable;
  survey_shares: SurveySharesTable;
  survey_sessions: SurveySessionsTable;
  responses: ResponsesTable;
  distributions: DistributionsTable;
  distribution_recipients: DistributionRecipientsTable;
  mail_outbox: MailOutboxTable;
  subscriptions: SubscriptionsTable;
  subscription_topics: SubscriptionTopicsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export interface PanelsTable {
  id: string;
  brand_id: string;
  library_id: string;
  name: string;
  category: string;
  created_at: number;
  updated_at: number;
}

/** Recipient fields shared by panel members and directory contacts. */
export interface RecipientColumns {
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  external_ref: string | null;
  language: string | null;
  unsubscribed: number;
  /** JSON object text, or null when the member has none. */
  embedded_data: string | null;
}

export interface PanelMembersTable extends RecipientColumns {
  id: string;
  brand_id: string;
  panel_id: string;
  position: number;
  created_at: number;
  updated_at: number;
}

export interface LibraryMessagesTable {
  id: string;
  brand_id: string;
  library_id: string;
  category: string;
  name: string;
  language: string;
  body: string;
  created_at: number;
  updated_at: number;
}

export interface ContactsTable extends RecipientColumns {
  id: string;
  brand_id: string;
  created_at: number;
  updated_at: number;
}

export interface ContactListsTable {
  id: string;
  brand_id: string;
  library_id: string;
  name: string;
  created_at: number;
}

export interface ContactListMembersTable {
  list_id: string;
  contact_id: string;
  brand_id: string;
  position: number;
  added_at: number;
}

export interface JobsTable {
  id: string;
  brand_id: string;
  kind: string;
  payload: string;
  status: string;
  progress: number;
  total: number | null;
  result: string | null;
  error: string | null;
  attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface JobBlobsTable {
  job_id: string;
  data: Buffer;
}

export interface SurveysTable {
  id: string;
  brand_id: string;
  owner_id: string;
  name: string;
  description: string | null;
  status: string;
  qsf: string;
  created_at: number;
  modified_at: number;
  last_activated_at: number | null;
  start_date: number | null;
  expiration_date: number | null;
  deleted_at: number | null;
}

export interface SurveySharesTable {
  survey_id: string;
  brand_id: string;
  user_id: string | null;
  group_id: string | null;
  created_at: number;
}

export interface SurveySessionsTable {
  id: string;
  brand_id: string;
  survey_id: string;
  /** 'anonymous' | 'personal' | 'preview' */
  mode: string;
  distribution_id: string | null;
  recipient_id: string | null;
  panel_id: string | null;
  /** The engine's SessionState as JSON. */
  state: string;
  /** Bumped by every write; a write names the version it read (optimistic concurrency). */
  version: number;
  started_at: number;
  updated_at: number;
  /** Partial-data deadline: an open session untouched until then is closed by the sweep. */
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
  /** When the page on screen was shown (the Timing question's page-submit figure). */
  page_shown_at: number | null;
  /** 'open' | 'finished' | 'expired' | 'closed' */
  status: string;
  response_id: string | null;
}

export interface ResponsesTable {
  /** Export order and LastResponseID paging: autoincrement (SQLite) / identity (PostgreSQL). */
  seq: Generated<number>;
  id: string;
  brand_id: string;
  survey_id: string;
  response_set_id: string;
  /** 0 normal, 1 preview, 4 imported. */
  status: number;
  finished: number;
  start_date: number;
  end_date: number;
  ip_address: string | null;
  recipient_id: string | null;
  panel_id: string | null;
  distribution_id: string | null;
  /** "Last, First" of the panel member; null when anonymous. */
  name: string | null;
  email: string | null;
  external_ref: string | null;
  location_latitude: string | null;
  location_longitude: string | null;
  location_accuracy: string | null;
  session_id: string | null;
  /** JSON object: the question columns of responseValues, in column order. */
  answers_values: string;
  /** JSON object: every embedded-data value of the session. */
  embedded: string;
  /** JSON array of the displayed question IDs. */
  displayed: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface DistributionsTable {
  id: string;
  brand_id: string;
  survey_id: string;
  owner_id: string;
  panel_id: string | null;
  recipient_id: string | null;
  /** 'Individual' | 'Multiple' | 'Anonymous' */
  link_type: string;
  expiration_date: number | null;
  created_at: number;
  // Mail columns (0007); null on link-only distributions made before them.
  parent_id: string | null;
  /** 'Invite' | 'Reminder' | 'ThankYou' | 'Links' (createDistribution: no mail) */
  request_type: string | null;
  description: string | null;
  /** 'Pending' | 'Done' | 'Cancelled' */
  status: string | null;
  send_date: number | null;
  from_email: string | null;
  from_name: string | null;
  sent_from_address: string | null;
  subject: string | null;
  message_library_id: string | null;
  message_id: string | null;
  recipient_library_id: string | null;
  job_id: string | null;
  approx_emails: number | null;
  /** 1 once the recipient rows exist (written in the same transaction as they are). */
  materialized: number | null;
  cancelled_at: number | null;
  modified_at: number | null;
  // Thank-you columns (0008). On an invitation: the thank-you its recipients get (null = the survey's options).
  thank_you_message_id: string | null;
  thank_you_library_id: string | null;
  thank_you_subject: string | null;
  /** On a 'ThankYou' distribution: the response it thanks (unique). */
  response_id: string | null;
}

export interface DistributionRecipientsTable {
  distribution_id: string;
  recipient_id: string;
  brand_id: string;
  position: number;
  email: string | null;
  /** 'queued' | 'sending' | 'sent' | 'failed' | 'skipped' */
  status: string;
  /** The Message-ID header of this recipient's e-mail: fixed before the first attempt. */
  mail_message_id: string;
  attempts: number;
  error: string | null;
  claimed_by: string | null;
  sent_at: number | null;
  failed_at: number | null;
  bounced_at: number | null;
  opened_at: number | null;
  updated_at: number;
}

export interface MailOutboxTable {
  mail_message_id: string;
  brand_id: string;
  distribution_id: string | null;
  recipient_id: string | null;
  to_address: string;
  from_address: string;
  subject: string;
  html: string;
  text: string;
  /** JSON object of the extra headers. */
  headers: string;
  created_at: number;
}

export interface SubscriptionsTable {
  id: string;
  brand_id: string;
  owner_id: string;
  name: string;
  publication_url: string;
  /** The patterns as given, comma-separated (subscription_topics holds one row each). */
  topics: string;
  encrypt: number;
  shared_key: string | null;
  created_at: number;
}

export interface SubscriptionTopicsTable {
  subscription_id: string;
  brand_id: string;
  pattern: string;
}

export interface WebhookDeliveriesTable {
  /** `<job id>#<attempt>`. */
  id: string;
  subscription_id: string;
  brand_id: string;
  job_id: string;
  topic: string;
  attempt: number;
  /** 'delivered' | 'retry' | 'failed' */
  outcome: string;
  http_status: number | null;
  latency_ms: number;
  error: string | null;
  created_at: number;
}
