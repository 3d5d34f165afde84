import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { NotFoundError, UpstreamError } from "../../core/errors.js";

const run = promisify(execFile);

export interface GitCredentials {
  username: string;
  password: string;
}

export interface GitRemote {
  url: string;
  credentials?: GitCredentials;
}

/**
 * Credentials go to git through its environment (GIT_CONFIG_*), not the command line or the URL, so
 * they appear in no process list and no error message.
 */
function gitEnv(remote: GitRemote): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "true" };
  if (remote.credentials) {
    const basic = Buffer.from(`${remote.credentials.username}:${remote.credentials.password}`).toString(
      "base64",
    );
    env.GIT_CONFIG_COUNT = "1";
    env.GIT_CONFIG_KEY_0 = "http.extraHeader";
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  return env;
}

async function git(args: string[], remote: GitRemote, what: string): Promise<string> {
  try {
    const { stdout } = await run("git", args, { env: gitEnv(remote), maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    throw new UpstreamError(`git could not ${what} from ${remote.url}: ${stderr.split("\n").at(-1)}`, {
      hint: "Check the repository's URL and credentials in the platform config, and that it is reachable.",
      cause: error,
    });
  }
}

/** The commit a branch points at now, asked of the remote. */
export async function branchHead(remote: GitRemote, branch: string): Promise<string> {
  const out = await git(
    ["ls-remote", "--", remote.url, `refs/heads/${branch}`],
    remote,
    `read branch ${branch}`,
  );
  const sha = out.split(/\s/)[0];
  if (!sha) {
    throw new NotFoundError(`branch ${branch} does not exist in ${remote.url}.`, {
      hint: "Fix the app's branch in the platform config, or push the branch.",
    });
  }
  return sha;
}

/**
 * A work tree of one commit, fetched once and kept under `cacheDir` (a commit never changes, so a
 * finished checkout is reused as is). Returns its directory.
 */
export async function checkoutCommit(remote: GitRemote, commit: string, cacheDir: string): Promise<string> {
  if (!/^[0-9a-f]{40}$/.test(commit)) {
    throw new NotFoundError(`"${commit}" is not a full commit id.`, { hint: "Give the 40-character sha." });
  }
  const repoKey = createHash("sha256").update(remote.url).digest("hex").slice(0, 16);
  const dir = join(cacheDir, repoKey, commit);
  if (existsSync(join(dir, ".railyard-checkout"))) return dir;

  mkdirSync(join(cacheDir, repoKey), { recursive: true });
  const scratch = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    await git(["init", "-q", scratch], remote, "prepare a checkout");
    // Fetching one commit by id works on servers speaking protocol v2 (git ≥ 2.18 and the hosted
    // ones); older servers only serve their branches, so fall back to fetching those.
    await git(
      ["-C", scratch, "fetch", "-q", "--depth", "1", "--no-tags", remote.url, commit],
      remote,
      `fetch ${commit}`,
    ).catch(() =>
      git(
        ["-C", scratch, "fetch", "-q", "--no-tags", remote.url, "+refs/heads/*:refs/remotes/origin/*"],
        remote,
        "fetch its branches",
      ),
    );
    await git(
      ["-C", scratch, "-c", "advice.detachedHead=false", "checkout", "-q", commit],
      remote,
      `check out ${commit}`,
    ).catch((error: unknown) => {
      throw new NotFoundError(`commit ${commit} is not in ${remote.url}.`, {
        hint: "The payload named a commit the repository does not have; nothing was started from it.",
        cause: error,
      });
    });
    writeFileSync(join(scratch, ".railyard-checkout"), `${commit}\n`);
    try {
      renameSync(scratch, dir);
    } catch {
      // Another worker finished the same checkout first: use theirs.
      rmSync(scratch, { recursive: true, force: true });
    }
    return dir;
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}
