/**
 * The CBOR codec (`src/common/cbor.ts`) against cbor-x, which it replaced, on
 * a 100-command messaging frame and a 1.8 KB actor state.
 *
 *   ./node_modules/.bin/deno bench -A bench/cbor_bench.ts
 */
import { Decoder } from "cbor-x/decode";
import { Encoder } from "cbor-x/encode";
import { decodeCborValue, encodeCborValue } from "../src/common/cbor.ts";

const cborx = {
  encoder: new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false }),
  decoder: new Decoder({ useRecords: false, mapsAsObjects: true }),
};
const frame = Array.from({ length: 100 }, (_, i) => ({
  id: i + 1000,
  op: "send",
  to: `a${i % 10}`,
  data: { n: i, text: "hello world", ok: true },
}));
const state = {
  v: 1,
  state: {
    count: 12,
    users: Array.from(
      { length: 50 },
      (_, i) => ({ name: `user${i}`, score: i * 1.5, tags: ["a"] }),
    ),
  },
  schedule: [],
};

for (const [name, value] of [["frame", frame], ["state", state]] as const) {
  const theirs = cborx.encoder.encode(value);
  const ours = encodeCborValue(value);
  Deno.bench(`cbor-x encode ${name}`, { group: `encode ${name}`, baseline: true }, () => {
    cborx.encoder.encode(value);
  });
  Deno.bench(`switchyard encode ${name}`, { group: `encode ${name}` }, () => {
    encodeCborValue(value);
  });
  Deno.bench(`cbor-x decode ${name}`, { group: `decode ${name}`, baseline: true }, () => {
    cborx.decoder.decode(theirs);
  });
  Deno.bench(`switchyard decode ${name}`, { group: `decode ${name}` }, () => {
    decodeCborValue(ours);
  });
}
