import { effect, signal } from '@preact/signals';
import { CallsClient, type CallMedia, type CallsSnapshot, type CallView, type IncomingCall } from '@muster/im/client';
import { accounts } from '../account/session.ts';
import { imClient } from '../account/im.ts';
import { CallSession, type CallMediaState } from './session.ts';

/** Who is on the other end, as the call screens show them. */
export interface CallPeer {
  id: string;
  name: string;
  avatar: string | null;
}

const EMPTY: CallsSnapshot = { incoming: [], current: null, ended: null };

/** The calls SDK part of the signed-in person's ImClient (null signed out). */
export const callsClient = signal<CallsClient | null>(null);
/** What rings here, my current call, the last one that ended. */
export const callSnapshot = signal<CallsSnapshot>(EMPTY);
/** The media of the call this device takes part in (null: none). */
export const callMedia = signal<CallMediaState | null>(null);
/** The other person of my current outgoing call (the incoming screen has the caller). */
export const callPeer = signal<CallPeer | null>(null);
/** The call shows as a small floating window while the person chats. */
export const callMinimised = signal(false);
/** A refusal to show (blocked, busy…), cleared by the next action. */
export const callError = signal<string | null>(null);

let session: { callId: string; session: CallSession; accepted: boolean } | null = null;

/** Timestamps of a call's milestones on this page (the call set-up benchmark reads them). */
export function mark(name: string): void {
  const w = globalThis as unknown as { __musterCallMarks?: { name: string; at: number }[] };
  (w.__musterCallMarks ??= []).push({ name, at: Date.now() });
}

effect(() => {
  const client = imClient.value;
  callsClient.peek()?.stop();
  if (!client) {
    callsClient.value = null;
    callSnapshot.value = EMPTY;
    void closeSession();
    return;
  }
  const calls = client.use((transport, me) => new CallsClient(transport, me));
  calls.subscribe((snapshot) => {
    callSnapshot.value = snapshot;
    follow(snapshot);
  });
  callsClient.value = calls;
  void calls.start().catch(() => undefined);
});

/** The call this tab placed or answered, kept across a reload (sessionStorage is per tab). */
function ownCall(id?: string | null): string | null {
  try {
    if (id !== undefined) {
      if (id) sessionStorage.setItem('muster.call', id);
      else sessionStorage.removeItem('muster.call');
    }
    return sessionStorage.getItem('muster.call');
  } catch {
    return null;
  }
}

function openSession(callId: string, roomId: string): CallSession {
  if (session?.callId === callId) return session.session;
  void closeSession();
  const s = new CallSession({ roomId, accessToken: () => accounts.accessToken(), onChange: (state) => (callMedia.value = state) });
  session = { callId, session: s, accepted: false };
  // Diagnostics and tests: the call's meeting client (its peer connections' stats).
  (globalThis as unknown as { __musterCall?: { room: CallSession['room'] } }).__musterCall = { room: s.room };
  callMedia.value = s.state;
  return s;
}

async function closeSession(): Promise<void> {
  const s = session;
  session = null;
  if (s && ownCall() === s.callId) ownCall(null);
  callMedia.value = null;
  callMinimised.value = false;
  await s?.session.close();
}

/** Keeps this device's media in step with the calls: pre-connect while ringing, release on answer, close at the end. */
function follow(snapshot: CallsSnapshot): void {
  const current = snapshot.current;
  if (session) {
    const ringing = snapshot.incoming.some((c) => c.callId === session!.callId);
    const mine = current?.id === session.callId;
    if (!ringing && !mine) void closeSession();
    else if (mine && current!.state === 'connected' && !session.accepted) {
      session.accepted = true;
      mark('accepted');
      void session.session.go().catch(() => undefined);
    }
  }
  // A call this tab was in before a reload: back into its room.
  if (!session && current?.roomId && current.kind === 'direct' && ownCall() === current.id) {
    const s = openSession(current.id, current.roomId);
    session!.accepted = current.state === 'connected';
    void s.publish(current.media === 'video', current.state === 'ringing').catch(() => undefined);
    return;
  }
  // A one-to-one call ringing here: connect now, so answering only has to publish.
  const ring = snapshot.incoming.find((c) => c.kind === 'direct' && c.roomId);
  if (!session && ring && !current) {
    mark('ring');
    const s = openSession(ring.callId, ring.roomId!);
    void s.join().catch(() => undefined);
    // Where the devices are already allowed (no prompt while it rings), publish held too: the answer only releases it.
    void devicesGranted(ring.media === 'video').then((granted) => {
      if (granted && session?.session === s && !s.publishing) void s.publish(ring.media === 'video', true).catch(() => undefined);
    });
  }
}

/** Whether the microphone (and camera) may be opened without a permission prompt. */
async function devicesGranted(video: boolean): Promise<boolean> {
  try {
    const names = video ? ['microphone', 'camera'] : ['microphone'];
    const states = await Promise.all(names.map((name) => navigator.permissions.query({ name: name as PermissionName })));
    return states.every((s) => s.state === 'granted');
  } catch {
    return false;
  }
}

/** Calls the other person of a direct conversation. */
export async function startCall(conversationId: string, media: CallMedia, peer: CallPeer): Promise<void> {
  const calls = callsClient.peek();
  if (!calls || callSnapshot.peek().current) return;
  callError.value = null;
  callPeer.value = peer;
  mark('click');
  let call: CallView;
  try {
    call = await calls.call(conversationId, media);
  } catch (error) {
    callError.value = refusal(error);
    return;
  }
  if (call.state !== 'ringing' || !call.roomId) return;
  ownCall(call.id);
  const s = openSession(call.id, call.roomId);
  // Connect and publish held: the answer only has to release it.
  void s.publish(media === 'video', true).catch(() => undefined);
}

export async function acceptCall(ring: IncomingCall): Promise<void> {
  const calls = callsClient.peek();
  if (!calls) return;
  mark('accept');
  callPeer.value = { id: ring.caller.id, name: ring.caller.nickname, avatar: ring.caller.avatar?.large ?? null };
  if (ring.kind === 'group') {
    await calls.accept(ring.callId).catch(() => undefined);
    if (ring.link) location.assign(ring.link);
    return;
  }
  const s = openSession(ring.callId, ring.roomId!);
  session!.accepted = true;
  ownCall(ring.callId);
  // Media goes as the answer does, not after it: released if it was published held while ringing, else published now.
  const media = s.publishing ? s.go() : s.publish(ring.media === 'video', false);
  void media.catch(() => undefined);
  try {
    await calls.accept(ring.callId);
  } catch (error) {
    callError.value = refusal(error);
    await closeSession();
  }
}

export async function declineCall(ring: IncomingCall): Promise<void> {
  await callsClient.peek()?.decline(ring.callId).catch(() => undefined);
}

export async function endCall(): Promise<void> {
  await callsClient.peek()?.end();
  await closeSession();
}

export function currentSession(): CallSession | null {
  return session?.session ?? null;
}

function refusal(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'REFUSED_BY_RECIPIENT') return 'This person does not accept your calls.';
  if (code === 'IN_CALL') return 'You are already in a call.';
  if (code === 'NOT_FOUND') return 'This conversation is not available.';
  return (error as Error).message || 'The call could not be made.';
}
