// Where archives and forensic bundles may go (logs.archiveDir). Pure: the schema
// (config/schema.ts) checks the usual engine roots when the file is read, the pipeline
// (pipeline/rotation.ts) the engine's actual DockerRootDir once the engine has said it.

/** The engines' usual roots: Docker's default DockerRootDir and containerd's root (the
 *  image store of Engine 29). */
export const ENGINE_ROOTS = ['/var/lib/docker', '/var/lib/containerd'] as const;

const trimmed = (path: string): string => (path.length > 1 ? path.replace(/\/+$/, '') : path);

/**
 * Why archiveDir cannot be used beside an engine whose root is `engineRoot`, or null.
 * Inside the engine's root, archives would sit among the engine's own files (a folder
 * of `containers/` is removed with its container) and count against the very space
 * they were moved out of the logs to relieve. Both paths absolute and normalized.
 */
export function archiveDirConflict(archiveDir: string, engineRoot: string, rootName = "the engine's own directory"): string | null {
  const dir = trimmed(archiveDir);
  const root = trimmed(engineRoot);
  if (root === '' || root === '/') return null;
  if (dir !== root && !dir.startsWith(`${root}/`)) return null;
  return `is inside ${root}, ${rootName}; name a directory outside it, e.g. /var/lib/docker-watchdog/archive`;
}
