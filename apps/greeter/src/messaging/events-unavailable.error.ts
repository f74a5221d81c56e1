/**
 * A greeting was refused because its `greeting.greeted` event could not be kept until the broker
 * confirms it: the buffer is full (the broker has been away or slow for a while) or the greeter is
 * shutting down. Answered UNAVAILABLE, so that the caller retries, elsewhere or later.
 */
export class EventsUnavailableError extends Error {
  readonly code = 'events-unavailable';

  constructor(
    /** Events waiting for the broker now. */
    readonly pending: number,
    readonly closed: boolean,
  ) {
    super(
      closed
        ? 'the greeter is shutting down and takes no more greetings; retry on another instance'
        : `the greeting's event cannot be kept: ${pending} events are already waiting for the message ` +
            'broker, which is unavailable or not keeping up; retry later',
    );
    this.name = 'EventsUnavailableError';
  }
}
