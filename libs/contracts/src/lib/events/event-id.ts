import * as crypto from 'node:crypto';

/**
 * Namespace of every name-based id hello-mesh derives (RFC 9562 UUID version 5). Changing it
 * changes every derived id, which would defeat de-duplication across a deploy: never change it.
 */
export const HELLO_ID_NAMESPACE = '0b0e6f5e-3c1d-5f0a-9d6e-6c1e5a6b8f21';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its canonical 8-4-4-4-12 hexadecimal form (any version). */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** A fresh random id (UUID version 4) for an event that has no cause to derive one from. */
export function newEventId(): string {
  return crypto.randomUUID();
}

/**
 * A UUID (version 5) derived from `parts`: the same parts always give the same id, so a message
 * or event re-published because of a retry or a redelivery carries the id of the first one and
 * downstream de-duplication can recognise it. E.g. `deriveId('message.handled', messageId)`.
 */
export function deriveId(...parts: string[]): string {
  if (parts.length === 0) throw new Error('deriveId needs at least one part');
  // JSON keeps ['a:b', 'c'] and ['a', 'b:c'] apart.
  return uuidV5(HELLO_ID_NAMESPACE, JSON.stringify(parts));
}

/** RFC 9562 UUID version 5 of `name` (UTF-8) in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const nameBytes = Buffer.from(name, 'utf8');
  const input = Buffer.allocUnsafe(16 + nameBytes.length);
  namespaceBytes(namespace).copy(input, 0);
  nameBytes.copy(input, 16);
  const bytes = sha1(input);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Every message a consumer handles derives an id: the namespace is parsed once, and the one-shot
// `crypto.hash` (Node 20.12+) is used where there is one, which costs half of a `createHash` object.
let lastNamespace = { text: '', bytes: Buffer.alloc(16) };

function namespaceBytes(namespace: string): Buffer {
  if (namespace !== lastNamespace.text) {
    if (!isUuid(namespace)) throw new Error(`uuidV5: "${namespace}" is not a UUID`);
    lastNamespace = { text: namespace, bytes: Buffer.from(namespace.replace(/-/g, ''), 'hex') };
  }
  return lastNamespace.bytes;
}

type OneShotHash = (algorithm: string, data: Buffer, outputEncoding: 'buffer') => Buffer;
const oneShotHash = (crypto as unknown as { hash?: OneShotHash }).hash;

function sha1(data: Buffer): Buffer {
  return oneShotHash ? oneShotHash('sha1', data, 'buffer') : crypto.createHash('sha1').update(data).digest();
}
