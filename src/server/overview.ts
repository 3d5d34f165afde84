import { type Kysely, sql } from "kysely";
import type { Tables } from "../adapters/store/tables.js";

export interface DeployedState {
  app: string;
  environment: string;
  revision?: number;
  status: "succeeded" | "failed";
  images: { container: string; deployed: string; digest?: string }[];
  args: Record<string, string>;
  message: string;
  executionId: string;
  actor: string;
}

/**
 * What runs where: one row per (app, environment), written when a deploy or rollback stage finishes.
 * Views read this index instead of asking every cluster, so listing thousands of app-environments
 * costs one indexed query.
 */
export class Overview {
  constructor(private readonly db: Kysely<Tables>) {}

  async record(state: DeployedState): Promise<void> {
    const row = {
      revision: state.revision ?? null,
      status: state.status,
      images: JSON.stringify(state.images),
      args: JSON.stringify(state.args),
      message: state.message,
      execution_id: state.executionId,
      actor: state.actor,
      updated_at: sql<Date>`now()`,
    };
    await this.db
      .insertInto("app_environments")
      .values({ app: state.app, environment: state.environment, ...row })
      .onConflict((c) => c.columns(["app", "environment"]).doUpdateSet(row))
      .execute();
  }

  /** The states of these apps (one page of the app list). */
  states(apps: string[]) {
    if (apps.length === 0) return Promise.resolve([]);
    return this.db.selectFrom("app_environments").selectAll().where("app", "in", apps).execute();
  }
}
