import { HttpErrorFilter, type HttpErrorReply } from '@hello/platform';
import { Catch, HttpStatus } from '@nestjs/common';
import { ProjectionNotLive } from '../greetings-by-hour/get-greetings-by-hour.query';
import { GreetingNotFound } from './get-greeting.query';

/** Seconds a client is told to wait before asking a backfilling projection again. */
const BACKFILL_RETRY_AFTER_SECONDS = 5;

/** Maps the app's errors to HTTP statuses, once. */
@Catch(GreetingNotFound, ProjectionNotLive)
export class EventHandlerHttpErrorFilter extends HttpErrorFilter<GreetingNotFound | ProjectionNotLive> {
  protected reply(error: GreetingNotFound | ProjectionNotLive): HttpErrorReply {
    if (error instanceof ProjectionNotLive) {
      return {
        body: { statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: error.code, message: error.message },
        headers: { 'retry-after': String(BACKFILL_RETRY_AFTER_SECONDS) },
      };
    }
    return { body: { statusCode: HttpStatus.NOT_FOUND, error: error.code, message: error.message } };
  }
}
