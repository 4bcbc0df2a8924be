/**
 * Mutations of YAML configuration files, at two levels: the data (replace a value with a
 * boundary number, a wrong type, another valid choice or a hostile path; delete or add a key;
 * duplicate a list item) and the text (YAML syntax: anchors and aliases, tags, flow brackets,
 * tabs, duplicated or dropped lines, flipped characters).
 */
import { stringify } from 'yaml';
import type { Prng } from '../../hv/storage/sim/prng.ts';
import { INTERESTING_NUMBERS, pick } from './fuzz.ts';

type Path = Array<string | number>;

/** Every path to a value in a JSON-like tree (containers included), root excluded. */
function paths(node: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
  if (node !== null && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  return [];
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  return node;
}

export interface ValuePools {
  /** Valid choices a field may take (enum members, good sizes): explore deeper, not only refusals. */
  readonly choices: readonly unknown[];
  /** Hostile or odd strings (paths to /dev/zero, a directory, a README, ...). */
  readonly strings: readonly string[];
  /** Keys that do not exist in the schema, or that do but in another place. */
  readonly keys: readonly string[];
  /** The largest list a mutation may grow (every guest costs an engine). */
  readonly maxListLength: number;
}

function anyValue(rng: Prng, pools: ValuePools, depth = 0): unknown {
  switch (rng.below(depth > 1 ? 5 : 7)) {
    case 0:
      return pick(rng, INTERESTING_NUMBERS);
    case 1:
      return pick(rng, pools.strings);
    case 2:
      return pick(rng, pools.choices);
    case 3:
      return pick(rng, [true, false, null, '', '0x10', '1e3', '64KiB', '1 TiB', '-1']);
    case 4:
      return rng.below(2 ** 32) - 2 ** 31;
    case 5:
      return Array.from({ length: rng.below(3) }, () => anyValue(rng, pools, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: rng.below(3) }, () => [pick(rng, pools.keys), anyValue(rng, pools, depth + 1)]));
  }
}

/** Applies 1-3 data-level mutations to a deep copy of `data`. */
export function mutateData(data: unknown, rng: Prng, pools: ValuePools): unknown {
  const root = structuredClone(data) as Record<string, unknown>;
  const edits = 1 + rng.below(3);
  for (let i = 0; i < edits; i++) {
    const all = paths(root);
    if (all.length === 0) return anyValue(rng, pools);
    const path = pick(rng, all);
    const parent = parentOf(root, path);
    const key = path[path.length - 1]!;
    const op = rng.below(6);
    if (op <= 2) parent[key] = anyValue(rng, pools);
    else if (op === 3 && !Array.isArray(parent)) delete parent[key];
    else if (op === 4 && !Array.isArray(parent)) parent[pick(rng, pools.keys)] = anyValue(rng, pools);
    else if (Array.isArray(parent) && parent.length < pools.maxListLength) parent.push(structuredClone(parent[key as number]));
    else parent[key] = pick(rng, pools.choices);
  }
  return root;
}

const SNIPPETS = ['&a ', '*a', '*b', '!!str ', '!!binary ', '!!js/function ', '<<: *a', '{', '}', '[', ']', ': ', '- ', '\t', '"', "'", '|', '>', '%YAML 1.1\n', '---\n', '...\n', '? ', '#', ',', '@', '`', '\u0000', '\ufeff', '~'];

/** Applies 1-3 text-level mutations to serialized YAML. */
export function mutateText(text: string, rng: Prng): string {
  let lines = text.split('\n');
  const edits = 1 + rng.below(3);
  for (let i = 0; i < edits; i++) {
    const at = rng.below(Math.max(1, lines.length));
    const line = lines[at] ?? '';
    const col = rng.below(line.length + 1);
    switch (rng.below(5)) {
      case 0:
        lines[at] = line.slice(0, col) + pick(rng, SNIPPETS) + line.slice(col);
        break;
      case 1:
        lines.splice(at, 1);
        break;
      case 2:
        lines.splice(at, 0, line);
        break;
      case 3:
        lines[at] = line.slice(0, col) + String.fromCharCode(rng.below(128)) + line.slice(col + 1);
        break;
      default:
        lines = [...lines.slice(0, at), `${' '.repeat(rng.below(6))}${pick(rng, SNIPPETS)}`, ...lines.slice(at)];
    }
  }
  return lines.join('\n');
}

/** Data mutations, then text mutations on a third of the cases (which reach the YAML parser). */
export function mutateYaml(data: unknown, rng: Prng, pools: ValuePools): string {
  const text = stringify(rng.chance(0.85) ? mutateData(data, rng, pools) : data);
  return rng.chance(0.35) ? mutateText(text, rng) : text;
}
