/** Injected by tsup from package.json at build time. */
declare const __AO_VERSION__: string;
