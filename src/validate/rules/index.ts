/**
 * The validation rules, in the order they run: identity, references, structure, dates,
 * exceptions (and what moves keep of them), access. Each entry is a small pure function with the
 * diagnostic rule ids it reports; src/validate/validate.ts runs them in this order, which is also
 * the order of their diagnostics before sorting.
 */
import { reachableEntitlements, separationOfDuties } from './access.js';
import type { ValidationRule } from './context.js';
import { employmentEnds, managersPresent, roleDates } from './dates.js';
import {
  exceptionDates,
  exceptionJustified,
  exceptionNotRedundant,
  exceptionNotSelfApproved,
} from './exceptions.js';
import { idsMatchFiles, questionableIdentities, uniqueCatalogIds, uniquePersonFields } from './identity.js';
import {
  appOwners,
  catalogEntries,
  exceptionReferences,
  hrRoleMappings,
  personReferences,
  roleReferences,
  sodReferences,
  teamMembers,
} from './references.js';
import { retainedExceptions } from './retain.js';
import { reviewCampaigns, reviewFileOwners, reviewItems } from './reviews.js';
import { managerCycles, roleIncludeCycles, selfManagers } from './structure.js';

export const VALIDATION_RULES: readonly ValidationRule[] = [
  // identity
  idsMatchFiles,
  uniqueCatalogIds,
  uniquePersonFields,
  questionableIdentities,
  // references
  teamMembers,
  hrRoleMappings,
  catalogEntries,
  appOwners,
  roleReferences,
  sodReferences,
  personReferences,
  exceptionReferences,
  // structure
  selfManagers,
  managerCycles,
  roleIncludeCycles,
  // dates
  employmentEnds,
  roleDates,
  managersPresent,
  // exceptions
  exceptionJustified,
  exceptionDates,
  exceptionNotSelfApproved,
  exceptionNotRedundant,
  retainedExceptions,
  // access
  separationOfDuties,
  reachableEntitlements,
  // access reviews
  reviewCampaigns,
  reviewFileOwners,
  reviewItems,
];
