// Loaded first by main.ts: tracing must be running before http and Nest are required.
import { startTelemetry } from '@hello/platform/telemetry';

export const telemetry = startTelemetry('consumer');
