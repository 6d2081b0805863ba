import type { ServiceHandlers, Services } from '../services.ts';

export function jobsHandlers({ jobs }: Services): ServiceHandlers<'jobs'> {
  return {
    'jobs.list': async () => jobs.list(),
    'jobs.get': async ({ id }) => jobs.get(id),
    'jobs.cancel': async ({ id }) => ({ cancelled: jobs.cancel(id) }),
  };
}
