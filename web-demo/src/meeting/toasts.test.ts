import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Toasts } from './toasts.ts';

describe('Toasts', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  const shown = (toasts: Toasts) => toasts.list.value.map((t) => `${t.message}${t.leaving ? ' (leaving)' : ''}`);

  it('keeps at most three, newest last', () => {
    const toasts = new Toasts();
    for (const name of ['Ada', 'Bob', 'Cy', 'Dee']) toasts.show(`${name} joined`);
    expect(shown(toasts)).toEqual(['Bob joined', 'Cy joined', 'Dee joined']);
  });

  it('fades a notice out after a few seconds (errors stay longer), and one with ms: 0 stays', () => {
    const toasts = new Toasts();
    toasts.show('Ada joined');
    toasts.show('Camera in use', { kind: 'error' });
    toasts.show('Sound blocked', { ms: 0 });
    vi.advanceTimersByTime(3500);
    expect(shown(toasts)).toEqual(['Ada joined (leaving)', 'Camera in use', 'Sound blocked']);
    vi.advanceTimersByTime(200);
    expect(shown(toasts)).toEqual(['Camera in use', 'Sound blocked']);
    vi.advanceTimersByTime(60_000);
    expect(shown(toasts)).toEqual(['Sound blocked']);
  });

  it('runs an action once and closes its notice', () => {
    const toasts = new Toasts();
    const run = vi.fn();
    toasts.show('Your browser blocked the meeting sound.', { ms: 0, action: { label: 'Turn on sound', run } });
    toasts.act(toasts.list.value[0]!);
    expect(run).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(200);
    expect(toasts.list.value).toEqual([]);
  });

  it('stops its timers when the meeting ends', () => {
    const toasts = new Toasts();
    toasts.show('Ada joined');
    toasts.dispose();
    vi.advanceTimersByTime(10_000);
    expect(shown(toasts)).toEqual(['Ada joined']);
  });
});
