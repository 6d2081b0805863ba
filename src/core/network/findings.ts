/**
 * What a relay's or an AppView's answer means for the person running the server, in words, with
 * what to do. Pure functions over the answers (the lexicon shapes of com.atproto.sync.getHostStatus
 * and getRepoStatus, app.bsky.actor.getProfile and app.bsky.feed.getPosts), so every case is tested
 * without a relay; network-status.ts asks the questions.
 */
import type { NetworkFinding } from '../../shared/contract/network.ts';

/** A relay's answer about the host: its status, or that it does not know it, or no answer. */
export type HostAnswer =
  | { kind: 'status'; status: string | undefined; seq: number | undefined; accountCount: number | undefined }
  | { kind: 'unknown-host' }
  | { kind: 'no-answer'; message: string };

/** What the server's own firehose said when asked to replay from the relay's last seq. */
export type SequenceProbe = 'ahead' | 'behind' | 'unknown';

export type RepoAnswer =
  | { kind: 'status'; active: boolean; status: string | undefined; rev: string | undefined }
  | { kind: 'unknown-repo' }
  | { kind: 'no-answer'; message: string };

type Subject = { did: string; handle: string };
const hostName = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};
const finding = (f: Omit<NetworkFinding, 'did' | 'handle'> & Partial<Pick<NetworkFinding, 'did' | 'handle'>>): NetworkFinding => ({ did: null, handle: null, ...f });
const crawlFix = 'Press Request crawl. If it stays this way, check from outside your network that https://HOST/xrpc/_health answers.';

export function hostFinding(relay: string, hostname: string, answer: HostAnswer): NetworkFinding {
  const name = hostName(relay);
  const base = { check: 'relay-host' as const, source: relay };
  if (answer.kind === 'no-answer') {
    return finding({ ...base, status: 'unknown', title: `${name} did not answer`, detail: answer.message, fix: 'Try again later; if only this relay fails, it may be down.' });
  }
  if (answer.kind === 'unknown-host') {
    return finding({
      ...base,
      status: 'fail',
      title: `${name} does not know this server`,
      detail: `The relay has never crawled ${hostname}, so nothing posted here reaches apps that read from it.`,
      fix: crawlFix.replace('HOST', hostname),
    });
  }
  const counts = [answer.accountCount != null ? `${answer.accountCount} account${answer.accountCount === 1 ? '' : 's'}` : null, answer.seq != null ? `last event #${answer.seq}` : null].filter(Boolean).join(', ');
  const seen = counts ? ` (${counts})` : '';
  switch (answer.status) {
    case 'active':
      return finding({ ...base, status: 'ok', title: `${name} follows this server`, detail: `The relay is subscribed to ${hostname}${seen}.`, fix: null });
    case 'idle':
      return finding({
        ...base,
        status: 'warn',
        title: `${name} has heard nothing from this server lately`,
        detail: `The relay knows ${hostname}${seen} but is not receiving events from it now.`,
        fix: 'Normal when nobody has posted for a while. After a post, Press Request crawl if it stays idle.',
      });
    case 'offline':
      return finding({
        ...base,
        status: 'fail',
        title: `${name} cannot reach this server`,
        detail: `The relay tried to connect to ${hostname}${seen} and could not.`,
        fix: `Check that ports 443 and 80 are open to the internet and that https://${hostname} has a valid certificate, then press Request crawl.`,
      });
    case 'throttled':
      return finding({
        ...base,
        status: 'warn',
        title: `${name} is limiting this server`,
        detail: `The relay takes only part of what ${hostname} sends${seen}: new hosts start with low limits, and many new accounts or events at once hit them.`,
        fix: 'Wait: relays raise the limits of a host over time. If it lasts for days, ask the relay operator.',
      });
    case 'banned':
      return finding({
        ...base,
        status: 'fail',
        title: `${name} has banned this server`,
        detail: `The relay refuses everything from ${hostname}; no post from here reaches apps that read from it.`,
        fix: `Contact the operator of ${name} (for bsky.network, Bluesky's support) to learn why.`,
      });
    default:
      return finding({ ...base, status: 'unknown', title: `${name} reports an unknown state`, detail: `The relay says “${String(answer.status ?? 'nothing')}” about ${hostname}${seen}.`, fix: null });
  }
}

/**
 * The relay's last seq against the server's own sequence. A server restored from an older backup
 * can start numbering below what the relay already saw; the relay then drops every new event as
 * old (the "relay desync" of the PDS README).
 */
export function sequenceFinding(relay: string, relaySeq: number, probe: SequenceProbe): NetworkFinding {
  const name = hostName(relay);
  const base = { check: 'relay-seq' as const, source: relay };
  if (probe === 'behind') {
    return finding({
      ...base,
      status: 'fail',
      title: `This server's event numbers are behind what ${name} has seen`,
      detail: `The relay's last event from this server is #${relaySeq}, but the server has not reached that number yet (it was probably restored from an older backup). The relay ignores events numbered below it, so new posts do not reach the network.`,
      fix: `The server's sequence must move past #${relaySeq}. Hearth does this by itself after its own restores; for a server restored otherwise, follow "Fixing a Relay desync" in the PDS README, then press Request crawl.`,
    });
  }
  if (probe === 'unknown') {
    return finding({ ...base, status: 'unknown', title: `Could not compare event numbers with ${name}`, detail: `The server's firehose did not answer a replay from #${relaySeq}.`, fix: null });
  }
  return finding({ ...base, status: 'ok', title: `Event numbers are ahead of ${name}`, detail: `The server has numbered past #${relaySeq}, the relay's last event from it.`, fix: null });
}

