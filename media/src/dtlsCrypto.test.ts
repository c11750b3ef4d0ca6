import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { dtlsKeyStats, x25519, x25519KeyPair, x25519Stats } from './dtlsCrypto.ts';
import { createSfuClientPeer } from './peer.ts';

describe('X25519 on OpenSSL for werift', () => {
  it('agrees with tweetnacl on public keys and shared secrets', () => {
    const ours = x25519KeyPair();
    // tweetnacl's own derivation of the public key from our secret.
    expect(Buffer.from(nacl.box.keyPair.fromSecretKey(ours.secretKey).publicKey)).toEqual(Buffer.from(ours.publicKey));
    const theirs = nacl.box.keyPair.fromSecretKey(nacl.randomBytes(32));
    const reference = (n: Uint8Array, p: Uint8Array) => {
      throw new Error(`fallback used for ${n.length}/${p.length}`);
    };
    const shared = x25519(ours.secretKey, theirs.publicKey, reference);
    // The peer computes the same secret the other way round (tweetnacl's code path).
    const fromPeer = nacl.scalarMult(theirs.secretKey, ours.publicKey);
    expect(Buffer.from(shared)).toEqual(Buffer.from(fromPeer));
    expect(shared.length).toBe(32);
  });

  it('is what werift reaches through the tweetnacl module, and leaves foreign secrets to tweetnacl', () => {
    const pair = nacl.box.keyPair();
    const other = nacl.box.keyPair();
    expect(pair.secretKey.length).toBe(32);
    expect(Buffer.from(nacl.scalarMult(pair.secretKey, other.publicKey))).toEqual(Buffer.from(nacl.scalarMult(other.secretKey, pair.publicKey)));
    const foreign = nacl.randomBytes(32);
    expect(nacl.scalarMult(foreign, pair.publicKey).length).toBe(32);
  });

  it('carries real werift DTLS handshakes, signing with a cached key and parsing the certificate once', async () => {
    for (let round = 0; round < 2; round++) await handshake();
    const parsedAfterTwo = dtlsKeyStats.parsedCertificates;
    expect(parsedAfterTwo).toBeGreaterThanOrEqual(1);
    await handshake();
    expect(dtlsKeyStats.parsedCertificates).toBe(parsedAfterTwo);
  }, 60_000);
});

async function handshake(): Promise<void> {
  {
    const before = { ...x25519Stats, signatures: dtlsKeyStats.signatures };
    const a = createSfuClientPeer();
    const b = createSfuClientPeer();
    try {
      a.addTransceiver('audio', { direction: 'sendonly' });
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription!);
      await Promise.all(
        [a, b].map(
          (pc) =>
            new Promise<void>((resolve, reject) => {
              if (pc.connectionState === 'connected') return resolve();
              pc.connectionStateChange.subscribe((state) => {
                if (state === 'connected') resolve();
                if (state === 'failed') reject(new Error('DTLS failed'));
              });
            }),
        ),
      );
      // Both ends generated their key pair and derived the secret on OpenSSL.
      expect(x25519Stats.keyPairs - before.keyPairs).toBeGreaterThanOrEqual(2);
      expect(x25519Stats.sharedSecrets - before.sharedSecrets).toBeGreaterThanOrEqual(2);
      // ServerKeyExchange and CertificateVerify (werift asks for the client's certificate).
      expect(dtlsKeyStats.signatures - before.signatures).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }
}
