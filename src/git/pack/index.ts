/** Pack files: read (with or without .idx), write, and receive from a stream. */
export { PackReader, missingBaseError, type PackReaderOptions, type ExternalResolver } from './pack-reader.js';
export { PackIndex, writePackIndex, type IndexEntry } from './pack-index.js';
export { writePack, writePackFiles, type PackInput, type WritePackOptions, type WrittenPack } from './pack-writer.js';
export { indexPackFile, indexBytes, type IndexedPack, type IndexedEntry, type IndexPackOptions, type ExternalBases } from './index-pack.js';
export { receivePack, type ReceivedPack } from './receive-pack.js';
export { applyDelta } from '../../datastore/objects/delta.js';
export { createDelta } from './delta-encode.js';
