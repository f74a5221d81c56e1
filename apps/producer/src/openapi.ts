// Writes the producer's OpenAPI document to stdout (`npm run contracts` puts it in docs/openapi/).
import { printOpenApiDocument } from '@hello/platform';
import { AppModule } from './app.module';
import { loadProducerConfig } from './config/producer.config';
import { PRODUCER_OPENAPI } from './producer.app';

void printOpenApiDocument(AppModule.register(loadProducerConfig({})), PRODUCER_OPENAPI);
