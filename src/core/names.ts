// File names made from what the engine or a clock says. Container names come from
// whoever started the container, so only a safe subset of characters reaches the disk.

/** `web/../x` -> `web_.._x`: letters, digits, `_`, `.` and `-` only. */
export function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** How much of a container's name goes into a file name: Docker allows names of
 *  hundreds of characters, a file name has 255 bytes (and a bundle's adds a time). */
export const NAME_IN_FILE_NAME = 64;

/** One folder per container: its (safe) name, cut at NAME_IN_FILE_NAME characters, and
 *  the short id, which keeps it unique. At most 77 characters. */
export function containerFileName(name: string, id: string): string {
  return `${safeFileName(name).slice(0, NAME_IN_FILE_NAME)}-${id.slice(0, 12)}`;
}

/** An ISO time as a file name (no `:` or `.`), which still sorts by time. */
export function fileTime(time: Date | string): string {
  return (typeof time === 'string' ? time : time.toISOString()).replace(/[:.]/g, '-');
}
