import { GREETER_FULL_NAME, HealthCheckResponse_ServingStatus as ServingStatus } from '@hello/contracts';
import { Logger } from '@nestjs/common';
import { HealthStatusRegistry } from './health-status.registry';

describe('HealthStatusRegistry', () => {
  let registry: HealthStatusRegistry;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    registry = new HealthStatusRegistry();
  });

  afterEach(() => jest.restoreAllMocks());

  it('should report the server and helloworld.Greeter SERVING from the start', () => {
    expect(registry.statusOf('')).toBe(ServingStatus.SERVING);
    expect(registry.statusOf(GREETER_FULL_NAME)).toBe(ServingStatus.SERVING);
  });

  it('should know nothing of other services', () => {
    expect(registry.statusOf('helloworld.Other')).toBeUndefined();
  });

  it('should report every service NOT_SERVING once shutdown begins', () => {
    registry.beginShutdown();
    expect(registry.statusOf('')).toBe(ServingStatus.NOT_SERVING);
    expect(registry.statusOf(GREETER_FULL_NAME)).toBe(ServingStatus.NOT_SERVING);
  });

  it('should let a watcher see the current status, then NOT_SERVING at shutdown, then end', () => {
    const seen: ServingStatus[] = [];
    let ended = false;
    registry.watch(GREETER_FULL_NAME).subscribe({ next: (s) => seen.push(s), complete: () => (ended = true) });
    expect(seen).toEqual([ServingStatus.SERVING]);
    expect(ended).toBe(false);
    registry.beginShutdown();
    expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    expect(ended).toBe(true);
  });

  it('should tell a watcher of an unknown service SERVICE_UNKNOWN and keep the stream open', () => {
    const seen: ServingStatus[] = [];
    let ended = false;
    registry.watch('nope').subscribe({ next: (s) => seen.push(s), complete: () => (ended = true) });
    expect(seen).toEqual([ServingStatus.SERVICE_UNKNOWN]);
    expect(ended).toBe(false);
  });

  it('should give a watcher arriving after shutdown began NOT_SERVING and end its stream', () => {
    registry.beginShutdown();
    const seen: ServingStatus[] = [];
    let ended = false;
    registry.watch('').subscribe({ next: (s) => seen.push(s), complete: () => (ended = true) });
    expect(seen).toEqual([ServingStatus.NOT_SERVING]);
    expect(ended).toBe(true);
  });

  it('should treat a second shutdown as a no-op', () => {
    registry.beginShutdown();
    expect(() => registry.beginShutdown()).not.toThrow();
  });

  it('should report NOT_SERVING while the app is not ready, SERVING after, and tell watchers', () => {
    const seen: ServingStatus[] = [];
    registry.watch('').subscribe((s) => seen.push(s));
    registry.setServing(false);
    expect(registry.statusOf(GREETER_FULL_NAME)).toBe(ServingStatus.NOT_SERVING);
    registry.setServing(true);
    expect(registry.statusOf('')).toBe(ServingStatus.SERVING);
    expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING]);
  });

  it('should stay NOT_SERVING once shutdown has begun, whatever readiness says', () => {
    registry.beginShutdown();
    registry.setServing(true);
    expect(registry.statusOf('')).toBe(ServingStatus.NOT_SERVING);
  });
});
