import { useCallback, useEffect, useState } from 'react';
import type { FeedStatus, JobSummary } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { JobProgress } from '../../components/JobProgress.tsx';
import { formatDateTime } from '../../format.ts';
import { routeHref } from '../../state/ui.ts';
import { liveSummary, statusSummary } from './status-words.ts';
import { useFeedStore } from './store.ts';
import { useJob } from '../../state/useJob.ts';

const BUSY_POLL_MS = 2000;
const IDLE_POLL_MS = 15_000;

/**
 * The account's feed status (feed.status), the running refresh with its progress and Cancel,
 * and a "Refresh" button. onRefreshed runs when a refresh ends, so the list reads what it brought.
 */
export function StatusLine({ did, pdsUrl, onRefreshed }: { did: string; pdsUrl: string; onRefreshed: () => void }) {
  const startedHere = useFeedStore((s) => s.refreshJobs[did] ?? null);
  const refresh = useFeedStore((s) => s.refresh);
  const [status, setStatus] = useState<FeedStatus | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [actionError, setActionError] = useState<ErrorInfo | null>(null);
  const [tick, setTick] = useState(0);
  const jobId = status?.refreshJobId ?? startedHere;

  const onEnd = useCallback(
    (_job: JobSummary) => {
      setTick((t) => t + 1);
      onRefreshed();
    },
    [onRefreshed],
  );
  const job = useJob(jobId, onEnd);
  const running = job?.state === 'running' || (status?.catchingUp ?? 0) > 0;

  useEffect(() => {
    let current = true;
    const read = () =>
      call('feed.status', { did }).then(
        (next) => {
          if (!current) return;
          setStatus(next);
          setError(null);
        },
        (err: unknown) => current && setError(toErrorInfo(err)),
      );
    void read();
    const timer = setInterval(() => void read(), running ? BUSY_POLL_MS : IDLE_POLL_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [did, running, tick, jobId]);

  const start = async () => {
    setActionError(null);
    try {
      await refresh(did);
    } catch (err) {
      setActionError(toErrorInfo(err));
    }
  };

  return (
    <section className="feed-status card" aria-label="Feed status">
      {status ? (
        <>
          <p className="feed-status-line" role="status">
            {statusSummary(status)}
          </p>
          {liveSummary(status) ? <p className="feed-live-line small">{liveSummary(status)}</p> : null}
          <p className="muted small">
            {status.lastRefreshAt ? `Last refreshed ${formatDateTime(status.lastRefreshAt)}` : 'Not refreshed yet'} · reads the last{' '}
            {status.windowDays === 1 ? 'day' : `${status.windowDays} days`} · account on <span className="url">{pdsUrl}</span>
          </p>
          {status.unreachable.length > 0 ? (
            <div className="feed-unreachable">
              <p className="small">Hearth could not read these accounts; the rest of the feed is shown:</p>
              <ul>
                {status.unreachable.map((u) => (
                  <li key={u.did}>
                    <bdi>@{u.handle}</bdi>: <span dir="auto">{u.reason}</span>
                    {u.retryAt ? <span className="muted"> (tries again at {formatDateTime(u.retryAt)})</span> : null}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </>
      ) : error ? null : (
        <p className="muted small">Reading the feed status…</p>
      )}
      {error ? <ErrorMessage error={error} title="Could not read the feed status." live={false} /> : null}
      {job?.state === 'running' ? (
        <div className="feed-job">
          <JobProgress
            jobId={job.id}
            job={job}
            label={job.title}
            cancel={{
              title: 'Stop this refresh?',
              description: 'The posts read so far stay in the feed; press Refresh later to read the rest.',
              confirmLabel: 'Stop refresh',
            }}
          />
        </div>
      ) : (
        <div className="actions">
          <button type="button" className="button" onClick={() => void start()}>
            Refresh
          </button>
          {job && job.state !== 'succeeded' ? (
            job.error ? (
              <ErrorMessage error={job.error} title="The last refresh did not finish." live={false} />
            ) : (
              <span className="muted small">The last refresh was {job.state === 'cancelled' ? 'stopped' : 'interrupted'}.</span>
            )
          ) : null}
          {job ? <a href={routeHref({ screen: 'jobs', jobId: job.id })}>Show the log</a> : null}
        </div>
      )}
      {actionError ? <ErrorMessage error={actionError} title="Could not start a refresh." /> : null}
    </section>
  );
}
