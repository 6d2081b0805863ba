import { z } from 'zod';

// Replies of the DigitalOcean API v2, as documented; only the fields Hearth reads. Unknown
// fields pass through (the API adds fields over time), missing required ones are an error.

export const Links = z
  .object({ pages: z.object({ next: z.string().optional() }).loose().optional() })
  .loose()
  .optional();

export const DoAccount = z
  .object({
    email: z.string(),
    uuid: z.string(),
    droplet_limit: z.number(),
    email_verified: z.boolean().optional(),
    status: z.string(),
    status_message: z.string().optional(),
  })
  .loose();
export type DoAccount = z.infer<typeof DoAccount>;

export const DoRegion = z
  .object({ slug: z.string(), name: z.string(), available: z.boolean(), sizes: z.array(z.string()), features: z.array(z.string()).optional() })
  .loose();
export type DoRegion = z.infer<typeof DoRegion>;

export const DoSize = z
  .object({
    slug: z.string(),
    memory: z.number(),
    vcpus: z.number(),
    disk: z.number(),
    price_monthly: z.number(),
    price_hourly: z.number(),
    regions: z.array(z.string()),
    available: z.boolean(),
    description: z.string().optional(),
  })
  .loose();
export type DoSize = z.infer<typeof DoSize>;

export const DoImage = z
  .object({ id: z.number(), name: z.string(), distribution: z.string(), slug: z.string().nullable(), regions: z.array(z.string()).optional() })
  .loose();
export type DoImage = z.infer<typeof DoImage>;

export const DoSshKey = z.object({ id: z.number(), fingerprint: z.string(), public_key: z.string(), name: z.string() }).loose();
export type DoSshKey = z.infer<typeof DoSshKey>;

export const DoDomain = z.object({ name: z.string(), ttl: z.number().nullable().optional() }).loose();
export type DoDomain = z.infer<typeof DoDomain>;

export const SpacesPermission = z.enum(['read', 'readwrite', 'fullaccess']);
export const SpacesGrant = z.object({ bucket: z.string(), permission: SpacesPermission });
export type SpacesGrant = z.infer<typeof SpacesGrant>;

export const DoSpacesKey = z
  .object({ name: z.string(), access_key: z.string(), grants: z.array(SpacesGrant), created_at: z.string().optional() })
  .loose();
export type DoSpacesKey = z.infer<typeof DoSpacesKey>;
/** Only the reply to a create carries the secret half, once. */
export const DoNewSpacesKey = DoSpacesKey.extend({ secret_key: z.string() });
export type DoNewSpacesKey = z.infer<typeof DoNewSpacesKey>;

export const DoErrorBody = z.object({ id: z.string().optional(), message: z.string().optional() }).loose();

export const replies = {
  account: z.object({ account: DoAccount }).loose(),
  regions: z.object({ regions: z.array(DoRegion), links: Links }).loose(),
  sizes: z.object({ sizes: z.array(DoSize), links: Links }).loose(),
  images: z.object({ images: z.array(DoImage), links: Links }).loose(),
  sshKeys: z.object({ ssh_keys: z.array(DoSshKey), links: Links }).loose(),
  sshKey: z.object({ ssh_key: DoSshKey }).loose(),
  domains: z.object({ domains: z.array(DoDomain), links: Links }).loose(),
  spacesKeys: z.object({ keys: z.array(DoSpacesKey), links: Links }).loose(),
  spacesKey: z.object({ key: DoNewSpacesKey }).loose(),
};
