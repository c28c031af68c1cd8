/**
 * The provider tables of validation, kept in this one file: what each provider's API can grant
 * and what to write instead of a kind it cannot, both read from the model's provider list
 * (src/model/providers.ts), the list the registry builds providers from. A wrong kind is an error
 * Diagnostic (`invalid-value`) at the entry's `kind`.
 */
import type { Located } from '../../load/source.js';
import { byProvider } from '../../model/providers.js';
import type { Entitlement } from '../../model/schema.js';
import type { Emit } from '../emit.js';

const KINDS_BY_PROVIDER = byProvider((p) => p.kinds);
const KIND_HINT = byProvider((p) => p.catalogHint);

/** Manual entitlements are kind manual (and only they); every other kind is one its provider can grant. */
export function checkProviderKind(e: Located<Entitlement>, emit: Emit): void {
  if ((e.value.provider === 'manual') !== (e.value.kind === 'manual'))
    emit(
      'error',
      'invalid-value',
      e,
      ['kind'],
      `Entitlements on the manual provider must have kind manual, and only they.`,
      'Use provider: manual with kind: manual for apps handled by ticket.',
    );
  else if (!KINDS_BY_PROVIDER[e.value.provider].includes(e.value.kind))
    emit(
      'error',
      'invalid-value',
      e,
      ['kind'],
      `${e.value.provider} has no entitlements of kind ${e.value.kind}; it manages ${KINDS_BY_PROVIDER[e.value.provider].join(' and ')}.`,
      KIND_HINT[e.value.provider],
    );
}
