/**
 * The scylla store on a throwaway single-node Apache Cassandra (the CQL
 * server standing in for ScyllaDB, from Maven Central): the compliance suite,
 * then what is CQL-specific — options and errors, namespaces, the data model
 * (id-prefix partitions, refs in one partition, no filtering scans), chunked
 * entries, interrupted writes, and a buffered commit undone on conflict.
 */
import { after } from 'node:test';
import { describeCompliance } from '../compliance/suite.js';
import { startCassandraNode } from '../support/cassandra-nodes.js';

const node = await startCassandraNode();
after(() => node.stop());

let counter = 0;
export const freshUri = (extra = '') => `scylla://${node.node.contactPoint}/govc_test?namespace=t${process.pid}_${++counter}${extra}`;

describeCompliance('scylla', { freshConfig: async () => freshUri(), manyObjects: 20_000 });
