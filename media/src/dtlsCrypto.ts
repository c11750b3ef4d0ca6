import crypto from 'node:crypto';
import nacl from 'tweetnacl';
import { PrivateKey } from '@fidm/x509';
import { CipherContext, RTCCertificate } from 'werift';

/**
 * DTLS handshake cost: werift's handshake does its key exchange in
 * JavaScript and re-parses its keys at every step; an SFU does two handshakes
 * per participant, so with hundreds of calls joining, this is what join time
 * waits behind. Three process-wide patches, applied on import (as
 * closedNetwork.ts is), bring a handshake from about 4 ms of CPU per side to
 * well under 1 ms without changing a byte on the wire.
 *
 * 1. werift's DTLS does its X25519 key exchange with tweetnacl, in JavaScript:
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

/**
 * 2. werift signs its DTLS handshake messages (ServerKeyExchange,
 * CertificateVerify) with `createSign().sign(pemString)`, which parses the
 * PEM key on every call (~0.45 ms), and parses its certificate and key from
 * PEM for every new DTLS transport (~0.2 ms). The certificate is one per
 * process, so both are done once here: signing with a cached KeyObject, and
 * parseX509 from a cache keyed by the PEM strings.
 */
const SIGN_PATCHED = Symbol.for('muster.werift.cachedDtlsKeys');

interface WeriftPrivateKey {
  toPEM(): string | Buffer;
  sign(data: Buffer, hashAlgorithm: string): Buffer;
}
interface WeriftCipherContext {
  localCert: Buffer;
  localPrivateKey: WeriftPrivateKey;
  signatureHashAlgorithm: unknown;
  signatureData(data: Buffer, hash: string): Buffer;
  parseX509(certPem: string, keyPem: string, signatureHash: unknown): void;
}

const signingKeys = new WeakMap<WeriftPrivateKey, crypto.KeyObject>();
function signingKeyOf(key: WeriftPrivateKey): crypto.KeyObject {
  let object = signingKeys.get(key);
  if (!object) {
    object = crypto.createPrivateKey(key.toPEM().toString());
    signingKeys.set(key, object);
  }
  return object;
}

export const dtlsKeyStats = { parsedCertificates: 0, signatures: 0 };

export function cacheWeriftDtlsKeys(): void {
  const proto = CipherContext.prototype as unknown as WeriftCipherContext & Record<symbol, unknown>;
  if (proto[SIGN_PATCHED]) return;
  const parsed = new Map<string, { localCert: Buffer; localPrivateKey: WeriftPrivateKey }>();
  const originalParse = proto.parseX509;
  proto.parseX509 = function (this: WeriftCipherContext, certPem: string, keyPem: string, signatureHash: unknown) {
    const cacheKey = `${certPem}\n${keyPem}`;
    const hit = parsed.get(cacheKey);
    if (hit) {
      this.localCert = hit.localCert;
      this.localPrivateKey = hit.localPrivateKey;
      this.signatureHashAlgorithm = signatureHash;
      return;
    }
    originalParse.call(this, certPem, keyPem, signatureHash);
    dtlsKeyStats.parsedCertificates++;
    // A handful of certificates per process at most (werift shares one); bound it anyway.
    if (parsed.size > 16) parsed.clear();
    parsed.set(cacheKey, { localCert: this.localCert, localPrivateKey: this.localPrivateKey });
  };
  proto.signatureData = function (this: WeriftCipherContext, data: Buffer, hash: string) {
    dtlsKeyStats.signatures++;
    return crypto.createSign(hash).update(data).sign(signingKeyOf(this.localPrivateKey));
  };
  // ServerKeyExchange goes through the key object's own sign(); same cache.
  const keyProto = PrivateKey.prototype as unknown as WeriftPrivateKey & Record<symbol, unknown>;
  if (!keyProto[SIGN_PATCHED]) {
    const originalSign = keyProto.sign;
    keyProto.sign = function (this: WeriftPrivateKey, data: Buffer, hashAlgorithm: string) {
      const object = signingKeyOf(this);
      if (object.asymmetricKeyType !== 'ec' && object.asymmetricKeyType !== 'rsa') return originalSign.call(this, data, hashAlgorithm);
      dtlsKeyStats.signatures++;
      return crypto.createSign(hashAlgorithm).update(data).sign(object);
    };
    keyProto[SIGN_PATCHED] = true;
  }
  // 3. Every SDP carries the fingerprint, which werift recomputes by parsing the certificate.
  const certProto = RTCCertificate.prototype as unknown as { getFingerprints(): unknown[] } & Record<symbol, unknown>;
  const originalFingerprints = certProto.getFingerprints;
  const fingerprints = new WeakMap<object, unknown[]>();
  certProto.getFingerprints = function (this: object) {
    let list = fingerprints.get(this);
    if (!list) {
      list = originalFingerprints.call(this);
      fingerprints.set(this, list);
    }
    return [...list];
  };
  proto[SIGN_PATCHED] = true;
}

useOpensslForWeriftX25519();
cacheWeriftDtlsKeys();
