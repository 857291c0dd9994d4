/**
 * On-demand list prices, USD, for eu-west-1 (Ireland), as published by AWS in 2026. They drift:
 * the estimate is for comparing environments and seeing what a change adds, not for a budget.
 */
export const PRICES_AS_OF = '2026, eu-west-1 on-demand list prices';

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

export const PRICES = {
  natGatewayHour: 0.048,
  albHour: 0.0252,
  /** One load balancer capacity unit, the least an ALB with any traffic uses. */
  albLcuHour: 0.008,
  /** Fargate Linux per vCPU-hour and per GB-hour; ARM64 (Graviton) is about 20% cheaper. */
  fargate: {
    x86: { vcpuHour: 0.04048, gbHour: 0.004445 },
    arm64: { vcpuHour: 0.03238, gbHour: 0.00356 },
  },
  /** Fargate Spot runs at about 30% of the on-demand price (it varies; AWS quotes "up to 70% off"). */
  fargateSpotFactor: 0.3,
  /** Lambda provisioned concurrency per GB-second kept warm. */
  provisionedConcurrencyGbSecond: { x86: 0.0000041667, arm64: 0.0000033334 },
  kmsKeyMonth: 1,
  alarmMonth: 0.1,
  dashboardMonth: 3,
  interfaceEndpointHourPerAz: 0.011,
  publicIpv4Hour: 0.005,
  /** Pay-per-use prices, for the per-request estimate. */
  restApiPerMillion: 3.5,
  lambdaRequestsPerMillion: 0.2,
  lambdaGbSecond: { x86: 0.0000166667, arm64: 0.0000133334 },
  dynamoWritePerMillion: 1.25,
  dynamoReadPerMillion: 0.25,
} as const;
