import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { CONSUMER_CONFIG, ConsumerConfig } from '../config/consumer.config';

/**
 * Guards the admin endpoints: `Authorization: Bearer <CONSUMER_ADMIN_TOKEN>`. Without the variable
 * the endpoints do not exist (404); without a token the answer is 401, with a wrong one 403.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(CONSUMER_CONFIG) private readonly config: ConsumerConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.adminToken;
    if (!expected) throw new NotFoundException();
    const http = context.switchToHttp();
    const header = http.getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match) {
      http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="consumer admin"');
      throw new UnauthorizedException('a bearer token is required');
    }
    // Compared as digests of equal length, in constant time.
    const digest = (value: string) => createHash('sha256').update(value).digest();
    if (!timingSafeEqual(digest(match[1]), digest(expected))) {
      throw new ForbiddenException('the token is not the admin token');
    }
    return true;
  }
}
