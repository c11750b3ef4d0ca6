import crypto from 'node:crypto';
import nacl from 'tweetnacl';

/**
 * werift's DTLS does its X25519 key exchange with tweetnacl, in JavaScript:
 * about 3 ms of CPU per handshake on each side (key pair 2 ms, shared
 * secret 0.9 ms, measured on the 2-core VM of loadtest/RESULTS.md), and an
 * SFU does two handshakes per participant. Node's crypto (OpenSSL) does the
 * same in about 0.1 ms. werift reaches tweetnacl only through
 * `nacl.box.keyPair()` and `nacl.scalarMult(secret, public)`, on the shared
 * module object, so replacing those two functions, once per process, moves
 * every handshake onto OpenSSL; results are byte-identical (dtlsCrypto.test.ts).
 */
const PATCHED = Symbol.for('muster.werift.opensslX25519');

/**
 * Secret keys this module generated → their OpenSSL key objects (importing a
 * raw key is the slow part). Keyed by the ArrayBuffer: werift re-wraps the
 * secret as Buffer.from(secretKey.buffer) before it hands it back.
 */
const keyObjects = new WeakMap<ArrayBufferLike, crypto.KeyObject>();

/** Key exchanges done on OpenSSL in this process (for tests and dumps). */
export const x25519Stats = { keyPairs: 0, sharedSecrets: 0 };

export function x25519KeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const secretKey = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
  keyObjects.set(secretKey.buffer, privateKey);
  x25519Stats.keyPairs++;
  return { publicKey: new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')), secretKey };
}

/** X25519(secret, public); secrets from elsewhere go to tweetnacl's original code. */
export function x25519(secretKey: Uint8Array, publicKey: Uint8Array, fallback: (n: Uint8Array, p: Uint8Array) => Uint8Array): Uint8Array {
  const privateKey = secretKey.byteOffset === 0 && secretKey.length === 32 ? keyObjects.get(secretKey.buffer) : undefined;
  if (!privateKey || publicKey.length !== 32) return fallback(secretKey, publicKey);
  x25519Stats.sharedSecrets++;
  const peer = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
  return new Uint8Array(crypto.diffieHellman({ privateKey, publicKey: peer }));
}

export function useOpensslForWeriftX25519(): void {
  const lib = nacl as unknown as Record<symbol, unknown> & typeof nacl;
  if (lib[PATCHED]) return;
  const originalScalarMult = lib.scalarMult.bind(lib);
  const scalarMult = ((n: Uint8Array, p: Uint8Array) => x25519(n, p, originalScalarMult)) as typeof nacl.scalarMult;
  Object.assign(scalarMult, { scalarLength: lib.scalarMult.scalarLength, groupElementLength: lib.scalarMult.groupElementLength, base: lib.scalarMult.base });
  lib.scalarMult = scalarMult;
  const keyPair = (() => x25519KeyPair()) as typeof nacl.box.keyPair;
  keyPair.fromSecretKey = lib.box.keyPair.fromSecretKey;
  lib.box.keyPair = keyPair;
  lib[PATCHED] = true;
}

useOpensslForWeriftX25519();
