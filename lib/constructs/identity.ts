import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
  UserPoolClient,
  UserPoolDomain,
  UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** The resource server's identifier: the prefix of every scope string in tokens and on API methods. */
export const RESOURCE_SERVER_IDENTIFIER = 'user-data-api';

/** What a caller may do, by scope name (the part after `<identifier>/`). */
const SCOPE_DESCRIPTIONS = {
  'users.read': 'List and read users',
  'users.write': 'Create and delete users',
  'imports.read': 'Read the status of bulk imports',
  'exports.read': 'Download the users export (personal data of every user)',
} as const;

export type ScopeName = keyof typeof SCOPE_DESCRIPTIONS;

/** A full scope string as tokens carry it and API methods require it: `user-data-api/users.read`. */
export type Scope = `${typeof RESOURCE_SERVER_IDENTIFIER}/${ScopeName}`;

const fullScope = (name: ScopeName): Scope => `${RESOURCE_SERVER_IDENTIFIER}/${name}`;

export const USERS_READ = fullScope('users.read');
export const USERS_WRITE = fullScope('users.write');
export const IMPORTS_READ = fullScope('imports.read');
export const EXPORTS_READ = fullScope('exports.read');
export const ALL_SCOPES: readonly Scope[] = [USERS_READ, USERS_WRITE, IMPORTS_READ, EXPORTS_READ];

/**
 * The machine (client-credentials) app clients of every environment, by construct ID, with the
 * scopes each may ask for. Each one costs about $6 a month plus its token requests (docs/auth.md):
 * add one per calling service that needs different rights, not per person.
 */
export const MACHINE_CLIENTS: Readonly<Record<string, readonly Scope[]>> = {
  // Back-office services that manage users and follow their imports.
  UsersAdminClient: [USERS_READ, USERS_WRITE, IMPORTS_READ],
  // The reporting side that downloads the export; it can do nothing else.
  ExportReaderClient: [EXPORTS_READ],
};

/** The clients that keep a scope other than `scope` (a client left with no scope is dropped). */
export function withoutScope(clients: Readonly<Record<string, readonly Scope[]>>, scope: Scope): Record<string, readonly Scope[]> {
  return Object.fromEntries(
    Object.entries(clients)
      .map(([clientId, scopes]) => [clientId, scopes.filter((candidate) => candidate !== scope)] as const)
      .filter(([, scopes]) => scopes.length > 0),
  );
}

/**
 * What a service that checks tokens itself needs to know (the export service's AUTH_* variables):
 * whose tokens, signed with which keys, from which clients, with which scope.
 */
export interface TokenCheck {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly clientIds: readonly string[];
  readonly requiredScope: Scope;
}

export interface IdentityProps {
  /**
   * The hosted domain's prefix (`<prefix>.auth.<region>.amazoncognito.com`): unique per region
   * across all AWS accounts, so derive it from the environment and the account.
   */
  readonly domainPrefix: string;
  /** Client-credentials app clients by construct ID, with their scopes. @default MACHINE_CLIENTS */
  readonly clients?: Readonly<Record<string, readonly Scope[]>>;
  /** RETAIN outside dev: losing the pool changes every client ID and secret. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** @default false */
  readonly deletionProtection?: boolean;
  /** How long an access token is valid; callers cache it that long. @default 1 hour */
  readonly accessTokenValidity?: Duration;
}

/**
 * Who may call the platform: a Cognito user pool used as an OAuth 2.0 authorization server for
 * machine callers. A resource server declares the scopes; each app client gets a secret and the
 * client-credentials flow only, and receives access tokens carrying its scopes from
 * `https://<domain>/oauth2/token`. API Gateway (a Cognito authorizer) and the export service
 * (`aws-jwt-verify`) check those tokens.
 *
 * No person signs in: self sign-up is off, no client has a user flow. Threat protection (the Plus
 * plan's adaptive authentication and compromised-credential checks) acts on user sign-ins only,
 * never on client-credentials grants, so the pool stays on the Lite plan.
 */
