/** A titled table that renders as Markdown, which also reads well on a terminal. */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Lines printed under the table: method, pinning, missing contenders. */
  notes?: string[];
}

export function renderTable(table: Table): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => (cell ?? '').padEnd(widths[column]!)).join(' | ')} |`;
  const out = [`### ${table.title}`, '', line(table.headers), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`];
  for (const row of table.rows) out.push(line(row));
  for (const note of table.notes ?? []) out.push('', note);
  return out.join('\n');
}
