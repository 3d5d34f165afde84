import type { StageView } from "../api/types.js";
import { statusColor } from "./status.js";
import { duration } from "./time.js";

const W = 190;
const H = 58;
const GAP_X = 56;
const GAP_Y = 18;

const FILL: Record<string, string> = {
  green: "#d3f9d8",
  blue: "#d0ebff",
  yellow: "#fff3bf",
  red: "#ffc9c9",
  gray: "#f1f3f5",
};
const STROKE: Record<string, string> = {
  green: "#2f9e44",
  blue: "#1971c2",
  yellow: "#f08c00",
  red: "#e03131",
  gray: "#adb5bd",
};

/** Columns by the longest chain of `dependsOn` before each stage: parallel branches share a column. */
export function layout(stages: StageView[]): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string> = new Set()): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const stage = stages.find((s) => s.id === id);
    if (!stage || seen.has(id)) return 0;
    seen.add(id);
    const d =
      stage.dependsOn.length === 0 ? 0 : 1 + Math.max(...stage.dependsOn.map((p) => depthOf(p, seen)));
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const positions = new Map<string, { x: number; y: number }>();
  for (const stage of stages) {
    const column = depthOf(stage.id);
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    positions.set(stage.id, { x: column * (W + GAP_X) + 4, y: row * (H + GAP_Y) + 4 });
  }
  return positions;
}

export function PipelineGraph(props: {
  stages: StageView[];
  selected: string | undefined;
  onSelect: (id: string) => void;
  now: number;
}) {
  const { stages, selected, onSelect, now } = props;
  const positions = layout(stages);
  const width = Math.max(...[...positions.values()].map((p) => p.x)) + W + 8;
  const height = Math.max(...[...positions.values()].map((p) => p.y)) + H + 8;
  return (
    <div className="scroller" data-testid="pipeline-graph">
      <svg width={width} height={height} role="list" aria-label="Pipeline stages">
        {stages.flatMap((stage) =>
          stage.dependsOn.map((from) => {
            const a = positions.get(from);
            const b = positions.get(stage.id);
            if (!a || !b) return null;
            const x1 = a.x + W;
            const y1 = a.y + H / 2;
            const x2 = b.x;
            const y2 = b.y + H / 2;
            const mid = (x1 + x2) / 2;
            return (
              <path
                key={`${from}-${stage.id}`}
                d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
                fill="none"
                stroke="#adb5bd"
                strokeWidth={2}
              />
            );
          }),
        )}
        {stages.map((stage) => {
          const p = positions.get(stage.id)!;
          const color = statusColor(stage.status);
          const label =
            stage.kind === "deploy" || stage.kind === "rollback"
              ? `${stage.kind} ${stage.environment}`
              : stage.kind;
          const time = duration(stage.startedAt, stage.finishedAt, now);
          return (
            <g
              key={stage.id}
              className="graph-node"
              transform={`translate(${p.x},${p.y})`}
              role="listitem"
              tabIndex={0}
              aria-label={`${stage.id}: ${stage.status}`}
              data-stage={stage.id}
              data-status={stage.status}
              onClick={() => onSelect(stage.id)}
              onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && onSelect(stage.id)}
            >
              <rect
                width={W}
                height={H}
                rx={8}
                fill={FILL[color] ?? FILL.gray}
                stroke={STROKE[color] ?? STROKE.gray}
                strokeWidth={selected === stage.id ? 3 : 1.5}
              />
              <text x={10} y={20} fontSize={13} fontWeight={600}>
                {truncate(stage.id, 24)}
              </text>
              <text x={10} y={38} fontSize={11} fill="#495057">
                {truncate(label, 28)}
              </text>
              <text x={10} y={52} fontSize={11} fill={STROKE[color]}>
                {stage.status}
                {time ? ` · ${time}` : ""}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
