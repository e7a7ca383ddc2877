// Sizes as the engine writes them. Hand-written on purpose: general size libraries read
// "1kB" as 1024, while the engine uses go-units, which is decimal throughout.

const DECIMAL: Record<string, number> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  p: 1e15,
};

// go-units FromHumanSize accepts "161.5MB", "11.16 GB" (engines up to 17.03 put a
// space before the unit), "0B", "10m" (log-opt max-size) and bare byte counts (zfs).
// An "i" is tolerated and, as in go-units, still decimal.
const HUMAN_SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i;

/** Bytes from a go-units size string, or null when it is not one. */
export function parseEngineSize(text: string): number | null {
  const match = HUMAN_SIZE.exec(text.trim());
  if (!match) return null;
  const [, number, unit] = match;
  return Math.round(Number(number) * DECIMAL[unit!.toLowerCase()]!);
}

/** Whether a size string is a whole number of bytes ("1.5kB" is, "0.5" and "1.0005kB"
 *  are not), decided on its digits: 1.1 x 1000 is not 1100 in floating point. */
export function isWholeBytes(text: string): boolean {
  const match = HUMAN_SIZE.exec(text.trim());
  if (!match) return false;
  const fraction = (match[1]!.split('.')[1] ?? '').replace(/0+$/, '');
  return fraction.length <= String(DECIMAL[match[2]!.toLowerCase()]!).length - 1;
}

/** Fraction of a whole, 0 when the whole is 0 so an empty space never reads as full. */
export function fraction(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** "42,000": digits grouped by three, as en-US writes them. Not toLocaleString: its
 *  first call loads ICU's locale data, 15 ms of a warm report (issue #8). */
export function formatCount(n: number): string {
  const [whole, fraction] = String(n).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** "93.1%" */
export function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
