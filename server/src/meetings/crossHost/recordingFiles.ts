import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { SettingsRepository } from '@muster/accounts';
import type { Database } from '@muster/db';
import type { Recorder } from '@muster/recorder';
import { COMPOSITE_LINK } from '@muster/signaling';
import { downloadAllowed, FileNameSchema, RecordingIdSchema } from '@muster/signaling/rest';
import { idInPath, type OwnedRequests, type OwnerDirectory } from '../../crossHost/forwardToOwner.ts';
import type { Owner } from '../../crossHost/Owners.ts';

/** The settings row holding the key every host signs recording download links with (sealed, as every setting). */
export const RECORDING_LINK_KEY_SETTING = 'recordings.linkKey';

/** `/api/v1/recordings/<id>/file` (the composite) and `/api/v1/recordings/<id>/files/<name>`: the downloads. */
const FILE_PATH = /^\/api\/v1\/recordings\/([^/?#]+)\/(?:file|files\/([^/?#]+))(?:[?#]|$)/;

/**
 * The key download links are signed with, the same for every process of the
 * install: generated at the first start into the database's settings (the
 * first process to store one wins), so that a link a host got from one app
 * opens the file through any other.
 */
export async function recordingLinkKey(db: Database): Promise<Buffer> {
  const settings = new SettingsRepository(db);
  const stored = (await settings.get<string>(RECORDING_LINK_KEY_SETTING)) ?? (await settings.putIfAbsent(RECORDING_LINK_KEY_SETTING, randomBytes(32).toString('base64url')));
  return Buffer.from(stored, 'base64url');
}

/**
 * Where each recording's files are, for forwardToOwner: the app host that
 * recorded it (its `filesAt`, the relay URL it had), or null when this app
 * has them (made here, or before there were several hosts) or there is no
 * such recording (answered here: 404). With shared storage
 * (S3RecordingStorage) a finished recording's description names no host (its commit
 * dropped `filesAt` once the bucket held its files), so every app serves it
 * from the bucket: only one made before the bucket was configured, still on
 * its host's disk, is carried there.
 */
export function recordingFileHosts(recorder: Recorder, selfUrl: string): OwnerDirectory {
  const self: Owner = { app: `files:${selfUrl}`, url: selfUrl };
  return {
    self,
    kind: 'recording',
    isSelf: (owner) => owner.url === selfUrl,
    ownerOf: async (id) => {
      const info = await recorder.get(id);
      if (!info || recorder.holdsFiles(info) || info.filesAt === undefined) return null;
      return { app: `files:${info.filesAt}`, url: info.filesAt };
    },
  };
}

/**
 * The downloads forwardToOwner carries to the host whose disk holds the
 * files: only those this app would let through itself (the API token, or a
 * host's link signed for that very file), so a refused one costs no hop.
 */
export function recordingFileRequests(recorder: Recorder, apiToken: string): OwnedRequests {
  return {
    target: (req: Request) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
      const match = FILE_PATH.exec(req.originalUrl);
      if (!match) return undefined;
      const id = idInPath(req, FILE_PATH, (value) => RecordingIdSchema.safeParse(value).success);
      if (id === undefined) return undefined;
      let link = COMPOSITE_LINK;
      if (match[2] !== undefined) {
        try {
          link = decodeURIComponent(match[2]);
        } catch {
          return undefined;
        }
        if (!FileNameSchema.safeParse(link).success) return undefined;
      }
      return downloadAllowed(req, recorder, apiToken, id, link) ? id : undefined;
    },
    // Whether the files are here is a database read: ownerOf answers it.
    live: () => false,
  };
}
