/** Collects the benchmark's aims and prints each with PASS or MISS at the end. */
export interface Aim {
  name: string;
  value: number;
  unit: string;
  /** The aim, e.g. ">= 1.0" */
  target: string;
  pass: boolean;
  noise: string;
}

const aims: Aim[] = [];

export function aim(name: string, value: number, unit: string, op: '>=' | '<=', bound: number, noise = ''): void {
  const pass = op === '>=' ? value >= bound : value <= bound;
  aims.push({ name, value, unit, target: `${op} ${bound}`, pass, noise });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** "min..max" of a series, for the noise column. */
export function spread(values: readonly number[], digits = 2): string {
  return `${Math.min(...values).toFixed(digits)}..${Math.max(...values).toFixed(digits)}`;
}

export function printAims(): void {
  console.log('\naims');
  for (const a of aims) {
    const value = `${a.value.toFixed(a.value < 10 ? 3 : 1)} ${a.unit}`.trim();
    const noise = a.noise ? ` (range ${a.noise})` : '';
    console.log(`  ${a.pass ? 'PASS' : 'MISS'}  ${a.name}: ${value}, aim ${a.target}${noise}`);
  }
}
