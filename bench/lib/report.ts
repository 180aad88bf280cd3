/** What every scenario returns: figures for the table, plus how they were measured. */
export interface Figure {
  metric: string;
  unit: string;
  gantry: number | null;
  /** The same measurement without Gantry (the client calling the simulator directly). */
  baseline: number | null;
  /** gantry / baseline. */
  ratio: number | null;
  /** The issue's target, in words, when it has one for this figure. */
  target?: string;
  met?: boolean | null;
  note?: string;
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** How the figures were measured, for RESULTS.md. */
  method: string[];
  figures: Figure[];
  /** Raw numbers behind the figures, for results.json. */
  details: Record<string, unknown>;
  notes: string[];
  durationS?: number;
  error?: string;
  /** The machine while the scenario ran: busy share of all cores, CPU pressure, top CPU users. */
  contention?: { machineBusy: number; cpuPressure: number | null; topProcesses: Array<{ cmd: string; cpuS: number }> };
}

export function fig(metric: string, unit: string, gantry: number | null, baseline: number | null, extra: Partial<Figure> = {}): Figure {
  const ratio = gantry !== null && baseline !== null && baseline !== 0 ? Math.round((gantry / baseline) * 100) / 100 : null;
  return { metric, unit, gantry, baseline, ratio, ...extra };
}

const show = (v: number | null | undefined) => (v === null || v === undefined ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2));
const verdict = (f: Figure) => (f.met === undefined ? '' : f.met === null ? 'n/a' : f.met ? 'yes' : 'NO');

export function tableRows(results: ScenarioResult[]): string[][] {
  const rows: string[][] = [];
  for (const r of results) {
    if (r.error) rows.push([r.name, `FAILED: ${r.error.split('\n')[0]}`, '', '', '', '', '', '']);
    for (const f of r.figures) {
      rows.push([r.name, f.metric, `${show(f.gantry)}${f.gantry !== null ? ` ${f.unit}` : ''}`, `${show(f.baseline)}${f.baseline !== null ? ` ${f.unit}` : ''}`, show(f.ratio), f.target ?? '', verdict(f), f.note ?? '']);
    }
  }
  return rows;
}

export const HEADER = ['scenario', 'figure', 'gantry', 'baseline (direct sim)', 'ratio', 'target', 'met', 'note'];

export function textTable(rows: string[][]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.min(60, Math.max(...all.map((r) => (r[i] ?? '').length))));
  const line = (r: string[]) => r.map((c, i) => (c ?? '').slice(0, 60).padEnd(widths[i])).join('  ').trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}
