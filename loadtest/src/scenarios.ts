import type { BotSpec } from './Bot.ts';

export type ScenarioName = 'calls' | 'meeting' | 'webinar';

export interface ScenarioOptions {
  scenario: ScenarioName;
  videoCalls: number;
  voiceCalls: number;
  rooms: number;
  roomSize: number;
  /** Prefix for room names, so concurrent runs against one server never share a room. */
  runId: string;
}

export interface Plan {
  bots: BotSpec[];
  /** callId → how many bots make it connected, and which kind of call it is. */
  calls: Map<string, { size: number; kind: BotSpec['callKind'] }>;
}

/** Turns a scenario into the bots to start, room by room. */
export function planScenario(o: ScenarioOptions): Plan {
  const bots: BotSpec[] = [];
  const calls: Plan['calls'] = new Map();
  const add = (room: string, kind: BotSpec['callKind'], members: Omit<BotSpec, 'room' | 'callId' | 'callKind' | 'id'>[]) => {
    calls.set(room, { size: members.length, kind });
    members.forEach((m) => bots.push({ ...m, id: `${room}/${m.name}`, room, callId: room, callKind: kind }));
  };
  if (o.scenario === 'calls') {
    // Interleave video and voice calls so both ramp up together.
    const total = o.videoCalls + o.voiceCalls;
    let v = 0;
    let a = 0;
    for (let i = 0; i < total; i++) {
      const takeVideo = v < o.videoCalls && (a >= o.voiceCalls || v * o.voiceCalls <= a * o.videoCalls);
      if (takeVideo) {
        add(`${o.runId}-video-${v++}`, 'video', [
          { name: 'v0', audio: true, video: true, expects: ['audio', 'video'] },
          { name: 'v1', audio: true, video: true, expects: ['audio', 'video'] },
        ]);
      } else {
        add(`${o.runId}-voice-${a++}`, 'voice', [
          { name: 'a0', audio: true, video: false, expects: ['audio'] },
          { name: 'a1', audio: true, video: false, expects: ['audio'] },
        ]);
      }
    }
  } else if (o.scenario === 'meeting') {
    for (let r = 0; r < o.rooms; r++) {
      const room = `${o.runId}-meeting-${r}`;
      const expects: ('audio' | 'video')[] = o.roomSize > 1 ? ['audio', 'video'] : [];
      add(room, 'meeting', Array.from({ length: o.roomSize }, (_, k) => ({ name: `m${k}`, audio: true, video: true, expects })));
    }
  } else {
    for (let r = 0; r < o.rooms; r++) {
      const room = `${o.runId}-webinar-${r}`;
      add(room, 'webinar', [
        { name: 'presenter', audio: true, video: true, expects: [] },
        ...Array.from({ length: o.roomSize }, (_, k) => ({ name: `s${k}`, audio: false, video: false, expects: ['audio', 'video'] as ('audio' | 'video')[] })),
      ]);
    }
  }
  return { bots, calls };
}
