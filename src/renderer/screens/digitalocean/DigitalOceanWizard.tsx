import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { CallOutput, CloudPlanView, DoSizeView, HandOverPhase, HandOverStatus, ResourceRow, WizardDraft } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, getBridge, toErrorInfo } from '../../bridge/index.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { JobLog } from '../../components/JobLog.tsx';
import { JobProgress } from '../../components/JobProgress.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { ScreenHeading } from '../../components/ScreenHeading.tsx';
import { useJobsStore } from '../../state/jobs.ts';
import { useServersStore } from '../../state/servers.ts';
import { useUiStore } from '../../state/ui.ts';
import { formatMemory, formatUsd, HOSTNAME_PATTERN, IPV4_PATTERN, NAME_PATTERN, recommendedMemoryMb, sizeWarning } from './sizing.ts';
import { useAction } from './useAction.ts';
import './wizard.css';

type Step = WizardDraft['step'];
type Options = CallOutput<'cloud.options'>;

const STEPS: { step: Step; label: string }[] = [
  { step: 'token', label: 'Token' },
  { step: 'size', label: 'Region and size' },
  { step: 'domain', label: 'Domain' },
  { step: 'review', label: 'Review the plan' },
  { step: 'create', label: 'Create' },
  { step: 'install', label: 'Install the PDS' },
];

function newDraft(): WizardDraft {
  return {
    step: 'token',
    serverId: `do-${crypto.randomUUID().slice(0, 8)}`,
    name: '',
    expectedAccounts: 5,
    region: '',
    size: '',
    hostname: '',
    dnsMode: 'digitalocean',
    dnsZone: null,
    sshFrom: '',
    bucketName: '',
    previewJobId: null,
    applyJobId: null,
    handOverJobId: null,
    plan: null,
    updatedAt: '',
  };
}

/**
 * The DigitalOcean setup wizard. Every change is saved as a draft in Hearth's settings (never the
 * token: that is in the keychain), so closing the window loses nothing: jobs go on in Hearth and
 * the wizard resumes where it was.
 */
export function DigitalOceanWizard() {
  const [draft, setDraft] = useState<WizardDraft | null>(null);
  const [loadError, setLoadError] = useState<ErrorInfo | null>(null);
  const saveTimer = useRef<number | undefined>(undefined);

  useEffect(() => {
    let live = true;
    call('cloud.draft', {})
      .then((saved) => live && setDraft(saved ?? newDraft()))
      .catch((err) => live && setLoadError(toErrorInfo(err)));
    return () => {
      live = false;
    };
  }, []);

  const update = useCallback((change: Partial<WizardDraft>, options: { now?: boolean } = {}) => {
    setDraft((current) => {
      if (!current) return current;
      const next = { ...current, ...change };
      window.clearTimeout(saveTimer.current);
      const save = () => void call('cloud.saveDraft', { draft: next }).catch(() => undefined);
      if (options.now) save();
      else saveTimer.current = window.setTimeout(save, 300);
      return next;
    });
  }, []);

  const go = (step: Step) => update({ step }, { now: true });

  if (loadError) return <ErrorMessage error={loadError} title="Could not open the DigitalOcean wizard." />;
  if (!draft) return <p className="muted loading">Loading…</p>;

  const index = STEPS.findIndex((s) => s.step === draft.step);
  return (
    <div className="screen do-wizard">
      <ScreenHeading>Create a server on DigitalOcean</ScreenHeading>
      <ol className="do-steps" aria-label="Wizard steps">
        {STEPS.map((s, i) => (
          <li key={s.step} aria-current={s.step === draft.step ? 'step' : undefined} className={i < index ? 'do-step-done' : undefined}>
            {s.label}
          </li>
        ))}
      </ol>
      {draft.step === 'token' ? <TokenStep draft={draft} onNext={() => go('size')} /> : null}
      {draft.step === 'size' ? <SizeStep draft={draft} update={update} onBack={() => go('token')} onNext={() => go('domain')} /> : null}
      {draft.step === 'domain' ? <DomainStep draft={draft} update={update} onBack={() => go('size')} onNext={() => go('review')} /> : null}
      {draft.step === 'review' ? <ReviewStep draft={draft} update={update} onBack={() => go('domain')} onNext={(applyJobId) => update({ step: 'create', applyJobId }, { now: true })} /> : null}
      {draft.step === 'create' ? <CreateStep draft={draft} onBack={() => go('review')} onNext={() => go('install')} /> : null}
      {draft.step === 'install' || draft.step === 'done' ? <InstallStep draft={draft} update={update} /> : null}
      {draft.step !== 'create' ? (
        <div className="actions">
          <p className="muted small">Your choices are saved as you go: you can close this window and come back.</p>
          <ConfirmDialog
            trigger={
              <button type="button" className="button">
                Start over
              </button>
            }
            title="Start the wizard over?"
            description="Hearth forgets the choices made in this wizard. Anything already created on DigitalOcean stays, and stays listed under Servers."
            confirmLabel="Start over"
            cancelLabel="Keep my choices"
            onConfirm={async () => {
              await call('cloud.discardDraft', {});
              setDraft(newDraft());
            }}
          />
        </div>
      ) : null}
    </div>
  );
}

