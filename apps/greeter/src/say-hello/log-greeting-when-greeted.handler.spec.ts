import { Logger } from '@nestjs/common';
import { GreetedEvent } from './greeted.event';
import { LogGreetingWhenGreetedHandler } from './log-greeting-when-greeted.handler';

describe('LogGreetingWhenGreetedHandler', () => {
  afterEach(() => jest.restoreAllMocks());

  it('should log the name and the greeting at debug level', () => {
    jest.spyOn(Logger, 'isLevelEnabled').mockReturnValue(true);
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    new LogGreetingWhenGreetedHandler().handle(new GreetedEvent('Ada', 'Hello, Ada!', new Date()));
    expect(debug).toHaveBeenCalledWith('greeted "Ada": "Hello, Ada!"');
  });

  it('should not even build the line when debug is off', () => {
    jest.spyOn(Logger, 'isLevelEnabled').mockReturnValue(false);
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const stringify = jest.spyOn(JSON, 'stringify');
    new LogGreetingWhenGreetedHandler().handle(new GreetedEvent('Ada', 'Hello, Ada!', new Date()));
    expect(debug).not.toHaveBeenCalled();
    expect(stringify).not.toHaveBeenCalled();
  });

  it('should quote a name so that odd characters cannot forge a log line', () => {
    jest.spyOn(Logger, 'isLevelEnabled').mockReturnValue(true);
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    new LogGreetingWhenGreetedHandler().handle(new GreetedEvent('a"\tb', 'Hello, a"\tb!', new Date()));
    expect(debug).toHaveBeenCalledWith('greeted "a\\"\\tb": "Hello, a\\"\\tb!"');
  });
});
