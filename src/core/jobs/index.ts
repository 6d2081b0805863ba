export { JobManager, type JobEvents, type StartJob } from './job-manager.ts';
export { abortError, throwIfCancelled, type JobContext } from './job-context.ts';
export { runProcess, type ProcessResult } from './run-process.ts';
