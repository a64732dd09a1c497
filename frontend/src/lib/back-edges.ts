/**
 * Back edges: the edges that lead back to a node already on the way from the start (a
 * decision sending a run round again). Auto-layout points them right to left, and the
 * canvas draws them as loops under the nodes they pass.
 */

type Link = { id: string; source: string; target: string };

/** A node's box on the canvas (absolute position). */
export type Box = { x: number; y: number; width: number; height: number };

/**
 * The ids of the back edges: a depth-first walk in document order, from the nodes nothing
 * leads to (the start), then from any node not reached yet; an edge to a node still on the
 * walk's path closes a loop. Deterministic: the same edges give the same answer.
 */
export function findBackEdges(edges: readonly Link[]): Set<string> {
  const outgoing = new Map<string, Link[]>();
  const targets = new Set<string>();
  for (const edge of edges) {
    const out = outgoing.get(edge.source);
    if (out) out.push(edge);
    else outgoing.set(edge.source, [edge]);
    targets.add(edge.target);
  }
  const sources = [...outgoing.keys()];
  const roots = [...sources.filter((id) => !targets.has(id)), ...sources];
  const state = new Map<string, 'open' | 'done'>();
  const back = new Set<string>();
  for (const root of roots) {
    if (state.has(root)) continue;
    // Iterative: a long chain of stages must not overflow the call stack.
    const path: { node: string; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, 'open');
    while (path.length > 0) {
      const top = path[path.length - 1]!;
      const edge = outgoing.get(top.node)?.[top.next];
      if (edge === undefined) {
        state.set(top.node, 'done');
        path.pop();
        continue;
      }
      top.next += 1;
      const seen = state.get(edge.target);
      if (seen === 'open') back.add(edge.id);
      else if (seen === undefined) {
        state.set(edge.target, 'open');
        path.push({ node: edge.target, next: 0 });
      }
    }
  }
  return back;
}

const cache = new WeakMap<readonly Link[], Set<string>>();

/** {@link findBackEdges}, worked out once per edges array (every edge of a canvas asks). */
export function backEdgesOf(edges: readonly Link[]): Set<string> {
  let found = cache.get(edges);
  if (found === undefined) {
    found = findBackEdges(edges);
    cache.set(edges, found);
  }
  return found;
}

/** Room between a loop and the nodes it passes under, and between a loop and its ends' sides. */
export const LOOP_CLEARANCE = 28;

/**
 * The y a loop from `source` to `target` runs along: below both, and below every node in
 * between that would stand in its way (one that reaches down past the loop pushes it lower).
 */
export function loopFloor(source: Box, target: Box, others: Iterable<Box>): number {
  const left = Math.min(source.x, target.x) - LOOP_CLEARANCE;
  const right = Math.max(source.x + source.width, target.x + target.width) + LOOP_CLEARANCE;
  const top = Math.min(source.y, target.y);
  let floor = Math.max(source.y + source.height, target.y + target.height);
  const inSpan = [...others]
    .filter((box) => box.x < right && box.x + box.width > left && box.y + box.height > top)
    .sort((a, b) => a.y - b.y);
  for (const box of inSpan) {
    if (box.y >= floor + 2 * LOOP_CLEARANCE) break; // the loop passes above it with room, and above all below it
    floor = Math.max(floor, box.y + box.height);
  }
  return floor + LOOP_CLEARANCE;
}

type Point = { x: number; y: number };

/** An SVG path through `points` with its corners rounded (radius shrunk where the legs are short). */
export function roundedPath(points: readonly Point[], radius: number): string {
  const [first, ...rest] = points;
  if (first === undefined) return '';
  let d = `M ${first.x} ${first.y}`;
  for (let i = 0; i < rest.length; i += 1) {
    const corner = rest[i]!;
    const next = rest[i + 1];
    if (next === undefined) {
      d += ` L ${corner.x} ${corner.y}`;
      break;
    }
    const previous = i === 0 ? first : rest[i - 1]!;
    const r = Math.min(radius, distance(previous, corner) / 2, distance(corner, next) / 2);
    const into = toward(corner, previous, r);
    const out = toward(corner, next, r);
    d += ` L ${into.x} ${into.y} Q ${corner.x} ${corner.y} ${out.x} ${out.y}`;
  }
  return d;
}

function distance(a: Point, b: Point): number {
  return Math.hypot(b.x - a.x, b.y - a.y);
}

function toward(from: Point, to: Point, length: number): Point {
  const d = distance(from, to);
  return d === 0 ? from : { x: from.x + ((to.x - from.x) * length) / d, y: from.y + ((to.y - from.y) * length) / d };
}

/**
 * A loop: out of the source's right side, down to `floor`, along under the nodes in between,
 * up before the target and into its left side. Returns the path and where its label goes
 * (the middle of the bottom run).
 */
export function loopPath(source: Point, target: Point, floor: number): [path: string, labelX: number, labelY: number] {
  const out = source.x + LOOP_CLEARANCE;
  const back = target.x - LOOP_CLEARANCE;
  const points = [
    source,
    { x: out, y: source.y },
    { x: out, y: floor },
    { x: back, y: floor },
    { x: back, y: target.y },
    target,
  ];
  return [roundedPath(points, 16), (out + back) / 2, floor];
}
