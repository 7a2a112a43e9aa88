/**
 * @module The slice of the untyped `oidc-provider` package the test harness uses. The package ships
 * no type declarations and there is no `@types/oidc-provider` in the tree.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The Koa context oidc-provider passes to configuration callbacks (only what the harness reads). */
  export interface ProviderContext {
    readonly oidc: { readonly body?: Record<string, unknown> };
  }

  /** An OpenID Provider; a Koa application underneath. */
  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    /** Provider events, e.g. `device_authorization.success` with `(ctx, body)`. */
    on(event: string, listener: (...args: never[]) => void): this;
    /** The pending interaction of the request's `_interaction` cookie. */
    interactionDetails(
      req: IncomingMessage,
      res: ServerResponse,
    ): Promise<{ readonly uid: string; readonly params: Record<string, unknown> }>;
    /** Ends the interaction and redirects the user agent back to the provider. */
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    /** Grants of an account to a client (what consent stores). */
    readonly Grant: new (properties: {
      accountId: string;
      clientId: string;
    }) => {
      addOIDCScope(scope: string): void;
      addResourceScope(resource: string, scope: string): void;
      save(): Promise<string>;
    };
  }

  export default Provider;
}
