export { automationFor, CloudService, GLOBAL_TOKEN_ACCOUNT, type CloudServiceOptions } from './service.ts';
export { DigitalOceanClient, doApiUrl } from './digitalocean/client.ts';
export type { AutomationApi } from './automation.ts';
