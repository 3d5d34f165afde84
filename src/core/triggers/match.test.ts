import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TriggerFilter } from "../pipeline/types.js";
import type { GitPushEvent, ImagePushEvent, TriggerEvent } from "./events.js";
import { matchAny, matchTrigger, type TriggerContext } from "./match.js";

const repository = { url: "https://github.com/acme/shop.git", fullName: "acme/shop" };
const context: TriggerContext = {
  appPaths: ["services/api/railyard.yaml", "services/api/manifests/**"],
  repository: "https://github.com/acme/shop.git",
};
const sha = "0c1df8f6fae6f6bb23e385a7606a912f499ebc8b";

const push = (branch: string, changedPaths?: string[]): GitPushEvent => ({
  kind: "git-push",
  source: "github",
  repository,
  branch,
  commit: sha,
  ...(changedPaths === undefined ? {} : { changedPaths }),
});
const tag = (name: string): TriggerEvent => ({
  kind: "git-tag",
  source: "github",
  repository,
  tag: name,
  commit: sha,
});
const merge = (baseBranch: string): TriggerEvent => ({
  kind: "merge",
  source: "github",
  repository,
  baseBranch,
  commit: sha,
  number: 42,
});
const image = (path: string, tagName?: string, host = "localhost:5000"): ImagePushEvent => ({
  kind: "image-push",
  source: "registry",
  registryHost: host,
  repository: path,
  ...(tagName === undefined ? {} : { tag: tagName }),
  digest: `sha256:${"6c".repeat(32)}`,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
});

/** [filter, event, matched, reason pattern] */
type Case = [TriggerFilter, TriggerEvent, boolean, RegExp];

function check(cases: readonly Case[], ctx: TriggerContext = context): void {
  for (const [filter, event, matched, reason] of cases) {
    const result = matchTrigger(filter, event, ctx);
    const label = `${JSON.stringify(filter)} × ${JSON.stringify(event)} → ${result.reason}`;
    assert.equal(result.matched, matched, label);
    assert.match(result.reason, reason, label);
  }
}

const manifest = ["services/api/manifests/deployment.yaml"];

describe("git pushes: branches", () => {
  it("matches branch globs and says which", () => {
    const filter: TriggerFilter = { git: { branches: ["main", "release/*"] } };
    check([
      [filter, push("main", manifest), true, /^branch main matches main; /],
      [filter, push("release/1.4", manifest), true, /^branch release\/1\.4 matches release\/\*; /],
      [
        filter,
        push("release/1.4/hotfix", manifest),
        false,
        /^branch release\/1\.4\/hotfix does not match main, release\/\*$/,
      ],
      [filter, push("feature/x", manifest), false, /^branch feature\/x does not match main, release\/\*$/],
      [filter, push("mainline", manifest), false, /does not match/],
      [
        { git: { branches: [] } },
        push("main", manifest),
        false,
        /^branch main does not match \(no branches listed\)$/,
      ],
    ]);
  });

  it("without branches: any branch, unless the filter names only tags or merges", () => {
    check([
      [{ git: {} }, push("feature/x", manifest), true, /^any branch matches, feature\/x included/],
      [{ git: { paths: ["services/**"] } }, push("dev", manifest), true, /any branch/],
      [{ git: { tags: ">=1.0.0" } }, push("main", manifest), false, /starts on tags, not on pushes/],
      [{ git: { merges: ["main"] } }, push("main", manifest), false, /starts on merges, not on pushes/],
      [{ git: { tags: "v*", branches: ["main"] } }, push("main", manifest), true, /branch main matches main/],
      [{ image: { repository: "shop/api" } }, push("main", manifest), false, /does not start on git pushes/],
    ]);
  });
});

