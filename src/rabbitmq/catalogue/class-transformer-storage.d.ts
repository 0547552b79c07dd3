// class-transformer 0.5 ships no typings for this path; its types/storage.d.ts describes the same object.
declare module 'class-transformer/cjs/storage.js' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage.js';
}
