import { MusterError, type ClientRequest, type ClientRequestName, type ClientResponses, type Right, type Role } from '../protocol.ts';
import type { Participant } from '../rooms/Participant.ts';
import type { Room } from '../rooms/Room.ts';
import type { RoomTransaction } from '../rooms/RoomTransaction.ts';
import type { RoomManager } from '../rooms/RoomManager.ts';
import type { AuditActor } from './AuditLog.ts';
import { hasRight, isModerator, outranks } from './policy.ts';

/** Requests that are controls or meeting actions (everything but joining and media). */
export const CONTROL_NAMES = [
  'participant.mute',
  'participant.askUnmute',
  'participant.remove',
  'participant.setRole',
  'participant.setVideoQuality',
  'room.muteAll',
  'room.askUnmuteAll',
  'room.update',
  'room.end',
  'lobby.admit',
  'lobby.deny',
  'hands.lowerAll',
  'recording.set',
  'hand.set',
  'reaction.send',
  'chat.send',
] as const satisfies readonly ClientRequestName[];
export type ControlName = (typeof CONTROL_NAMES)[number];

/** Who asks: a participant of the room (rights from role and settings), or the REST API (an operator: every right). */
export type Actor = { type: 'participant'; participant: Participant } | { type: 'api' };

interface Ctx {
  room: Room;
  /** The room's control primitives, valid while the control runs in its queue. */
  tx: RoomTransaction;
  actor: Actor;
  /** The actor's name as targets see it in notices. */
  by: string;
}

type Control<N extends ControlName> = (ctx: Ctx, request: ClientRequest<N>) => Promise<{ reply: ClientResponses[N]; audit?: { target?: Participant | null; details?: Record<string, unknown> } | false }>;

/**
 * Every host control and meeting action, carried out once for both the
 * socket protocol and the REST API: the same permission checks, the same
 * effects, the same audit record. A refused control throws `FORBIDDEN` before
 * anything changes.
 */
export class RoomControls {
  readonly #rooms: RoomManager;

  constructor(rooms: RoomManager) {
    this.#rooms = rooms;
  }

  /** Runs one control in the room's queue, checks first; audits what succeeded. */
  execute<N extends ControlName>(room: Room, actor: Actor, name: N, request: ClientRequest<N>): Promise<ClientResponses[N]> {
    const control = this.#controls[name] as unknown as Control<N>;
    return room.exclusive(async (tx) => {
      if (room.closed) throw new MusterError('NOT_FOUND', 'the meeting has ended');
      if (actor.type === 'participant' && (actor.participant.left || room.participants.get(actor.participant.id) !== actor.participant)) {
        throw new MusterError('NOT_JOINED', 'you are not in this meeting');
      }
      const by = actor.type === 'participant' ? actor.participant.name : 'The organiser';
      const { reply, audit } = await control({ room, tx, actor, by }, request);
      if (audit !== false) {
        const target = audit?.target ?? null;
        room.audit.record({
          actor: auditActor(actor),
          action: name,
          target: target ? { participantId: target.id, name: target.name } : null,
          details: audit?.details ?? { ...(request as object) },
        });
      }
      return reply;
    });
  }

  /** A data message from an integration to everyone, or to some participants. REST only. */
  sendData(room: Room, data: unknown, topic: string | null, to: string[] | null): Promise<{ delivered: number }> {
    return room.exclusive(async () => {
      const targets = to ? to.map((id) => targetOf(room, id)) : [...room.participants.values()];
      for (const p of targets) p.emit('data.message', { from: 'server', topic, data });
      room.audit.record({ actor: { type: 'api' }, action: 'data.send', target: null, details: { topic, to, bytes: JSON.stringify(data)?.length ?? 0 } });
      return { delivered: targets.length };
    });
  }

