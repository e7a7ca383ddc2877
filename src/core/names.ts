// File names made from what the engine or a clock says. Container names come from
// whoever started the container, so only a safe subset of characters reaches the disk.

/** `web/../x` -> `web_.._x`: letters, digits, `_`, `.` and `-` only. */
function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** One folder per container: its (safe) name and the short id, which is unique. */
export function containerFileName(name: string, id: string): string {
  return `${safeFileName(name)}-${id.slice(0, 12)}`;
}

/** An ISO time as a file name (no `:` or `.`), which still sorts by time. */
export function fileTime(time: Date | string): string {
  return (typeof time === 'string' ? time : time.toISOString()).replace(/[:.]/g, '-');
}
