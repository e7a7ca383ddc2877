// Which dockerd served each engine socket in the last run: its pid, kept in the runtime
// folder (dockerd/<hash of the socket's path>), which a reboot empties with the
// processes. The audit reads that process first (collect/audit.ts, issue #14).

import type { DockerdMemo } from '../collect/audit.js';
import { pathKey, runtimeFact } from '../files/runtime.js';

export function dockerdMemo(env: NodeJS.ProcessEnv): DockerdMemo {
  const fact = (socket: string) => runtimeFact(env, 'dockerd', pathKey(socket));
  return {
    recall: (socket) => {
      const pid = Number(fact(socket).read());
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    },
    remember: (socket, pid) => fact(socket).write(pid === null ? null : String(pid)),
  };
}