const REPO_STATES: Record<string, string> = {
  takendown: 'taken down by the relay',
  suspended: 'suspended by the relay',
  deactivated: 'deactivated (the account itself is switched off)',
  deleted: 'deleted',
  desynchronized: 'out of step: the relay lost track of its commits',
  throttled: 'throttled: the relay takes only part of its events',
};

export function repoFinding(relay: string, account: Subject, serverRev: string | null, answer: RepoAnswer): NetworkFinding {
  const name = hostName(relay);
  const base = { check: 'relay-repo' as const, source: relay, did: account.did, handle: account.handle };
  if (answer.kind === 'no-answer') return finding({ ...base, status: 'unknown', title: `${name} did not answer about @${account.handle}`, detail: answer.message, fix: null });
  if (answer.kind === 'unknown-repo') {
    return finding({
      ...base,
      status: 'warn',
      title: `${name} has not seen @${account.handle}`,
      detail: 'The relay has no copy of this account yet, so its posts do not reach apps that read from it.',
      fix: 'A new account appears after its first post. If it has posted, press Request crawl.',
    });
  }
  if (!answer.active) {
    const state = answer.status ?? 'inactive';
    const resync = state === 'desynchronized' || state === 'throttled';
    return finding({
      ...base,
      status: 'fail',
      title: `${name} marks @${account.handle} as ${state}`,
      detail: `The relay holds the account as ${REPO_STATES[state] ?? state}; its posts do not go out through it.`,
      fix: resync ? 'Post something (a new commit lets the relay catch up), then press Request crawl.' : state === 'deactivated' ? 'Activate the account on its server if it should be visible.' : `Contact the operator of ${name} to learn why.`,
    });
  }
  if (serverRev && answer.rev && answer.rev < serverRev) {
    return finding({
      ...base,
      status: 'warn',
      title: `${name} is behind on @${account.handle}`,
      detail: `The relay's copy is at revision ${answer.rev}; the server is at ${serverRev}. The newest changes have not gone out yet.`,
      fix: 'Relays usually catch up within minutes. If it stays behind, press Request crawl.',
    });
  }
  return finding({ ...base, status: 'ok', title: `${name} is up to date on @${account.handle}`, detail: answer.rev ? `Revision ${answer.rev}, as on the server.` : 'The relay holds the account as active.', fix: null });
}

export type ProfileAnswer = { kind: 'found'; handle: string } | { kind: 'not-found' } | { kind: 'no-answer'; message: string };

export function profileFinding(appView: string, account: Subject, answer: ProfileAnswer): NetworkFinding {
  const name = hostName(appView);
  const base = { check: 'appview-profile' as const, source: appView, did: account.did, handle: account.handle };
  if (answer.kind === 'no-answer') return finding({ ...base, status: 'unknown', title: `${name} did not answer about @${account.handle}`, detail: answer.message, fix: null });
  if (answer.kind === 'not-found') {
    return finding({
      ...base,
      status: 'warn',
      title: `@${account.handle} is not on ${name}`,
      detail: 'The AppView (what Bluesky apps read) does not show this account, so people cannot find it there.',
      fix: 'The AppView learns of accounts from the relays: fix what the relay checks above report first.',
    });
  }
  if (answer.handle === 'handle.invalid' || answer.handle !== account.handle) {
    return finding({
      ...base,
      status: 'fail',
      title: `${name} cannot confirm the handle @${account.handle}`,
      detail: answer.handle === 'handle.invalid' ? 'The AppView shows the account as “handle.invalid”: the handle did not resolve back to this DID when it checked.' : `The AppView shows it as @${answer.handle}.`,
      fix: `Check that ${account.handle} resolves to ${account.did} (DNS _atproto TXT record or https://${account.handle}/.well-known/atproto-did).`,
    });
  }
  return finding({ ...base, status: 'ok', title: `@${account.handle} is on ${name}`, detail: 'The AppView shows the account under its handle.', fix: null });
}

export type PostAnswer = { kind: 'none' } | { kind: 'shown'; uri: string } | { kind: 'missing'; uri: string; createdAt: string | null } | { kind: 'no-answer'; message: string };

export function postFinding(appView: string, account: Subject, answer: PostAnswer): NetworkFinding {
  const name = hostName(appView);
  const base = { check: 'appview-post' as const, source: appView, did: account.did, handle: account.handle };
  switch (answer.kind) {
    case 'no-answer':
      return finding({ ...base, status: 'unknown', title: `${name} did not answer about the newest post of @${account.handle}`, detail: answer.message, fix: null });
    case 'none':
      return finding({ ...base, status: 'ok', title: `@${account.handle} has not posted yet`, detail: 'Nothing to look for on the AppView.', fix: null });
    case 'shown':
      return finding({ ...base, status: 'ok', title: `The newest post of @${account.handle} is on ${name}`, detail: answer.uri, fix: null });
    case 'missing':
      return finding({
        ...base,
        status: 'warn',
        title: `The newest post of @${account.handle} is not on ${name}`,
        detail: `${answer.uri}${answer.createdAt ? ` (written ${answer.createdAt})` : ''} is in the account's repository but the AppView does not show it.`,
        fix: 'A post usually shows within a minute. If older posts show and this one does not, check the relay findings; if none show, press Request crawl.',
      });
  }
}
