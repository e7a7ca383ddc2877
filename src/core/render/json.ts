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

/** Whether a value is made here member by member or item by item: a plain object, or
 *  an array longer than a piece. What has a toJSON, and boxed primitives, JSON.stringify
 *  makes whole. */
function splits(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (value instanceof String || value instanceof Number || value instanceof Boolean) return false;
  return !Array.isArray(value) || value.length > ITEMS_PER_PIECE;
}

function* pieces(value: unknown, indent: string, depth: number): Generator<string> {
  const line = (level: number) => (indent === '' ? '' : `\n${indent.repeat(level)}`);
  if (!splits(value)) {
    yield whole(value, indent, depth) ?? 'null';
    return;
  }
  if (Array.isArray(value)) {
    for (let start = 0; start < value.length; start += ITEMS_PER_PIECE) {
      // Array.from visits holes too; JSON.stringify writes null for them and for an
      // item it cannot write (undefined, a function).
      const slice = Array.from(value.slice(start, start + ITEMS_PER_PIECE), (item: unknown) => `${line(depth + 1)}${whole(item, indent, depth + 1) ?? 'null'}`);
      yield `${start === 0 ? '[' : ','}${slice.join(',')}`;
    }
    yield `${line(depth)}]`;
    return;
  }
  let first = true;
  yield '{';
  for (const [key, member] of Object.entries(value)) {
    const text = splits(member) ? null : whole(member, indent, depth + 1);
    // JSON.stringify leaves out a member it cannot write (undefined, a function, a
    // toJSON that gives undefined).
    if (text === undefined) continue;
    yield `${first ? '' : ','}${line(depth + 1)}${JSON.stringify(key)}${indent === '' ? ':' : ': '}`;
    first = false;
    if (text === null) yield* pieces(member, indent, depth + 1);
    else yield text;
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
