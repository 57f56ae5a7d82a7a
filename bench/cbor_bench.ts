/**
 * The CBOR wrapper (`src/common/cbor.ts`: checks, then cbor-x) on a
 * 100-command messaging frame and a 1.8 KB actor state, against cbor-x
 * called bare (the wrapper's cost) and, when `CBOR_BASELINE` names a commit,
 * the codec `src/common/cbor.ts` held at that commit (read from git into a
 * temporary folder at the start of the run).
 *
 *   CBOR_BASELINE=95a4bee ./node_modules/.bin/deno bench -A bench/cbor_bench.ts
 */
import { Decoder } from "cbor-x/decode";
import { Encoder } from "cbor-x/encode";
import { decodeCborValue, encodeCborValue } from "../src/common/cbor.ts";

type Codec = {
  encodeCborValue(v: unknown): Uint8Array;
  decodeCborValue(b: Uint8Array): unknown;
};

/** The codec at `commit`: its `src/common` files, read with `git show`. */
async function codecAt(commit: string): Promise<Codec> {
  const dir = await Deno.makeTempDir({ prefix: "cbor-baseline-" });
  const list = await new Deno.Command("git", {
    args: ["ls-tree", "--name-only", `${commit}:src/common`],
  }).output();
  const files = new TextDecoder().decode(list.stdout).split("\n").filter((f) => f.endsWith(".ts"));
  for (const f of files) {
    const { stdout } = await new Deno.Command("git", {
      args: ["show", `${commit}:src/common/${f}`],
    }).output();
    await Deno.writeFile(`${dir}/${f}`, stdout);
  }
  return await import(`file://${dir}/cbor.ts`);
}

const baselineCommit = Deno.env.get("CBOR_BASELINE");
const baseline = baselineCommit ? await codecAt(baselineCommit) : undefined;

const options = { useRecords: false, mapsAsObjects: true, variableMapSize: true };
const cborx = { encoder: new Encoder(options), decoder: new Decoder(options) };
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
  const bytes = encodeCborValue(value);
  if (baseline) {
    Deno.bench(`old codec encode ${name}`, { group: `encode ${name}`, baseline: true }, () => {
      baseline.encodeCborValue(value);
    });
  }
  Deno.bench(`wrapper encode ${name}`, { group: `encode ${name}`, baseline: !baseline }, () => {
    encodeCborValue(value);
  });
  Deno.bench(`bare cbor-x encode ${name}`, { group: `encode ${name}` }, () => {
    cborx.encoder.encode(value);
  });
  if (baseline) {
    Deno.bench(`old codec decode ${name}`, { group: `decode ${name}`, baseline: true }, () => {
      baseline.decodeCborValue(bytes);
    });
  }
  Deno.bench(`wrapper decode ${name}`, { group: `decode ${name}`, baseline: !baseline }, () => {
    decodeCborValue(bytes);
  });
  Deno.bench(`bare cbor-x decode ${name}`, { group: `decode ${name}` }, () => {
    cborx.decoder.decode(bytes);
  });
}
