/**
 * The page-table structures from TypeScript, on a plain word memory: insert, lookup, update,
 * remove and iterate against a reference map, clustered blocks across their boundaries, chains
 * of colliding blocks and of colliding inverted entries; and the guest `pt_lookup` and `pt_next`
 * against the TypeScript lookup.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import {
  anchorOf,
  ANCHORS,
  BUCKETS,
  CLUSTER,
  InvertedPageTable,
  LinearPageTable,
  type Mapping,
  type Memory,
  newPageTable,
  PAGE_SIZE,
  type PageTable,
  type PageTableKind,
  PTE,
  USER,
} from "../../exos/mod.ts";
import { boot, proc, runTo, STRUCTURES } from "./_exos.ts";

/** A word memory over [base, base + bytes) that throws outside it. */
function memory(base: number, bytes: number): Memory & { words: Int32Array } {
  const words = new Int32Array(bytes / 4);
  const at = (va: number) => {
    if (va < base || va >= base + bytes || (va & 3) !== 0) {
      throw new RangeError(`0x${va.toString(16)} is outside the test memory`);
    }
    return (va - base) / 4;
  };
  return {
    words,
    read32: (va) => words[at(va)],
    write32: (va, v) => void (words[at(va)] = v),
  };
}

const BASE = 0x4000, BYTES = 12 * PAGE_SIZE;

function table(kind: PageTableKind): PageTable {
  const t = newPageTable(kind, memory(BASE, BYTES), BASE, BYTES);
  t.init();
  return t;
}

const mapping = (vpn: number, flags: number = PTE.W): Mapping => ({
  vpn,
  page: 0x100 + (vpn & 0xffff),
  capability: BigInt.asUintN(64, BigInt(vpn) * 0x9e3779b97f4a7c15n),
  flags: flags | PTE.V,
});

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

for (const kind of STRUCTURES) {
  Deno.test(`PageTable (${kind}) agrees with a reference map over random operations`, () => {
    const t = table(kind), ref = new Map<number, Mapping>(), next = rng(7);
    // Pages in a few clusters, so blocks fill, empty and collide.
    const pick = () => [0x400, 0x7fdff, 0xd00, 0x500][next() % 4] + (next() % 40) - 20;
    for (let i = 0; i < 3000; i++) {
      const vpn = pick(), op = next() % 4;
      if (op <= 1) {
        const m = mapping(vpn, next() & (PTE.W | PTE.D));
        t.insert(m);
        ref.set(vpn, m);
      } else if (op === 2) {
        assert.equal(t.remove(vpn), ref.delete(vpn), `remove ${vpn.toString(16)}`);
      } else {
        const flags = (next() & 0xffe) | PTE.V;
        const had = ref.get(vpn);
        assert.equal(t.update(vpn, flags), had !== undefined);
        if (had) ref.set(vpn, { ...had, flags });
      }
      const probe = pick();
      assert.deepEqual(
        t.lookup(probe),
        ref.get(probe),
        `lookup ${probe.toString(16)} at step ${i}`,
      );
    }
    const want = [...ref.values()].sort((a, b) => a.vpn - b.vpn);
    assert.deepEqual(t.entries(), want);
    assert.equal(t.size, ref.size);
  });

  Deno.test(`PageTable (${kind}) throws when full and maps again after a removal`, () => {
    const t = table(kind);
    let vpn = 0x400;
    assert.throws(() => {
      for (;; vpn++) t.insert(mapping(vpn));
    }, /full/);
    assert.equal(t.size, t.capacity);
    assert.ok(t.remove(0x400));
    t.insert(mapping(0x400)); // a linear slot, or (clustered) the first block's node, is free again
    assert.ok(t.lookup(0x400) !== undefined);
  });
}

Deno.test("LinearPageTable keeps its vector sorted whatever the insertion order", () => {
  const mem = memory(BASE, BYTES), t = new LinearPageTable(mem, BASE, BYTES);
  t.init();
  for (const vpn of [0x500, 0x400, 0x7fdff, 0x401, 0x4ff]) t.insert(mapping(vpn));
  const vpns = [0, 1, 2, 3, 4].map((i) => mem.words[(16 + 16 * i + 12) / 4]); // the vpn word
  assert.deepEqual(vpns, [0x400, 0x401, 0x4ff, 0x500, 0x7fdff]);
  assert.equal(mem.words[0], 5);
});

Deno.test("ClusteredPageTable keeps blocks apart at their boundaries", () => {
  const t = table("clustered");
  // 0x40f is the last page of block 0x40, 0x410 the first of block 0x41.
  t.insert(mapping(0x40f));
  t.insert(mapping(0x410));
  const n40 = t.handle(0x40f) - 8 - 16 * 15, n41 = t.handle(0x410) - 8;
  assert.notEqual(n40, n41);
  assert.equal(t.lookup(0x40e), undefined);
  assert.equal(t.lookup(0x411), undefined);
  assert.ok(t.remove(0x40f));
  assert.deepEqual(t.lookup(0x410), mapping(0x410));
  // The emptied node is reused for the next new block.
  t.insert(mapping(0x420));
  assert.equal(t.handle(0x420) - 8, n40);
});

