import { type Kysely, type Selectable, sql } from "kysely";
import type { AppEnvironmentsTable, Tables } from "../adapters/store/tables.js";
import { Snapshot } from "./snapshot.js";

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
  /** Every row, by app: the app list pages through apps, and polling clients share one read a second. */
  private readonly all: Snapshot<Map<string, Selectable<AppEnvironmentsTable>[]>>;

  constructor(private readonly db: Kysely<Tables>) {
    this.all = new Snapshot(async () => {
      const byApp = new Map<string, Selectable<AppEnvironmentsTable>[]>();
      for (const row of await this.db.selectFrom("app_environments").selectAll().execute()) {
        byApp.set(row.app, [...(byApp.get(row.app) ?? []), row]);
      }
      return byApp;
    }, 1000);
  }

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
    this.all.invalidate();
  }

  /** The states of these apps (one page of the app list), at most a second old. */
  async states(apps: string[]): Promise<Selectable<AppEnvironmentsTable>[]> {
    const byApp = await this.all.get();
    return apps.flatMap((app) => byApp.get(app) ?? []);
  }
}