describe("git pushes: changed paths", () => {
  const filter: TriggerFilter = { git: { branches: ["main"] } };

  it("the app file and its manifests folder by default", () => {
    check([
      [
        filter,
        push("main", ["README.md", ...manifest]),
        true,
        /services\/api\/manifests\/deployment\.yaml is in services\/api\/manifests\/\*\*$/,
      ],
      [filter, push("main", ["services/api/railyard.yaml"]), true, /is in services\/api\/railyard\.yaml$/],
      [
        filter,
        push("main", ["services/api/manifests/base/kustomization.yaml"]),
        true,
        /is in services\/api\/manifests/,
      ],
      [filter, push("main", ["services/api/manifests/.env"]), true, /is in/],
      [
        filter,
        push("main", ["docs/old-probe.md"]),
        false,
        /^no changed path touches services\/api\/railyard\.yaml, services\/api\/manifests\/\*\*$/,
      ],
      [filter, push("main", ["services/api-gateway/manifests/deployment.yaml"]), false, /no changed path/],
      [filter, push("main", ["services/api/manifests-old/deployment.yaml"]), false, /no changed path/],
      [filter, push("main", ["services/api/src/main.ts"]), false, /no changed path/],
      [filter, push("main", []), false, /no changed path/],
    ]);
  });

  it("unknown changed paths may touch the app", () => {
    check([[filter, push("main"), true, /^branch main matches main; changed paths unknown/]]);
  });

  it("filter paths replace the app's paths", () => {
    const charts: TriggerFilter = { git: { branches: ["main"], paths: ["charts/**"] } };
    check([
      [
        charts,
        push("main", ["charts/api/values.yaml"]),
        true,
        /charts\/api\/values\.yaml is in charts\/\*\*/,
      ],
      [charts, push("main", ["services/api/railyard.yaml"]), false, /^no changed path touches charts\/\*\*$/],
    ]);
  });

  it("folders without a glob cover what is inside; leading ./ is ignored", () => {
    const ctx = { appPaths: ["./services/api/railyard.yaml", "services/api/manifests/"] };
    check(
      [
        [
          filter,
          push("main", ["services/api/railyard.yaml"]),
          true,
          /is in \.\/services\/api\/railyard\.yaml/,
        ],
        [filter, push("main", manifest), true, /is in services\/api\/manifests\/$/],
        [filter, push("main", ["services/api/manifestsx.yaml"]), false, /no changed path/],
      ],
      ctx,
    );
    check([[filter, push("main", ["anything"]), true, /no paths to check/]], { appPaths: [] });
  });
});

describe("git events from another repository", () => {
  it("compares clone URLs, SSH addresses and owner/name without case", () => {
    const filter: TriggerFilter = { git: { branches: ["main"], tags: "v*", merges: ["main"] } };
    for (const registered of [
      "https://github.com/acme/shop.git",
      "https://github.com/acme/shop",
      "acme/shop",
      "Acme/Shop",
      "git@github.com:acme/shop.git",
      "ssh://git@github.com/acme/shop.git",
    ]) {
      const ctx = { ...context, repository: registered };
      check(
        [
          [filter, push("main", manifest), true, /matches/],
          [filter, tag("v1.0.0"), true, /satisfies/],
          [filter, merge("main"), true, /matches/],
        ],
        ctx,
      );
    }
    for (const registered of [
      "acme/other",
      "https://github.com/acme/shop-legacy.git",
      "https://gitlab.com/acme/shop.git",
    ]) {
      const ctx = { ...context, repository: registered };
      const reason = /^repository acme\/shop is not the app's repository /;
      check(
        [
          [filter, push("main", manifest), false, reason],
          [filter, tag("v1.0.0"), false, reason],
          [filter, merge("main"), false, reason],
        ],
        ctx,
      );
    }
  });
});

describe("git tags", () => {
  const tags = (pattern: string): TriggerFilter => ({ git: { tags: pattern } });

  it("semver ranges, with a leading v dropped", () => {
    check([
      [tags(">=1.0.0"), tag("v1.2.3"), true, /^tag v1\.2\.3 satisfies >=1\.0\.0$/],
      [tags(">=1.0.0"), tag("1.2.3"), true, /satisfies/],
      [tags(">=1.0.0"), tag("v0.9.0"), false, /^tag v0\.9\.0 does not satisfy >=1\.0\.0$/],
      [
        tags(">=1.0.0"),
        tag("release-1"),
        false,
        /^tag release-1 is not a semver version, so it does not satisfy >=1\.0\.0$/,
      ],
      [tags(">=1.0.0"), tag("v2.0.0-rc.1"), false, /does not satisfy/],
      [tags("^1.2.0"), tag("v1.5.0"), true, /satisfies \^1\.2\.0/],
      [tags("^1.2.0"), tag("v2.0.0"), false, /does not satisfy/],
      [tags("1.x"), tag("v1.9.0"), true, /satisfies 1\.x/],
      [tags("1.x"), tag("v2.0.0"), false, /does not satisfy 1\.x/],
    ]);
  });

  it("globs, including ones semver would read as ranges", () => {
    check([
      [tags("v*"), tag("v1.2.3"), true, /tag v1\.2\.3/],
      [tags("v*"), tag("vnext"), true, /^tag vnext matches v\*$/],
      [tags("v*"), tag("latest"), false, /^tag latest does not match v\*$/],
      [tags("release-*"), tag("release-2025.05"), true, /matches release-\*/],
      [tags("release-*"), tag("v1.0.0"), false, /^tag v1\.0\.0 does not match release-\*$/],
      [tags("prod"), tag("prod"), true, /matches prod/],
    ]);
  });

  it("a filter without tags does not start on tags", () => {
    check([
      [{ git: { branches: ["main"] } }, tag("v1.0.0"), false, /does not start on git tags \(tag v1\.0\.0\)/],
    ]);
  });
});

