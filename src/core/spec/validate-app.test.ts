import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIssue, sortIssues } from "./issues.js";
import { templatedFields } from "./templated-fields.js";
import { validateApp } from "./validate-app.js";
import { parseYamlDocument } from "./yaml.js";

/** The semantic issues alone, formatted, for a document the schema may or may not accept. */
function semanticIssues(text: string): string[] {
  const { value, locate } = parseYamlDocument(text, "railyard.yaml");
  return sortIssues(validateApp(value, "railyard.yaml", locate)).map(formatIssue);
}

describe("semantic checks of the app file", () => {
  it("run on documents the schema refuses, so every problem is reported at once", () => {
    const text =
      "name: 42\ncontainers:\n  - name: app\n    image: [not, a, string]\n  - name: app\n    image: BAD\n";
    assert.deepEqual(semanticIssues(text), [
      'railyard.yaml:5:11: containers[1].name: duplicate container name "app" (also at containers[0].name)',
      'railyard.yaml:6:12: containers[1].image: "BAD" is not a valid image reference: it has an invalid repository component "BAD" (lowercase letters, digits, separators . _ -)',
    ]);
  });

  it("ignore what is not an app at all", () => {
    assert.deepEqual(semanticIssues("- a\n- b\n"), []);
    assert.deepEqual(semanticIssues(""), []);
  });

  it("accept fully templated images and hosts", () => {
    const text = [
      "name: my-app",
      "args: { image: app, registry: registry.local }",
      "endpoints: { exposes: [{ name: web, host: '{{ env.name }}.{{ env.domain }}' }] }",
      "containers: [{ name: app, image: '{{ registry }}:5000/{{ image }}:{{ git.sha }}' }]",
    ].join("\n");
    assert.deepEqual(semanticIssues(text), []);
  });

  it("count args defined only in an environment as known", () => {
    const text = [
      "name: my-app",
      "containers: [{ name: app, image: 'app:{{ tag }}' }]",
      "environments: { production: { args: { tag: stable } } }",
    ].join("\n");
    assert.deepEqual(semanticIssues(text), []);
  });

  it("skip port checks in manifests mode, where the ports live in the manifests", () => {
    const text = "name: my-app\nmanifests: { path: ./k8s }\nmetrics: { port: metrics }\n";
    assert.deepEqual(semanticIssues(text), []);
  });

  it("refuse container overrides in manifests mode", () => {
    const text =
      "name: my-app\nmanifests: { path: ./k8s }\nenvironments: { prod: { containers: { web: { image: web:2 } } } }\n";
    assert.deepEqual(semanticIssues(text), [
      "railyard.yaml:3:39: environments.prod.containers.web: container overrides change containers, and this app deploys manifests (bind images with manifests.images)",
    ]);
  });

  it("check environment overrides like the containers they change", () => {
    const text = [
      "name: my-app",
      "args: { version: '1' }",
      "containers: [{ name: app, image: app }]",
      "environments:",
      "  prod:",
      "    containers:",
      "      app:",
      "        image: 'app:{{ verion }}'",
      "        env: [{ name: A, value: x }, { name: A, value: y }]",
      "        resources: { requests: { memory: 2Gi }, limits: { memory: 1Gi } }",
    ].join("\n");
    assert.deepEqual(semanticIssues(text), [
      'railyard.yaml:8:16: environments.prod.containers.app.image: "app:{{ verion }}" uses unknown arg "verion" (did you mean "version"? known: version)',
      'railyard.yaml:9:46: environments.prod.containers.app.env[1].name: duplicate env name "A" (also at environments.prod.containers.app.env[0].name)',
      "railyard.yaml:10:42: environments.prod.containers.app.resources.requests.memory: request 2Gi is more than the limit 1Gi (Kubernetes refuses a request above its limit)",
    ]);
  });

  it("allow one port number twice with different protocols", () => {
    const text = [
      "name: my-app",
      "containers:",
      "  - name: dns",
      "    image: dns",
      "    ports: [{ name: dns-tcp, containerPort: 53 }, { name: dns-udp, containerPort: 53, protocol: UDP }]",
    ].join("\n");
    assert.deepEqual(semanticIssues(text), []);
  });
});

describe("templatedFields", () => {
  it("lists every string that may hold holes, with what it must be once filled", () => {
    const { value } = parseYamlDocument(
      [
        "containers: [{ name: a, image: 'a:{{ v }}', command: [run], args: ['--x'], env: [{ name: E, value: v }, { name: N, value: 1 }] }]",
        "endpoints: { exposes: [{ name: w, host: 'w.{{ env.domain }}' }] }",
        "manifests: { images: { web: 'web:{{ v }}' } }",
        "environments: { prod: { containers: { a: { image: 'a:2', env: [{ name: E, value: w }] } } } }",
      ].join("\n"),
      "railyard.yaml",
    );
    assert.deepEqual(
      templatedFields(value).map((field) => `${field.path.join(".")} ${field.kind}`),
      [
        "containers.0.image image",
        "containers.0.command.0 text",
        "containers.0.args.0 text",
        "containers.0.env.0.value text",
        "endpoints.exposes.0.host host",
        "manifests.images.web image",
        "environments.prod.containers.a.image image",
        "environments.prod.containers.a.env.0.value text",
      ],
    );
  });
});
