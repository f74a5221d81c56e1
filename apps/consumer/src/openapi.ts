// Writes the consumer's OpenAPI document to stdout (`npm run contracts` puts it in docs/openapi/).
import { printOpenApiDocument } from '@hello/platform';
import { AppModule } from './app.module';
import { loadConsumerConfig } from './config/consumer.config';
import { CONSUMER_OPENAPI } from './consumer.app';

void printOpenApiDocument(AppModule.register(loadConsumerConfig({})), CONSUMER_OPENAPI);
