export { ConfigStore, type ConfigProblem } from './config-store.ts';
export { Config, CONFIG_VERSION, emptyConfig } from './config-schema.ts';
