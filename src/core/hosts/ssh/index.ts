/**
 * Hearth's one way to talk to a server over SSH (on ssh2).
 *
 * API (kept stable; backups and health build on it):
 *   const ssh = new SshSession({ host, port, username, privateKey, hostKey: pinnedOrNull,
 *                                onHostKeyPinned: (fp) => save(fp) });
 *   await ssh.exec(cmd, { ctx })        -> { code, stdout, stderr }; lines stream to ctx.log; ctx.signal cancels
 *   await ssh.run(cmd, { ctx, what })   -> same, but a non-zero exit throws a HearthError naming `what`
 *   await ssh.exec(cmd, { stdin, quiet: true, signal })
 *   await ssh.writeFile(path, data, { mode: 0o600 })   atomic (temp file with the final mode + rename)
 *   await ssh.readFile(path)            -> Buffer | null when missing
 *   await ssh.putFile(local, remote) / ssh.getFile(remote, local)   fast parallel SFTP
 *   ssh.hostKeyFingerprint / ssh.presentedFingerprint   'SHA256:…' as OpenSSH prints it
 *   ssh.retrust(fp)                     after HOST_KEY_MISMATCH, trust the new key the user was shown
 *   ssh.close()
 * Connection errors are HearthErrors: NETWORK (refused, unreachable, not SSH, dropped), AUTH (key
 * refused), HOST_KEY_MISMATCH (every operation, until retrust), CANCELLED (AbortError).
 * A dropped connection is re-opened by the next operation; keepalive every 15 s.
 */
export { connectError, hostKeyMismatch, type SshEndpoint } from './errors.ts';
export { publicKeyLineFingerprint, sshFingerprint } from './fingerprint.ts';
export { generateSshKey, type SshKeyPair } from './keys.ts';
export { SshSession, type ExecOptions, type ExecResult, type SshSessionOptions, type TransferOptions } from './session.ts';
