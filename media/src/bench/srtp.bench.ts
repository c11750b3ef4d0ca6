/**
 * SRTP micro-benchmark: CPU per packet to protect and to unprotect a
 * 1100-byte video packet, werift's SrtpSession against ours, for both
 * profiles the SFU negotiates.
 *
 *   node --import tsx media/src/bench/srtp.bench.ts [--packets 50000]
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { RtpHeader, RtpPacket, SrtpSession as WeriftSrtpSession } from 'werift';
import { SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80, SrtpSession, srtpProfileName, type SrtpProfile } from '../rtp/srtp.ts';

const { values } = parseArgs({ options: { packets: { type: 'string', default: '50000' } } });
const N = Number(values.packets);

/** Best of 5 rounds; `setup` runs before each round (and the warm-up), outside the measurement. */
function cpuMicrosPer(fn: (i: number) => void, setup: () => void = () => undefined): number {
  setup();
  for (let i = 0; i < Math.min(N, 2000); i++) fn(i);
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    setup();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) fn(i);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / N);
  }
  return best;
}

const rows: string[] = [];
for (const profile of [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM] as SrtpProfile[]) {
  const saltLength = profile === SRTP_AEAD_AES_128_GCM ? 12 : 14;
  const keys = {
    localMasterKey: crypto.randomBytes(16),
    localMasterSalt: crypto.randomBytes(saltLength),
    remoteMasterKey: crypto.randomBytes(16),
    remoteMasterSalt: crypto.randomBytes(saltLength),
  };
  const mirrored = { localMasterKey: keys.remoteMasterKey, localMasterSalt: keys.remoteMasterSalt, remoteMasterKey: keys.localMasterKey, remoteMasterSalt: keys.localMasterSalt };
  let werift = new WeriftSrtpSession({ keys, profile });
  const loop = new WeriftSrtpSession({ keys: mirrored, profile });
  const ours = new SrtpSession({ profile, ...keys });
  const payload = crypto.randomBytes(1100);
  const header = (seq: number) => new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: seq * 3000, ssrc: 0x1234, payloadType: 96 });

  const weriftProtect = cpuMicrosPer((i) => werift.encrypt(payload, header(i)));
  // Sequence numbers must advance (a fresh receiver per round), so every packet is prepared up front.
  const encrypted = Array.from({ length: N }, (_, i) => loop.encrypt(payload, header(i)));
  const weriftUnprotect = cpuMicrosPer(
    (i) => werift.decrypt(encrypted[i]!),
    () => (werift = new WeriftSrtpSession({ keys, profile })),
  );

  const plain = new RtpPacket(header(0), payload).serialize();
  const buf = Buffer.alloc(plain.length + 16);
  const oursProtect = cpuMicrosPer((i) => {
    plain.copy(buf);
    buf.writeUInt16BE(i & 0xffff, 2);
    ours.local.protectRtp(buf, 12, plain.length);
  });
  const sender = new SrtpSession({ profile, ...keys });
  const oursEncrypted = Array.from({ length: N }, (_, i) => {
    const b = Buffer.alloc(plain.length + 16);
    plain.copy(b);
    b.writeUInt16BE(i & 0xffff, 2);
    return b.subarray(0, sender.local.protectRtp(b, 12, plain.length));
  });
  // Unprotect works in place: decrypt a fresh copy each time (the copy is measured too; it is ~0.1 µs).
  const scratch = Buffer.alloc(plain.length + 16);
  let remote = new SrtpSession({ profile, ...mirrored });
  const oursUnprotect = cpuMicrosPer(
    (i) => {
      const e = oursEncrypted[i]!;
      e.copy(scratch);
      if (remote.remote.unprotectRtp(scratch, e.length) < 0) throw new Error('auth failed');
    },
    () => (remote = new SrtpSession({ profile, ...mirrored })),
  );
  rows.push(
    `| ${srtpProfileName(profile)} | ${weriftProtect.toFixed(2)} | ${weriftUnprotect.toFixed(2)} | ${oursProtect.toFixed(2)} | ${oursUnprotect.toFixed(2)} |`,
  );
}
console.log(`SRTP CPU per 1100-byte packet (µs, best of 5 × ${N}); node ${process.version}, openssl ${process.versions.openssl}`);
console.log('| profile | werift protect | werift unprotect | ours protect | ours unprotect |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
