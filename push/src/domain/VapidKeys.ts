import webpush from 'web-push';
import { SettingsRepository } from '@muster/accounts';
import type { Database } from '@muster/db';
import type { Logger } from '@muster/kit/log';

/** RFC 8292: the server's key pair (base64url: a 65-byte uncompressed P-256 point, a 32-byte scalar) and its contact. */
export interface VapidDetails {
  publicKey: string;
  privateKey: string;
  /** A mailto: address or an https URL the push service may contact the operator at. */
  subject: string;
}

export const DEFAULT_VAPID_SUBJECT = 'mailto:admin@localhost';
/** The settings row the generated key pair is kept in (sealed, as every settings value). */
export const VAPID_SETTINGS_KEY = 'push.vapid';

/** A configuration mistake in the VAPID variables: the server does not start with it. */
export class VapidConfigError extends Error {
  override readonly name = 'VapidConfigError';
}

const decoded = (value: string) => Buffer.from(value.replace(/=+$/, ''), 'base64url');

function checkSubject(subject: string): string {
  let url: URL;
  try {
    url = new URL(subject);
  } catch {
    throw new VapidConfigError('VAPID_SUBJECT is a mailto: address or an https URL');
  }
  if (url.protocol === 'mailto:' ? url.pathname.includes('@') : url.protocol === 'https:') return subject;
  throw new VapidConfigError('VAPID_SUBJECT is a mailto: address or an https URL');
}

function checkKeys(publicKey: string, privateKey: string): void {
  const pub = decoded(publicKey);
  if (pub.length !== 65 || pub[0] !== 0x04) throw new VapidConfigError('VAPID_PUBLIC_KEY is an uncompressed P-256 public key: 65 bytes, base64url');
  if (decoded(privateKey).length !== 32) throw new VapidConfigError('VAPID_PRIVATE_KEY is a P-256 private key: 32 bytes, base64url');
}

/**
 * The VAPID key pair the server signs its pushes with: from
 * VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY when both are set (one without the
 * other is a configuration error), otherwise generated at the first start
 * and kept in the database's settings (sealed: the private key is never
 * stored in the clear); every process of the install reads the same pair
 * (the first to store it wins). VAPID_SUBJECT (mailto: or https) names the
 * operator; default mailto:admin@localhost.
 */
export async function loadVapidKeys(options: { db: Database; env: Record<string, string | undefined>; logger: Logger }): Promise<VapidDetails> {
  const { env } = options;
  const subject = checkSubject(env.VAPID_SUBJECT?.trim() || DEFAULT_VAPID_SUBJECT);
  const publicKey = env.VAPID_PUBLIC_KEY?.trim();
  const privateKey = env.VAPID_PRIVATE_KEY?.trim();
  if (publicKey || privateKey) {
    if (!publicKey || !privateKey) throw new VapidConfigError('set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither (the server then keeps a generated pair in its database)');
    checkKeys(publicKey, privateKey);
    options.logger.info('push: VAPID keys from VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY');
    return { publicKey, privateKey, subject };
  }
  const settings = new SettingsRepository(options.db);
  let stored = await settings.get<{ publicKey: string; privateKey: string }>(VAPID_SETTINGS_KEY);
  if (!stored) {
    stored = await settings.putIfAbsent(VAPID_SETTINGS_KEY, webpush.generateVAPIDKeys());
    options.logger.info('push: VAPID keys generated and stored in the database (sealed)');
  }
  checkKeys(stored.publicKey, stored.privateKey);
  return { publicKey: stored.publicKey, privateKey: stored.privateKey, subject };
}
