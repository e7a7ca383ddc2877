// Every command but `watch`, in one module, which the build makes one chunk: Node.js
// loads each ES module file on its own (resolve, read, compile, link), and with a chunk
// per command esbuild split what the commands share into 21 files for `report`; as one
// module, 8. Importing the report's code took 18-19 ms instead of 21-22 (8 fresh
// processes each, 2026-11-30; issue #14). `watch` stays apart: the daemon's file
// watching (chokidar) is loaded by no other command.

export { alertFailureCommand, alertTestCommand } from './alert.js';
export { auditCommand } from './audit.js';
export { checkCommand } from './check.js';
export { configCheckCommand, configInitCommand } from './config.js';
export { driftCommand } from './drift.js';
export { journalCommand } from './journal.js';
export { metricsCommand } from './metrics.js';
export { pruneCommand } from './prune.js';
export { reportCommand } from './report.js';
export { rotateCommand } from './rotate.js';
