/** A message that does not satisfy its contract. `code` is stable; `field` names what is wrong. */
export class ContractViolation extends Error {
  constructor(
    readonly code: 'invalid-message' | 'message-too-large' | 'invalid-event' | 'unknown-type',
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ContractViolation';
  }
}
