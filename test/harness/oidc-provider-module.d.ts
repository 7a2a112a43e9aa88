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
  }

  export default Provider;
}
