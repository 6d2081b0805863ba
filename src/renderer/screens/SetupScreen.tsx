import { useState } from 'react';
import type { LogLine } from '../../shared/contract/index.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import { call, toErrorInfo } from '../bridge/index.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useFocusFallback } from '../components/focus.ts';
import { JobLog } from '../components/JobLog.tsx';
import { JobProgress } from '../components/JobProgress.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useAppStore } from '../state/app.ts';
import { useJobsStore } from '../state/jobs.ts';
import { useUiStore } from '../state/ui.ts';

const NO_LINES: LogLine[] = [];

/** First run (and "Add a server"): where the PDS should live. Only the local sandbox works today. */
export function SetupScreen() {
  const firstRun = useAppStore((s) => s.info?.firstRun ?? false);
  const setupJobId = useUiStore((s) => s.setupJobId);
  const setSetupJobId = useUiStore((s) => s.setSetupJobId);
  const job = useJobsStore((s) => (setupJobId ? s.jobs[setupJobId] : undefined));
  const lines = useJobsStore((s) => (setupJobId ? s.logs[setupJobId] : undefined)) ?? NO_LINES;
  const detailError = useJobsStore((s) => (setupJobId ? s.detailErrors[setupJobId] : undefined));
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<ErrorInfo | null>(null);
  const [panelHeading, rescueFocus] = useFocusFallback<HTMLHeadingElement>(job?.state);

  const start = async () => {
    setStarting(true);
    setStartError(null);
    try {
      const { jobId } = await call('sandbox.start', {});
      setSetupJobId(jobId);
      void useJobsStore.getState().loadJob(jobId);
    } catch (err) {
      setStartError(toErrorInfo(err));
    } finally {
      setStarting(false);
    }
  };

  const title = firstRun ? 'Welcome to Hearth' : 'Add a server';

  if (setupJobId) {
    const running = !job || job.state === 'running';
    return (
      <div className="screen">
        <ScreenHeading>{title}</ScreenHeading>
        <section className="panel" aria-labelledby="setup-progress-title">
          <h2 id="setup-progress-title" ref={panelHeading} tabIndex={-1}>{job?.title || 'Setting up the sandbox'}</h2>
          {running ? (
            <JobProgress
              jobId={setupJobId}
              job={job}
              label="Sandbox setup progress"
              cancel={{ title: 'Cancel the sandbox setup?', description: 'Hearth stops setting up the sandbox. You can start again later.', confirmLabel: 'Cancel setup', cancelLabel: 'Keep going' }}
              onFocusLost={rescueFocus}
            />
          ) : (
            <ErrorMessage
              error={
                job.error ?? {
                  code: job.state === 'cancelled' ? 'CANCELLED' : 'INTERNAL',
                  message:
                    job.state === 'cancelled'
                      ? 'The sandbox setup was cancelled.'
                      : job.state === 'interrupted'
                        ? 'Hearth closed while the sandbox was being set up.'
                        : 'The sandbox could not be set up.',
                  hint: 'You can try again.',
                }
              }
              title={job.state === 'cancelled' ? 'Setup cancelled.' : 'Setup did not finish.'}
            >
              <button type="button" className="button button-primary" onClick={() => void start()} disabled={starting}>
                Retry
              </button>
              <button type="button" className="button" onClick={() => setSetupJobId(null)}>
                Back to the choices
              </button>
            </ErrorMessage>
          )}
          {startError ? <ErrorMessage error={startError} title="Could not start the sandbox again." /> : null}
          {detailError ? <ErrorMessage error={detailError} title="Could not load the earlier log lines." live={false} /> : null}
          <h3 className="subheading">Log</h3>
          <JobLog lines={lines} label="Setup log" />
        </section>
      </div>
    );
  }

  return (
    <div className="screen">
      <ScreenHeading>{title}</ScreenHeading>
      <p className="lead">
        Hearth runs your own Bluesky server — a PDS, where your account and posts live — and keeps it healthy and backed up.
        Where should it run?
      </p>
      <ul className="choices">
        <li className="choice">
          <h2>In the cloud</h2>
          <p>Hearth creates a server with your DigitalOcean account, with HTTPS and backups set up.</p>
          <button type="button" className="button" onClick={() => useUiStore.getState().navigate({ screen: 'digitalocean' })}>
            Create on DigitalOcean
          </button>
        </li>
        <li className="choice">
          <h2>On a server you have</h2>
          <p>Hearth connects over SSH to a Linux server you already run, with or without a PDS on it.</p>
          <button type="button" className="button" onClick={() => useUiStore.getState().navigate({ screen: 'connect' })}>
            Connect my server
          </button>
        </li>
        <li className="choice choice-available">
          <h2>On this computer</h2>
          <p>
            A private sandbox: a PDS and its own identity directory (PLC) running on this computer, to try Hearth out.
            Nothing in it is visible to the real Bluesky network.
          </p>
          <button
            type="button"
            className="button button-primary"
            onClick={() => void start()}
            disabled={starting}
            aria-busy={starting || undefined}
          >
            Try it on this computer
          </button>
        </li>
      </ul>
      {startError ? (
        <ErrorMessage error={startError} title="Could not start the sandbox.">
          <button type="button" className="button button-primary" onClick={() => void start()} disabled={starting}>
            Retry
          </button>
        </ErrorMessage>
      ) : null}
    </div>
  );
}
