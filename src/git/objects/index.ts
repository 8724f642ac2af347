/** The git object model: parse and serialize each object type. */
export * from './commit.js';
export * from './tag.js';
export * from './tree.js';
export * from './modes.js';
export * from './identity.js';
export * from './headers.js';
export * from './loose.js';
export { decodeExact, encodeText, type TextEncoding } from './text.js';
