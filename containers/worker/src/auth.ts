import { JwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwksNotAvailableInCacheError, NonRetryableFetchError, WaitPeriodNotYetEndedJwkError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';

/**
 * Bearer-token check of the export service: Cognito client-credentials access tokens, verified in
 * the service so every environment (plain-HTTP dev too) runs the same check, whatever sits in front.
 *
 * Everything comes from the task's environment (AUTH_*), so a local identity provider can stand in
 * for Cognito: the generic JwtVerifier (not CognitoJwtVerifier, which insists on Cognito issuers).
 */
export interface TokenCheckSettings {
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`: the `iss` every token must carry. */
  readonly issuer: string;
  /** Where the issuer's signing keys are; fetched once and cached (again only for an unknown `kid`). */
  readonly jwksUrl: string;
  /** The app clients whose tokens are accepted (`client_id` claim). */
  readonly clientIds: readonly string[];
  /** The full scope string a token needs (`user-data-api/exports.read`). */
  readonly requiredScope: string;
}

export class TokenCheckConfigurationError extends Error {
  override readonly name = 'TokenCheckConfigurationError';
}

/** Reads AUTH_ISSUER, AUTH_JWKS_URL, AUTH_CLIENT_IDS (comma separated) and AUTH_REQUIRED_SCOPE. Nothing is optional. */
export function tokenCheckSettingsFrom(env: Readonly<Record<string, string | undefined>>): TokenCheckSettings {
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (value === undefined || value === '') {
      throw new TokenCheckConfigurationError(
        `Environment variable ${name} is not set: the export service never serves without a token check`,
      );
    }
    return value;
  };
  const issuer = required('AUTH_ISSUER');
  const jwksUrl = required('AUTH_JWKS_URL');
  const clientIds = required('AUTH_CLIENT_IDS')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (clientIds.length === 0) throw new TokenCheckConfigurationError('AUTH_CLIENT_IDS names no client');
  const url = new URL(jwksUrl);
  // Keys over plain HTTP could be swapped in transit; only a loopback identity provider (tests, local runs) may use it.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))) {
    throw new TokenCheckConfigurationError('AUTH_JWKS_URL must be https (plain http only on loopback)');
  }
  return { issuer, jwksUrl, clientIds, requiredScope: required('AUTH_REQUIRED_SCOPE') };
}

/** The caller a token was issued to. */
export interface Caller {
  readonly clientId: string;
}

/** Why a request is refused: the status, the JSON error body and the RFC 6750 challenge. */
export interface Refusal {
  readonly status: 401 | 403 | 503;
  readonly error: string;
  readonly message: string;
  readonly headers: Record<string, string>;
}

export type TokenCheckResult = { readonly ok: true; readonly caller: Caller } | { readonly ok: false; readonly refusal: Refusal };

/** A token that verified but is not for this service (an ID token, another client). */
class TokenNotForThisServiceError extends Error {
  override readonly name = 'TokenNotForThisServiceError';
}

/** A valid token for this service that lacks the scope: 403, not 401 (RFC 6750 section 3.1). */
class InsufficientScopeError extends Error {
  override readonly name = 'InsufficientScopeError';
}

const REALM = 'user-data-api';

export class BearerTokenCheck {
  private readonly verifier;
  /** Whether the signing keys were ever fetched: tells "keys unavailable" from "unknown key ID" later. */
  private keysFetched = false;

  constructor(private readonly settings: TokenCheckSettings) {
    const clientIds = new Set(settings.clientIds);
    // JWKS over the platform's fetch: https in AWS, plain http for a loopback provider in tests.
    const fetcher: Fetcher = {
      fetch: async (uri) => {
        let response: Response;
        try {
          response = await fetch(uri, { signal: AbortSignal.timeout(3000), redirect: 'error' });
        } catch (error) {
          // Unreachable, refused, timed out: the keys are unavailable, which says nothing about the token.
          throw new FetchError(uri, error instanceof Error ? error.message : String(error));
        }
        if (!response.ok) throw new NonRetryableFetchError(uri, `JWKS answered ${response.status}`);
        const body = await response.arrayBuffer();
        this.keysFetched = true;
        return body;
      },
    };
    this.verifier = JwtVerifier.create(
      {
        issuer: settings.issuer,
        jwksUri: settings.jwksUrl,
        // Cognito access tokens carry no `aud`: the client is in `client_id`, checked below.
        audience: null,
        // The scope is checked last, below: a token of another client or an ID token is invalid
        // here (401) whatever scopes it holds; only a token otherwise valid for us can be a 403.
        customJwtCheck: ({ payload }) => {
          if (payload.token_use !== 'access') throw new TokenNotForThisServiceError('Not an access token');
          if (typeof payload.client_id !== 'string' || !clientIds.has(payload.client_id)) {
            throw new TokenNotForThisServiceError('The token was issued to a client this service does not accept');
          }
          // aws-jwt-verify checks exp only when present; every Cognito token has one, so require it.
          if (typeof payload.exp !== 'number') throw new TokenNotForThisServiceError('The token has no expiry');
          const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
          if (!scopes.includes(settings.requiredScope)) throw new InsufficientScopeError(`The token lacks ${settings.requiredScope}`);
        },
      },
      { jwksCache: new SimpleJwksCache({ fetcher }) },
    );
  }

  /** Checks the request's Authorization header. Never throws for anything the caller sends. */
  async check(authorization: string | undefined): Promise<TokenCheckResult> {
    // RFC 7235: the scheme name is case-insensitive; the token is token68.
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization ?? '');
    if (match === null) {
      // No credentials in the Bearer scheme (none at all, another scheme, or a malformed header):
      // RFC 6750 section 3.1 answers with the bare challenge.
      return this.refuse(401, 'A bearer access token is required (Authorization: Bearer <token>)', `Bearer realm="${REALM}"`);
    }
    try {
      const payload = await this.verifier.verify(match[1]);
      return { ok: true, caller: { clientId: String(payload.client_id) } };
    } catch (error) {
      if (error instanceof InsufficientScopeError) {
        return this.refuse(
          403,
          'The access token does not hold the scope this service needs',
          `Bearer realm="${REALM}", error="insufficient_scope", scope="${this.settings.requiredScope}"`,
        );
      }
      // After a failed fetch the cache waits 10 s before fetching again; before the keys were ever
      // fetched that wait means "unavailable", afterwards it means the token's key ID is unknown.
      const keysUnavailable =
        error instanceof FetchError ||
        error instanceof JwksNotAvailableInCacheError ||
        (error instanceof WaitPeriodNotYetEndedJwkError && !this.keysFetched);
      if (keysUnavailable) {
        // The caller's token may be fine: the signing keys could not be fetched. Not their fault.
        return {
          ok: false,
          refusal: {
            status: 503,
            error: 'ServiceUnavailable',
            message: 'Tokens cannot be checked right now; retry shortly',
            headers: { 'Retry-After': '5' },
          },
        };
      }
      return this.refuse(401, 'The access token is not valid for this service', `Bearer realm="${REALM}", error="invalid_token"`);
    }
  }

  private refuse(status: 401 | 403, message: string, challenge: string): TokenCheckResult {
    return {
      ok: false,
      refusal: { status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message, headers: { 'WWW-Authenticate': challenge } },
    };
  }
}
