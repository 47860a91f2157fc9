// yaml re-exported so the CLI and plugins read and write YAML with the copy bundled into core
// (one parse of the library per `ao` run instead of two module graphs).
export { Document, isSeq, parseDocument, stringify } from 'yaml';
