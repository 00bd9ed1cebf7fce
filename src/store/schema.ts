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
}
