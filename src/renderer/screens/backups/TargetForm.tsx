import { useCallback, useId, useState, type FormEvent } from 'react';
import type { BackupOverview, JobSummary } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { JobProgress } from '../../components/JobProgress.tsx';
import { routeHref } from '../../state/ui.ts';
import { useJob } from '../../state/useJob.ts';

/** Where backups go (any S3-compatible store) and when they run. The secret key goes to the keychain. */
export function TargetForm({ serverId, overview, onSaved }: { serverId: string; overview: BackupOverview; onSaved: (o: BackupOverview) => void }) {
  const t = overview.target;
  const [endpoint, setEndpoint] = useState(t?.endpoint ?? '');
  const [region, setRegion] = useState(t?.region ?? 'us-east-1');
  const [bucket, setBucket] = useState(t?.bucket ?? '');
  const [prefix, setPrefix] = useState(t?.prefix ?? serverId);
  const [pathStyle, setPathStyle] = useState(t?.pathStyle ?? true);
  const [accessKeyId, setAccessKeyId] = useState(t?.accessKeyId ?? '');
  const [secret, setSecret] = useState('');
  const [onCalendar, setOnCalendar] = useState(overview.schedule.onCalendar);
  const [keepDaily, setKeepDaily] = useState(overview.schedule.keepDaily);
  const [keepWeekly, setKeepWeekly] = useState(overview.schedule.keepWeekly);
  const [keepMonthly, setKeepMonthly] = useState(overview.schedule.keepMonthly);
  const [busy, setBusy] = useState<'test' | 'save' | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Saving is a job (restic is installed on the server, the repository created: minutes): the
  // form follows it, as the restore wizard follows a restore.
  const [setupJobId, setSetupJobId] = useState<string | null>(null);
  const onSetupDone = useCallback(
    (done: JobSummary) => {
      setBusy(null);
      if (done.state === 'succeeded') {
        setSecret('');
        setNotice('Saved. The secret key and the repository password are in your system keychain.');
        void call('backups.get', { serverId }).then(onSaved, () => undefined);
      } else {
        setError(done.error ?? { code: 'CANCELLED', message: `Setting up backups ${done.state}.`, hint: '' });
      }
    },
    [serverId, onSaved],
  );
  const setupJob = useJob(setupJobId, onSetupDone);
  // Until its first summary arrives, a job just started counts as running.
  const settingUp = setupJobId !== null && (setupJob?.state ?? 'running') === 'running';
  const id = useId();

  const fields = () => ({
    serverId,
    endpoint: endpoint.trim(),
    region: region.trim(),
    bucket: bucket.trim(),
    prefix: prefix.trim(),
    pathStyle,
    accessKeyId: accessKeyId.trim(),
    ...(secret ? { secretAccessKey: secret } : {}),
  });

  const run = async (what: 'test' | 'save') => {
    setBusy(what);
    setError(null);
    setNotice(null);
    try {
      if (what === 'test') {
        const { ms } = await call('backups.testConnection', fields());
        setNotice(`Connection works: Hearth wrote, read back and deleted a test file (${ms} ms).`);
      } else {
        const { jobId } = await call('backups.configure', { ...fields(), schedule: { onCalendar, keepDaily, keepWeekly, keepMonthly } });
        // Busy until the job ends (onSetupDone).
        setSetupJobId(jobId);
        return;
      }
    } catch (err) {
      setError(toErrorInfo(err));
    }
    setBusy(null);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run('save');
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="subheading">
        Backup target
      </h2>
      <p className="muted small">
        Any S3-compatible storage: DigitalOcean Spaces, AWS S3, Backblaze B2, MinIO… Use a bucket of its own and keys that may write to it.
      </p>
      <form className="target-form" onSubmit={submit}>
        <Field id={`${id}-endpoint`} label="Endpoint" value={endpoint} onChange={setEndpoint} placeholder="https://fra1.digitaloceanspaces.com" />
        <Field id={`${id}-region`} label="Region" value={region} onChange={setRegion} />
        <Field id={`${id}-bucket`} label="Bucket" value={bucket} onChange={setBucket} />
        <Field id={`${id}-prefix`} label="Folder in the bucket" value={prefix} onChange={setPrefix} />
        <div className="field-inline">
          <input id={`${id}-path`} type="checkbox" checked={pathStyle} onChange={(e) => setPathStyle(e.target.checked)} />
          <label htmlFor={`${id}-path`}>Path-style addressing (MinIO and most self-hosted stores)</label>
        </div>
        <Field id={`${id}-key`} label="Access key" value={accessKeyId} onChange={setAccessKeyId} autoComplete="off" />
        <Field
          id={`${id}-secret`}
          label="Secret key"
          type="password"
          value={secret}
          onChange={setSecret}
          autoComplete="new-password"
          placeholder={t?.hasSecret ? 'Saved in the keychain (type to replace)' : ''}
        />
        <fieldset className="field">
          <legend>Schedule and retention</legend>
          <Field id={`${id}-cal`} label="When (systemd calendar)" value={onCalendar} onChange={setOnCalendar} />
          <NumberField id={`${id}-daily`} label="Daily snapshots kept" value={keepDaily} onChange={setKeepDaily} min={1} />
          <NumberField id={`${id}-weekly`} label="Weekly snapshots kept" value={keepWeekly} onChange={setKeepWeekly} min={0} />
          <NumberField id={`${id}-monthly`} label="Monthly snapshots kept" value={keepMonthly} onChange={setKeepMonthly} min={0} />
        </fieldset>
        {settingUp && setupJobId ? (
          <div className="backup-job">
            <JobProgress
              jobId={setupJobId}
              job={setupJob}
              label="Setting up backups"
              cancel={{
                title: 'Stop setting up backups?',
                description: 'What was installed on the server stays; saving the target again finishes the setup.',
                confirmLabel: 'Stop setup',
                cancelLabel: 'Keep going',
              }}
            />
            <a href={routeHref({ screen: 'jobs', jobId: setupJobId })}>Show the log</a>
          </div>
        ) : null}
        {error ? <ErrorMessage error={error} /> : null}
        {notice ? <p role="status">{notice}</p> : null}
        <div className="actions">
          <button type="button" className="button" disabled={busy !== null} aria-busy={busy === 'test' || undefined} onClick={() => void run('test')}>
            Test connection
          </button>
          <button type="submit" className="button button-primary" disabled={busy !== null} aria-busy={busy === 'save' || undefined}>
            Save target
          </button>
        </div>
      </form>
    </section>
  );
}

function Field(props: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  type?: string;
  placeholder?: string;
  autoComplete?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        className="input"
        type={props.type ?? 'text'}
        value={props.value}
        placeholder={props.placeholder}
        autoComplete={props.autoComplete}
        spellCheck={false}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </div>
  );
}

function NumberField(props: { id: string; label: string; value: number; onChange: (v: number) => void; min: number }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input id={props.id} className="input" type="number" min={props.min} value={props.value} onChange={(e) => props.onChange(Number(e.target.value))} />
    </div>
  );
}