export class Identity extends Construct {
  readonly userPool: UserPool;
  readonly resourceServer: UserPoolResourceServer;
  readonly domain: UserPoolDomain;
  /** The machine clients by construct ID. */
  readonly clients: Record<string, UserPoolClient>;
  /** The scopes each client may ask for, by construct ID. */
  readonly clientScopes: Readonly<Record<string, readonly Scope[]>>;
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`: the `iss` claim of its tokens. */
  readonly issuer: string;
  /** The pool's public signing keys: the issuer + `/.well-known/jwks.json`. */
  readonly jwksUrl: string;
  /** Where clients exchange their ID and secret for an access token. */
  readonly tokenEndpoint: string;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      featurePlan: FeaturePlan.LITE,
      mfa: Mfa.OFF,
      accountRecovery: AccountRecovery.NONE,
      // Nobody has a password today; should people ever be added, they start with a strong policy.
      passwordPolicy: { minLength: 14, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA applies to people signing in; this pool has no users (self sign-up off) and only client-credentials app clients, which authenticate with a client secret and have no second factor in OAuth 2.0.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        "The Plus plan's threat protection (adaptive authentication, compromised credentials) evaluates user sign-ins only and does not apply to client-credentials (M2M) token requests, the only flow of this pool; Plus would cost per MAU for no protection.",
    });

    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: RESOURCE_SERVER_IDENTIFIER,
      userPoolResourceServerName: 'User-data platform API',
      scopes: Object.entries(SCOPE_DESCRIPTIONS).map(
        ([scopeName, scopeDescription]) => new ResourceServerScope({ scopeName, scopeDescription }),
      ),
    });
    const scopeOf = (scope: Scope) =>
      OAuthScope.resourceServer(this.resourceServer, new ResourceServerScope({ scopeName: scope.split('/')[1], scopeDescription: scope }));

    this.clientScopes = props.clients ?? MACHINE_CLIENTS;
    this.clients = {};
    for (const [clientId, scopes] of Object.entries(this.clientScopes)) {
      this.clients[clientId] = this.userPool.addClient(clientId, {
        generateSecret: true,
        // Client credentials only: no user sign-in flow (Cognito keeps refresh-token auth, unused here).
        authFlows: { custom: false, userPassword: false, userSrp: false, adminUserPassword: false, user: false },
        oAuth: { flows: { clientCredentials: true }, scopes: scopes.map(scopeOf) },
        accessTokenValidity: props.accessTokenValidity ?? Duration.hours(1),
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
      });
    }

    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });

    // Spelled out (not the pool's ProviderURL attribute) so it is the exact `iss` string, and so
    // local runners can recognise and rewrite it to a local issuer.
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.jwksUrl = `${this.issuer}/.well-known/jwks.json`;
    this.tokenEndpoint = `${this.domain.baseUrl()}/oauth2/token`;

    // What a caller needs to get a token (docs/auth.md); secrets stay in Cognito, read with the CLI.
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'TokenEndpoint', { value: this.tokenEndpoint });
    for (const [clientId, client] of Object.entries(this.clients)) {
      new CfnOutput(this, `${clientId}Id`, {
        value: client.userPoolClientId,
        description: `Scopes: ${this.clientScopes[clientId].join(' ')}`,
      });
    }
  }

  /** How a service accepts this pool's tokens that carry `scope`, from the clients allowed it only. */
  tokenCheck(scope: Scope): TokenCheck {
    const clientIds = Object.entries(this.clientScopes)
      .filter(([, scopes]) => scopes.includes(scope))
      .map(([clientId]) => this.clients[clientId].userPoolClientId);
    if (clientIds.length === 0) throw new Error(`No app client may ask for ${scope}`);
    return { issuer: this.issuer, jwksUrl: this.jwksUrl, clientIds, requiredScope: scope };
  }
}
