import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { openStore, type Store } from "../../adapters/store/store.js";
import type { PipelineDefinition } from "../../core/pipeline/types.js";
import { AuditLog } from "../audit.js";
import { ExecutionStore, type NewExecution } from "./store.js";

const dir = mkdtempSync(join(tmpdir(), "railyard-store-"));
let store: Store;
let executions: ExecutionStore;
before(async () => {
  store = await openStore({ dataDir: join(dir, "store") });
  executions = new ExecutionStore(store.db);
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pipeline = (environments: string[], supersedeQueued = false): PipelineDefinition => ({
  name: "main",
  source: "app",
  triggers: [],
  supersedeQueued,
  stages: environments.map((environment, i) => ({
    id: `deploy-${environment}`,
    kind: "deploy",
    environment,
    dependsOn: i === 0 ? [] : [`deploy-${environments[i - 1]}`],
  })),
});
let n = 0;
const execution = (app: string, definition: PipelineDefinition, triggerKey = `k${++n}`): NewExecution => ({
  app,
  definition,
  trigger: { kind: "manual" },
  triggerKey,
  args: {},
  source: { repository: "r", url: "u", commit: "c".repeat(40), path: "railyard.yaml" },
  actor: "token:test",
});

describe("the execution store", () => {
  it("starts one execution per trigger key, however often the trigger arrives", async () => {
    const first = await executions.create(execution("dedupe", pipeline(["staging"]), "github:abc"));
    const again = await executions.create(execution("dedupe", pipeline(["staging"]), "github:abc"));
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.execution.id, first.execution.id);
    assert.equal((await executions.stages(first.execution.id)).length, 1);
  });

  it("admits one execution at a time per app and environment, in order; others queue", async () => {
    const a = (await executions.create(execution("queue", pipeline(["staging", "production"])))).execution;
    const b = (await executions.create(execution("queue", pipeline(["production"])))).execution;
    const c = (await executions.create(execution("queue", pipeline(["dev"])))).execution;
    assert.deepEqual(await executions.admit(a), { admitted: true });
    const blocked = await executions.admit(b);
    assert.equal(blocked.admitted, false);
    assert.equal(!blocked.admitted && blocked.blockedBy.id, a.id);
    // Another environment of the same app does not wait.
    assert.deepEqual(await executions.admit(c), { admitted: true });
    await executions.setStatus(a.id, "succeeded", { finished: true });
    assert.deepEqual(await executions.admit(b), { admitted: true });
  });

  it("lets a newer execution supersede older queued ones of the same pipeline", async () => {
    const running = (await executions.create(execution("super", pipeline(["staging"], true)))).execution;
    await executions.admit(running);
    const older = (await executions.create(execution("super", pipeline(["staging"], true)))).execution;
    const newer = (await executions.create(execution("super", pipeline(["staging"], true)))).execution;
    assert.deepEqual(await executions.supersedeOlder(newer), [older.id]);
    assert.equal((await executions.get(older.id))?.status, "superseded");
    assert.equal((await executions.get(running.id))?.status, "running");
  });

  it("hands a due execution to one worker; an expired lease makes it claimable again", async () => {
    // Only this test's executions are due: finish the others.
    await sql`update executions set status = 'succeeded'`.execute(store.db);
    const created = (await executions.create(execution("lease", pipeline(["staging"])))).execution;
    const claimed = await executions.claimDue("worker-a", 60_000);
    assert.equal(claimed?.id, created.id);
    assert.equal(await executions.claimDue("worker-b", 60_000), undefined);
    assert.equal(await executions.renewLease(created.id, "worker-b", 60_000), false);
    await sql`update executions set lease_until = now() - interval '1 second' where id = ${created.id}`.execute(
      store.db,
    );
    assert.equal((await executions.claimDue("worker-b", 60_000))?.id, created.id);
    assert.equal(await executions.renewLease(created.id, "worker-a", 60_000), false, "worker-a lost it");
  });

  it("records the first decision on a waiting approval, and only that one", async () => {
    const definition: PipelineDefinition = {
      ...pipeline([]),
      stages: [{ id: "approve", kind: "approval", timeoutMs: 60_000, dependsOn: [] }],
    };
    const created = (await executions.create(execution("approve", definition))).execution;
    assert.equal(
      await executions.decide(created.id, "approve", { approved: true, by: "a" }),
      false,
      "not waiting yet",
    );
    await executions.setStage(created.id, "approve", { status: "waiting" });
    assert.equal(
      await executions.decide(created.id, "approve", { approved: true, by: "a", comment: "ok" }),
      true,
    );
    assert.equal(await executions.decide(created.id, "approve", { approved: false, by: "b" }), false);
    const [stage] = await executions.stages(created.id);
    assert.deepEqual(stage?.output, { decision: "approved", by: "a", comment: "ok" });
  });
});

describe("the audit log", () => {
  it("is append-only: the store refuses to change or delete an entry", async () => {
    const audit = new AuditLog(store.db);
    await audit.append({ actor: "token:a", source: "api", action: "token.create", outcome: "created" });
    const [entry] = await audit.list({ limit: 1 });
    assert.equal(entry?.actor, "token:a");
    await assert.rejects(sql`update audit set actor = 'someone else'`.execute(store.db), /append-only/);
    await assert.rejects(sql`delete from audit`.execute(store.db), /append-only/);
    assert.equal((await audit.list({ limit: 10 })).length, 1);
  });
});