function Nav({ onBack, onNext, nextLabel = 'Next', busy = false, disabled = false }: { onBack?: () => void; onNext?: () => void; nextLabel?: string; busy?: boolean; disabled?: boolean }) {
  return (
    <div className="actions">
      {onBack ? (
        <button type="button" className="button" onClick={onBack}>
          Back
        </button>
      ) : null}
      {onNext ? (
        <button type="button" className="button button-primary" onClick={onNext} disabled={busy || disabled} aria-busy={busy || undefined}>
          {nextLabel}
        </button>
      ) : null}
    </div>
  );
}

function Field({ id, label, hint, error, children }: { id: string; label: string; hint?: ReactNode; error?: string | null; children: ReactNode }) {
  return (
    <div className="do-field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <p className="muted small" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="do-field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function TokenStep({ draft, onNext }: { draft: WizardDraft; onNext: () => void }) {
  const [token, setToken] = useState('');
  const { busy, error, run } = useAction();
  const [missing, setMissing] = useState<string | null>(null);
  const [account, setAccount] = useState<CallOutput<'cloud.checkToken'> | null>(null);
  const resumed = draft.updatedAt !== '';

  const check = async (useKept: boolean) => {
    if (!useKept && !token.trim()) return setMissing('Paste your token first.');
    setMissing(null);
    await run(async () => {
      setAccount(await call('cloud.checkToken', useKept ? {} : { token: token.trim() }));
      setToken('');
    });
  };

  return (
    <section className="panel" aria-labelledby="do-token-title">
      <h2 id="do-token-title">Your DigitalOcean token</h2>
      <p>
        Hearth creates the server with your DigitalOcean account. Create a personal access token with <strong>read and write</strong> scope in the
        DigitalOcean control panel (API → Tokens) and paste it here. Hearth keeps it in your system keychain only.
      </p>
      {account ? (
        <div className="do-ok" role="status">
          <p>
            Signed in to DigitalOcean as <strong>{account.email}</strong>. This account may have up to {account.dropletLimit} droplets.
          </p>
          {account.serversUpdated.length > 0 ? <p>The new token now also manages {account.serversUpdated.join(', ')}, whose old token no longer worked or belonged to this account.</p> : null}
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void check(false);
          }}
        >
          <Field id="do-token" label="DigitalOcean API token" error={missing}>
            <input
              id="do-token"
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={token}
              onChange={(e) => setToken(e.target.value)}
              aria-invalid={missing ? true : undefined}
              aria-describedby={missing ? 'do-token-error' : undefined}
            />
          </Field>
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy} aria-busy={busy || undefined}>
              Check the token
            </button>
            {resumed ? (
              <button type="button" className="button" disabled={busy} onClick={() => void check(true)}>
                Use the token Hearth kept
              </button>
            ) : null}
          </div>
        </form>
      )}
      {error ? <ErrorMessage error={error} title="The token did not work." /> : null}
      {account ? <Nav onNext={onNext} /> : null}
    </section>
  );
}