  readonly #controls: { [N in ControlName]: Control<N> } = {
    'participant.mute': async ({ room, tx, actor, by }, { participantId, kind }) => {
      needRight(room, actor, 'moderate');
      const target = moderatable(room, actor, participantId);
      await tx.forceMute(target, kind, true, by);
      return { reply: {}, audit: { target } };
    },
    'participant.askUnmute': async ({ room, tx, actor, by }, { participantId, kind }) => {
      needRight(room, actor, 'moderate');
      const target = targetOf(room, participantId);
      tx.askUnmute(target, kind, by);
      return { reply: {}, audit: { target } };
    },
    'participant.remove': async ({ room, tx, actor }, { participantId, ban }) => {
      needRight(room, actor, 'moderate');
      const target = moderatable(room, actor, participantId);
      if (actor.type === 'participant' && target === actor.participant) throw new MusterError('BAD_REQUEST', 'use leave to leave the meeting');
      await tx.remove(target, ban);
      return { reply: {}, audit: { target, details: { ban } } };
    },
    'participant.setRole': async ({ room, tx, actor, by }, { participantId, role }) => {
      needRight(room, actor, 'moderate');
      const target = targetOf(room, participantId);
      const self = actor.type === 'participant' ? actor.participant : null;
      if (target === self) throw new MusterError('BAD_REQUEST', 'you cannot change your own role');
      if (role === 'host') {
        // Transferring host is the host's own decision (or an operator's).
        if (self && self.role !== 'host') throw new MusterError('FORBIDDEN', 'only the host can hand over the host role');
        // An ad-hoc meeting's key lives as long as this session, so its holder may pass it on;
        // a scheduled meeting's key is permanent and is never handed on (the role is, for this session).
        if (self?.holdsHostKey && !room.persistent) target.holdsHostKey = true;
        tx.setRole(target, 'host', by);
        if (self) tx.setRole(self, 'co-host', by);
      } else {
        if (self && !outranks(self.role, target.role)) throw new MusterError('FORBIDDEN', 'co-hosts cannot change the host’s role');
        tx.setRole(target, role, by);
      }
      return { reply: {}, audit: { target, details: { role } } };
    },
    'participant.setVideoQuality': async ({ room, tx, actor }, { participantId, quality }) => {
      needRight(room, actor, 'moderate');
      const target = moderatable(room, actor, participantId);
      await tx.setVideoQuality(target, quality);
      return { reply: {}, audit: { target } };
    },
    'room.muteAll': async ({ room, tx, actor, by }, { kind, allowUnmute }) => {
      needRight(room, actor, 'moderate');
      let muted = 0;
      for (const p of [...room.participants.values()]) {
        // Hosts and co-hosts keep their voice: "mute all" is for the audience.
        if (isModerator(p.role) || (actor.type === 'participant' && p === actor.participant)) continue;
        await tx.forceMute(p, kind, allowUnmute, by);
        muted++;
      }
      return { reply: { muted }, audit: { details: { kind, allowUnmute, muted } } };
    },
    'room.askUnmuteAll': async ({ room, tx, actor, by }, { kind }) => {
      needRight(room, actor, 'moderate');
      for (const p of room.participants.values()) {
        if (actor.type === 'participant' && p === actor.participant) continue;
        tx.askUnmute(p, kind, by);
      }
      return { reply: {} };
    },
    'room.update': async ({ room, tx, actor }, update) => {
      needRight(room, actor, 'moderate');
      await tx.update(update);
      await this.#rooms.saveConfig(room);
      return { reply: { room: room.info() } };
    },
    'room.end': async ({ room, tx, actor }) => {
      needRight(room, actor, 'moderate');
      // Recorded before the room goes, so the log shows who ended it.
      room.audit.record({ actor: auditActor(actor), action: 'room.end', target: null, details: {} });
      this.#rooms.close(room.id, 'ended');
      return { reply: {}, audit: false };
    },
    'lobby.admit': async ({ room, tx, actor }, decision) => {
      needRight(room, actor, 'moderate');
      const admitted = tx.letIn('all' in decision ? 'all' : [decision.lobbyId]);
      if (!admitted && !('all' in decision)) throw new MusterError('NOT_FOUND', 'nobody with that id is waiting');
      return { reply: { admitted } };
    },
    'lobby.deny': async ({ room, tx, actor }, decision) => {
      needRight(room, actor, 'moderate');
      const denied = tx.turnAway('all' in decision ? 'all' : [decision.lobbyId]);
      if (!denied && !('all' in decision)) throw new MusterError('NOT_FOUND', 'nobody with that id is waiting');
      return { reply: { denied } };
    },
    'hands.lowerAll': async ({ room, tx, actor, by }) => {
      needRight(room, actor, 'moderate');
      let lowered = 0;
      for (const p of room.participants.values()) {
        if (tx.setHand(p, false)) {
          lowered++;
          room.notify(p, { type: 'handLowered', by });
        }
      }
      return { reply: { lowered } };
    },
    'recording.set': async ({ room, tx, actor, by }, { on }) => {
      needRight(room, actor, 'moderate');
      const recorder = this.#rooms.recorder;
      // Asking for the state the meeting is already in changes nothing (two hosts clicking at once).
      if (recorder && on !== recorder.isRecording(room.id)) {
        if (on) await recorder.start(room, by);
        else await recorder.stop(room);
      }
      tx.setRecording(on);
      return { reply: { room: room.info() } };
    },
    'hand.set': async ({ room, tx, actor, by }, { raised, participantId }) => {
      const self = actor.type === 'participant' ? actor.participant : null;
      const target = participantId ? targetOf(room, participantId) : self;
      if (!target) throw new MusterError('BAD_REQUEST', 'participantId is required');
      if (target !== self) {
        // Only a host lowers another's hand; nobody raises it for them.
        if (raised) throw new MusterError('FORBIDDEN', 'you can only raise your own hand');
        needRight(room, actor, 'moderate');
      }
      const changed = tx.setHand(target, raised);
      if (changed && target !== self) room.notify(target, { type: 'handLowered', by });
      return { reply: {}, audit: target !== self ? { target } : false };
    },
    'reaction.send': async ({ room, tx, actor }, { emoji }) => {
      if (actor.type !== 'participant') throw new MusterError('BAD_REQUEST', 'reactions come from participants');
      room.broadcast('reaction', { participantId: actor.participant.id, emoji });
      return { reply: {}, audit: false };
    },
    'chat.send': async ({ room, tx, actor }, { text, to }) => {
      if (actor.type !== 'participant') throw new MusterError('BAD_REQUEST', 'chat messages come from participants');
      needRight(room, actor, 'chat');
      const recipient = to ? targetOf(room, to) : null;
      if (recipient === actor.participant) throw new MusterError('BAD_REQUEST', 'a private message needs someone else');
      const message = room.postChat(actor.participant, text, recipient);
      // Chat is not a control; its content stays out of the audit log.
      return { reply: { message }, audit: false };
    },
  };
}

function auditActor(actor: Actor): AuditActor {
  if (actor.type === 'api') return { type: 'api' };
  const p = actor.participant;
  return { type: 'participant', participantId: p.id, name: p.name, role: p.role };
}

function needRight(room: Room, actor: Actor, right: Right): void {
  if (actor.type === 'api') return;
  if (!hasRight(actor.participant.role, room.settings, right)) {
    throw new MusterError('FORBIDDEN', right === 'moderate' ? 'only the host and co-hosts can do that' : `you are not allowed to ${right} in this meeting`);
  }
}

function targetOf(room: Room, participantId: string): Participant {
  const target = room.participants.get(participantId);
  if (!target || target.left) throw new MusterError('NOT_FOUND', 'no such participant in this meeting');
  return target;
}

/** A target the actor may act on: co-hosts do not mute, cap or remove the host. */
function moderatable(room: Room, actor: Actor, participantId: string): Participant {
  const target = targetOf(room, participantId);
  if (actor.type === 'participant' && target !== actor.participant && !outranks(actor.participant.role, target.role)) {
    throw new MusterError('FORBIDDEN', 'co-hosts cannot act on the host');
  }
  return target;
}

export type { Role };
