import { Injectable } from '@nestjs/common';

/** The time source handlers stamp events with, replaceable where a test needs a fixed time. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
