import type { ColumnType, Generated } from "kysely";

/** Timestamps are written as Date (or SQL `now()`) and read back as Date. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp the database fills in (`now()`) when the insert leaves it out. */
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** JSON columns are written as JSON text and read back parsed. */
type Json<T> = ColumnType<T, string, string>;

export interface ExecutionsTable {
  id: string;
  app: string;
  pipeline: string;
  /** The resolved pipeline at the time the execution was created: templates may change later. */
  definition: Json<unknown>;
  trigger: Json<unknown>;
  /** Deduplicates deliveries: same key for the same app and pipeline starts one execution. */
  trigger_key: string;
  args: Json<Record<string, string>>;
  /** Where the app file comes from: a repository at a commit, or a file on the server. */
  source: Json<unknown>;
  /** Environments this execution deploys to: executions sharing one queue in creation order. */
  targets: Json<string[]>;
  status: string;
  message: string | null;
  actor: string;
  created_at: CreatedAt;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  /** When a worker should look at it next (a wait, a timeout, a retry); null = only when woken. */
  next_run_at: Timestamp | null;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  cancel_requested: Generated<boolean>;
  seq: Generated<number>;
}

export interface StagesTable {
  execution_id: string;
  id: string;
  kind: string;
  status: string;
  message: string | null;
  attempts: Generated<number>;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  output: Json<Record<string, unknown>>;
}

export interface AuditTable {
  id: Generated<number>;
  at: CreatedAt;
  actor: string;
  source: string;
  action: string;
  app: string | null;
  environment: string | null;
  execution_id: string | null;
  revision_before: number | null;
  revision_after: number | null;
  outcome: string;
  detail: Json<Record<string, unknown>>;
}

export interface TokensTable {
  id: string;
  name: string;
  /** sha256 of the token: the token itself is shown once, at creation. */
  hash: string;
  roles: Json<string[]>;
  created_at: CreatedAt;
  created_by: string;
  revoked_at: Timestamp | null;
}

export interface AppEnvironmentsTable {
  app: string;
  environment: string;
  revision: number | null;
  /** succeeded | failed (the last deploy's outcome). */
  status: string;
  images: Json<{ container: string; deployed: string; digest?: string }[]>;
  args: Json<Record<string, string>>;
  message: string | null;
  execution_id: string | null;
  actor: string;
  updated_at: CreatedAt;
}

export interface Tables {
  app_environments: AppEnvironmentsTable;
  executions: ExecutionsTable;
  stages: StagesTable;
  audit: AuditTable;
  tokens: TokensTable;
}
