/**
 * A self-contained HTML report for an experiment: the run's parameters, tables, charts (SVG
 * inline) and links to the files beside it (traces, JSON), with its styles inline, so a browser
 * opens it from the file system with no server and nothing fetched. Only deterministic numbers
 * go in, so the same run writes the same report.
 */

export type Cell = string | number;

export interface ReportSection {
  readonly heading: string;
  /** Paragraphs of plain text. */
  readonly text?: readonly string[];
  readonly table?: { readonly head: readonly string[]; readonly rows: ReadonlyArray<readonly Cell[]> };
  /** An SVG document to inline. */
  readonly svg?: string;
  readonly links?: ReadonlyArray<{ readonly href: string; readonly label: string; readonly note?: string }>;
}

export interface Report {
  readonly title: string;
  readonly parameters: ReadonlyArray<readonly [string, Cell]>;
  readonly sections: readonly ReportSection[];
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .6em 0; } th, td { border: 1px solid #ccc; padding: .25em .6em; }
th { background: #f3f3f3; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; } dt { font-weight: 600; }
.chart svg { max-width: 100%; height: auto; } code { background: #f3f3f3; padding: 0 .25em; }
`;

export function reportHtml(report: Report): string {
  const parameters = report.parameters.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(String(v))}</dd>`).join('');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escape(report.title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escape(report.title)}</h1>`,
    `<dl>${parameters}</dl>`,
    ...report.sections.map(sectionHtml),
    '</body></html>',
    '',
  ].join('\n');
}

function sectionHtml(s: ReportSection): string {
  const parts = [`<h2>${escape(s.heading)}</h2>`];
  for (const p of s.text ?? []) parts.push(`<p>${escape(p)}</p>`);
  if (s.table) parts.push(tableHtml(s.table.head, s.table.rows));
  if (s.svg) parts.push(`<div class="chart">${stripXmlDeclaration(s.svg)}</div>`);
  if (s.links) {
    const items = s.links.map((l) => `<li><a href="${escape(l.href)}">${escape(l.label)}</a>${l.note ? ` ${escape(l.note)}` : ''}</li>`);
    parts.push(`<ul>${items.join('')}</ul>`);
  }
  return parts.join('\n');
}

function tableHtml(head: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const th = head.map((h) => `<th>${escape(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => (typeof c === 'number' ? `<td class="n">${c}</td>` : `<td>${escape(c)}</td>`)).join('')}</tr>`);
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr.join('')}</tbody></table>`;
}

function stripXmlDeclaration(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
