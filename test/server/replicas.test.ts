import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { stringify } from "yaml";
import { useCluster } from "../testkit/cluster.js";
import { type Postgres, startPostgres } from "../testkit/postgres.js";
import { waitFor } from "../testkit/processes.js";
import {
  createAppRepository,
  type ServerProcess,
  startServerProcess,
  tempDir,
  writePlatformConfig,
} from "./fixture.js";

const APPS = 10;
const RUNS_PER_APP = 5;
const FINAL = ["succeeded", "failed", "cancelled", "superseded"];

let postgres: Postgres | undefined;
let db: pg.Pool | undefined;
after(async () => {
  await db?.end().catch(() => {});
  await postgres?.stop();
});

const appName = (i: number) => `app${i}`;
const appFile = (i: number) =>
  stringify({
    name: appName(i),
    args: { version: "1.0" },
    replicas: 1,
    containers: [{ name: "app", image: `registry.example.test/${appName(i)}:{{ version }}` }],
    pipeline: { triggers: [], stages: [{ id: "deploy", deploy: "staging" }] },
  });

interface Interval {
  id: string;
  from: number;
  to: number;
}

/** Intervals that overlap another, as "a overlaps b" lines. */
function overlaps(intervals: Interval[]): string[] {
  const sorted = [...intervals].sort((a, b) => a.from - b.from);
  const found: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.from < sorted[i - 1]!.to) found.push(`${sorted[i - 1]!.id} overlaps ${sorted[i]!.id}`);
  }
  return found;
}

