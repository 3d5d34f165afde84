/**
 * The pattern languages of trigger filters: globs for branches and paths (picomatch), and tag
 * patterns that are a semver range, a glob, or both.
 */
import picomatch from "picomatch";
import semver from "semver";

/** The first glob the value matches. Branch names have slashes, so `release/*` is one level only. */
export function firstMatchingGlob(value: string, globs: readonly string[]): string | undefined {
  return globs.find((glob) => picomatch(glob, { dot: true })(value));
}

/** Repo-relative paths are compared without a leading `./` or `/`. */
function normalizePath(path: string): string {
  return path.replace(/^(?:\.\/|\/)+/, "");
}

/**
 * The first changed path inside one of the patterns, with that pattern. A pattern naming a folder
 * (`services/api/manifests`) covers everything below it, as `services/api/manifests/**` does.
 */
export function firstTouch(
  changedPaths: readonly string[],
  patterns: readonly string[],
): { path: string; pattern: string } | undefined {
  const matchers = patterns.map((pattern) => {
    const normalized = normalizePath(pattern).replace(/\/+$/, "");
    return { pattern, test: picomatch([normalized, `${normalized}/**`], { dot: true }) };
  });
  for (const path of changedPaths) {
    const normalized = normalizePath(path);
    const hit = matchers.find((matcher) => matcher.test(normalized));
    if (hit !== undefined) return { path, pattern: hit.pattern };
  }
  return undefined;
}

/**
 * Whether a tag (git or image) fits a filter's tag pattern, and a sentence saying why.
 *
 * When semver accepts the pattern as a range, a tag that is a version (a leading `v` is dropped)
 * matches if it satisfies the range; prereleases only satisfy ranges that name one, as in npm. The
 * pattern is also a glob, so that `v*` keeps meaning "every tag starting with v" even though semver
 * reads it as the range `*`; as a glob a range only ever matches its own text.
 */
export function matchTag(pattern: string, tag: string): { matched: boolean; reason: string } {
  const range = semver.validRange(pattern);
  // semver.valid accepts and drops a leading `v`: "v1.2.3" is version 1.2.3.
  const version = semver.valid(tag);
  if (range !== null && version !== null && semver.satisfies(version, range)) {
    return { matched: true, reason: `tag ${tag} satisfies ${pattern}` };
  }
  if (picomatch(pattern, { dot: true })(tag)) {
    return { matched: true, reason: `tag ${tag} matches ${pattern}` };
  }
  // A pattern with glob characters was meant as a glob, whatever semver makes of it.
  if (range === null || /[*?[\]{}]/.test(pattern)) {
    return { matched: false, reason: `tag ${tag} does not match ${pattern}` };
  }
  if (version === null) {
    return {
      matched: false,
      reason: `tag ${tag} is not a semver version, so it does not satisfy ${pattern}`,
    };
  }
  return { matched: false, reason: `tag ${tag} does not satisfy ${pattern}` };
}
