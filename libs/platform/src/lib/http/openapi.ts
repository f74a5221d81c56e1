import { applyDecorators, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiBody, ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

type SchemaObject = NonNullable<Extract<Parameters<typeof ApiBody>[0], { schema?: unknown }>['schema']>;
import { z } from 'zod';
import type { HttpErrorBody } from './http-error.filter';

/** What an app's OpenAPI document says about itself. */
export interface OpenApiInfo {
  /** The app's name, e.g. `producer`. */
  readonly service: string;
  readonly description: string;
}

/** Where the documents are served: the UI at `/docs`, the document at `/docs/openapi.json`. */
export const OPENAPI_UI_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

/**
 * The OpenAPI 3.1 document of `app`'s HTTP endpoints, built by `@nestjs/swagger` from its controllers
 * and their decorators. Works on an app created with `{ preview: true }` (nothing instantiated), which
 * is how `npm run contracts` writes docs/openapi/<app>.json.
 */
export function openApiDocument(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle(`hello-mesh ${info.service}`)
    .setDescription(info.description)
    .setVersion('1.0.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'CONSUMER_ADMIN_TOKEN (the consumer admin endpoints).',
    })
    .build();
  return SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${controller.replace(/(Http)?Controller$/, '')}_${method}`,
  });
}

/**
 * Serves the document at `/docs/openapi.json` and Swagger UI at `/docs`. The document is built on
 * the first request, not at start-up, so an app that is never asked pays only for the routes.
 */
export function serveOpenApi(app: INestApplication, info: OpenApiInfo): void {
  SwaggerModule.setup(OPENAPI_UI_PATH, app, () => openApiDocument(app, info), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
  });
}

/**
 * Writes the OpenAPI document of the app `module` makes to stdout, as JSON: each app's `openapi.ts`
 * calls it for `npm run contracts`. The app is created in preview mode: no provider is instantiated,
 * nothing connects and nothing listens.
 */
export async function printOpenApiDocument(module: Type | DynamicModule, info: OpenApiInfo): Promise<void> {
  const app = await NestFactory.create(module, { preview: true, logger: false, abortOnError: false });
  process.stdout.write(`${JSON.stringify(openApiDocument(app, info))}\n`);
  await app.close();
}

/** The JSON body of every error the apps answer over HTTP (HttpErrorBody), for the documents. */
export const HttpErrorBodySchema = z
  .object({
    statusCode: z.int().meta({ description: 'The HTTP status.' }),
    error: z.string().meta({ description: 'Stable code, e.g. `invalid-message`, `publish-timeout`.' }),
    message: z.string().meta({ description: 'What is wrong, naming the field.' }),
    field: z.string().optional().meta({ description: 'The field at fault, when one is.' }),
  })
  .meta({ title: 'HttpError' }) satisfies z.ZodType<HttpErrorBody>;

/** The documented error answers of an endpoint: `{ 400: 'why', 503: 'why' }`, each an HttpErrorBody. */
export function ApiErrors(errors: Readonly<Record<number, string>>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(errors).map(([status, description]) =>
      ApiResponse({ status: Number(status), description, standardSchema: HttpErrorBodySchema }),
    ),
  );
}

/** The JSON Schema of what a client may send, for `@ApiBody({ schema })` (OpenAPI 3.1 is JSON Schema 2020-12). */
export function requestBodySchema(schema: z.ZodType): SchemaObject {
  const jsonSchema = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  delete jsonSchema['$schema'];
  return jsonSchema as SchemaObject;
}
