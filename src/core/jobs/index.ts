export { JobManager, type JobEvents, type StartJob } from './job-manager.ts';
export { abortError, jobPart, steadyContext, throwIfCancelled, type JobContext } from './job-context.ts';
export { runProcess, type ProcessResult } from './run-process.ts';
