/** Escapes text for a Markdown table cell (the summary is not HTML-escaped by the toolkit). */
export function cell(value: unknown): string {
  const text = value === null || value === undefined || value === '' ? '—' : String(value);
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

export function table(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function code(value: unknown): string {
  return value === null || value === undefined || value === ''
    ? '—'
    : `\`${String(value).replace(/`/g, "'")}\``;
}
