// `watchdog audit` as people read it (issue #13): what the audit looked at (the socket,
// the engine's confinement and log defaults, how many containers), then every finding
// on a line of its own, worst first, host before containers. Pure: colour is decided by
// the caller and passed in.

import { octal, securityOptionNames, socketOwner, unboundedLogDefaults } from '../audit.js';
import type { EngineFacts, Finding, HostAudit } from '../model.js';
import { count, painter, SEVERITY_STYLE, visible } from './text.js';

export interface AuditView {
  generatedAt: string;
  engine: EngineFacts | null;
  /** The host's facts; absent when only named containers were audited. */
  audit: HostAudit | undefined;
  /** Whether the host was audited (no CONTAINER named). */
  host: boolean;
  /** How many containers were audited. */
  containers: number;
  findings: readonly Finding[];
}

function hostLines(audit: HostAudit | undefined): string[] {
  if (!audit) return ['Host: not collected (see findings)'];
  const lines: string[] = [];
  const s = audit.socket;
  if (s === null) lines.push('Socket: not read (see findings)');
  else if (s.kind === 'tcp') lines.push(`Socket: none here, the engine is reached over TCP (${s.url}${s.tls ? ', TLS' : ', no TLS'})`);
  else {
    const { owner, group } = socketOwner(s);
    lines.push(`Socket: ${s.path}  ${owner}:${group}  ${octal(s.mode)}`);
  }
  const options = audit.securityOptions;
  if (options !== null) {
    const names = securityOptionNames(options);
    const mac = names.includes('apparmor') || names.includes('selinux');
    lines.push(`Security options: ${names.length > 0 ? names.join(', ') : 'none'}${mac ? '' : ' (neither SELinux nor AppArmor)'}`);
  }
  const d = audit.logDefaults;
  if (d === null) lines.push('Log defaults: not read (see findings)');
  else {
    const driver = d.driver ?? (d.source.kind === 'file' ? d.source.logDriver : null) ?? 'json-file';
    if (d.source.kind === 'unknown') lines.push(`Log defaults: ${driver}; log-opts unknown (${d.source.reason})`);
    else {
      const opts = Object.entries(d.source.logOpts).map(([k, v]) => `${k}=${v}`);
      const capped = unboundedLogDefaults(audit) === null ? '' : ', no max-size';
      lines.push(`Log defaults: ${driver}${opts.length > 0 ? ` ${opts.join(' ')}` : ''}${capped}  (${d.source.path}${d.source.exists ? '' : ', absent'})`);
    }
  }
  return lines;
}

/** Every finding on its own line: SEVERITY, code, message (escaped). */
function findingRows(findings: readonly Finding[], color: boolean): string[] {
  const paint = painter(color);
  const severityWidth = Math.max(...findings.map((f) => f.severity.length));
  const codeWidth = Math.max(...findings.map((f) => f.code.length));
  return findings.map((f) => `  ${paint(SEVERITY_STYLE[f.severity], f.severity.toUpperCase().padEnd(severityWidth))}  ${f.code.padEnd(codeWidth)}  ${visible(f.message)}`);
}

export function renderAudit(view: AuditView, color: boolean): string {
  const paint = painter(color);
  const e = view.engine;
  const engineLine = e ? visible(`Engine: ${e.host}  Docker ${e.serverVersion} (API ${e.apiVersion})  ${e.dockerRootDir}  ${e.local ? 'local' : 'remote'}`) : 'Engine: not collected (see findings)';
  const scope = view.host ? [...hostLines(view.audit).map(visible), `Containers: ${count(view.containers)} audited, running or not`] : [`Containers: ${count(view.containers)} named; the host's socket, confinement and log defaults are audited without names`];
  const withFindings = new Set(view.findings.filter((f) => f.containerId !== undefined).map((f) => f.containerId)).size;
  const findings =
    view.findings.length === 0
      ? ['Findings: none']
      : [`Findings (${count(view.findings.length)}${withFindings > 0 ? `; ${count(withFindings)} container${withFindings === 1 ? '' : 's'}` : ''})`, ...findingRows(view.findings, color)];
  return [[paint('bold', `docker-watchdog audit, ${view.generatedAt}`), engineLine, ...scope], findings].map((lines) => lines.join('\n')).join('\n\n') + '\n';
}
