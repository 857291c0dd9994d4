/**
 * Who may call what, checked over one environment's templates: every API method but the public
 * ones needs the Cognito authorizer and a scope, and every load balancer listener that reaches a
 * service reaches one that verifies tokens itself. Pure functions over template JSON, so tests can
 * feed them hand-made fragments and see them fail.
 */
import { asList, describeRef, resolveReference, resourcesOfType, type AppTemplates, type ResourceEntry } from './template-graph';

/** The environment variables a service verifying Cognito access tokens itself must be given. */
export const TOKEN_CHECK_VARIABLES = ['AUTH_ISSUER', 'AUTH_JWKS_URL', 'AUTH_CLIENT_IDS', 'AUTH_REQUIRED_SCOPE'] as const;

function props(entry: ResourceEntry | undefined): Record<string, unknown> {
  return (entry?.resource.Properties ?? {}) as Record<string, unknown>;
}

/** `/users/{id}` for an API Gateway resource (the API's root resource is `/`). */
function pathOf(app: AppTemplates, stack: string, resourceId: unknown): string {
  const resource = resolveReference(app, stack, resourceId);
  if (resource === undefined || resource.resource.Type !== 'AWS::ApiGateway::Resource') return '';
  const { ParentId, PathPart } = props(resource);
  return `${pathOf(app, stack, ParentId)}/${String(PathPart)}`;
}

/** `GET /users/{id}`: how a method is named in PUBLIC_ROUTES and in findings. */
export function routeOf(app: AppTemplates, method: ResourceEntry): string {
  const { HttpMethod, ResourceId } = props(method);
  return `${String(HttpMethod)} ${pathOf(app, method.stack, ResourceId) || '/'}`;
}

/**
 * API methods that answer without a valid Cognito access token holding a scope: any method that
 * is not in `publicRoutes` and lacks COGNITO_USER_POOLS authorization, an authorizer backed by a
 * user pool, or at least one scope. Without scopes API Gateway accepts ID tokens of any client.
 */
export function methodsWithoutAuthorization(app: AppTemplates, publicRoutes: readonly string[]): string[] {
  const findings: string[] = [];
  for (const method of resourcesOfType(app, 'AWS::ApiGateway::Method')) {
    const route = routeOf(app, method);
    if (publicRoutes.includes(route)) continue;
    const where = `${describeRef(method)} (${route})`;
    const { AuthorizationType, AuthorizerId, AuthorizationScopes } = props(method);
    if (AuthorizationType !== 'COGNITO_USER_POOLS') {
      findings.push(`${where}: authorization ${String(AuthorizationType ?? 'NONE')}, not COGNITO_USER_POOLS`);
      continue;
    }
    const authorizer = resolveReference(app, method.stack, AuthorizerId);
    const pools = asList(props(authorizer).ProviderARNs).map((arn) => resolveReference(app, authorizer?.stack ?? method.stack, arn));
    if (
      authorizer?.resource.Type !== 'AWS::ApiGateway::Authorizer' ||
      props(authorizer).Type !== 'COGNITO_USER_POOLS' ||
      pools.length === 0 ||
      pools.some((pool) => pool?.resource.Type !== 'AWS::Cognito::UserPool')
    ) {
      findings.push(`${where}: no Cognito user pool authorizer`);
    }
    const scopes = asList(AuthorizationScopes);
    if (scopes.length === 0 || scopes.some((scope) => typeof scope !== 'string' || !scope.includes('/'))) {
      findings.push(`${where}: no resource-server scope`);
    }
  }
  return findings;
}

/** The listener actions of every listener and listener rule: [where, action]. */
function listenerActions(app: AppTemplates): [string, Record<string, unknown>][] {
  const listeners = resourcesOfType(app, 'AWS::ElasticLoadBalancingV2::Listener').flatMap((listener) =>
    asList(props(listener).DefaultActions).map((action) => [describeRef(listener), action] as [string, Record<string, unknown>]),
  );
  const rules = resourcesOfType(app, 'AWS::ElasticLoadBalancingV2::ListenerRule').flatMap((rule) =>
    asList(props(rule).Actions).map((action) => [describeRef(rule), action] as [string, Record<string, unknown>]),
  );
  return [...listeners, ...rules];
}

/** The target groups an action forwards to. */
function forwardedTargetGroups(action: Record<string, unknown>): unknown[] {
  const forwardConfig = (action.ForwardConfig ?? {}) as { TargetGroups?: { TargetGroupArn: unknown }[] };
  return [action.TargetGroupArn, ...(forwardConfig.TargetGroups ?? []).map((group) => group.TargetGroupArn)].filter(
    (arn) => arn !== undefined,
  );
}

/** The environment of the container an ECS service registers in `targetGroup`. */
function environmentsBehind(app: AppTemplates, targetGroup: ResourceEntry): { where: string; environment: Record<string, unknown> }[] {
  const found: { where: string; environment: Record<string, unknown> }[] = [];
  for (const service of resourcesOfType(app, 'AWS::ECS::Service')) {
    for (const balancer of asList(props(service).LoadBalancers) as { TargetGroupArn: unknown; ContainerName: string }[]) {
      const group = resolveReference(app, service.stack, balancer.TargetGroupArn);
      if (group?.stack !== targetGroup.stack || group.logicalId !== targetGroup.logicalId) continue;
      const taskDefinition = resolveReference(app, service.stack, props(service).TaskDefinition);
      const containers = asList(props(taskDefinition).ContainerDefinitions) as {
        Name: string;
        Environment?: { Name: string; Value: unknown }[];
      }[];
      const container = containers.find((definition) => definition.Name === balancer.ContainerName);
      found.push({
        where: describeRef(service),
        environment: Object.fromEntries((container?.Environment ?? []).map((variable) => [variable.Name, variable.Value])),
      });
    }
  }
  return found;
}

/**
 * Load balancer actions that reach a service without a token check: an action that forwards to a
 * target group with no service behind it, or to a service whose container is not given every
 * TOKEN_CHECK_VARIABLES (an issuer on cognito-idp, a JWKS URL, client IDs, a full scope).
 * Redirects and fixed responses reach no service; `authenticate-*` actions are the ALB's own check.
 */
export function listenersReachingUncheckedServices(app: AppTemplates): string[] {
  const findings: string[] = [];
  for (const [where, action] of listenerActions(app)) {
    const type = String(action.Type);
    if (type === 'redirect' || type === 'fixed-response' || type.startsWith('authenticate-')) continue;
    if (type !== 'forward') {
      findings.push(`${where}: action ${type} is not understood by this check`);
      continue;
    }
    for (const arn of forwardedTargetGroups(action)) {
      const group = resolveReference(app, where.split('/')[0], arn);
      const services = group === undefined ? [] : environmentsBehind(app, group);
      if (services.length === 0) findings.push(`${where}: forwards to a target group with no ECS service that checks tokens`);
      for (const { where: service, environment } of services) {
        const missing = TOKEN_CHECK_VARIABLES.filter((name) => environment[name] === undefined || environment[name] === '');
        if (missing.length > 0) findings.push(`${where} → ${service}: no ${missing.join(', ')}`);
        else if (!JSON.stringify(environment.AUTH_ISSUER).includes('https://cognito-idp.'))
          findings.push(`${where} → ${service}: AUTH_ISSUER is not a Cognito issuer`);
        else if (typeof environment.AUTH_REQUIRED_SCOPE !== 'string' || !environment.AUTH_REQUIRED_SCOPE.includes('/')) {
          findings.push(`${where} → ${service}: AUTH_REQUIRED_SCOPE is not a resource-server scope`);
        }
      }
    }
  }
  return findings;
}
