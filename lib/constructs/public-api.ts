import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Model,
  RequestValidator,
  ResponseType,
  RestApi,
  type IResource,
  type JsonSchema,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface PublicApiProps {
  readonly description: string;
  /** Stage-wide steady-state requests per second. */
  readonly throttlingRateLimit: number;
  /** Stage-wide burst bucket size. */
  readonly throttlingBurstLimit: number;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Create the account-wide role API Gateway writes logs with (one per account and region). */
  readonly manageAccountLogsRole: boolean;
  /** The Cognito user pool whose access tokens the API accepts. */
  readonly userPool: IUserPool;
  /** The realm named in `WWW-Authenticate` challenges (the resource server's identifier). */
  readonly authRealm: string;
}

/**
 * The only routes that answer without a token. Anything else must name the scopes it needs;
 * test/infra/auth-policies.test.ts checks every environment's template against this list.
 */
export const PUBLIC_ROUTES: readonly string[] = ['GET /hello'];

/** Who may call a route: callers whose access token holds one of these scopes, or anyone (PUBLIC_ROUTES only). */
export type RouteAccess = { readonly scopes: readonly string[] } | 'public';

export interface RouteOptions {
  readonly access: RouteAccess;
  /** A JSON body model; requests that do not match are refused before Lambda runs. */
  readonly bodyModel?: { readonly name: string; readonly schema: JsonSchema };
}

/** The JSON error body of every response API Gateway itself produces (see lambda/shared/http.ts). */
function errorTemplate(error: string, message: string, details?: string): Record<string, string> {
  const detailsPart = details === undefined ? '' : `,"details":${details}`;
  return { 'application/json': `{"error":"${error}","message":${message}${detailsPart}}` };
}

/**
 * The platform's public REST API: regional, throttled, traced, JSON access logs, and every
 * error API Gateway generates shaped like the handlers' errors, so clients parse one format.
 */
export class PublicApi extends Construct {
  readonly api: RestApi;
  /** Checks the bearer token of every non-public method against the user pool, and its scopes. */
  readonly authorizer: CognitoUserPoolsAuthorizer;
  private readonly validator: RequestValidator;

  constructor(scope: Construct, id: string, props: PublicApiProps) {
    super(scope, id);

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.api = new RestApi(this, 'Api', {
      description: props.description,
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: props.manageAccountLogsRole,
      // The account's logging role outlives any one stack: other APIs in the account use it too.
      // (Only with the role: the CDK refuses a removal policy for a role it does not create.)
      ...(props.manageAccountLogsRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
    });

    // REST APIs answer an unknown path, and a known path with a method it lacks, alike with
    // "Missing Authentication Token" (403): both are a 404 here. A known method called without a
    // token is a different response (UNAUTHORIZED, below): the Cognito authorizer finds no
    // Authorization header and answers 401.
    this.api.addGatewayResponse('NoRoute', {
      type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
      statusCode: '404',
      templates: errorTemplate('NotFound', '"No route matches this method and path"'),
    });
    // RFC 6750 section 3: a request without a valid bearer token gets 401 and a Bearer challenge;
    // a valid token without the scope the route needs gets 403 and error="insufficient_scope".
    this.api.addGatewayResponse('Unauthenticated', {
      type: ResponseType.UNAUTHORIZED,
      statusCode: '401',
      responseHeaders: { 'WWW-Authenticate': `'Bearer realm="${props.authRealm}"'` },
      templates: errorTemplate('Unauthorized', '"A valid bearer access token is required (see docs/auth.md)"'),
    });
    this.api.addGatewayResponse('InsufficientScope', {
      type: ResponseType.ACCESS_DENIED,
      statusCode: '403',
      responseHeaders: { 'WWW-Authenticate': `'Bearer realm="${props.authRealm}", error="insufficient_scope"'` },
      templates: errorTemplate('Forbidden', '"The access token does not hold the scope this route needs"'),
    });
    this.api.addGatewayResponse('BodyRefused', {
      type: ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      templates: errorTemplate(
        'BadRequest',
        '$context.error.messageString',
        '[{"path":"","message":"must be a JSON object with the required string fields of this operation"}]',
      ),
    });
    this.api.addGatewayResponse('Throttled', {
      type: ResponseType.THROTTLED,
      statusCode: '429',
      templates: errorTemplate('TooManyRequests', '$context.error.messageString'),
    });
    this.api.addGatewayResponse('Other4xx', {
      type: ResponseType.DEFAULT_4XX,
      templates: errorTemplate('ClientError', '$context.error.messageString'),
    });
    this.api.addGatewayResponse('Other5xx', {
      type: ResponseType.DEFAULT_5XX,
      templates: errorTemplate('InternalError', '$context.error.messageString'),
    });

    // Every route validates its declared parameters, and its body where it has a model.
    this.validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    this.authorizer = new CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: 'method.request.header.Authorization',
    });

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL (about $5 a month plus $1 per rule): stage throttling and request validation guard the API; attach an ACL when it is exposed to untrusted clients at scale.',
    });
    const accountLogsRole = this.api.node.tryFindChild('CloudWatchRole');
    if (accountLogsRole !== undefined) {
      Validations.of(accountLogsRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "The account-wide role API Gateway writes logs with; AWS's managed policy is the documented one for it and is kept current by AWS.",
      });
    }
  }

  /**
   * Routes `method path` to a function (Lambda proxy integration), creating resources as needed,
   * behind the Cognito authorizer with the route's scopes (a token needs at least one of them).
   */
  addRoute(method: string, path: string, handler: IFunction, options: RouteOptions): void {
    const route = `${method} ${path}`;
    const { access } = options;
    if (access === 'public' && !PUBLIC_ROUTES.includes(route)) {
      throw new Error(`${route} cannot be public: only ${PUBLIC_ROUTES.join(', ')} may answer without a token`);
    }
    if (access !== 'public' && access.scopes.length === 0) throw new Error(`${route} needs at least one scope`);

    const resource = path
      .split('/')
      .filter((part) => part !== '')
      .reduce<IResource>((parent, part) => parent.getResource(part) ?? parent.addResource(part), this.api.root);

    const bodyModel = options.bodyModel;
    const added = resource.addMethod(method, new LambdaIntegration(handler), {
      requestValidator: this.validator,
      ...(access === 'public'
        ? { authorizationType: AuthorizationType.NONE }
        : { authorizationType: AuthorizationType.COGNITO, authorizer: this.authorizer, authorizationScopes: [...access.scopes] }),
      ...(bodyModel === undefined
        ? {}
        : {
            requestModels: {
              'application/json': new Model(this, `${bodyModel.name}Model`, {
                restApi: this.api,
                contentType: 'application/json',
                schema: bodyModel.schema,
              }),
            },
          }),
    });
    if (access === 'public') {
      for (const id of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
        Validations.of(added).acknowledge({
          id,
          reason: `${route} is the platform's one public route (PUBLIC_ROUTES): a greeting that reads and returns no data; stage throttling bounds its use.`,
        });
      }
    }
  }
}