function SizeStep({ draft, update, onBack, onNext }: { draft: WizardDraft; update: (c: Partial<WizardDraft>) => void; onBack: () => void; onNext: () => void }) {
  const [options, setOptions] = useState<Options | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [problems, setProblems] = useState<Record<string, string>>({});

  const [attempt, setAttempt] = useState(0);
  const draftRef = useRef(draft);
  useEffect(() => {
    draftRef.current = draft;
  }, [draft]);

  useEffect(() => {
    let live = true;
    call('cloud.options', {}).then(
      (result) => {
        if (!live) return;
        setError(null);
        setOptions(result);
        // Sensible defaults once the options are known; what the user typed always wins.
        const d = draftRef.current;
        const change: Partial<WizardDraft> = {};
        if (!d.region) change.region = result.regions.find((r) => r.slug === 'nyc3')?.slug ?? result.regions.find((r) => r.spaces)?.slug ?? '';
        if (!d.sshFrom && result.publicAddress) change.sshFrom = result.publicAddress;
        if (!d.size) change.size = pickSize(result.sizes, d.expectedAccounts)?.slug ?? '';
        if (Object.keys(change).length) update(change);
      },
      (err) => live && setError(toErrorInfo(err)),
    );
    return () => {
      live = false;
    };
  }, [attempt, update]);

  if (error) {
    return (
      <section className="panel">
        <ErrorMessage error={error} title="Could not load DigitalOcean's regions and sizes.">
          <button type="button" className="button button-primary" onClick={() => setAttempt((n) => n + 1)}>
            Retry
          </button>
          <button type="button" className="button" onClick={onBack}>
            Back
          </button>
        </ErrorMessage>
      </section>
    );
  }
  if (!options) return <p className="muted loading">Loading regions and sizes…</p>;

  const sizes = options.sizes.filter((s) => !draft.region || s.regions.includes(draft.region));
  const chosen = sizes.find((s) => s.slug === draft.size);
  const warning = chosen ? sizeWarning(draft.expectedAccounts, chosen.memoryMb) : null;
  const recommended = recommendedMemoryMb(draft.expectedAccounts);
  const recommendedSlug = pickSize(sizes, draft.expectedAccounts)?.slug;
  const region = options.regions.find((r) => r.slug === draft.region);
  // Editing a field clears what was said about it; the rest is checked again on Next.
  const set = (field: keyof WizardDraft, change: Partial<WizardDraft>) => {
    if (problems[field]) setProblems(({ [field]: _fixed, ...rest }) => rest);
    update(change);
  };

  const next = () => {
    const found: Record<string, string> = {};
    if (!NAME_PATTERN.test(draft.name)) found.name = 'Use lowercase letters, digits and dashes, like my-pds (up to 50).';
    if (!region) found.region = 'Choose a region.';
    if (!chosen) found.size = 'Choose a size offered in this region.';
    if (!IPV4_PATTERN.test(draft.sshFrom)) found.sshFrom = 'Enter an IPv4 address like 203.0.113.7.';
    if (!Number.isInteger(draft.expectedAccounts) || draft.expectedAccounts < 1) found.expectedAccounts = 'Enter a whole number of accounts, at least 1.';
    setProblems(found);
    if (!Object.keys(found).length) onNext();
  };

  return (
    <section className="panel" aria-labelledby="do-size-title">
      <h2 id="do-size-title">Region and size</h2>
      <div className="do-grid">
        <Field id="do-name" label="Server name" hint="Used for the droplet and everything Hearth creates with it." error={problems.name}>
          <input id="do-name" value={draft.name} onChange={(e) => set('name', { name: e.target.value.toLowerCase() })} aria-invalid={problems.name ? true : undefined} placeholder="my-pds" />
        </Field>
        <Field id="do-accounts" label="Expected number of accounts" error={problems.expectedAccounts}>
          <input
            id="do-accounts"
            type="number"
            min={1}
            value={Number.isFinite(draft.expectedAccounts) ? draft.expectedAccounts : ''}
            onChange={(e) => set('expectedAccounts', { expectedAccounts: Math.floor(Number(e.target.value)) })}
          />
        </Field>
        <Field
          id="do-region"
          label="Region"
          hint={region && !region.spaces ? 'Spaces is not offered here: the backup bucket goes to New York 3.' : 'The droplet and its backup bucket share this region.'}
          error={problems.region}
        >
          <select id="do-region" value={draft.region} onChange={(e) => set('region', { region: e.target.value })}>
            {options.regions.map((r) => (
              <option key={r.slug} value={r.slug}>
                {r.name} ({r.slug})
              </option>
            ))}
          </select>
        </Field>
        <Field id="do-ssh-from" label="Allow SSH only from this address" hint="Your computer's public address, as the internet sees it. Only it can reach the server's SSH port." error={problems.sshFrom}>
          <input id="do-ssh-from" value={draft.sshFrom} onChange={(e) => set('sshFrom', { sshFrom: e.target.value.trim() })} inputMode="decimal" />
        </Field>
      </div>
      <fieldset className="do-sizes">
        <legend>Size (about {formatMemory(recommended)} of memory recommended for {draft.expectedAccounts} accounts)</legend>
        {sizes.map((s) => (
          <label key={s.slug} className="do-size">
            <input type="radio" name="do-size" value={s.slug} checked={draft.size === s.slug} onChange={() => set('size', { size: s.slug })} />
            <span>
              <strong>{formatMemory(s.memoryMb)}</strong> · {s.vcpus} vCPU · {s.diskGb} GB disk — {formatUsd(s.priceMonthly)} a month
              {s.slug === recommendedSlug ? <span className="badge do-badge"> recommended</span> : null}
            </span>
          </label>
        ))}
      </fieldset>
      {problems.size ? (
        <p className="do-field-error" role="alert">
          {problems.size}
        </p>
      ) : null}
      {warning ? (
        <div className="do-warning" role="status">
          <p>
            <strong>Small for your accounts.</strong> {warning}
          </p>
        </div>
      ) : null}
      <Nav onBack={onBack} onNext={next} />
    </section>
  );
}

