import type os from 'node:os';
import { describe, expect, it } from 'vitest';
import { serverConfigFromEnv } from '../config.ts';
import { DEFAULT_MEDIA_HOST_PORT, mediaHostConfigFromEnv, mediaLinkUrl } from './config.ts';

const SECRET = 'a-media-secret-of-enough-length';
const interfaces = (address: string): NodeJS.Dict<os.NetworkInterfaceInfo[]> => ({
  lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '00:00:00:00:00:00', cidr: '127.0.0.1/8' }],
  eth0: [
    { address: 'fe80::1', family: 'IPv6', internal: false, netmask: 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:01', cidr: 'fe80::1/64', scopeid: 2 },
    { address, family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '02:00:00:00:00:01', cidr: `${address}/24` },
  ],
});

describe('media host settings', () => {
  it('refuses to start without REDIS_URL and MEDIA_SECRET, or with a weak secret, naming what is missing', () => {
    expect(() => mediaHostConfigFromEnv({}, interfaces('10.0.0.5'))).toThrow('MUSTER_ROLE=media needs REDIS_URL and MEDIA_SECRET');
    expect(() => mediaHostConfigFromEnv({ REDIS_URL: 'redis://r' }, interfaces('10.0.0.5'))).toThrow('needs MEDIA_SECRET');
    expect(() => mediaHostConfigFromEnv({ MEDIA_SECRET: SECRET }, interfaces('10.0.0.5'))).toThrow('needs REDIS_URL');
    expect(() => mediaHostConfigFromEnv({ REDIS_URL: 'redis://r', MEDIA_SECRET: 'short' }, interfaces('10.0.0.5'))).toThrow('at least 16 characters');
  });

  it('defaults the port, the listen address and the registered address; reads each when set', () => {
    const base = { REDIS_URL: 'redis://r', MEDIA_SECRET: SECRET };
    expect(mediaHostConfigFromEnv(base, interfaces('10.0.0.5'))).toMatchObject({ port: DEFAULT_MEDIA_HOST_PORT, listen: '0.0.0.0', address: '10.0.0.5', redisKeyPrefix: 'muster', hostId: undefined });
    expect(mediaHostConfigFromEnv({ ...base, ANNOUNCED_IP: '203.0.113.7' }, interfaces('10.0.0.5')).address).toBe('203.0.113.7');
    const set = mediaHostConfigFromEnv({ ...base, ANNOUNCED_IP: '203.0.113.7', MEDIA_HOST_ADDRESS: '10.1.1.1', MEDIA_HOST_PORT: '0', MEDIA_HOST_LISTEN: '10.1.1.1', MEDIA_HOST_ID: 'm1', REDIS_KEY_PREFIX: 'p' }, interfaces('10.0.0.5'));
    expect(set).toMatchObject({ port: 0, listen: '10.1.1.1', address: '10.1.1.1', hostId: 'm1', redisKeyPrefix: 'p' });
    expect(() => mediaHostConfigFromEnv({ ...base, MEDIA_HOST_PORT: '70000' }, interfaces('10.0.0.5'))).toThrow('MEDIA_HOST_PORT');
    expect(() => mediaHostConfigFromEnv(base, { lo: interfaces('x').lo })).toThrow('set MEDIA_HOST_ADDRESS');
    expect(mediaLinkUrl('10.0.0.5', 4443, '/media/link')).toBe('ws://10.0.0.5:4443/media/link');
    expect(mediaLinkUrl('fd00::5', 4443, '/media/link')).toBe('ws://[fd00::5]:4443/media/link');
  });

  it('lets an app run without local workers (MEDIA_LOCAL=0) only with media hosts to use; MEDIA_WORKERS=0 is still one per core', () => {
    const hosts = { REDIS_URL: 'redis://r', MEDIA_SECRET: SECRET };
    expect(serverConfigFromEnv({ ...hosts, MEDIA_LOCAL: '0' }).media.numWorkers).toBe(0);
    expect(serverConfigFromEnv({ ...hosts, MEDIA_LOCAL: '0' }).mediaSecret).toBe(SECRET);
    expect(serverConfigFromEnv({ MEDIA_WORKERS: '0' }).media.numWorkers).toBeGreaterThan(0);
    expect(serverConfigFromEnv({ MEDIA_LOCAL: '1', MEDIA_WORKERS: '3' }).media.numWorkers).toBe(3);
    expect(() => serverConfigFromEnv({ MEDIA_LOCAL: '0' })).toThrow('MEDIA_LOCAL=0 needs REDIS_URL and MEDIA_SECRET');
    expect(() => serverConfigFromEnv({ ...hosts, MEDIA_LOCAL: 'no' })).toThrow('MEDIA_LOCAL must be 0');
    expect(() => serverConfigFromEnv({ MEDIA_SECRET: 'short' })).toThrow('MEDIA_SECRET must be at least 16 characters');
  });
});
