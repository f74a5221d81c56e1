import { HttpErrorFilter, type HttpErrorReply } from '@hello/platform';
import { Catch, HttpStatus } from '@nestjs/common';
import { GreetingNotFound } from './get-greeting.query';

/** Maps the app's errors to HTTP statuses, once. */
@Catch(GreetingNotFound)
export class EventHandlerHttpErrorFilter extends HttpErrorFilter<GreetingNotFound> {
  protected reply(error: GreetingNotFound): HttpErrorReply {
    return { body: { statusCode: HttpStatus.NOT_FOUND, error: error.code, message: error.message } };
  }
}
