import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The commit a deploy is made from and whether the work tree differs from it; undefined outside a repository. */
export async function gitSource(dir: string): Promise<{ sha: string; dirty: boolean } | undefined> {
  // Outside any repository there is nothing to ask: spare the two git processes.
  if (!insideRepository(dir)) return undefined;
  const env = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0" };
  try {
    const { stdout: sha } = await run("git", ["-C", dir, "rev-parse", "--verify", "HEAD"], { env });
    const { stdout: status } = await run(
      "git",
      ["-C", dir, "status", "--porcelain", "--untracked-files=no"],
      { env },
    );
    return { sha: sha.trim(), dirty: status.trim().length > 0 };
  } catch {
    return undefined;
  }
}

/** A `.git` (directory, or file for worktrees) in `dir` or above, or GIT_DIR set. */
function insideRepository(dir: string): boolean {
  if (process.env.GIT_DIR) return true;
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(join(current, ".git"))) return true;
    if (dirname(current) === current) return false;
  }
}
