export { CloudService, GLOBAL_TOKEN_ACCOUNT, type CloudServiceOptions } from './service.ts';
export { DigitalOceanClient, DO_API_URL } from './digitalocean/client.ts';
export type { AutomationApi } from './automation.ts';
