import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { InputError } from "../../core/errors.js";
import type { Tables } from "../../adapters/store/tables.js";
import { type Grant, isGrant } from "./roles.js";

export interface Principal {
  tokenId: string;
  name: string;
  grants: Grant[];
}

/** Tokens are stored as their SHA-256: a leaked database does not leak a usable token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** How long a token's check is reused: revoking takes effect at once here, within this on other replicas. */
const AUTH_CACHE_MS = 5_000;

export class TokenStore {
  private readonly recent = new Map<string, { at: number; principal: Principal | undefined }>();

  constructor(private readonly db: Kysely<Tables>) {}

  /** Creates a token; its value is returned here and never again. */
  async create(
    name: string,
    grants: string[],
    createdBy: string,
    value?: string,
  ): Promise<{ id: string; token: string }> {
    const bad = grants.filter((g) => !isGrant(g));
    if (bad.length > 0 || grants.length === 0) {
      throw new InputError(`invalid roles: ${bad.join(", ") || "none given"}`, {
        hint: "Roles are viewer, admin, deploy:<environment>, approve:<environment> (or deploy:*, approve:*).",
      });
    }
    const token = value ?? `ry_${randomBytes(24).toString("base64url")}`;
    this.recent.delete(hashToken(token));
    const id = randomUUID();
    await this.db
      .insertInto("tokens")
      .values({ id, name, hash: hashToken(token), roles: JSON.stringify(grants), created_by: createdBy })
      .onConflict((c) =>
        c.column("hash").doUpdateSet({ name, roles: JSON.stringify(grants), revoked_at: null }),
      )
      .execute();
    return { id, token };
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const hash = hashToken(token);
    const cached = this.recent.get(hash);
    if (cached && Date.now() - cached.at < AUTH_CACHE_MS) return cached.principal;
    const principal = await this.lookup(hash);
    if (this.recent.size > 10_000) this.recent.clear();
    this.recent.set(hash, { at: Date.now(), principal });
    return principal;
  }

  private async lookup(hash: string): Promise<Principal | undefined> {
    const row = await this.db
      .selectFrom("tokens")
      .select(["id", "name", "roles"])
      .where("hash", "=", hash)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return row ? { tokenId: row.id, name: row.name, grants: row.roles } : undefined;
  }

  list(): Promise<
    {
      id: string;
      name: string;
      roles: string[];
      created_at: Date;
      created_by: string;
      revoked_at: Date | null;
    }[]
  > {
    return this.db
      .selectFrom("tokens")
      .select(["id", "name", "roles", "created_at", "created_by", "revoked_at"])
      .orderBy("created_at")
      .execute();
  }

  async revoke(id: string): Promise<boolean> {
    this.recent.clear();
    const row = await this.db
      .updateTable("tokens")
      .set({ revoked_at: sql<Date>`now()` })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .returning("id")
      .executeTakeFirst();
    return row !== undefined;
  }
}
