/**
 * The end-to-end tests' entry point for the web host: the product's runWebHost with the test
 * world's stand-ins injected at the composition root. This file (not the product) reads the
 * test's environment: the throwaway keychain service, fixed name answers for the test servers,
 * and, for the DigitalOcean suite, the simulated Pulumi engine (the CLI cannot be downloaded
 * here), the local stand-in of the DigitalOcean API and the droplet's test server.
 */
import { runWebHost, type WebHostOptions } from '../../src/web/run.ts';

const env = process.env;
const options: WebHostOptions = {
  ...(env.HEARTH_KEYCHAIN_SERVICE && { keychainService: env.HEARTH_KEYCHAIN_SERVICE }),
  ...(env.HEARTH_RESOLVE && { resolveOverrides: env.HEARTH_RESOLVE }),
  ...(env.HEARTH_DOWNLOADS_DIR && { downloadsDir: env.HEARTH_DOWNLOADS_DIR }),
};
if (env.HEARTH_FAKE_PULUMI === '1') {
  const { SimulatedAutomation } = await import('../../test/support/simulated-automation.ts');
  // The droplet is a test server: the simulated reserved IP is its address, its sshd the port.
  const droplet = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(env.HEARTH_FAKE_DROPLET_SSH ?? '');
  options.cloud = {
    automation: new SimulatedAutomation({ stepDelayMs: 200, ...(droplet?.[1] && { address: droplet[1] }) }),
    simulated: true,
    ...(env.HEARTH_DO_API_URL && { apiUrl: env.HEARTH_DO_API_URL }),
    ...(env.HEARTH_PUBLIC_IP_URL && { publicIpUrl: env.HEARTH_PUBLIC_IP_URL }),
    ...(droplet?.[2] && { dropletSshPort: Number(droplet[2]) }),
  };
}
await runWebHost(options);
