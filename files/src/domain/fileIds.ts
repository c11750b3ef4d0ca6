import crypto from 'node:crypto';

/** A new file id: `fl` and 24 characters of base64url (144 random bits), within FileIdSchema. */
export function newFileId(): string {
  return `fl${crypto.randomBytes(18).toString('base64url')}`;
}
