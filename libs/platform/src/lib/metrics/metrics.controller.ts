import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Metrics } from './metrics';

/** `GET /metrics`: every metric of the app in the Prometheus text format. */
@ApiTags('platform')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Every metric of the app, in the Prometheus text format' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The Prometheus exposition.', schema: { type: 'string' } })
  async scrape(@Res() response: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    response.type(contentType).send(body);
  }
}
