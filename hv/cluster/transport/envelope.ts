/**
 * The NATS transport's wire format. A message is the JSON `{"payload": "<envelope JSON>",
 * "mac": "<hex>"}`: the MAC is HMAC-SHA256 of the payload string under the cluster's secret, so a
 * process without the secret cannot forge or alter a message (the NATS server's user/password
 * keeps strangers off the server; the MAC keeps them out of the cluster even on a shared server).
 * The envelope names the cluster, sender, addressee, the slave process (instance) it concerns and
 * its sequence number in that process's exchange (0 for hello and heartbeat).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod'; // a namespace import: esbuild then bundles only the parts used
import { NAME_PATTERN, schemaProblem } from '../messages.ts';

const envelopeSchema = z
  .object({
    v: z.literal(1),
    cluster: z.string().regex(NAME_PATTERN),
    from: z.string().regex(NAME_PATTERN),
    to: z.string().regex(NAME_PATTERN),
    instance: z.string().regex(/^[0-9a-f-]{8,64}$/),
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    body: z.unknown(),
  })
  .strict();

export type Envelope = z.infer<typeof envelopeSchema>;

const wireSchema = z.object({ payload: z.string(), mac: z.string().regex(/^[0-9a-f]{64}$/) }).strict();

export function seal(envelope: Envelope, secret: string): Uint8Array {
  const payload = JSON.stringify(envelope);
  return new TextEncoder().encode(JSON.stringify({ payload, mac: mac(payload, secret) }));
}

/** The envelope of a wire message, or why it was rejected. */
export function unseal(data: Uint8Array, secret: string): { envelope: Envelope } | { problem: string } {
  let wire: unknown;
  try {
    wire = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return { problem: 'malformed: not JSON' };
  }
  const outer = wireSchema.safeParse(wire);
  if (!outer.success) return { problem: `malformed: ${schemaProblem(outer.error)}` };
  const expected = Buffer.from(mac(outer.data.payload, secret), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(outer.data.mac, 'hex'))) return { problem: 'unauthenticated: bad MAC' };
  let inner: unknown;
  try {
    inner = JSON.parse(outer.data.payload);
  } catch {
    return { problem: 'malformed: payload is not JSON' };
  }
  const envelope = envelopeSchema.safeParse(inner);
  return envelope.success ? { envelope: envelope.data } : { problem: `malformed envelope: ${schemaProblem(envelope.error)}` };
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** Subjects: the master's inbox and each slave's. */
export function masterSubject(cluster: string): string {
  return `hvlab.${cluster}.master`;
}

export function slaveSubject(cluster: string, slave: string): string {
  return `hvlab.${cluster}.slave.${slave}`;
}

/** Connection settings every NATS node needs (never logged). */
export interface NatsSettings {
  readonly url: string;
  readonly user: string;
  readonly password: string;
  readonly secret: string;
  readonly cluster: string;
}
