// Types for scripts/web-build.mjs (plain JavaScript so that `npm start` runs it without tsx).
export declare const ROOT: string;
export declare const WEB_SOURCES: string[];
/** Why web/dist under `root` must be built again, or null when it is current. */
export declare function webStaleReason(root?: string): string | null;
export declare function ensureWebBuilt(o?: { root?: string; stdio?: import('node:child_process').StdioOptions }): { built: boolean; why: string | null; ms?: number };
