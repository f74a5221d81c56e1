import { Controller, UseFilters } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { HEALTH_SERVICE_NAME, type HealthCheckRequest, type HealthCheckResponse } from '@hello/contracts';
import { map, type Observable } from 'rxjs';
import { HealthStatusRegistry } from './health-status.registry';
import { UnknownServiceError } from './unknown-service.error';
import { GrpcErrorFilter } from '../grpc/grpc-error.filter';

// The standard protocol read straight off the status registry: there is no use case behind
// a health check to dispatch to, only the state the lifecycle writes.
@Controller()
@UseFilters(GrpcErrorFilter)
export class HealthGrpcController {
  constructor(private readonly registry: HealthStatusRegistry) {}

  @GrpcMethod(HEALTH_SERVICE_NAME, 'Check')
  check(request: HealthCheckRequest): HealthCheckResponse {
    const status = this.registry.statusOf(request.service);
    if (status === undefined) throw new UnknownServiceError(request.service);
    return { status };
  }

  @GrpcMethod(HEALTH_SERVICE_NAME, 'Watch')
  watch(request: HealthCheckRequest): Observable<HealthCheckResponse> {
    return this.registry.watch(request.service).pipe(map((status) => ({ status })));
  }
}
