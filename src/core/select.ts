// Containers named on the command line. Pure.

import type { ContainerFacts } from './model.js';

/** A container by exact name, exact id, or an id prefix of at least 4 characters. */
function findContainer(containers: ContainerFacts[], wanted: string): ContainerFacts | null {
  const exact = containers.find((c) => c.name === wanted || c.id === wanted);
  if (exact) return exact;
  const byPrefix = wanted.length >= 4 ? containers.filter((c) => c.id.startsWith(wanted)) : [];
  return byPrefix.length === 1 ? byPrefix[0]! : null;
}

/** The containers asked for, in the order asked, and the names that match none. */
export function selectContainers(containers: ContainerFacts[], names: string[]): { found: ContainerFacts[]; unknown: string[] } {
  const found: ContainerFacts[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const c = findContainer(containers, name);
    if (c) found.push(c);
    else unknown.push(name);
  }
  return { found, unknown };
}