function pickSize(sizes: DoSizeView[], accounts: number): DoSizeView | undefined {
  const wanted = recommendedMemoryMb(accounts);
  return sizes.filter((s) => s.memoryMb >= wanted).sort((a, b) => a.priceMonthly - b.priceMonthly)[0];
}

function DomainStep({ draft, update, onBack, onNext }: { draft: WizardDraft; update: (c: Partial<WizardDraft>, o?: { now?: boolean }) => void; onBack: () => void; onNext: () => void }) {
  const { busy, error, run } = useAction();
  const [problem, setProblem] = useState<string | null>(null);
  const [found, setFound] = useState<CallOutput<'cloud.checkDomain'> | null>(null);

  const next = async () => {
    const hostname = draft.hostname.trim().toLowerCase();
    if (!HOSTNAME_PATTERN.test(hostname)) return setProblem('Enter the name your PDS will have, like pds.example.com.');
    setProblem(null);
    await run(async () => {
      const result = await call('cloud.checkDomain', { hostname });
      setFound(result);
      if (draft.dnsMode === 'digitalocean' && !result.zone) {
        setProblem(`${hostname} is not in a domain of this DigitalOcean account. Add the domain under Networking → Domains, or choose "I manage DNS elsewhere".`);
        return;
      }
      update({ hostname, dnsZone: result.zone }, { now: true });
      onNext();
    });
  };

  return (
    <section className="panel" aria-labelledby="do-domain-title">
      <h2 id="do-domain-title">Domain</h2>
      <p>Your PDS needs a name, and account handles live under it (alice.pds.example.com): both point at the server's address.</p>
      <Field id="do-hostname" label="PDS hostname" error={problem}>
        <input id="do-hostname" value={draft.hostname} onChange={(e) => update({ hostname: e.target.value.trim().toLowerCase() })} placeholder="pds.example.com" aria-invalid={problem ? true : undefined} />
      </Field>
      <fieldset className="do-radios">
        <legend>DNS</legend>
        <label>
          <input type="radio" name="do-dns" checked={draft.dnsMode === 'digitalocean'} onChange={() => update({ dnsMode: 'digitalocean' })} /> DigitalOcean manages this domain's DNS: Hearth creates the records
        </label>
        <label>
          <input type="radio" name="do-dns" checked={draft.dnsMode === 'manual'} onChange={() => update({ dnsMode: 'manual' })} /> I manage DNS elsewhere: show me the two records to create
        </label>
      </fieldset>
      {draft.dnsMode === 'manual' && HOSTNAME_PATTERN.test(draft.hostname) ? (
        <div className="do-records">
          <p>After the server is created, add these two records at your DNS provider (Hearth shows the address then and checks them):</p>
          <RecordsTable hostname={draft.hostname} address="the server's address" />
        </div>
      ) : null}
      {found?.zone && draft.dnsMode === 'digitalocean' ? <p role="status">Found the DNS zone {found.zone} in your DigitalOcean account.</p> : null}
      {error ? <ErrorMessage error={error} title="Could not check the domain." /> : null}
      <Nav onBack={onBack} onNext={() => void next()} busy={busy} />
    </section>
  );
}

function RecordsTable({ hostname, address }: { hostname: string; address: string }) {
  return (
    <Table
      caption="DNS records to create"
      hiddenCaption
      headers={['Type', 'Name', 'Value']}
      rows={[hostname, `*.${hostname}`].map((name) => ({ key: name, cells: [{ text: 'A' }, { text: name, className: 'mono' }, { text: address, className: 'mono' }] }))}
    />
  );
}

interface Cell {
  text: ReactNode;
  className?: string;
}

