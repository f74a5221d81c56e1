import { httpLogLevel } from './logging';

describe('httpLogLevel', () => {
  it('should log an unexpected failure as an error: a 500, or an error whatever the status', () => {
    expect(httpLogLevel(500, undefined)).toBe('error');
    expect(httpLogLevel(200, new Error('socket reset'))).toBe('error');
  });

  it('should log a 5xx the app answers on purpose (503 broker down, 504 RPC timeout) as a warning', () => {
    expect([502, 503, 504].map((status) => httpLogLevel(status, undefined))).toEqual(['warn', 'warn', 'warn']);
  });

  it('should log a 4xx at info and a success at debug', () => {
    expect([400, 404, 413].map((status) => httpLogLevel(status, undefined))).toEqual(['info', 'info', 'info']);
    expect([200, 202, 304].map((status) => httpLogLevel(status, undefined))).toEqual(['debug', 'debug', 'debug']);
  });
});
