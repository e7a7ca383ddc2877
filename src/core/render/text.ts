// Plain-text building blocks shared by every renderer: tables, colour, counts.

import prettyBytes from 'pretty-bytes';
import type { Severity } from '../model.js';

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from outside (container names, paths, engine answers) as it may reach a
 * terminal: every control character (C0, DEL, C1) and the Unicode line separators and
 * direction overrides are shown escaped, `\n`, `\r`, `\t`, `\x1b`, `\u202e`, so
 * nothing raw reaches the terminal and a table row never breaks. Idempotent: its output
 * holds no such character. JSON keeps the raw strings.
 */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return ESCAPES[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`);
  });
}

/** At most `width` characters: longer text ends with an ellipsis. */
export function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

/** How wide a table column other than the last may grow: a container name, an image or
 *  a path longer than this is cut with an ellipsis. The last column (the reason, free
 *  text) is never cut. */
export const COLUMN_WIDTH = 40;

/** Columns padded to their widest cell; numbers (align 'r') right-aligned. Every cell is
 *  shown escaped (visible), and every column but the last cut at COLUMN_WIDTH. */
export function table(rows: string[][], align: Array<'l' | 'r'>, indent = '  '): string[] {
  const last = align.length - 1;
  const cells = rows.map((row) => row.map((cell, i) => (i < last ? truncate(visible(cell), COLUMN_WIDTH) : visible(cell))));
  const widths = align.map((_, i) => Math.max(...cells.map((row) => Array.from(row[i] ?? '').length)));
  const pad = (cell: string, i: number) => ' '.repeat(Math.max(0, widths[i]! - Array.from(cell).length));
  return cells.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (align[i] === 'r' ? pad(cell, i) + cell : cell + pad(cell, i)))
        .join('  ')
        .trimEnd(),
  );
}

export type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'cyan';
const ANSI: Record<Style, [number, number]> = { bold: [1, 22], dim: [2, 22], red: [31, 39], yellow: [33, 39], cyan: [36, 39] };

export type Paint = (style: Style, text: string) => string;

/** Colour is decided by the caller (a terminal that wants it) and passed in. */
export const painter = (color: boolean): Paint => (style, text) => (color ? `\u001b[${ANSI[style][0]}m${text}\u001b[${ANSI[style][1]}m` : text);

export const SEVERITY_STYLE: Record<Severity, Style> = { critical: 'red', warning: 'yellow', info: 'cyan' };

export const bytes = (n: number | null): string => (n === null ? 'n/a' : prettyBytes(n));
export { formatCount as count } from '../units.js';

/** Lines joined into one block of output, each shown escaped (visible): the acting
 *  commands' output carries no colour, so no control character belongs in it. */
export const block = (lines: string[]): string => (lines.length > 0 ? `${lines.map(visible).join('\n')}\n` : '');
