/**
 * Prometheus metrics in the text exposition format, kept by hand: a few counters and histograms do
 * not need a client library.
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  observe(labels: Record<string, string>, seconds: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) s.counts[i]!++;
    });
    s.sum += seconds;
    s.count++;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      const inner = key.slice(1, -1);
      const join = (extra: string) => `{${[inner, extra].filter(Boolean).join(",")}}`;
      BUCKETS.forEach((bound, i) => lines.push(`${this.name}_bucket${join(`le="${bound}"`)} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${join('le="+Inf"')} ${s.count}`);
      lines.push(`${this.name}_sum${key} ${s.sum}`, `${this.name}_count${key} ${s.count}`);
    }
    return lines;
  }
}

class Counter {
  private readonly series = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Record<string, string>, by = 1): void {
    const key = labelText(labels);
    this.series.set(key, (this.series.get(key) ?? 0) + by);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, value] of this.series) lines.push(`${this.name}${key} ${value}`);
    return lines;
  }
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

export class Metrics {
  private readonly executionsFinished = new Counter(
    "railyard_executions_finished_total",
    "Executions that reached a final status, by status.",
  );
  private readonly stageDuration = new Histogram(
    "railyard_stage_duration_seconds",
    "Time from a stage's start to its final status, by kind and status.",
  );
  private readonly webhooks = new Counter(
    "railyard_webhook_requests_total",
    "Webhook deliveries received, by source and result.",
  );
  private readonly kubeRequests = new Histogram(
    "railyard_kubernetes_request_duration_seconds",
    "Kubernetes API requests made by this server, by verb and status code.",
  );

  executionFinished(status: string): void {
    this.executionsFinished.inc({ status });
  }

  stageFinished(kind: string, status: string, seconds: number): void {
    this.stageDuration.observe({ kind, status }, seconds);
  }

  webhook(source: string, result: string): void {
    this.webhooks.inc({ source, result });
  }

  kubeRequest(verb: string, code: number, seconds: number): void {
    this.kubeRequests.observe({ verb, code: String(code) }, seconds);
  }

  /** The text Prometheus scrapes; `gauges` are read fresh from the store by the caller. */
  render(gauges: { executionsByStatus: Record<string, number> }): string {
    const lines = [
      "# HELP railyard_executions Executions in the store, by status.",
      "# TYPE railyard_executions gauge",
      ...Object.entries(gauges.executionsByStatus).map(
        ([status, n]) => `railyard_executions${labelText({ status })} ${n}`,
      ),
      ...this.executionsFinished.render(),
      ...this.stageDuration.render(),
      ...this.webhooks.render(),
      ...this.kubeRequests.render(),
    ];
    return `${lines.join("\n")}\n`;
  }
}
