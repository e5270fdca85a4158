import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';

/**
 * An optional payload codec: every payload Steadfast writes to Temporal (alerts, plans, results) is
 * sealed with AES-256-GCM, so the server's database, its backups and anyone reading history without
 * the key see only ciphertext. The key ID travels with each payload: the first key encrypts, every key
 * decrypts, so keys rotate by adding a new one first and dropping the old once nothing needs it.
 */

// @temporalio/proto is CommonJS: its namespaces come through the default export.
const PayloadMessage = proto.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** A codec key setting that cannot be used; the message never holds key material. */
export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

/** A payload that cannot be decrypted: an unknown key or a ciphertext that fails its tag. */
export class CodecDecodeError extends Error {
  override name = 'CodecDecodeError';
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Reads `id1:base64key,id0:base64key` (STEADFAST_CODEC_KEYS): 32-byte keys, distinct IDs, first encrypts. */
export function parseCodecKeys(text: string): CodecKey[] {
  const keys: CodecKey[] = [];
  for (const [index, item] of text.split(',').entries()) {
    const entry = item.trim();
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) {
      throw new CodecKeyError(
        `key ${index + 1}: write id:base64key, with an ID of letters, digits, '.', '_' or '-'`,
      );
    }
    const material = entry.slice(colon + 1);
    const key = Buffer.from(material, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(material) || key.length !== 32) {
      throw new CodecKeyError(`key ${id}: not 32 bytes of base64 (make one with: openssl rand -base64 32)`);
    }
    if (keys.some((k) => k.id === id)) throw new CodecKeyError(`key ${id}: the ID is given twice`);
    keys.push({ id, key });
  }
  if (keys.length === 0) throw new CodecKeyError('no key given');
  return keys;
}

const text = (bytes: Uint8Array | null | undefined): string =>
  bytes ? Buffer.from(bytes).toString('utf8') : '';

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.['encoding']) === ENCRYPTED_ENCODING;
}

export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: CodecKey;

  constructor(keys: CodecKey[]) {
    const [first] = keys;
    if (!first) throw new CodecKeyError('no key given');
    this.current = first;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  // The executor turns a throw into a rejection, as a codec's caller expects.
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((p) => this.seal(p))));
  }

  /** Payloads written without the codec (older histories, other clients) pass through as they are. */
  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((p) => (isEncrypted(p) ? this.open(p) : p))));
  }

  private seal(payload: Payload): Payload {
    const { id, key } = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The key ID is authenticated too: a payload cannot be moved under another key's name.
    cipher.setAAD(Buffer.from(id));
    const plain = PayloadMessage.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id) },
      data: sealed,
    };
  }

  private open(payload: Payload): Payload {
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    const key = this.byId.get(id);
    if (!key) {
      throw new CodecDecodeError(
        `a payload is sealed with key ${JSON.stringify(id.slice(0, 64))}, which STEADFAST_CODEC_KEYS does not hold`,
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecDecodeError('a sealed payload is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new CodecDecodeError(
        `a payload sealed with key ${id} fails its authentication: altered or corrupt`,
      );
    }
    return PayloadMessage.decode(plain);
  }
}

export function codecFor(keys: CodecKey[] | undefined): AesGcmCodec | undefined {
  return keys && keys.length > 0 ? new AesGcmCodec(keys) : undefined;
}

/** The data converter of every client and worker: the codec when keys are configured, else the default. */
export function dataConverterFor(keys: CodecKey[] | undefined): DataConverter | undefined {
  const codec = codecFor(keys);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

function collectEncrypted(node: unknown, found: Payload[]): void {
  if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return;
  if (Array.isArray(node)) {
    for (const item of node) collectEncrypted(item, found);
    return;
  }
  if ('metadata' in node && 'data' in node && isEncrypted(node as Payload)) {
    found.push(node as Payload);
    return;
  }
  for (const value of Object.values(node)) collectEncrypted(value, found);
}

/**
 * The history with each sealed payload opened in place, through the client's codecs: fetchHistory
 * returns what the server stores, and a report reads the payloads.
 */
export async function decodeHistory(client: Client, history: History): Promise<History> {
  const codecs = client.options.loadedDataConverter.payloadCodecs;
  if (codecs.length === 0) return history;
  const sealed: Payload[] = [];
  collectEncrypted(history.events, sealed);
  for (const payload of sealed) {
    let opened: Payload = payload;
    for (const codec of [...codecs].reverse()) opened = (await codec.decode([opened]))[0] ?? opened;
    payload.metadata = opened.metadata ?? null;
    payload.data = opened.data ?? null;
  }
  return history;
}
