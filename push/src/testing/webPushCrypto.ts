/**
 * A browser's side of Web Push, for tests: the subscription's key pair
 * (P-256) and auth secret as PushManager.subscribe makes them, and the
 * aes128gcm decryption of RFC 8291 (RFC 8188 content coding), written here
 * with node:crypto alone (ECDH, HKDF, AES-GCM), so a test checks web-push's
 * encryption against the RFC, not against itself.
 */
import crypto from 'node:crypto';

export interface BrowserKeys {
  /** What the browser registers: `keys` of PushSubscription.toJSON(). */
  p256dh: string;
  auth: string;
  /** The private half, kept by the browser. */
  ecdh: crypto.ECDH;
  authSecret: Buffer;
  publicKey: Buffer;
}

export function browserKeys(): BrowserKeys {
  const ecdh = crypto.createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  const authSecret = crypto.randomBytes(16);
  return { p256dh: publicKey.toString('base64url'), auth: authSecret.toString('base64url'), ecdh, authSecret, publicKey };
}

const hkdf = (ikm: Buffer, salt: Buffer, info: Buffer, length: number) => Buffer.from(crypto.hkdfSync('sha256', ikm, salt, info, length));

/** Opens an aes128gcm Web Push message body (one record, as push messages are) with the browser's keys; throws if it does not open. */
export function decryptAes128gcm(body: Buffer, keys: BrowserKeys): Buffer {
  // RFC 8188 §2.1 header: salt (16) | record size (4) | key id length (1) | key id (the sender's ECDH public key, RFC 8291 §4).
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const senderPublic = body.subarray(21, 21 + idLength);
  const records = body.subarray(21 + idLength);
  if (idLength !== 65) throw new Error(`the key id is the sender's 65-byte public key, not ${idLength} bytes`);
  if (records.length > recordSize) throw new Error('more than one record');
  // RFC 8291 §3.3, §3.4: the input keying material from the ECDH secret and the auth secret.
  const ecdhSecret = keys.ecdh.computeSecret(senderPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), keys.publicKey, senderPublic]);
  const ikm = hkdf(ecdhSecret, keys.authSecret, keyInfo, 32);
  // RFC 8188 §2.2, §2.3: the content-encryption key and the nonce (record 0: the nonce itself).
  const cek = hkdf(ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12);
  const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(records.subarray(records.length - 16));
  const padded = Buffer.concat([decipher.update(records.subarray(0, records.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end);
}