Deno.test("ClusteredPageTable chains colliding blocks and unlinks any of them", () => {
  const t = table("clustered");
  // Blocks BUCKETS apart share a chain: 0x00d0, 0x01d0, ..., as 0x00d00000 and 0x7fd00000 do.
  const vpns = [0, 1, 2, 3].map((k) => (0xd0 + k * BUCKETS) * CLUSTER + 5);
  for (const v of vpns) t.insert(mapping(v));
  for (const v of vpns) assert.deepEqual(t.lookup(v), mapping(v));
  assert.ok(t.remove(vpns[1])); // a node in the middle of the chain
  assert.equal(t.lookup(vpns[1]), undefined);
  for (const v of [vpns[0], vpns[2], vpns[3]]) assert.deepEqual(t.lookup(v), mapping(v));
  assert.ok(t.remove(vpns[3])); // the head
  assert.ok(t.remove(vpns[0])); // the tail
  assert.deepEqual(t.entries(), [mapping(vpns[2])]);
});

Deno.test("InvertedPageTable chains pages that hash alike and reuses freed entries", () => {
  const t = table("inverted") as InvertedPageTable;
  // vpn ^ vpn >> 8 agrees in its low 8 bits for these: one chain.
  const vpns = [0x404, 0x505, 0x606, 0x707];
  assert.equal(new Set(vpns.map(anchorOf)).size, 1);
  for (const v of vpns) t.insert(mapping(v));
  const h = vpns.map((v) => t.handle(v));
  assert.equal(new Set(h).size, 4);
  assert.ok(t.remove(vpns[2])); // the middle of the chain
  for (const v of [vpns[0], vpns[1], vpns[3]]) assert.deepEqual(t.lookup(v), mapping(v));
  assert.equal(t.lookup(vpns[2]), undefined);
  t.insert(mapping(0x401)); // another chain, in the freed entry
  assert.equal(t.handle(0x401), h[2]);
  assert.ok(t.remove(vpns[3])); // the head (the newest)
  assert.ok(t.remove(vpns[0])); // the tail
  assert.deepEqual(t.entries(), [mapping(0x401), mapping(vpns[1])]);
  assert.equal(t.size, 2);
  assert.ok(ANCHORS >= 256);
});

Deno.test("newPageTable refuses an unknown structure by name", () => {
  assert.throws(
    () => newPageTable("hashed" as PageTableKind, memory(BASE, BYTES), BASE, BYTES),
    /Unknown page-table structure "hashed": use linear, clustered, clustered-walk, inverted/,
  );
  assert.throws(() => new LinearPageTable(memory(BASE, 16), BASE, 16), /needs more than 16/);
});

for (const structure of STRUCTURES) {
  Deno.test(`pt_lookup (${structure}) finds in guest code what the TypeScript lookup finds`, () => {
    const m = boot();
    const p = proc(m, "walker", { structure });
    const { vm } = p;
    // Mappings across block boundaries and in a chain with the stack's block (0x7fdf).
    vm.mmap(20 * PAGE_SIZE, { at: 0x00dfa000 });
    vm.mmap(3 * PAGE_SIZE, { at: 0x00cff000 });
    const probes = [
      0x00df9000, // unmapped, just below
      0x00dfa000,
      0x00dff004, // the last page of block 0xdf
      0x00e00ffc, // the first page of block 0xe0
      0x00e0d000,
      0x00e0e000, // unmapped, just above
      0x00cff000,
      0x00d00000,
      0x00d01000,
      0x00d02000, // unmapped, in a mapped block
      USER.STACK_TOP - 4, // the stack: block 0x7fdf, colliding with 0x00df
      USER.STACK_TOP - 3 * PAGE_SIZE, // below the stack
      0x00900000, // nothing near
    ];
    const src = asm`
        .set    noreorder
main:   la      $s0, probes
        la      $s1, results
        li      $s2, ${probes.length}
1:      lw      $a0, 0($s0)
        jal     ${vm.code.symbols.pt_lookup}
        nop
        sw      $v0, 0($s1)
        addiu   $s0, $s0, 4
        addiu   $s2, $s2, -1
        bnez    $s2, 1b
        addiu   $s1, $s1, 4
done:   b       done
        nop
        .data
probes: ${probes.map((v) => `.word ${v}`).join("\n        ")}
results:
        .space  ${4 * probes.length}
`;
    const prog = vm.load(src);
    runTo(m, p, prog.symbols.main, prog.symbols.done);
    const got = probes.map((_, i) => vm.read32(prog.symbols.results + 4 * i) >>> 0);
    const want = probes.map((va) => vm.table.handle(va >>> 12) >>> 0);
    assert.deepEqual(got, want);
    assert.equal(want.filter((h) => h !== 0).length, 8);
  });
}
