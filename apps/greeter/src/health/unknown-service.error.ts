/** A health check named a service this server does not serve. */
export class UnknownServiceError extends Error {
  readonly code = 'unknown-service';

  constructor(readonly service: string) {
    super(`unknown service ${JSON.stringify(service)}`);
    this.name = 'UnknownServiceError';
  }
}
