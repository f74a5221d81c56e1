// One implementation of freePort for the local infrastructure's launchers and for the specs.
export { freePort } from '@hello/infra/host';