describe("merges", () => {
  it("matches the base branch against merge globs", () => {
    check([
      [{ git: { merges: ["main"] } }, merge("main"), true, /^merge of #42 into main matches main$/],
      [
        { git: { merges: ["main"] } },
        merge("develop"),
        false,
        /^merge of #42 into develop does not match main$/,
      ],
      [{ git: { merges: ["release/*"] } }, merge("release/2"), true, /matches release\/\*/],
      [{ git: { branches: ["main"] } }, merge("main"), false, /does not start on merges/],
    ]);
  });
});

describe("image pushes", () => {
  it("matches the repository, written with or without the registry host", () => {
    check([
      [
        { image: { repository: "shop/api" } },
        image("shop/api", "1.4.0"),
        true,
        /^image shop\/api was pushed \(1\.4\.0\); any tag starts it$/,
      ],
      [{ image: { repository: "localhost:5000/shop/api" } }, image("shop/api", "1.4.0"), true, /any tag/],
      [
        { image: { repository: "registry.acme.example/shop/api" } },
        image("shop/api", "1.4.0"),
        false,
        /^image localhost:5000\/shop\/api is not registry\.acme\.example\/shop\/api$/,
      ],
      [
        { image: { repository: "shop/api" } },
        image("shop/web", "1.4.0"),
        false,
        /^image localhost:5000\/shop\/web is not shop\/api$/,
      ],
      [{ image: { repository: "api" } }, image("shop/api", "1.4.0"), false, /is not api/],
      [{ image: { repository: "shop" } }, image("shop/api", "1.4.0"), false, /is not shop$/],
      [{ git: { branches: ["main"] } }, image("shop/api", "1.4.0"), false, /does not start on image pushes/],
    ]);
  });

  it("matches tags by range or glob; a digest-only push only without a tags filter", () => {
    const semverTags: TriggerFilter = { image: { repository: "shop/api", tags: ">=1.0.0" } };
    check([
      [semverTags, image("shop/api", "1.4.0"), true, /^tag 1\.4\.0 satisfies >=1\.0\.0$/],
      [semverTags, image("shop/api", "0.9.1"), false, /does not satisfy/],
      [semverTags, image("shop/api", "latest"), false, /is not a semver version/],
      [
        { image: { repository: "shop/api", tags: "sha-*" } },
        image("shop/api", "sha-4536a40"),
        true,
        /matches sha-\*/,
      ],
      [
        semverTags,
        image("shop/api"),
        false,
        /pushed by digest only \(sha256:6c6c.*\), without a tag to compare with >=1\.0\.0/,
      ],
      [{ image: { repository: "shop/api" } }, image("shop/api"), true, /pushed \(sha256:6c6c/],
    ]);
  });
});

describe("manual runs and matchAny", () => {
  const manual: TriggerEvent = { kind: "manual", source: "cli", actor: "alice", args: { version: "1.4.0" } };

  it("a manual run always matches", () => {
    check([[{}, manual, true, /^manual run by alice$/]]);
    assert.deepEqual(matchAny([], manual, context), { matched: true, reason: "manual run by alice" });
  });

  it("returns the first match", () => {
    const filters: TriggerFilter[] = [{ git: { branches: ["release/*"] } }, { git: { branches: ["main"] } }];
    assert.deepEqual(matchAny(filters, push("main", manifest), context), {
      matched: true,
      reason:
        "branch main matches main; services/api/manifests/deployment.yaml is in services/api/manifests/**",
    });
  });

  it("joins every reason when none matches", () => {
    const filters: TriggerFilter[] = [
      { git: { branches: ["release/*"] } },
      { image: { repository: "shop/api" } },
    ];
    assert.deepEqual(matchAny(filters, push("main", manifest), context), {
      matched: false,
      reason:
        "trigger 1: branch main does not match release/*; trigger 2: the trigger does not start on git pushes",
    });
    assert.deepEqual(matchAny([filters[0]!], push("main", manifest), context), {
      matched: false,
      reason: "branch main does not match release/*",
    });
    assert.deepEqual(matchAny([], push("main", manifest), context), {
      matched: false,
      reason: "the pipeline has no triggers",
    });
  });
});
