/**
 * Presence in the web client: what a header says of a contact ("Online",
 * "Last seen 5 minutes ago", nothing when they hide it or are not a
 * contact), and a hook that watches one person while a view shows them
 * (the SDK's PresenceStore fetches, caches and follows live events).
 */
import { useEffect, useState } from 'preact/hooks';
import type { ImClient, PresenceView } from '@muster/im/client';
import { relativeTime } from '../lib/time.ts';

/** "Online", "Last seen …", or '' (not a contact, not known yet, or hidden). */
export function presenceText(view: PresenceView | null | undefined, now: number): string {
  if (!view) return '';
  if (view.online) return 'Online';
  if (view.lastSeenAt === null) return '';
  return `Last seen ${relativeTime(Math.min(view.lastSeenAt, now), now)}`;
}

/** One person's presence while the calling view shows them, re-rendered when it changes (and every minute, for "Last seen"). */
export function usePresence(client: ImClient | null, userId: string | null | undefined): PresenceView | null | undefined {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!client || !userId) return;
    const store = client.presence;
    const stopWatching = store.watch([userId]);
    const unsubscribe = store.subscribe((changed) => {
      if (changed.has(userId)) setTick((n) => n + 1);
    });
    const clock = setInterval(() => setTick((n) => n + 1), 60_000);
    return () => {
      stopWatching();
      unsubscribe();
      clearInterval(clock);
    };
  }, [client, userId]);
  return client && userId ? client.presence.get(userId) : undefined;
}

/** The header line for a person: `presenceText` of `usePresence`. */
export function PresenceLine({ client, userId, class: className, testId }: { client: ImClient | null; userId: string | null | undefined; class?: string; testId?: string }) {
  const view = usePresence(client, userId);
  const text = presenceText(view, Date.now());
  if (!text) return null;
  return (
    <span class={`${className ?? ''}${view?.online ? ' online' : ''}`} data-testid={testId ?? 'presence'} data-online={String(!!view?.online)}>
      {text}
    </span>
  );
}
