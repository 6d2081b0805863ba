import { useEffect, useMemo } from 'react';
import type { JobSummary, LogLine } from '../../shared/contract/index.ts';
import { call } from '../bridge/index.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useFocusFallback } from '../components/focus.ts';
import { JobOutcome, JobStateBadge } from '../components/JobBits.tsx';
import { JobLog } from '../components/JobLog.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { durationBetween, formatDateTime } from '../format.ts';
import { sortJobs, useJobsStore } from '../state/jobs.ts';
import { routeHref } from '../state/ui.ts';

const NO_LINES: LogLine[] = [];

export function JobsScreen({ jobId }: { jobId?: string | undefined }) {
  return (
    <div className="screen">
      <ScreenHeading>Jobs</ScreenHeading>
      {jobId ? <JobDetailView id={jobId} /> : <JobList />}
    </div>
  );
}

function JobList() {
  const jobsById = useJobsStore((s) => s.jobs);
  const listError = useJobsStore((s) => s.listError);
  const listLoaded = useJobsStore((s) => s.listLoaded);
  const loadJobs = useJobsStore((s) => s.loadJobs);
  const jobs = useMemo(() => sortJobs(jobsById), [jobsById]);

  return (
    <>
      {listError ? (
        <ErrorMessage error={listError} title="Could not load the list of jobs.">
          <button type="button" className="button" onClick={() => void loadJobs()}>
            Try again
          </button>
        </ErrorMessage>
      ) : null}
      {jobs.length === 0 ? (
        listLoaded ? (
          <p className="empty">
            No jobs yet. Long operations, such as setting up a server, show up here with their progress and log.
          </p>
        ) : listError ? null : (
          <p className="muted">Loading jobs…</p>
        )
      ) : (
        <table className="jobs-table" aria-label="Jobs">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Server</th>
              <th scope="col">State</th>
              <th scope="col">Started</th>
              <th scope="col">Ended</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <JobRow key={job.id} job={job} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function JobRow({ job }: { job: JobSummary }) {
  return (
    <tr>
      <th scope="row">
        <a href={routeHref({ screen: 'jobs', jobId: job.id })}>{job.title || job.kind}</a>
      </th>
      <td>{job.target}</td>
      <td>
        <JobStateBadge state={job.state} />
        {job.state === 'running' ? <ProgressBar value={job.progress} label={`Progress of ${job.title || job.kind}`} step={job.step} /> : null}
      </td>
      <td>
        <time dateTime={job.startedAt}>{formatDateTime(job.startedAt)}</time>
      </td>
      <td>{job.endedAt ? <time dateTime={job.endedAt}>{formatDateTime(job.endedAt)}</time> : '—'}</td>
    </tr>
  );
}

function JobDetailView({ id }: { id: string }) {
  const job = useJobsStore((s) => s.jobs[id]);
  const lines = useJobsStore((s) => s.logs[id]) ?? NO_LINES;
  const detailError = useJobsStore((s) => s.detailErrors[id]);
  const loadJob = useJobsStore((s) => s.loadJob);
  const [heading, rescueFocus] = useFocusFallback<HTMLHeadingElement>(job?.state);

  useEffect(() => {
    void loadJob(id);
  }, [id, loadJob]);

  const back = (
    <p>
      <a href={routeHref({ screen: 'jobs' })}>← All jobs</a>
    </p>
  );

  if (!job) {
    return (
      <>
        {back}
        {detailError ? (
          <ErrorMessage error={detailError} title="Could not load this job.">
            <button type="button" className="button" onClick={() => void loadJob(id)}>
              Try again
            </button>
          </ErrorMessage>
        ) : (
          <p className="muted">Loading the job…</p>
        )}
      </>
    );
  }

  const title = job.title || job.kind;
  const duration = durationBetween(job.startedAt, job.endedAt);
  return (
    <>
      {back}
      <section className="panel" aria-labelledby="job-title">
        <div className="card-header">
          <h2 id="job-title" ref={heading} tabIndex={-1}>{title}</h2>
          <JobStateBadge state={job.state} />
        </div>
        <dl className="facts">
          <div>
            <dt>Server</dt>
            <dd>{job.target}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>
              <time dateTime={job.startedAt}>{formatDateTime(job.startedAt)}</time>
            </dd>
          </div>
          {job.endedAt ? (
            <div>
              <dt>Ended</dt>
              <dd>
                <time dateTime={job.endedAt}>{formatDateTime(job.endedAt)}</time>
              </dd>
            </div>
          ) : null}
          {duration ? (
            <div>
              <dt>Took</dt>
              <dd>{duration}</dd>
            </div>
          ) : null}
        </dl>
        <JobOutcome job={job} progressLabel={`Progress of ${title}`} />
        {job.state === 'running' ? (
          <div className="actions">
            <ConfirmDialog
              trigger={
                <button type="button" className="button">
                  Cancel job
                </button>
              }
              title="Cancel this job?"
              description={`Hearth stops “${title}”.`}
              confirmLabel="Cancel job"
              cancelLabel="Keep it running"
              destructive
              onConfirm={async () => {
                await call('jobs.cancel', { id });
              }}
              onFocusLost={rescueFocus}
            />
          </div>
        ) : null}
        {detailError ? <ErrorMessage error={detailError} title="Could not load the full log." live={false} /> : null}
        <h3 className="subheading">Log</h3>
        <JobLog lines={lines} label={`Log of ${title}`} />
      </section>
    </>
  );
}
