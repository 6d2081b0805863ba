import { useState, type FormEvent } from 'react';
import type { CallOutput, LogLine, PreflightCheck } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { JobOutcome } from '../../components/JobBits.tsx';
import { JobLog } from '../../components/JobLog.tsx';
import { DEFAULT_PORTS, PortFields, portNumbers } from '../../components/PortFields.tsx';
import { ScreenHeading } from '../../components/ScreenHeading.tsx';
import { useJobsStore } from '../../state/jobs.ts';
import { useUiStore } from '../../state/ui.ts';
import './connect.css';

type Key = CallOutput<'hosts.createKey'>;
type Preflight = CallOutput<'hosts.preflight'>;
type Detected = CallOutput<'hosts.detect'>;

const NO_LINES: LogLine[] = [];
const STATUS_LABEL: Record<PreflightCheck['status'], string> = { pass: 'OK', warn: 'Note', fail: 'Problem' };

/**
 * "Connect my server": SSH in with a key Hearth makes (or a password used once to install it),
 * check the server, install a PDS with HTTPS. Each stage shows what Hearth found in plain words.
 */
export function ConnectServer() {
  const [name, setName] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('22');
  const [username, setUsername] = useState('root');
  const [password, setPassword] = useState('');
  const [key, setKey] = useState<Key | null>(null);
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  const [hostname, setHostname] = useState('');
  const [tlsMode, setTlsMode] = useState<'acme' | 'internal'>('acme');
  const [email, setEmail] = useState('');
  const [advanced, setAdvanced] = useState({ ...DEFAULT_PORTS, plcUrl: '' });
  const [mail, setMail] = useState({ smtpUrl: '', emailFrom: '', testTo: '' });
  const [mailSent, setMailSent] = useState<string | null>(null);
  const [detected, setDetected] = useState<Detected | null>(null);
  const [importSecrets, setImportSecrets] = useState(true);
  const [adopted, setAdopted] = useState<string | null>(null);
  const [preflight, setPreflight] = useState<Preflight | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<{ title: string; info: ErrorInfo } | null>(null);
  const job = useJobsStore((s) => (jobId ? s.jobs[jobId] : undefined));
  const lines = useJobsStore((s) => (jobId ? s.logs[jobId] : undefined)) ?? NO_LINES;

  const attempt = async (what: string, title: string, run: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await run();
    } catch (err) {
      setError({ title, info: toErrorInfo(err) });
    } finally {
      setBusy(null);
    }
  };

  const ports = () => ({
    httpsPort: Number(advanced.httpsPort),
    httpPort: Number(advanced.httpPort),
  });

  const makeKey = (e: FormEvent) => {
    e.preventDefault();
    void attempt('key', 'Could not make a key for this server.', async () => {
      setKey(await call('hosts.createKey', { name: name.trim() || host.trim() }));
    });
  };

  const connect = (withPassword: boolean) =>
    attempt('connect', 'Hearth could not log in to the server.', async () => {
      if (!key) return;
      const result = await call('hosts.connect', {
        serverId: key.serverId,
        name: name.trim() || host.trim(),
        host: host.trim(),
        port: Number(port),
        username: username.trim(),
        ...(withPassword && password ? { password } : {}),
      });
      setPassword('');
      setFingerprint(result.hostKeyFingerprint);
      // A server that already runs a PDS is adopted as it is rather than installed over.
      setDetected(await call('hosts.detect', { serverId: key.serverId }).catch(() => null));
    });

  const adopt = () =>
    attempt('adopt', 'Hearth could not adopt this PDS.', async () => {
      if (!key) return;
      const result = await call('hosts.adopt', { serverId: key.serverId, importSecrets });
      setAdopted(result.hostname);
    });

  const check = (e: FormEvent) => {
    e.preventDefault();
    void attempt('check', 'Hearth could not check the server.', async () => {
      if (!key) return;
      setPreflight(await call('hosts.preflight', { serverId: key.serverId, hostname: hostname.trim(), ...ports() }));
    });
  };

  const install = () =>
    attempt('install', 'Could not start the install.', async () => {
      if (!key) return;
      const { jobId: id } = await call('hosts.install', {
        serverId: key.serverId,
        hostname: hostname.trim(),
        tlsMode,
        ...(email.trim() && { email: email.trim() }),
        ...portNumbers(advanced),
        ...(advanced.plcUrl.trim() && { plcUrl: advanced.plcUrl.trim() }),
        ...(mail.smtpUrl.trim() && { smtpUrl: mail.smtpUrl.trim() }),
        ...(mail.emailFrom.trim() && { emailFrom: mail.emailFrom.trim() }),
      });
      setJobId(id);
      void useJobsStore.getState().loadJob(id);
    });

  return (
    <div className="screen connect-server">
      <ScreenHeading>Connect my server</ScreenHeading>
      <p className="lead">Hearth logs in to your Linux server over SSH, checks it, and installs a PDS with HTTPS. You will not need a terminal.</p>

      <section className="panel" aria-labelledby="connect-server-title">
        <h2 id="connect-server-title">1. Your server</h2>
        <form onSubmit={makeKey} className="connect-grid">
          <label>
            Name in Hearth
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="My VPS" disabled={Boolean(key)} />
          </label>
          <label>
            Address
            <input value={host} onChange={(e) => setHost(e.target.value)} required placeholder="203.0.113.10 or vps.example.com" disabled={Boolean(fingerprint)} />
          </label>
          <label>
            SSH port
            <input value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" required pattern="[0-9]{1,5}" disabled={Boolean(fingerprint)} />
          </label>
          <label>
            User
            <input value={username} onChange={(e) => setUsername(e.target.value)} required disabled={Boolean(fingerprint)} />
          </label>
          {!key ? (
            <div className="actions">
              <button type="submit" className="button button-primary" disabled={busy !== null || !host.trim()}>
                Make Hearth&apos;s key
              </button>
            </div>
          ) : null}
        </form>

        {key && !fingerprint ? (
          <div className="connect-key">
            <p>
              Hearth made a key for this server; its secret half stays in this computer&apos;s keychain. Let Hearth in one of two ways:
            </p>
            <h3 className="subheading">Either run this line on the server (for example in your provider&apos;s web console)</h3>
            <textarea className="mono" readOnly value={key.installCommand} aria-label="Command that adds Hearth's key" rows={3} onFocus={(e) => e.currentTarget.select()} />
            <div className="actions">
              <button type="button" className="button button-primary" onClick={() => void connect(false)} disabled={busy !== null}>
                I ran it — connect
              </button>
            </div>
            <h3 className="subheading">Or let Hearth add the key with your password, once</h3>
            <p className="muted small">The password is used for this one login and never saved.</p>
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void connect(true);
              }}
              className="connect-grid"
            >
              <label>
                Password for {username || 'the user'}
                <input type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} required />
              </label>
              <div className="actions">
                <button type="submit" className="button" disabled={busy !== null || !password}>
                  Add the key with my password
                </button>
              </div>
            </form>
          </div>
        ) : null}
        {busy === 'connect' ? <p className="muted" role="status">Connecting…</p> : null}
        {fingerprint ? (
          <p className="connect-ok" role="status">
            Connected to {host}. The server&apos;s identity (host key) is <span className="mono">{fingerprint}</span>; Hearth will warn you if it ever changes.
          </p>
        ) : null}
      </section>

      {fingerprint && detected && detected.kind !== 'none' ? (
        <section className="panel" aria-labelledby="connect-adopt-title">
          <h2 id="connect-adopt-title">This server already runs a PDS</h2>
          <p>
            {detected.kind === 'official' ? 'It was set up with the official installer' : 'Hearth installed it earlier'}
            {detected.hostname ? (
              <>
                {' '}
                for <span className="mono">{detected.hostname}</span>
              </>
            ) : null}
            . Hearth can manage it as it is, without reinstalling anything.
          </p>
          {detected.missingSettings.length ? (
            <div className="note" role="note">
              <p>
                Its settings lack what the official installer writes today: <span className="mono">{detected.missingSettings.join(', ')}</span>.
                {detected.missingSettings.some((line) => line.startsWith('PDS_RATE_LIMITS_ENABLED=')) ? ' Without rate limits, anyone can try passwords against its accounts as fast as it answers.' : ''}
              </p>
              <p className="muted small">Hearth adopts the PDS as it is. To add them, append the lines to /pds/pds.env on the server and restart the PDS (Servers → Restart).</p>
            </div>
          ) : null}
          {adopted ? (
            <div className="actions">
              <p className="connect-ok" role="status">
                Hearth now manages {adopted}.
              </p>
              <button type="button" className="button button-primary" onClick={() => useUiStore.getState().navigate({ screen: 'servers' })}>
                Go to my servers
              </button>
            </div>
          ) : (
            <>
              {detected.secretsOnServer.length ? (
                <label className="connect-check">
                  <input type="checkbox" checked={importSecrets} onChange={(e) => setImportSecrets(e.target.checked)} />
                  Copy its secrets ({detected.secretsOnServer.join(', ')}) into this computer&apos;s keychain — needed for backups and for recovering
                  your accounts&apos; identities if the server is lost.
                </label>
              ) : null}
              <div className="actions">
                <button type="button" className="button button-primary" onClick={() => void adopt()} disabled={busy !== null}>
                  Adopt this PDS
                </button>
              </div>
            </>
          )}
        </section>
      ) : null}

      {fingerprint && !adopted ? (
        <section className="panel" aria-labelledby="connect-pds-title">
          <h2 id="connect-pds-title">2. Your PDS</h2>
          <form onSubmit={check} className="connect-grid">
            <label>
              Hostname
              <input value={hostname} onChange={(e) => setHostname(e.target.value)} required placeholder="pds.example.com" disabled={Boolean(jobId)} />
            </label>
            <fieldset className="connect-radios" disabled={Boolean(jobId)}>
              <legend>HTTPS certificates</legend>
              <label>
                <input type="radio" name="tls" checked={tlsMode === 'acme'} onChange={() => setTlsMode('acme')} />
                Automatic (Let&apos;s Encrypt) — for a server on the internet
              </label>
              <label>
                <input type="radio" name="tls" checked={tlsMode === 'internal'} onChange={() => setTlsMode('internal')} />
                Hearth-trusted local certificates — for a home network or testing
              </label>
            </fieldset>
            {tlsMode === 'acme' ? (
              <label>
                Email for certificate notices (optional)
                <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} disabled={Boolean(jobId)} />
              </label>
            ) : null}
            <details className="connect-advanced">
              <summary>Advanced: ports and identity directory</summary>
              <PortFields value={advanced} onChange={setAdvanced} disabled={Boolean(jobId)} />
              <label>
                Outgoing mail server (optional), e.g. smtps://user:password@smtp.example.com:465
                <input type="password" autoComplete="off" value={mail.smtpUrl} onChange={(e) => setMail({ ...mail, smtpUrl: e.target.value })} disabled={Boolean(jobId)} />
              </label>
              <p className="muted small">
                For sign-up and password-reset emails. Use port 465 (smtps://) or 587; 2525 if those are blocked. Most hosting providers block port 25. The
                address holds a password: Hearth keeps it in the keychain.
              </p>
              <label>
                Send emails from
                <input type="email" value={mail.emailFrom} onChange={(e) => setMail({ ...mail, emailFrom: e.target.value })} disabled={Boolean(jobId)} />
              </label>
              <label>
                PLC directory (empty: plc.directory)
                <input value={advanced.plcUrl} onChange={(e) => setAdvanced({ ...advanced, plcUrl: e.target.value })} disabled={Boolean(jobId)} />
              </label>
            </details>
            {!jobId ? (
              <div className="actions">
                <button type="submit" className="button" disabled={busy !== null || !hostname.trim()}>
                  Check the server
                </button>
              </div>
            ) : null}
          </form>
          {busy === 'check' ? <p className="muted" role="status">Checking the server…</p> : null}

          {preflight ? (
            <>
              <h3 className="subheading">What Hearth found</h3>
              <ul className="connect-checks" aria-label="Server checks">
                {preflight.checks.map((c) => (
                  <li key={c.id} className={`check-${c.status}`}>
                    <strong>
                      {STATUS_LABEL[c.status]}: {c.label}
                    </strong>{' '}
                    <span>{c.detail}</span>
                    {c.fix ? <p className="small">{c.fix}</p> : null}
                  </li>
                ))}
              </ul>
              {!jobId ? (
                <div className="actions">
                  <button type="button" className="button button-primary" onClick={() => void install()} disabled={busy !== null || !preflight.ok}>
                    Install the PDS
                  </button>
                  {!preflight.ok ? <p className="muted small">Fix the problems above, then check again.</p> : null}
                </div>
              ) : null}
            </>
          ) : null}
        </section>
      ) : null}

      {jobId ? (
        <section className="panel" aria-labelledby="connect-install-title">
          <h2 id="connect-install-title">3. Install</h2>
          {job ? <JobOutcome job={job} progressLabel="Install progress" /> : <p className="muted">Starting…</p>}
          {job?.state === 'succeeded' && mail.smtpUrl.trim() ? (
            <form
              className="connect-grid"
              onSubmit={(e) => {
                e.preventDefault();
                void attempt('mail', 'The test email was not sent.', async () => {
                  if (!key) return;
                  setMailSent((await call('hosts.testEmail', { serverId: key.serverId, to: mail.testTo.trim() })).response);
                });
              }}
            >
              <label>
                Send a test email to
                <input type="email" required value={mail.testTo} onChange={(e) => setMail({ ...mail, testTo: e.target.value })} />
              </label>
              <div className="actions">
                <button type="submit" className="button" disabled={busy !== null}>
                  Send a test email
                </button>
              </div>
              {mailSent ? (
                <p className="connect-ok" role="status">
                  Sent: the mail server answered “{mailSent}”.
                </p>
              ) : null}
            </form>
          ) : null}
          {job?.state === 'succeeded' ? (
            <div className="actions">
              <button type="button" className="button button-primary" onClick={() => useUiStore.getState().navigate({ screen: 'servers' })}>
                Go to my servers
              </button>
            </div>
          ) : null}
          {job && job.state !== 'running' && job.state !== 'succeeded' ? (
            <div className="actions">
              <button type="button" className="button" onClick={() => void install()} disabled={busy !== null}>
                Run the install again
              </button>
            </div>
          ) : null}
          <h3 className="subheading">Log</h3>
          <JobLog lines={lines} label="Install log" />
        </section>
      ) : null}

      {error ? <ErrorMessage error={error.info} title={error.title} /> : null}
    </div>
  );
}
