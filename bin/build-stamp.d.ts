/** Types of ./build-stamp.js (plain JavaScript, read by bin/jml.js before anything compiles TypeScript). */
export declare const STAMP: string;
export declare function buildInputs(root: string): string[];
export declare function readInputs(root: string): {
  version: 1;
  files: Record<string, { size: number; mtimeMs: number; sha256: string }>;
};
export declare function staleReason(root: string, dist?: string): string | undefined;
