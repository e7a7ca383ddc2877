// Plain-text building blocks shared by every renderer: tables, colour, counts.

import prettyBytes from 'pretty-bytes';
import type { Severity } from '../model.js';

/** Columns padded to their widest cell; numbers (align 'r') right-aligned. */
export function table(rows: string[][], align: Array<'l' | 'r'>, indent = '  '): string[] {
  const widths = align.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
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

/** Lines joined into one block of output. */
export const block = (lines: string[]): string => (lines.length > 0 ? `${lines.join('\n')}\n` : '');
