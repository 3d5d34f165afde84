import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const example = join(import.meta.dirname, "..", "..", "testdata", "triggers", "github-push.json");

/**
 * A GitHub `push` event for `after` on main, in the shape GitHub documents (the example in
 * testdata/triggers/github-push.json), its repository pointing at `cloneUrl` and its changed paths
 * taken from the commit itself.
 */
export async function githubPushPayload(
  repo: { changes(commit: string): Promise<{ added: string[]; modified: string[]; removed: string[] }> },
  cloneUrl: string,
  commits: { before: string; after: string },
  options: { message?: string; sender?: string } = {},
): Promise<Record<string, unknown>> {
  const { before, after } = commits;
  const payload = JSON.parse(readFileSync(example, "utf8"));
  const base = cloneUrl.replace(/\.git$/, "");
  Object.assign(payload, {
    ref: "refs/heads/main",
    before,
    after,
    compare: `${base}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
  });
  Object.assign(payload.repository, {
    full_name: "acme/shop",
    clone_url: cloneUrl,
    html_url: base,
    url: base,
  });
  payload.sender.login = options.sender ?? "octo-pusher";
  const commit = {
    ...payload.head_commit,
    id: after,
    message: options.message ?? `change ${after.slice(0, 7)}`,
    url: `${base}/commit/${after}`,
    ...(await repo.changes(after)),
  };
  payload.commits = [commit];
  payload.head_commit = commit;
  return payload;
}

/** The X-Hub-Signature-256 header GitHub sends: an HMAC-SHA256 of the exact body with the hook's secret. */
export function githubSignature(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
