import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { httpLogLevel, nestLogLevelsFor, usePinoLogger } from './logging';

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

describe('usePinoLogger', () => {
  it("should make Nest's Logger.isLevelEnabled follow pino's level", async () => {
    @Module({ imports: [LoggerModule.forRoot({ pinoHttp: { level: 'info' } })] })
    class InfoModule {}
    const app = await NestFactory.createApplicationContext(InfoModule, { bufferLogs: true });
    try {
      usePinoLogger(app);
      expect(Logger.isLevelEnabled('log')).toBe(true);
      expect(Logger.isLevelEnabled('debug')).toBe(false);
    } finally {
      await app.close();
      Logger.overrideLogger(['verbose', 'debug', 'log', 'warn', 'error', 'fatal']);
    }
  });
});

describe('nestLogLevelsFor', () => {
  it("should give Nest exactly the levels pino writes, so Logger.isLevelEnabled('debug') is false at info", () => {
    expect(nestLogLevelsFor('info')).toEqual(['log', 'warn', 'error', 'fatal']);
    expect(nestLogLevelsFor('debug')).toContain('debug');
    expect(nestLogLevelsFor('warn')).toEqual(['warn', 'error', 'fatal']);
    expect(nestLogLevelsFor('silent')).toEqual([]);
  });
});
