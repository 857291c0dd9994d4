import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
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
}

export interface RouteOptions {
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
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
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
    // "Missing Authentication Token" (403). This API has no authorizer, so both are a 404 here.
    this.api.addGatewayResponse('NoRoute', {
      type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
      statusCode: '404',
      templates: errorTemplate('NotFound', '"No route matches this method and path"'),
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

    for (const id of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
      Validations.of(this.api).acknowledge({
        id,
        reason:
          'The platform API has no authorizer yet: choosing end-user identity (Cognito) or service identity (IAM) is a product decision recorded in the README. Stage throttling limits abuse meanwhile.',
      });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'No WAF web ACL (about $5 a month plus $1 per rule): stage throttling and request validation guard the API; attach an ACL when it is exposed to untrusted clients at scale.',
    });
    const accountLogsRole = this.api.node.tryFindChild('CloudWatchRole');
    if (accountLogsRole !== undefined) {
      Validations.of(accountLogsRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: "The account-wide role API Gateway writes logs with; AWS's managed policy is the documented one for it and is kept current by AWS.",
      });
    }
  }

  /** Routes `method path` to a function (Lambda proxy integration), creating resources as needed. */
  addRoute(method: string, path: string, handler: IFunction, options: RouteOptions = {}): void {
    const resource = path
      .split('/')
      .filter((part) => part !== '')
      .reduce<IResource>((parent, part) => parent.getResource(part) ?? parent.addResource(part), this.api.root);

    const bodyModel = options.bodyModel;
    resource.addMethod(method, new LambdaIntegration(handler), {
      requestValidator: this.validator,
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
  }
}
