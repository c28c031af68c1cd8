/**
 * The HR adapters: one per system, each turning the vendor's own payloads into raw
 * hr-snapshot/v1 records (validated afterwards by `validateRecords`), plus a problem for each
 * vendor row that cannot become a record at all.
 */
import type { HrAdapterContext, HrAdapterResult } from '../types.js';
import { fetchBambooHr } from './bamboohr.js';
import { fetchCsv } from './csv.js';
import { fetchHiBob } from './hibob.js';
import { fetchWorkday } from './workday.js';

/** Reads the source `ctx.source` describes, by its kind. */
export async function fetchSnapshot(ctx: HrAdapterContext): Promise<HrAdapterResult> {
  switch (ctx.source.kind) {
    case 'csv':
      return fetchCsv(ctx);
    case 'bamboohr':
      return fetchBambooHr(ctx);
    case 'workday':
      return fetchWorkday(ctx);
    case 'hibob':
      return fetchHiBob(ctx);
  }
}

export { fetchBambooHr, listChangedEmployees } from './bamboohr.js';
export { fetchCsv } from './csv.js';
export { fetchHiBob } from './hibob.js';
export { fetchWorkday } from './workday.js';
