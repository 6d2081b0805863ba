// The PDS process Hearth runs under systemd: the official distribution's service/index.js
// (bluesky-social/pds), as an ES module. Settings come from /pds/pds.env via the unit.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { envToCfg, envToSecrets, httpLogger, PDS, readEnv } from '@atproto/pds';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(require.resolve('@atproto/pds/package.json'), 'utf8'));

const env = readEnv();
env.version ||= pkg.version;
const pds = await PDS.create(envToCfg(env), envToSecrets(env));
await pds.start();
httpLogger.info('pds has started');

// Caddy asks here before it gets an on-demand certificate for a handle's domain.
pds.app.get('/tls-check', async (req, res) => {
  try {
    const { domain } = req.query;
    if (!domain || typeof domain !== 'string') {
      return res.status(400).json({ error: 'InvalidRequest', message: 'bad or missing domain query param' });
    }
    if (domain === pds.ctx.cfg.service.hostname) return res.json({ success: true });
    const hosted = pds.ctx.cfg.identity.serviceHandleDomains.find((avail) => domain.endsWith(avail));
    if (!hosted) return res.status(400).json({ error: 'InvalidRequest', message: 'handles are not provided on this domain' });
    const account = await pds.ctx.accountManager.getAccount(domain);
    if (!account) return res.status(404).json({ error: 'NotFound', message: 'handle not found for this domain' });
    return res.json({ success: true });
  } catch (err) {
    httpLogger.error({ err }, 'check handle failed');
    return res.status(500).json({ error: 'InternalServerError', message: 'Internal Server Error' });
  }
});

process.on('SIGTERM', async () => {
  httpLogger.info('pds is stopping');
  await pds.destroy();
  httpLogger.info('pds is stopped');
  process.exit(0);
});
