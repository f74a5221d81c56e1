// The one set of SWC options that compiles the project's TypeScript outside tsc: Jest's transform
// (jest.preset.js), plain `node` through libs/testing's ts-register.cjs, and the benchmark's peers.
// SWC keeps those fast and still emits the decorator metadata NestJS injection relies on.
'use strict';

/** @type {import('@swc/core').Options} */
module.exports = {
  jsc: {
    target: 'es2021',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
