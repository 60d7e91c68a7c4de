/**
 * The report page as pure functions of data: escaped HTML text, tables and sections, with one
 * inline stylesheet and the charts as inline SVG. No scripts, no external resources (fonts,
 * images, stylesheets), so the file opens offline, prints, and renders the same everywhere.
 */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Cell {
  text: string;
  num?: boolean;
}

export function htmlTable(head: readonly string[], rows: readonly (readonly (string | Cell)[])[], cls = ''): string {
  const td = (c: string | Cell) => (typeof c === 'string' ? `<td>${esc(c)}</td>` : `<td${c.num ? ' class="num"' : ''}>${esc(c.text)}</td>`);
  return (
    `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map(td).join('')}</tr>`).join('\n')}</tbody></table>`
  );
}

export function definitionList(items: readonly [string, string][]): string {
  return `<dl>${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

export function figure(title: string, svg: string, caption: string): string {
  return `<figure><figcaption><strong>${esc(title)}</strong> — ${esc(caption)}</figcaption><div class="chart">${svg}</div></figure>`;
}

const STYLE = `
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1150px; color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; border-bottom: 1px solid #ccc; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; font-size: 0.9em; } dt { font-weight: bold; } dd { margin: 0; }
figure { margin: 1em 0; page-break-inside: avoid; } figcaption { font-size: 0.9em; margin-bottom: 0.3em; }
.chart svg { max-width: 100%; height: auto; } .ok { color: #2a7d2a; } .bad { color: #b22; }
@media print { body { max-width: none; } h2 { page-break-after: avoid; } }
`;

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>\n<style>${STYLE}</style></head>\n<body>\n${body}\n</body></html>\n`;
}
