import { fileURLToPath } from 'node:url';
import { HostFiles } from '../../src/core/hosts/templates.ts';

/** The checkout's resources/host, which tests and benchmarks hand core as a host does. */
export const HOST_SCRIPTS_DIR = fileURLToPath(new URL('../../resources/host/', import.meta.url));
export const hostFiles = new HostFiles(HOST_SCRIPTS_DIR);
