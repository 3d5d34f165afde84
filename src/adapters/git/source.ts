import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The commit a deploy is made from and whether the work tree differs from it; undefined outside a repository. */
export async function gitSource(dir: string): Promise<{ sha: string; dirty: boolean } | undefined> {
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
