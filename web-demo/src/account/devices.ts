import type { Device } from '@muster/accounts/client';
import { relativeTime, type DateOptions } from '../lib/time.ts';

/** One row of the device list in settings. */
export interface DeviceRow {
  id: string;
  name: string;
  /** "Web · 10.0.0.7" */
  detail: string;
  /** "Active now", "Last seen 3 hours ago" */
  lastSeen: string;
  current: boolean;
}

const PLATFORMS: Record<string, string> = { web: 'Web', 'mobile-web': 'Phone browser', android: 'Android', ios: 'iOS', desktop: 'Desktop', api: 'API' };

/** A device seen this recently counts as in use now (access tokens are refreshed every 15 minutes). */
const ACTIVE_MS = 16 * 60_000;

/** This device first, then the most recently seen. */
export function deviceRows(devices: readonly Device[], now: number, opts: DateOptions = {}): DeviceRow[] {
  return [...devices]
    .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt - a.lastSeenAt)
    .map((d) => ({
      id: d.id,
      name: d.name || 'Unknown device',
      detail: [PLATFORMS[d.platform] ?? d.platform, d.location].filter(Boolean).join(' · '),
      lastSeen: d.current ? 'This device' : now - d.lastSeenAt < ACTIVE_MS ? 'Active now' : `Last seen ${relativeTime(d.lastSeenAt, now, opts)}`,
      current: d.current,
    }));
}