/** The wizard's three-column lists (records, plan, resources), as one accessible table. */
function Table({ caption, hiddenCaption = false, headers, rows }: { caption: string; hiddenCaption?: boolean; headers: string[]; rows: { key: string; cells: Cell[] }[] }) {
  return (
    <table className="jobs-table do-table">
      <caption className={hiddenCaption ? 'visually-hidden' : undefined}>{caption}</caption>
      <thead>
        <tr>
          {headers.map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            {row.cells.map((cell, i) => (
              <td key={i} className={cell.className}>
                {cell.text}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function useJob(jobId: string | null) {
  const job = useJobsStore((s) => (jobId ? s.jobs[jobId] : undefined));
  const lines = useJobsStore((s) => (jobId ? s.logs[jobId] : undefined));
  useEffect(() => {
    if (jobId) void useJobsStore.getState().loadJob(jobId);
  }, [jobId]);
  return { job, lines: lines ?? [] };
}

function ReviewStep({ draft, update, onBack, onNext }: { draft: WizardDraft; update: (c: Partial<WizardDraft>, o?: { now?: boolean }) => void; onBack: () => void; onNext: (applyJobId: string) => void }) {
  const { job, lines } = useJob(draft.previewJobId);
  const { busy, error, setError, run } = useAction();
  const [plan, setPlan] = useState<CloudPlanView | null>(draft.plan);

  const { serverId, name, region, size, hostname, dnsMode, sshFrom } = draft;
  const preview = useCallback(
    () =>
      call('cloud.preview', { serverId, name, region, size, hostname, dnsMode, sshFrom }).then(
        ({ jobId }) => {
          setError(null);
          setPlan(null);
          update({ previewJobId: jobId, plan: null }, { now: true });
        },
        (err) => setError(toErrorInfo(err)),
      ),
    [serverId, name, region, size, hostname, dnsMode, sshFrom, update, setError],
  );

  // A new plan whenever the review opens without one (first time, or after going Back to change something).
  const needsPlan = !draft.previewJobId && !draft.plan;
  useEffect(() => {
    if (needsPlan) void preview();
  }, [needsPlan, preview]);

  useEffect(() => {
    if (job?.state !== 'succeeded' || plan) return;
    void call('cloud.plan', { serverId: draft.serverId })
      .then((p) => {
        setPlan(p);
        update({ plan: p }, { now: true });
      })
      .catch((err) => setError(toErrorInfo(err)));
  }, [job?.state, plan, draft.serverId, update, setError]);

  const back = () => {
    update({ previewJobId: null, plan: null }, { now: true });
    onBack();
  };
  const create = () => run(async () => onNext((await call('cloud.apply', { serverId: draft.serverId })).jobId));

  const running = !plan && (!job || job.state === 'running') && !error;
  return (
    <section className="panel" aria-labelledby="do-review-title">
      <h2 id="do-review-title">Review the plan</h2>
      {running ? <ProgressBar value={job?.progress ?? 0} label="Planning progress" step={job?.step || 'Starting…'} /> : null}
      {job && job.state !== 'running' && job.state !== 'succeeded' ? (
        <ErrorMessage error={job.error ?? { code: 'INTERNAL', message: 'The plan could not be made.', hint: 'Try again.' }} title="Could not plan the server.">
          <button type="button" className="button button-primary" onClick={() => void preview()}>
            Try again
          </button>
        </ErrorMessage>
      ) : null}
      {plan ? <PlanView plan={plan} /> : null}
      {error ? <ErrorMessage error={error} title="Could not plan the server." /> : null}
      <Nav onBack={back} onNext={plan ? () => void create() : undefined} nextLabel={`Create the server (${plan ? formatUsd(plan.monthlyCost.totalUsd) : ''} a month)`} busy={busy} />
      {!plan ? (
        <details>
          <summary>Planning log</summary>
          <JobLog lines={lines} label="Planning log" />
        </details>
      ) : null}
    </section>
  );
}

const OP_WORDS: Record<string, string> = { create: 'Create', update: 'Update', replace: 'Replace', delete: 'Delete', same: 'No change' };

function PlanView({ plan }: { plan: CloudPlanView }) {
  return (
    <div className="do-plan">
      {plan.simulated ? (
        <p className="do-warning" role="note">
          <strong>Simulated preview:</strong> Hearth runs in test mode, so no Pulumi engine ran. The list below comes from Hearth's program, not from DigitalOcean.
        </p>
      ) : null}
      {plan.pendingOperations.length ? (
        <div className="do-warning" role="status">
          <p>
            <strong>An earlier run was interrupted.</strong> Hearth reconciles it before creating anything:
          </p>
          <ul>
            {plan.pendingOperations.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <Table
        caption="What Hearth will do on DigitalOcean"
        headers={['Action', 'What', 'Name']}
        rows={plan.resources.map((r) => ({
          key: r.urn,
          cells: [{ text: OP_WORDS[r.op], className: `do-op do-op-${r.op}` }, { text: r.kind }, { text: r.name, className: 'mono' }],
        }))}
      />
      <table className="jobs-table do-table">
        <caption>Monthly cost</caption>
        <tbody>
          {plan.monthlyCost.lines.map((l) => (
            <tr key={l.label}>
              <td>{l.label}</td>
              <td className="do-money">{formatUsd(l.usdMonthly)}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">About, per month</th>
            <td className="do-money">
              <strong>{formatUsd(plan.monthlyCost.totalUsd)}</strong>
            </td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}

function ResourceRows({ jobId }: { jobId: string }) {
  const [rows, setRows] = useState<ResourceRow[]>([]);
  useEffect(() => {
    let live = true;
    void call('cloud.resources', { jobId }).then((r) => live && r.length && setRows(r)).catch(() => undefined);
    const off = getBridge().bridge.on('cloud.resources', (payload) => {
      if (payload.jobId === jobId) setRows(payload.rows);
    });
    return () => {
      live = false;
      off();
    };
  }, [jobId]);
  const words: Record<ResourceRow['state'], string> = { pending: 'Waiting', running: 'Working…', done: 'Done', failed: 'Failed' };
  return (
    <Table
      caption="Resources"
      headers={['What', 'Name', 'State']}
      rows={rows.map((r) => ({ key: r.urn, cells: [{ text: r.kind }, { text: r.name, className: 'mono' }, { text: words[r.state], className: `do-row-${r.state}` }] }))}
    />
  );
}

function CreateStep({ draft, onBack, onNext }: { draft: WizardDraft; onBack: () => void; onNext: () => void }) {
  const { job, lines } = useJob(draft.applyJobId);
  useEffect(() => {
    if (job?.state === 'succeeded') {
      void useServersStore.getState().load();
      onNext();
    }
  }, [job?.state, onNext]);
  if (!draft.applyJobId) return null;
  const running = !job || job.state === 'running';
  return (
    <section className="panel" aria-labelledby="do-create-title">
      <h2 id="do-create-title">Creating the server</h2>
      <p className="muted">This takes a few minutes. You can close the window: the job goes on and this page picks up where it is.</p>
      {running ? (
        <JobProgress
          jobId={draft.applyJobId}
          job={job}
          label="Server creation progress"
          cancel={{
            title: 'Stop creating the server?',
            description: 'The engine stops cleanly after its current step. What was already created stays, and is finished or removed when you run it again.',
            confirmLabel: 'Stop',
          }}
        />
      ) : job.state !== 'succeeded' ? (
        <ErrorMessage error={job.error ?? { code: 'INTERNAL', message: 'The server was not created.', hint: '' }} title="Creating the server did not finish.">
          <button type="button" className="button button-primary" onClick={onBack}>
            Review the plan again
          </button>
        </ErrorMessage>
      ) : null}
      <ResourceRows jobId={draft.applyJobId} />
      <h3 className="subheading">Log</h3>
      <JobLog lines={lines} label="Server creation log" />
    </section>
  );
}

const PHASE_WORDS: Record<HandOverPhase, string> = {
  connect: 'Connecting to the droplet over SSH…',
  preflight: 'Checking the droplet before installing (system, ports, DNS)…',
  'waiting-dns': 'Waiting for both names to point at the droplet before installing (checked every 15 s)…',
  install: 'Installing the PDS…',
  done: 'The PDS is installed.',
};

/** What the hand-over job found so far (phase, pinned host key, latest preflight): read once, then followed live. */
function useHandOverStatus(jobId: string | null): HandOverStatus | null {
  const [status, setStatus] = useState<HandOverStatus | null>(null);
  useEffect(() => {
    if (!jobId) return;
    let live = true;
    void call('cloud.handOverStatus', { jobId })
      .then((found) => live && found && setStatus((current) => (current?.jobId === jobId ? current : found)))
      .catch(() => undefined);
    const off = getBridge().bridge.on('cloud.handOver', (payload) => {
      if (payload.jobId === jobId) setStatus(payload);
    });
    return () => {
      live = false;
      off();
    };
  }, [jobId]);
  return status?.jobId === jobId ? status : null;
}

/**
 * The hand-over: the new droplet goes to the SSH installer, as one core job (cloud.handOver) that
 * connects, pins the host key, waits for DNS and installs. This step only follows it: it starts
 * one when the draft has none, keeps its id in the draft (a window opened later follows the same
 * job), and shows its phase, findings and log; Try again starts it again, which finishes the work.
 */
function InstallStep({ draft, update }: { draft: WizardDraft; update: (c: Partial<WizardDraft>, o?: { now?: boolean }) => void }) {
  const navigate = useUiStore((s) => s.navigate);
  const [refreshJob, setRefreshJob] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const { job: refresh, lines: refreshLines } = useJob(refreshJob);
  const server = useServersStore((s) => s.servers?.find((x) => x.id === draft.serverId) ?? null);
  const address = server?.url ?? null;

  const [outputs, setOutputs] = useState<CallOutput<'cloud.outputs'>>(null);
  const [destroyCheck, setDestroyCheck] = useState<CallOutput<'cloud.destroyCheck'> | null>(null);
  const [backups, setBackups] = useState<CallOutput<'backups.get'> | null>(null);
  useEffect(() => {
    void useServersStore.getState().load();
    void call('cloud.outputs', { serverId: draft.serverId }).then(setOutputs).catch((err) => setError(toErrorInfo(err)));
    void call('cloud.destroyCheck', { serverId: draft.serverId }).then(setDestroyCheck).catch(() => undefined);
    void call('backups.get', { serverId: draft.serverId }).then(setBackups).catch(() => undefined);
  }, [draft.serverId]);
  const replaceWhy = !server?.install
    ? 'Replacing the droplet needs the PDS installed first.'
    : !backups?.target || !backups.status?.lastSuccess
      ? 'Replacing the droplet restores this server’s latest backup onto a new droplet, so it stays off until this server has a backup: set backups up on the Backups screen.'
      : null;

  const jobId = draft.handOverJobId;
  const { job, lines } = useJob(jobId);
  const status = useHandOverStatus(jobId);
  const [startError, setStartError] = useState<ErrorInfo | null>(null);
  const [health, setHealth] = useState<CallOutput<'servers.health'> | null>(null);

  const serverId = draft.serverId;
  const start = useCallback(
    () =>
      call('cloud.handOver', { serverId }).then(
        ({ jobId: started }) => {
          setStartError(null);
          update({ handOverJobId: started }, { now: true });
        },
        (err) => setStartError(toErrorInfo(err)),
      ),
    [serverId, update],
  );
  // The first time this step opens there is no hand-over yet. Once only, even when React runs
  // effects twice; a draft already done (from a Hearth before the hand-over job) is not redone.
  const startedOnce = useRef(false);
  const needsStart = !jobId && draft.step === 'install';
  useEffect(() => {
    if (!needsStart || startedOnce.current) return;
    startedOnce.current = true;
    void start();
  }, [needsStart, start]);

  const jobState = job?.state ?? null;
  const installed = jobState === 'succeeded' || (!jobId && draft.step === 'done');
  useEffect(() => {
    if (!installed) return;
    if (draft.step !== 'done') update({ step: 'done' }, { now: true });
    void useServersStore.getState().load();
    void call('servers.health', { serverId: draft.serverId }).then(setHealth).catch(() => undefined);
  }, [installed, draft.step, draft.serverId, update]);

  const running = Boolean(jobId) && (!job || job.state === 'running');
  const phase: HandOverPhase = installed ? 'done' : (status?.phase ?? 'connect');
  // After a restart the job's status is gone; the pinned key is still in the server's entry.
  const pinned = status?.hostKeyFingerprint ?? server?.ssh?.hostKey ?? null;
  const checks = status?.preflight ?? null;
  const dnsCheck = checks?.checks.find((c) => c.id === 'dns');
  const blocking = checks && !checks.ok ? checks.checks.filter((c) => c.status === 'fail' && c.id !== 'dns') : [];

  return (
    <section className="panel" aria-labelledby="do-install-title">
      <h2 id="do-install-title">The droplet is ready</h2>
      <p>
        The server {draft.name} is created{address ? ` for ${address}` : ''}, with its reserved IP, firewall{draft.dnsMode === 'digitalocean' ? ', DNS records' : ''} and a private backup bucket.
      </p>
      {outputs ? (
        <p>
          Address: <span className="mono">{outputs.ip}</span> · backup bucket <span className="mono">{outputs.bucketName}</span>
        </p>
      ) : null}
      <h3 className="subheading">Installing the PDS over SSH</h3>
      {pinned ? (
        <p>
          Host key pinned on first connection: <span className="mono">{pinned}</span>. Hearth refuses to connect if the droplet ever presents another key.
        </p>
      ) : null}
      {installed ? (
        <p role="status" className="do-ok">
          {health?.status === 'healthy'
            ? `Your PDS is running and healthy at ${address ?? `https://${outputs?.hostname ?? ''}`}${health.version ? ` (version ${health.version})` : ''}.`
            : health
              ? `The PDS is installed; its health check says: ${health.message}`
              : 'The PDS is installed. Checking its health…'}
        </p>
      ) : running ? (
        <p role="status">{PHASE_WORDS[phase]}</p>
      ) : null}
      {outputs && !installed && phase !== 'install' && (dnsCheck ? dnsCheck.status === 'fail' : outputs.dnsManual) ? (
        <div className="do-records">
          <p>
            {outputs.dnsManual ? 'Create these two records at your DNS provider' : 'DigitalOcean’s DNS records are not visible yet'}; Hearth checks again every 15 s and installs as soon as both names point to the server:
          </p>
          <RecordsTable hostname={outputs.hostname} address={outputs.ip} />
          {dnsCheck ? <p className="muted small">{dnsCheck.detail}</p> : null}
        </div>
      ) : null}
      {blocking.length ? (
        <div className="do-warning" role="alert">
          <p>The droplet is not ready for the install:</p>
          <ul>
            {blocking.map((c) => (
              <li key={c.id}>
                <strong>{c.label}:</strong> {c.detail} {c.fix}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {running && status?.unreachable && phase === 'connect' ? (
        <ErrorMessage error={{ code: 'NETWORK', message: status.unreachable, hint: '' }} title="The droplet does not answer over SSH yet (trying again every 10 s)." />
      ) : null}
      {startError ? (
        <ErrorMessage error={startError} title="Could not hand the droplet to the installer.">
          <button type="button" className="button" onClick={() => void start()}>
            Try again
          </button>
        </ErrorMessage>
      ) : null}
      {jobId ? (
        <>
          {running ? (
            <>
              {phase === 'install' ? <ProgressBar value={job?.progress ?? 0} label="Install progress" step={job?.step || 'Starting…'} /> : null}
              <div className="actions">
                <button type="button" className="button" onClick={() => void call('jobs.cancel', { id: jobId }).catch(() => undefined)}>
                  Cancel the install
                </button>
              </div>
            </>
          ) : jobState !== 'succeeded' ? (
            <ErrorMessage error={job?.error ?? { code: 'INTERNAL', message: 'The install did not finish.', hint: '' }} title="Installing the PDS did not finish.">
              <button type="button" className="button button-primary" onClick={() => void start()}>
                Try again
              </button>
            </ErrorMessage>
          ) : (
            <div className="actions">
              <button type="button" className="button button-primary" onClick={() => navigate({ screen: 'servers' })}>
                Go to Servers
              </button>
            </div>
          )}
          <h3 className="subheading">Install log</h3>
          <JobLog lines={lines} label="Install log" />
        </>
      ) : installed ? (
        <div className="actions">
          <button type="button" className="button button-primary" onClick={() => navigate({ screen: 'servers' })}>
            Go to Servers
          </button>
        </div>
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="button"
          onClick={async () => {
            setError(null);
            try {
              setRefreshJob((await call('cloud.refresh', { serverId: draft.serverId })).jobId);
            } catch (err) {
              setError(toErrorInfo(err));
            }
          }}
        >
          Check for changes made outside Hearth
        </button>
        {replaceWhy ? (
          <button type="button" className="button" disabled aria-describedby="do-replace-why">
            Replace the droplet
          </button>
        ) : (
          <ConfirmJobByName
            trigger={
              <button type="button" className="button">
                Replace the droplet…
              </button>
            }
            title={`Replace the droplet of ${draft.name}?`}
            name={draft.name}
            inputId="do-replace-name"
            intro={
              <span className="do-block">
                Hearth builds a new droplet beside this one and installs the PDS there with the same secrets. Then it stops the PDS here (your accounts are
                offline from then on, usually a few minutes), takes a last backup, restores it on the new droplet, moves the reserved IP and checks that every
                account’s DID still resolves. Only then is the old droplet deleted; if anything fails before the IP moves, the PDS here starts again.
              </span>
            }
            confirmLabel="Replace the droplet"
            cancelLabel="Keep this droplet"
            start={async (typed) => (await call('cloud.replace', { serverId: draft.serverId, confirmName: typed })).jobId}
          />
        )}
        <ConfirmJobByName
          trigger={
            <button type="button" className="button button-danger">
              Destroy the server…
            </button>
          }
          title={`Destroy ${draft.name}?`}
          name={draft.name}
          inputId="do-confirm-name"
          intro={
            <>
              {destroyCheck?.backupWarning ? (
                <span className="do-block" role="alert">
                  {destroyCheck.backupWarning}
                </span>
              ) : null}
              <span className="do-block">Destroying deletes the droplet, its reserved IP, its DNS records and its bucket.</span>
            </>
          }
          confirmLabel="Destroy"
          cancelLabel="Keep the server"
          destructive
          start={async (typed) => (await call('cloud.destroy', { serverId: draft.serverId, confirmName: typed })).jobId}
        />
      </div>
      {replaceWhy ? (
        <p className="muted small" id="do-replace-why">
          {replaceWhy}
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} title="Could not check the server." /> : null}
      {refresh ? (
        <>
          <ProgressBar value={refresh.progress} label="Check progress" step={refresh.step} />
          <JobLog lines={refreshLines} label="Check log" />
        </>
      ) : null}
    </section>
  );
}

/** A confirmation that asks for the server's name typed, then starts a job and shows it on the Jobs screen. */
function ConfirmJobByName({
  name,
  inputId,
  intro,
  start,
  ...dialog
}: {
  trigger: ReactNode;
  title: string;
  name: string;
  inputId: string;
  intro: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  destructive?: boolean;
  /** Starts the job with what was typed (core checks it) and returns its id. */
  start: (typed: string) => Promise<string>;
}) {
  const navigate = useUiStore((s) => s.navigate);
  const [typed, setTyped] = useState('');
  return (
    <ConfirmDialog
      {...dialog}
      description={
        <>
          {intro}
          <label className="do-block" htmlFor={inputId}>
            Type the server's name, {name}, to confirm:
          </label>
          <input id={inputId} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
        </>
      }
      onConfirm={async () => navigate({ screen: 'jobs', jobId: await start(typed) })}
    />
  );
}
