/** The ports a PDS install listens on, as typed (strings, so a half-typed number is kept). */
export interface PortValues {
  httpsPort: string;
  httpPort: string;
  pdsPort: string;
  caddyAdminPort: string;
}

export const DEFAULT_PORTS: PortValues = { httpsPort: '443', httpPort: '80', pdsPort: '3000', caddyAdminPort: '2019' };

const FIELDS = [
  ['httpsPort', 'HTTPS port'],
  ['httpPort', 'HTTP port'],
  ['pdsPort', 'PDS port (on the server only)'],
  ['caddyAdminPort', 'Caddy admin port (on the server only)'],
] as const;

/** Non-standard ports (a LAN box, tests); a public server keeps 443 and 80. */
export function PortFields<T extends PortValues>({ value, onChange, disabled }: { value: T; onChange: (next: T) => void; disabled: boolean }) {
  return (
    <>
      {FIELDS.map(([field, label]) => (
        <label key={field}>
          {label}
          <input value={value[field]} inputMode="numeric" pattern="[0-9]{1,5}" onChange={(e) => onChange({ ...value, [field]: e.target.value })} disabled={disabled} />
        </label>
      ))}
      {value.httpsPort.trim() !== '' && value.httpsPort.trim() !== '443' && (
        // The official pdsadmin scripts talk to https://<hostname> on 443 only.
        <p className="note" role="note">
          With an HTTPS port other than 443, the official <code>pdsadmin</code> command on the server will not reach this PDS; use Hearth&apos;s Accounts screen instead.
        </p>
      )}
    </>
  );
}

/** The typed ports as numbers for a call. */
export const portNumbers = (value: PortValues) => ({
  httpsPort: Number(value.httpsPort),
  httpPort: Number(value.httpPort),
  pdsPort: Number(value.pdsPort),
  caddyAdminPort: Number(value.caddyAdminPort),
});