describe("two server processes on one PostgreSQL", () => {
  it("run 50 executions across 10 apps once each, one at a time per target, and take over a killed one's work", async () => {
    const cluster = await useCluster();
    postgres = await startPostgres();
    const databaseUrl = await postgres.createDatabase("replicas");
    db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    const ns = await cluster.namespace("replicas");
    const repo = await createAppRepository();
    await repo.commit(
      Object.fromEntries(Array.from({ length: APPS }, (_, i) => [`${appName(i)}/railyard.yaml`, appFile(i)])),
    );
    const configFile = writePlatformConfig({
      environments: {
        staging: { cluster: { kubeconfig: cluster.kubeconfigPath }, namespace: ns, imagePolicy: "tag" },
      },
      repositories: { apps: { url: repo.url } },
      apps: Object.fromEntries(
        Array.from({ length: APPS }, (_, i) => [
          appName(i),
          { repository: "apps", path: `${appName(i)}/railyard.yaml`, branch: "main" },
        ]),
      ),
    });
    const start = (name: string) =>
      startServerProcess({
        configFile,
        // Each replica has its own disk for checkouts, as in a cluster; they share only PostgreSQL.
        dataDir: tempDir("railyard-data-"),
        databaseUrl,
        // Short enough for a quick takeover, long enough that a busy CI machine does not lose leases.
        leaseMs: 5_000,
        pollMs: 200,
        workers: 4,
        name,
      });
    // Both at once, as a Deployment's replicas start: they migrate the same database side by side.
    const servers: ServerProcess[] = await Promise.all([start("a"), start("b")]);

    // 5 runs per app, the apps side by side, each run through the servers in turn.
    const versionOf = new Map<string, string>();
    const executionsOf = new Map<string, string[]>();
    await Promise.all(
      Array.from({ length: APPS }, async (_, i) => {
        const ids: string[] = [];
        for (let r = 1; r <= RUNS_PER_APP; r++) {
          const server = servers[(i * RUNS_PER_APP + r) % 2]!;
          const version = `1.${r}`;
          const started = await server.api("POST", `/api/v1/apps/${appName(i)}/runs`, { args: { version } });
          assert.equal(started.status, 201, JSON.stringify(started.body));
          ids.push(started.body.id);
          versionOf.set(started.body.id, version);
        }
        executionsOf.set(appName(i), ids);
      }),
    );
    const all = [...executionsOf.values()].flat();
    assert.equal(new Set(all).size, APPS * RUNS_PER_APP, "50 distinct executions");

    // Midway: once 10 have finished, kill the server that is running a deploy stage right now.
    const { victim, held } = await waitFor(
      "10 executions to finish and a server to be in the middle of a deploy stage",
      async () => {
        const { rows } = await db!.query<{ finished: string }>(
          "select count(*) as finished from executions where status = 'succeeded'",
        );
        if (Number(rows[0]!.finished) < 10) return undefined;
        const leased = await db!.query<{ id: string; lease_owner: string }>(
          `select e.id, e.lease_owner from executions e join stages s on s.execution_id = e.id
           where e.lease_owner is not null and e.lease_until > now() and s.status = 'running'`,
        );
        // A worker's lease owner is host:pid:random.
        for (const server of servers) {
          const mine = leased.rows.filter((r) => r.lease_owner.split(":")[1] === String(server.pid));
          if (mine.length > 0) return { victim: server, held: mine.map((r) => r.id) };
        }
        return undefined;
      },
      120_000,
    );
    await victim.kill();
    const survivor = servers.find((s) => s !== victim)!;

    const finished = await waitFor(
      "all 50 executions to finish",
      async () => {
        const { rows } = await db!.query<{ id: string; status: string }>("select id, status from executions");
        return rows.length === all.length && rows.every((r) => FINAL.includes(r.status)) ? rows : undefined;
      },
      180_000,
    ).catch(async (error: unknown) => {
      const { rows } = await db!.query(
        `select e.id, e.app, e.status, e.message, e.lease_owner, e.lease_until, e.next_run_at,
                json_agg(json_build_object('stage', s.id, 'status', s.status, 'message', s.message)) as stages
         from executions e join stages s on s.execution_id = e.id
         where e.status not in ('succeeded', 'failed', 'cancelled', 'superseded') group by e.id`,
      );
      throw new Error(
        `${String(error)}\n--- unfinished ---\n${JSON.stringify(rows, null, 1)}\n--- survivor's log ---\n${survivor.output().slice(-4000)}`,
      );
    });
    const notSucceeded = finished.filter((r) => r.status !== "succeeded");
    assert.deepEqual(notSucceeded, [], survivor.output().slice(-4000));
    for (const id of held) {
      const { body } = await survivor.api("GET", `/api/v1/executions/${id}`);
      assert.equal(body.status, "succeeded", `execution ${id}, running on the killed server, was taken over`);
    }

    for (const [app, ids] of executionsOf) {
      // Once each: 5 revisions, each made by a different one of the app's executions, with its version.
      const history = await survivor.api("GET", `/api/v1/apps/${app}/environments/staging/history`);
      assert.equal(history.status, 200, JSON.stringify(history.body));
      const records = history.body.items as {
        revision: number;
        status: string;
        origin?: { execution: string; stage: string };
        args: Record<string, string>;
      }[];
      assert.deepEqual(
        records.map((r) => [r.revision, r.status]),
        [1, 2, 3, 4, 5].map((n) => [n, "succeeded"]),
        `${app}: ${JSON.stringify(records.map((r) => [r.revision, r.status, r.origin]))}`,
      );
      assert.deepEqual(
        records.map((r) => r.origin?.execution).sort(),
        [...ids].sort(),
        `${app}: one revision per execution`,
      );
      for (const record of records) {
        assert.equal(record.origin?.stage, "deploy");
        assert.equal(record.args.version, versionOf.get(record.origin!.execution));
      }
      // Queued runs of a target start in the order they were asked for: the last one is live.
      assert.deepEqual(
        records.map((r) => r.args.version),
        ["1.1", "1.2", "1.3", "1.4", "1.5"],
      );

      // Never two at once on one target: neither the executions nor their deploy stages overlap.
      const views = await Promise.all(
        ids.map(async (id) => (await survivor.api("GET", `/api/v1/executions/${id}`)).body),
      );
      const executions = views.map((v) => ({
        id: v.id,
        from: Date.parse(v.startedAt),
        to: Date.parse(v.finishedAt),
      }));
      const stages = views.map((v) => ({
        id: `${v.id}/deploy`,
        from: Date.parse(v.stages[0].startedAt),
        to: Date.parse(v.stages[0].finishedAt),
      }));
      for (const interval of [...executions, ...stages]) {
        assert.ok(interval.from <= interval.to, `${app}: ${interval.id} has a start and an end`);
      }
      assert.deepEqual(overlaps(executions), [], `${app}: executions`);
      assert.deepEqual(overlaps(stages), [], `${app}: deploy stages`);
    }

    const deployment = await cluster.apps.readNamespacedDeployment({ name: appName(0), namespace: ns });
    assert.equal(deployment.spec?.template.spec?.containers[0]?.image, "registry.example.test/app0:1.5");
  });
});
