import { createTestVhost, TestVhost } from '@hello/testing';
import { AmqpConnection } from '../connection/amqp-connection';
import { ArgumentMismatchError } from '../errors';
import { assertTopology, toMismatchError } from './declare-topology';
import { workQueueTopology } from './topology';

describe('assertTopology', () => {
  let vhost: TestVhost;
  let connection: AmqpConnection;

  beforeAll(async () => {
    vhost = await createTestVhost('topology');
    connection = new AmqpConnection({
      url: vhost.url,
      connectionName: 'topology-spec',
    });
    await connection.connect(5_000);
  });

  afterAll(async () => {
    await connection?.close();
    await vhost?.delete();
  });

  it('should be idempotent', async () => {
    await assertTopology(connection, workQueueTopology('same'));
    await expect(assertTopology(connection, workQueueTopology('same'))).resolves.toBeUndefined();
  });

  it('should name the argument, the declared and the existing value when a queue exists with other arguments', async () => {
    // What RabbitMQ's tutorial declares: a classic queue without arguments.
    await assertTopology(connection, {
      exchanges: [],
      queues: [{ name: 'hello', arguments: {} }],
      bindings: [],
    });
    const error = await assertTopology(connection, workQueueTopology('hello')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArgumentMismatchError);
    expect(error).toMatchObject({
      entity: 'queue',
      entityName: 'hello',
      vhost: vhost.vhost,
      actual: 'none',
      code: 'argument-mismatch',
    });
    const mismatch = error as ArgumentMismatchError;
    expect(mismatch.argument).toMatch(/^x-/);
    expect(mismatch.message).toContain(
      `queue 'hello' in vhost '${vhost.vhost}' already exists with a different '${mismatch.argument}'`,
    );
    // The connection survives: only the dedicated channel was closed by the broker.
    await expect(assertTopology(connection, workQueueTopology('other'))).resolves.toBeUndefined();
  });

  it('should report a different delivery limit with both values', async () => {
    await assertTopology(connection, workQueueTopology('limited', { deliveryLimit: 5 }));
    await expect(assertTopology(connection, workQueueTopology('limited', { deliveryLimit: 7 }))).rejects.toMatchObject({
      argument: 'x-delivery-limit',
      expected: "'7'",
      actual: "'5'",
    });
  });
});

describe('toMismatchError', () => {
  it.each([
    [
      `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'hello' in vhost '/': received the value 'quorum' of type 'longstr' but current is none"`,
      {
        entity: 'queue',
        entityName: 'hello',
        vhost: '/',
        argument: 'x-queue-type',
        expected: "'quorum' (longstr)",
        actual: 'none',
      },
    ],
    [
      `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'hello' in vhost 'v': received 'true' but current is 'false'"`,
      {
        argument: 'durable',
        vhost: 'v',
        expected: "'true'",
        actual: "'false'",
      },
    ],
    [
      `Operation failed: ExchangeDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'hello.events' in vhost '/': received 'topic' but current is 'direct'"`,
      {
        entity: 'exchange',
        entityName: 'hello.events',
        argument: 'type',
        expected: "'topic'",
        actual: "'direct'",
      },
    ],
  ])('should read %s', (message, expected) => {
    expect(toMismatchError(Object.assign(new Error(message), { code: 406 }))).toMatchObject(expected);
  });

  it('should leave other errors alone', () => {
    expect(toMismatchError(Object.assign(new Error('NOT_FOUND'), { code: 404 }))).toBeUndefined();
  });
});
