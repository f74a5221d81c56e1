import { LineReceivedIntegrationEvent, MAX_LINE_EVENT_BYTES } from './line-received.event';

describe('LineReceivedIntegrationEvent', () => {
  const body = {
    eventId: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
    line: 'hello over tcp',
    remoteAddress: '127.0.0.1:53122',
    receivedAt: '2024-01-31T12:00:00.000Z',
  };

  it('should name its routing key, version and AMQP type', () => {
    expect(LineReceivedIntegrationEvent.routingKey).toBe('line.received');
    expect(LineReceivedIntegrationEvent.version).toBe(1);
    expect(LineReceivedIntegrationEvent.type).toBe('line.received.v1');
  });

  it('should accept an empty line (a bare terminator is a line)', () => {
    expect(LineReceivedIntegrationEvent.parse({ ...body, line: '' }).line).toBe('');
  });

  it('should round-trip through JSON', () => {
    expect(LineReceivedIntegrationEvent.parse(body).toJSON()).toEqual(body);
  });

  it.each([
    [{ line: undefined }, 'line'],
    [{ line: 'x'.repeat(MAX_LINE_EVENT_BYTES + 1) }, 'line'],
    [{ remoteAddress: '' }, 'remoteAddress'],
    [{ receivedAt: null }, 'receivedAt'],
  ])('should reject a body with %j naming field %s', (override, field) => {
    expect(() => LineReceivedIntegrationEvent.parse({ ...body, ...override })).toThrow(
      expect.objectContaining({ code: 'invalid-event', field }),
    );
  });
});
