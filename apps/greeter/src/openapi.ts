// Writes the greeter's OpenAPI document to stdout (`npm run contracts` puts it in docs/openapi/).
import { printOpenApiDocument } from '@hello/platform';
import { AppModule } from './app.module';
import { loadGreeterConfig } from './config/greeter.config';
import { GREETER_OPENAPI } from './greeter.app';

void printOpenApiDocument(AppModule.register(loadGreeterConfig({})), GREETER_OPENAPI);
