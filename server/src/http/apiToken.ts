import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { constantTimeEqual } from '@muster/kit/constant-time';

/**
 * The REST API token: from configuration, or generated once and kept in the
 * data directory so that it survives restarts and integrations keep working.
 */
export function loadOrCreateApiToken(dataDir: string, configured?: string): { token: string; generated: boolean; file?: string } {
  if (configured) return { token: configured, generated: false };
  const file = path.join(dataDir, 'api-token');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { token: existing, generated: false, file };
  } catch {
    // not there yet
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, file };
}

export function bearerAuth(token: string): RequestHandler {
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (match && constantTimeEqual(match[1]!, token)) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: { code: 'UNAUTHORIZED', message: 'a valid Bearer token is required' } });
  };
}
