import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActiveSpeakerObserver } from './ActiveSpeakerObserver.ts';
import { makeProducer } from './testing/fakes.ts';

/** One interval's worth of voice from a participant: `packets` at `dBov` (0 loud … 127 silent). */
function speak(p: ReturnType<typeof makeProducer>, dBov: number, packets = 15): void {
  // The ssrc-audio-level header extension, as the publisher's packets carry it.
  for (let i = 0; i < packets; i++) p.deliver({ audioLevel: { voiced: true, level: dBov } });
}

describe('ActiveSpeakerObserver', () => {
  const observers: ActiveSpeakerObserver[] = [];
  function observer(): { obs: ActiveSpeakerObserver; events: (string | null)[] } {
    // A long interval: the tests drive evaluate() themselves.
    const obs = new ActiveSpeakerObserver({ intervalMs: 1_000_000 });
    observers.push(obs);
    const events: (string | null)[] = [];
    obs.on('dominantspeaker', (id) => events.push(id));
    return { obs, events };
  }
  afterEach(() => {
    for (const o of observers.splice(0)) o.close();
  });

  it('makes the loudest voiced producer dominant, reading levels from the RTP extension', () => {
    const { obs, events } = observer();
    const alice = makeProducer('audio', { id: 'alice' });
    const bob = makeProducer('audio', { id: 'bob' });
    obs.addProducer(alice.producer);
    obs.addProducer(bob.producer);

    obs.evaluate();
    expect(obs.dominantSpeaker).toBeNull();
    expect(events).toEqual([]);

    speak(alice, 50); // quieter
    speak(bob, 20); // louder
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('bob');
    expect(events).toEqual(['bob']);

    // The same leader again: no new event.
    speak(bob, 20);
    obs.evaluate();
    expect(events).toEqual(['bob']);
  });

  it('ignores silence and non-audio producers', () => {
    const { obs, events } = observer();
    const alice = makeProducer('audio', { id: 'alice' });
    const camera = makeProducer('video', { id: 'camera' });
    obs.addProducer(alice.producer);
    obs.addProducer(camera.producer);
    speak(alice, 100); // below the default silence threshold of 70 dBov
    speak(alice, 127);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBeNull();
    expect(events).toEqual([]);
  });

  it('switches only after a challenger leads for two consecutive intervals', () => {
    const { obs, events } = observer();
    const alice = makeProducer('audio', { id: 'alice' });
    const bob = makeProducer('audio', { id: 'bob' });
    obs.addProducer(alice.producer);
    obs.addProducer(bob.producer);

    speak(alice, 20);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('alice');

    // Bob coughs for one interval, then Alice carries on: no switch.
    speak(alice, 40, 3);
    speak(bob, 5);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('alice');
    speak(alice, 20);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('alice');

    // Bob leads for one interval: Alice holds on …
    speak(bob, 10);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('alice');
    // … and the second consecutive interval hands over.
    speak(bob, 10);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('bob');
    expect(events).toEqual(['alice', 'bob']);
  });

  it('a paused producer loses: it scores nothing and is replaced by a voiced speaker', () => {
    const { obs, events } = observer();
    const alice = makeProducer('audio', { id: 'alice' });
    const bob = makeProducer('audio', { id: 'bob' });
    obs.addProducer(alice.producer);
    obs.addProducer(bob.producer);
    speak(alice, 10);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('alice');

    alice.producer.pause();
    // Even levels reported for a paused (muted) producer do not count.
    obs.onAudioLevel(alice.producer, 0);
    speak(alice, 0);
    speak(bob, 60, 2); // bob is faint, but he is the only one audible
    obs.evaluate();
    speak(bob, 60, 2);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('bob');
    expect(events).toEqual(['alice', 'bob']);

    // A paused producer cannot take over either.
    speak(bob, 60, 1);
    obs.evaluate();
    obs.onAudioLevel(alice.producer, 0);
    obs.evaluate();
    obs.onAudioLevel(alice.producer, 0);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('bob');
  });

  it('clears the dominant speaker when its producer closes, and forgets it', () => {
    const { obs, events } = observer();
    const alice = makeProducer('audio', { id: 'alice' });
    const bob = makeProducer('audio', { id: 'bob' });
    obs.addProducer(alice.producer);
    obs.addProducer(bob.producer);
    speak(alice, 10);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('alice');

    alice.producer.close();
    expect(obs.dominantSpeaker).toBeNull();
    expect(events).toEqual(['alice', null]);

    // With the room silent again, the next speaker takes over at once.
    speak(bob, 30);
    obs.evaluate();
    expect(obs.dominantSpeaker).toBe('bob');
    expect(events).toEqual(['alice', null, 'bob']);

    // Closing a producer that is not dominant changes nothing.
    const carol = makeProducer('audio', { id: 'carol' });
    obs.addProducer(carol.producer);
    carol.producer.close();
    expect(events).toEqual(['alice', null, 'bob']);
  });

  it('evaluates on its own timer and stops after close()', () => {
    vi.useFakeTimers();
    try {
      const obs = new ActiveSpeakerObserver({ intervalMs: 300 });
      const events: (string | null)[] = [];
      obs.on('dominantspeaker', (id) => events.push(id));
      const alice = makeProducer('audio', { id: 'alice' });
      obs.addProducer(alice.producer);
      speak(alice, 10);
      vi.advanceTimersByTime(300);
      expect(events).toEqual(['alice']);
      obs.close();
      obs.close();
      // The producer no longer reports to a closed observer.
      const bob = makeProducer('audio', { id: 'bob' });
      obs.addProducer(bob.producer);
      speak(bob, 0);
      vi.advanceTimersByTime(3000);
      expect(events).toEqual(['alice']);
    } finally {
      vi.useRealTimers();
    }
  });
});
