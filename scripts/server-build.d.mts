// Types for scripts/server-build.mjs (plain JavaScript so that it runs without tsx).
export declare const ROOT: string;
export declare const OUT_DIR: string;
export declare const ENTRIES: { main: string; cli: string };
export type EntryName = keyof typeof ENTRIES;
/** null when dist/server/<name>.js is built from the sources as they are now, else why not. */
export declare function staleReason(name: EntryName): string | null;
export declare function build(names?: EntryName[]): Promise<void>;
export declare function launch(name: EntryName): Promise<void>;
