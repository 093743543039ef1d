/**
 * A cell's Markdown with every pipe escaped: a pipe inside a code span would otherwise end the cell in
 * the middle of the span and let the rest of it be read as Markdown (a table unescapes `\|` first).
 */
const cell = (text: string): string => text.replace(/(?<!\\)\|/g, '\\|');

/** A Markdown table: a header row, an alignment row (`l` or `r` per column), the rows, and a blank line. */
export function table(head: readonly string[], align: readonly ('l' | 'r')[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `| ${align.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ];
}
