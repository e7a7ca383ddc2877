// What `watchdog config init` writes: every key with its default, commented. A unit test
// checks that it parses to exactly the schema's defaults (config/schema.ts), which stay
// the one source of them.

/** The default configuration, commented: what `config init` writes. */
export const CONFIG_TEMPLATE = `# docker-watchdog configuration. Every key is optional; these are the defaults.
# Sizes are decimal, as Docker's own (1GB = 1,000,000,000 bytes); durations like 30m, 6h, 7d.

thresholds:                 # findings on the engine's space (DATA_SPACE_LOW, ...)
  data:     { warning: 80%, critical: 90% }
  metadata: { warning: 80%, critical: 90% }
  inodes:   { warning: 80%, critical: 90% }

logs:
  maxSize: 100MB            # rotate a live json-file log without max-size beyond this
  keep: 5                   # archives kept per container
  archiveDir: /var/lib/docker-watchdog/archive
  archiveBudget: 5GB        # oldest archives go first beyond this (forensic bundles never do)
  maxGrowthPerDay: 1GB      # LOG_GROWTH above this

containers:
  exited:
    maxAge: 24h             # prune containers that finished longer ago than this
    keepLast: 1             # newest exited containers kept per image
    protectLabel: watchdog.keep
    protect: []             # name or image patterns never pruned, e.g. ["db-*", "postgres:*"]
    removeVolumes: false

drift:
  allow: [/tmp/**, /run/**, /var/run/**, /var/tmp/**]   # plus the watchdog.drift.allow label
  onSuspicious: hold        # or export-and-prune
  maxModeChecks: 1000       # changed files stat-ed per container for SETUID_DRIFT
  runningInterval: 1h       # RUNNING_DRIFT: a running container's docker diff at most this often (at least 1m)
  runningBudget: 10s        # no further check in a pass once its checks took this long (the rest wait)
  onSuspiciousRunning: alert   # or pause: freeze a running container that drifted

escalation:                 # under disk pressure, prune sooner
  warning:  { maxAge: 6h }
  critical: { maxAge: 1h }

usage:
  maxAge: 1h                # reuse a docker system df answer this long

watch:                      # watchdog watch, the daemon
  interval: 5m              # a full pass (what check does) this often
  spaceInterval: 10s        # statfs of DockerRootDir (and containerd's root) this often
  minRotateInterval: 30s    # at most one rotation per container this often
  horizon: 1h               # RUNAWAY_LOG / SPACE_RUNAWAY when the space left lasts less than this

audit:                      # what on this host is one step from root (watchdog audit)
  enabled: true             # its findings in report, check and watch too
  severity: {}              # per-code severities, e.g. { NO_MAC: info, HOST_ROOT_MOUNT: warning }
  groupFile: /etc/group     # who is in the engine socket's group
  passwdFile: /etc/passwd   # whose primary group it is
  daemonConfig: null        # the engine's daemon.json; null: the --config-file of the dockerd
                            # serving the socket, else /etc/docker/daemon.json

alerts:
  cooldown: 6h              # a problem that keeps firing is mailed again after this
  # heartbeat: 24h          # an "all quiet" mail when nothing was sent for this long
  # email:                  # no email section: no mail
  #   host: mail.example.com
  #   port: 587             # 465 with secure: true
  #   secure: false         # TLS from the start; otherwise STARTTLS when offered
  #   requireTls: true      # refuse to send unencrypted
  #   trustSelfSigned: false
  #   user: watchdog
  #   passwordFile: /etc/docker-watchdog/smtp-password   # or passwordEnv: SMTP_PASSWORD
  #   from: watchdog@example.com
  #   to: [ops@example.com]
  #   subjectPrefix: "[docker-watchdog]"
`;
