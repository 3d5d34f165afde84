import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { InputError } from "../core/errors.js";
import { loadPlatformConfig, type PlatformConfig, type SecretRef } from "../core/spec/platform.js";
import type { GitRemote } from "../adapters/git/checkout.js";

/**
 * The server's view of the platform config: read again whenever the file changes, so a changed
 * pipeline template or environment applies to the next execution without a restart. A config that
 * no longer loads keeps the last good one in use and reports why.
 */
export class PlatformSource {
  readonly file: string;
  private loaded: { mtimeMs: number; config: PlatformConfig } | undefined;
  lastError: string | undefined;

  constructor(file: string) {
    this.file = resolve(file);
    if (!existsSync(this.file)) {
      throw new InputError(`platform config ${this.file} does not exist.`, {
        hint: "Pass it with --config FILE (railyard.config.yaml).",
      });
    }
    this.current(); // fail at start-up, with positions, when the config is wrong
  }

  get baseDir(): string {
    return dirname(this.file);
  }

  current(): PlatformConfig {
    const mtimeMs = statSync(this.file).mtimeMs;
    if (this.loaded?.mtimeMs === mtimeMs) return this.loaded.config;
    try {
      const config = loadPlatformConfig(
        readFileSync(this.file, "utf8"),
        relative(process.cwd(), this.file) || this.file,
      );
      this.loaded = { mtimeMs, config };
      this.lastError = undefined;
    } catch (error) {
      if (!this.loaded) throw error;
      this.lastError = (error as Error).message;
    }
    return this.loaded.config;
  }

  /** A secret the config references, read from the server's environment or a file. */
  secret(ref: SecretRef, what: string): string {
    if ("fromEnv" in ref) {
      const value = process.env[ref.fromEnv];
      if (!value) {
        throw new InputError(`${what}: environment variable ${ref.fromEnv} is not set.`, {
          hint: "Set it in the server's environment.",
        });
      }
      return value;
    }
    const path = resolve(this.baseDir, ref.fromFile);
    if (!existsSync(path)) {
      throw new InputError(`${what}: file ${path} does not exist.`, {
        hint: "Create it, or fix the reference.",
      });
    }
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  }

  /** A registered repository with its credentials resolved. */
  remote(name: string): GitRemote {
    const repository = this.current().repositories?.[name];
    if (!repository) {
      throw new InputError(`repository ${name} is not in the platform config.`, {
        hint: "Add it under repositories:.",
      });
    }
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(repository.url)
      ? repository.url
      : resolve(this.baseDir, repository.url);
    if (!repository.username && !repository.password) return { url };
    return {
      url,
      credentials: {
        username: repository.username ? this.secret(repository.username, `repository ${name} username`) : "",
        password: repository.password ? this.secret(repository.password, `repository ${name} password`) : "",
      },
    };
  }
}
