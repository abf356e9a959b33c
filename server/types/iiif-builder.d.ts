// iiif-builder publishes types that its package.json `exports` map does not expose; manifest.ts
// imports them by path and the module itself through this declaration.
declare module 'iiif-builder';
