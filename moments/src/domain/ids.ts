import crypto from 'node:crypto';

/** A new id: a prefix naming what it is (mo post, mc comment, mn notice, mr report) and 128 random bits. */
export const newId = (prefix: 'mo' | 'mc' | 'mn' | 'mr') => `${prefix}${crypto.randomBytes(16).toString('base64url')}`;
