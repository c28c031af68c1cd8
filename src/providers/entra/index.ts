/**
 * The Microsoft Entra ID connector: reads the managed scope from Microsoft Graph in bulk and
 * applies changes idempotently, one at a time (`apply`) or in `$batch` posts (`applyMany`).
 * Every request goes through the shared retry policy and the connection's one RateGate.
 */
import type { EntraConnection, Policy } from '../../model/schema.js';
import type { ActualState } from '../../model/state.js';
import type { Change } from '../../plan/plan-types.js';
import type { ChangeFeed, FeedRead, SavedFeed } from '../change-feed.js';
import { type ConnectorContext, requireEnv } from '../connector.js';
import { DEFAULT_CLOCK, RateGate, type RetryOptions } from '../retry.js';
import type { ChangeOutcome, Provider, Scope } from '../types.js';
import { applyChange, type ChangeContext } from './changes.js';
import { ClientCredentialsToken, type ClientProof } from './credential.js';
import { readEntraChanges } from './delta.js';
import { GraphConnection, type Send } from './graph.js';
import {
  type DirectoryIndex,
  emptyIndex,
  readEverything,
  readScope,
  type SignInReading,
} from './read-state.js';

export class EntraProvider implements Provider, ChangeFeed {
  readonly name = 'entra' as const;
  readonly simulated = false;
  /** Ids from the last read, so that apply looks up only what read did not see. */
  private readonly index: DirectoryIndex = emptyIndex();
  /** Last sign-ins are read with the users until Graph refuses them (then one warning). */
  private readonly signIns: SignInReading;

  constructor(
    private readonly config: EntraConnection,
    readonly graph: GraphConnection,
    private readonly retention?: Policy['retention'],
    warn: (line: string) => void = warnOnStderr,
  ) {
    this.signIns = { warn };
  }

  read(scope: Scope): Promise<ActualState> {
    return readScope(this.graph, scope, this.index, { signIns: this.signIns });
  }

  /** Drift's read: Graph delta queries on users and groups (delta.ts); never used to plan writes. */
  readChanges(scope: Scope, saved: SavedFeed | undefined): Promise<FeedRead> {
    return readEntraChanges(this.graph, scope, saved);
  }

  readAll(): Promise<ActualState> {
    return readEverything(this.graph, this.index, this.signIns);
  }

  apply(change: Change): Promise<ChangeOutcome> {
    return applyChange(this.context(this.graph.send), change);
  }

  /** Every change's requests share `$batch` posts of 20, a few posts in flight. */
  applyMany(changes: readonly Change[]): Promise<ChangeOutcome>[] {
    const ctx = this.context(this.graph.batchSender());
    return changes.map((c) => applyChange(ctx, c));
  }

  private context(send: Send): ChangeContext {
    return {
      config: this.config,
      graph: this.graph,
      index: this.index,
      send,
      lookups: new Map(),
      ...(this.retention ? { retention: this.retention } : {}),
    };
  }
}

/** Where a warning goes when the engine gave no log sink: the operator reads stderr. */
function warnOnStderr(line: string): void {
  process.stderr.write(`warning: ${line}\n`);
}

/** The credential the policy names, read from the environment once; never logged. */
function clientProof(config: EntraConnection, env: NodeJS.ProcessEnv): ClientProof {
  return config.auth === 'client-secret'
    ? { kind: 'client-secret', value: requireEnv(env, config.clientSecretEnv, 'entra', 'clientSecretEnv') }
    : { kind: 'client-assertion', value: requireEnv(env, config.oidcTokenEnv, 'entra', 'oidcTokenEnv') };
}

function loggingRetry(ctx: ConnectorContext): Partial<RetryOptions> {
  const own = ctx.retry?.onRetry;
  return {
    ...ctx.retry,
    onRetry: (info) => {
      own?.(info);
      ctx.log?.(
        `entra: ${info.failure.message}; attempt ${info.attempt + 1} in ${Math.ceil(info.delayMs / 1000)} s`,
      );
    },
  };
}

export function createEntraProvider(config: EntraConnection, ctx: ConnectorContext): Provider {
  const retry = loggingRetry(ctx);
  const credential = new ClientCredentialsToken({
    authorityUrl: config.authorityUrl,
    tenantId: config.tenantId,
    clientId: config.clientId,
    proof: clientProof(config, ctx.env),
    retry,
  });
  const gate = new RateGate({
    now: retry.now ?? DEFAULT_CLOCK.now,
    sleep: retry.sleep ?? DEFAULT_CLOCK.sleep,
  });
  return new EntraProvider(
    config,
    new GraphConnection({ graphUrl: config.graphUrl, credential, gate, retry }),
    ctx.policy?.retention,
    ctx.log ?? warnOnStderr,
  );
}
