// The parts of the Engine API's responses that we read. Fields are optional where some
// API versions omit them; the collectors decide what a missing field means.

import type { DriverStatus } from '../core/storage.js';

export interface InfoResponse {
  /** The engine's own identity, stable across restarts. */
  ID?: string;
  /** The engine host's hostname. */
  Name?: string;
  ServerVersion?: string;
  Driver?: string;
  DriverStatus?: DriverStatus | null;
  DockerRootDir?: string;
  Containers?: number;
  /** API 1.46+ (engine 27+): the containerd the engine uses, and its namespaces. */
  Containerd?: { Address?: string; Namespaces?: { Containers?: string; Plugins?: string } } | null;
  /** The default log driver of new containers (issue #13). */
  LoggingDriver?: string;
  /** API 1.24+: `name=seccomp,profile=default`, `name=apparmor`, `name=selinux`,
   *  `name=userns`, `name=rootless`; older engines list bare names. */
  SecurityOptions?: string[] | null;
}

export interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
}

export interface ContainerInspect {
  Id: string;
  Name?: string;
  Created?: string;
  LogPath?: string;
  State?: { Status?: string; FinishedAt?: string; Paused?: boolean };
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  HostConfig?: {
    LogConfig?: { Type?: string; Config?: Record<string, string> | null };
    ReadonlyRootfs?: boolean;
    // What the container may do to the host (issue #13), set at create: a container
    // that never started has them too.
    Privileged?: boolean;
    CapAdd?: string[] | null;
    PidMode?: string;
    IpcMode?: string;
    NetworkMode?: string;
    SecurityOpt?: string[] | null;
    Devices?: Array<{ PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string }> | null;
    DeviceCgroupRules?: string[] | null;
    /** `-v SRC:DST[:OPTS]`; SRC is a volume name unless it starts with `/`. */
    Binds?: string[] | null;
    /** `--mount`. */
    Mounts?: Array<{ Type?: string; Source?: string; Target?: string; ReadOnly?: boolean }> | null;
    /** `--tmpfs DST[:OPTS]`: destination -> options. */
    Tmpfs?: Record<string, string> | null;
  };
  /** Every mount point, from Binds and Mounts alike (registered at create). */
  Mounts?: Array<{ Type?: string; Source?: string; Destination?: string; RW?: boolean }> | null;
  GraphDriver?: { Name?: string; Data?: Record<string, string> | null };
}

/** Go's zero time, `0001-01-01T00:00:00Z`, means "never": a container that never ran. */
export function timeOrNull(goTime: string | undefined): string | null {
  return !goTime || goTime.startsWith('0001-01-01') ? null : new Date(goTime).toISOString();
}
