import { ConfigError, loadGreeterConfig } from './greeter.config';

function errorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadGreeterConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadGreeterConfig', () => {
  it('should use the documented defaults when nothing is set', () => {
    expect(loadGreeterConfig({})).toEqual({
      grpcUrl: '0.0.0.0:50051',
      maxReceiveMessageBytes: 4096,
      shutdownGraceMs: 10_000,
      logLevels: ['fatal', 'error', 'warn', 'log'],
    });
  });

  it('should treat empty values as unset', () => {
    expect(loadGreeterConfig({ GREETER_GRPC_URL: '', GREETER_SHUTDOWN_GRACE_MS: ' ' }).grpcUrl).toBe(
      '0.0.0.0:50051',
    );
  });

  it('should read every variable', () => {
    expect(
      loadGreeterConfig({
        GREETER_GRPC_URL: '[::1]:6000',
        GREETER_MAX_RECEIVE_MESSAGE_BYTES: '1024',
        GREETER_SHUTDOWN_GRACE_MS: '0',
        GREETER_LOG_LEVEL: 'debug',
      }),
    ).toEqual({
      grpcUrl: '[::1]:6000',
      maxReceiveMessageBytes: 1024,
      shutdownGraceMs: 0,
      logLevels: ['fatal', 'error', 'warn', 'log', 'debug'],
    });
  });

  it.each([
    ['GREETER_GRPC_URL', 'nonsense'],
    ['GREETER_GRPC_URL', 'localhost'],
    ['GREETER_GRPC_URL', 'localhost:0'],
    ['GREETER_GRPC_URL', 'localhost:70000'],
    ['GREETER_GRPC_URL', 'http://localhost:50051'],
    ['GREETER_MAX_RECEIVE_MESSAGE_BYTES', '0'],
    ['GREETER_MAX_RECEIVE_MESSAGE_BYTES', '4k'],
    ['GREETER_SHUTDOWN_GRACE_MS', '-1'],
    ['GREETER_SHUTDOWN_GRACE_MS', '1.5'],
    ['GREETER_LOG_LEVEL', 'loud'],
  ])('should reject %s=%s and name the variable', (variable, value) => {
    const error = errorFor({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}: .*"${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  });
});
