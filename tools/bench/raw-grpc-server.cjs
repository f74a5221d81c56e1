#!/usr/bin/env node
// The baseline for the gRPC benchmark: a bare @grpc/grpc-js server with the same proto and the
// same reply as the greeter, and nothing else. Listens on RAW_GRPC_URL and prints READY.
'use strict';
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const definition = loader.loadSync(path.resolve(__dirname, '../../proto/helloworld.proto'), {
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: true,
  oneofs: true,
});
const { Greeter } = grpc.loadPackageDefinition(definition).helloworld;
const server = new grpc.Server();
server.addService(Greeter.service, {
  SayHello: (call, callback) => callback(null, { message: `Hello, ${call.request.name}!` }),
});
server.bindAsync(process.env.RAW_GRPC_URL, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write('READY\n');
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
