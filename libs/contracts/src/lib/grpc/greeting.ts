/** Longest name SayHello accepts, in characters (Unicode code points). */
export const MAX_NAME_LENGTH = 256;

/** The greeting for a name, as gRPC's own helloworld servers word it. */
export function greetingFor(name: string): string {
  return `Hello, ${name}!`;
}
