// Writes the event-handler's OpenAPI document to stdout (`npm run contracts` puts it in docs/openapi/).
import { printOpenApiDocument } from '@hello/platform';
import { AppModule } from './app.module';
import { loadConfig } from './config/event-handler.config';
import { EVENT_HANDLER_OPENAPI } from './event-handler.app';

void printOpenApiDocument(AppModule.register(loadConfig({})), EVENT_HANDLER_OPENAPI);
