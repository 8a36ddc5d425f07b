import { PGlite } from '@electric-sql/pglite';
import { writeFileSync, readFileSync } from 'node:fs';
let t = Date.now();
const a = new PGlite(); await a.waitReady; console.log('fresh', Date.now() - t);
await a.exec('create table x(i int); insert into x values (1)');
const blob = await a.dumpDataDir('none'); 
writeFileSync('/tmp/pgl.tar', Buffer.from(await blob.arrayBuffer()));
t = Date.now();
const b = new PGlite({ loadDataDir: new Blob([readFileSync('/tmp/pgl.tar')]) }); await b.waitReady; console.log('load', Date.now() - t, (await b.query('select * from x')).rows);
