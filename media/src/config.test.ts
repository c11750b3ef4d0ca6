import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { mediaConfigFromEnv } from './config.ts';

describe('mediaConfigFromEnv', () => {
  it('has working defaults with an empty environment, and no public STUN server', () => {
    const config = mediaConfigFromEnv({});
    expect(config).toEqual({
      numWorkers: os.availableParallelism(),
      rtcMinPort: undefined,
      rtcMaxPort: undefined,
      sharedPort: true,
      announcedIp: undefined,
      iceServers: [],
      additionalHostAddresses: ['127.0.0.1'],
    });
  });

  it('reads every variable', () => {
    const iceServers = [
      { urls: 'stun:stun.example.net:3478' },
      { urls: ['turn:turn.example.net:3478?transport=udp'], username: 'u', credential: 'p' },
    ];
    const config = mediaConfigFromEnv({
      MEDIA_WORKERS: '3',
      RTC_MIN_PORT: '40000',
      RTC_MAX_PORT: '40100',
      ANNOUNCED_IP: '203.0.113.10',
      ICE_SERVERS: JSON.stringify(iceServers),
      RTC_ADDITIONAL_HOSTS: ' 10.0.0.5 , 127.0.0.1,, ',
      RTC_SHARED_PORT: '0',
    });
    expect(config).toEqual({
      numWorkers: 3,
      rtcMinPort: 40000,
      rtcMaxPort: 40100,
      sharedPort: false,
      announcedIp: '203.0.113.10',
      iceServers,
      additionalHostAddresses: ['10.0.0.5', '127.0.0.1'],
    });
  });

  it('treats empty values as unset', () => {
    const config = mediaConfigFromEnv({ MEDIA_WORKERS: '', RTC_MIN_PORT: '', RTC_MAX_PORT: '', ANNOUNCED_IP: '', ICE_SERVERS: '' });
    expect(config.numWorkers).toBe(os.availableParallelism());
    expect(config.rtcMinPort).toBeUndefined();
    expect(config.announcedIp).toBeUndefined();
    expect(config.iceServers).toEqual([]);
    // MEDIA_WORKERS=0 also means "one per core".
    expect(mediaConfigFromEnv({ MEDIA_WORKERS: '0' }).numWorkers).toBe(os.availableParallelism());
    // An explicitly empty host list gathers no extra address.
    expect(mediaConfigFromEnv({ RTC_ADDITIONAL_HOSTS: '' }).additionalHostAddresses).toEqual([]);
  });

  it.each([
    [{ RTC_MIN_PORT: 'abc', RTC_MAX_PORT: '40100' }, /RTC_MIN_PORT must be a non-negative integer/],
    [{ RTC_MIN_PORT: '40000', RTC_MAX_PORT: '401.5' }, /RTC_MAX_PORT must be a non-negative integer/],
    [{ RTC_MIN_PORT: '-1', RTC_MAX_PORT: '40100' }, /RTC_MIN_PORT must be a non-negative integer/],
    [{ RTC_MIN_PORT: '40000' }, /must be set together/],
    [{ RTC_MAX_PORT: '40000' }, /must be set together/],
    [{ RTC_MIN_PORT: '40100', RTC_MAX_PORT: '40000' }, /invalid RTC port range 40100-40000/],
    [{ RTC_MIN_PORT: '40000', RTC_MAX_PORT: '40000' }, /invalid RTC port range 40000-40000/],
    [{ RTC_MIN_PORT: '0', RTC_MAX_PORT: '100' }, /invalid RTC port range 0-100/],
    [{ RTC_MIN_PORT: '60000', RTC_MAX_PORT: '70000' }, /invalid RTC port range 60000-70000/],
  ])('rejects bad RTC ports %o', (env, message) => {
    expect(() => mediaConfigFromEnv(env)).toThrow(message);
  });

  it.each([
    ['{not json', /ICE_SERVERS must be a JSON array of RTCIceServer/],
    ['{"urls":"stun:a.example"}', /ICE_SERVERS must be a JSON array of RTCIceServer: not an array/],
    ['["stun:a.example"]', /ICE_SERVERS must be a JSON array of RTCIceServer: entry without "urls"/],
    ['[{"url":"stun:a.example"}]', /entry without "urls"/],
    ['[{"urls":[]}]', /entry without "urls"/],
    ['[null]', /entry without "urls"/],
  ])('rejects bad ICE_SERVERS %s', (value, message) => {
    expect(() => mediaConfigFromEnv({ ICE_SERVERS: value })).toThrow(message);
  });

  it('rejects a bad MEDIA_WORKERS', () => {
    expect(() => mediaConfigFromEnv({ MEDIA_WORKERS: 'many' })).toThrow(/MEDIA_WORKERS must be a non-negative integer/);
  });

  it('reads process.env by default', () => {
    const saved = process.env.ANNOUNCED_IP;
    process.env.ANNOUNCED_IP = '192.0.2.99';
    try {
      expect(mediaConfigFromEnv().announcedIp).toBe('192.0.2.99');
    } finally {
      if (saved === undefined) delete process.env.ANNOUNCED_IP;
      else process.env.ANNOUNCED_IP = saved;
    }
  });
});
