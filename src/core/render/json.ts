// --json output in pieces: the same text as JSON.stringify(value, null, spaces), made a
// slice of a long array at a time, so that a report of 10,000 containers is never held
// whole. Made whole, its 7.9 MB of text was held three times at once (the string, the
// string with its newline, and the bytes written): `report --json` peaked 25 MB above
// `report` (issue #14).

/** Items of a long array per piece. */
const ITEMS_PER_PIECE = 200;

/** JSON.stringify(value, null, spaces) in pieces: objects member by member, arrays
 *  longer than a piece a slice at a time, everything else whole. */
export function jsonPieces(value: unknown, spaces = 0): Generator<string> {
  return pieces(value, ' '.repeat(spaces), 0);
}

function* pieces(value: unknown, indent: string, depth: number): Generator<string> {
  const line = (level: number) => (indent === '' ? '' : `\n${indent.repeat(level)}`);
  if (Array.isArray(value) && value.length > ITEMS_PER_PIECE) {
    for (let start = 0; start < value.length; start += ITEMS_PER_PIECE) {
      // JSON.stringify writes null for an item it cannot write (undefined, a function).
      const slice = value.slice(start, start + ITEMS_PER_PIECE).map((item: unknown) => `${line(depth + 1)}${whole(item, indent, depth + 1) ?? 'null'}`);
      yield `${start === 0 ? '[' : ','}${slice.join(',')}`;
    }
    yield `${line(depth)}]`;
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    yield whole(value, indent, depth) ?? 'null';
    return;
  }
  let first = true;
  yield '{';
  for (const [key, member] of Object.entries(value)) {
    // JSON.stringify leaves out a member it cannot write (undefined, a function).
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    yield `${first ? '' : ','}${line(depth + 1)}${JSON.stringify(key)}${indent === '' ? ':' : ': '}`;
    first = false;
    yield* pieces(member, indent, depth + 1);
  }
  yield first ? '}' : `${line(depth)}}`;
}

/** A value's JSON in one piece, as it reads `depth` levels down; undefined when
 *  JSON.stringify cannot write it. */
function whole(value: unknown, indent: string, depth: number): string | undefined {
  const text = JSON.stringify(value, null, indent) as string | undefined;
  // A raw newline in JSON text is only ever indentation: strings escape theirs.
  return indent === '' || depth === 0 || text === undefined ? text : text.replaceAll('\n', `\n${indent.repeat(depth)}`);
}
