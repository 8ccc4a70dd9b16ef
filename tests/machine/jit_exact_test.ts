/**
 * The translator (machine/jit.ts) against the interpreter, one program per exactness rule: each
 * runs on both engines in lockstep with seeded random run limits (tests/machine/_jit.ts), and
 * the whole CPU state must be equal after every run and RAM at the end. Each test also checks
 * that the translator did translate the program, so a silent fallback cannot pass.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SR } from "../../machine/cp0.ts";
import type { Bench } from "./_cpu.ts";
import { lockstep, raw } from "./_jit.ts";

/** Data for the programs: words at kseg0 0x80040000 (physical 0x40000); a0 points there. */
function data({ cpu, bus }: Bench): void {
  for (let i = 0; i < 64; i++) bus.ram32[(0x40000 >> 2) + i] = Math.imul(i + 1, 0x9e3779b1);
  cpu.regs[4] = 0x80040000 | 0;
}

/** Runs `src` in lockstep under three seeds; asserts the translator made code for it. */
function check(src: ReturnType<typeof raw>, setup = data, options = {}): Bench[] {
  let last: Bench[] = [];
  for (const seed of [1, 7, 1234]) {
    last = lockstep(src, setup, { seed, ...options });
    assert.ok(last[1].cpu.jitStats().pagesTranslated > 0, "nothing was translated");
  }
  return last;
}

Deno.test("jit: ALU, shifts, immediates, MULT/DIV with the interlock, run limits land alike", () => {
  const [a] = check(raw`
        li      $t0, 0
        li      $t1, 300
        li      $s0, 0x12345
loop:   addu    $t0, $t0, $t1
        sll     $t2, $t0, 3
        srl     $t3, $t0, 5
        sra     $t4, $t2, 7
        xor     $s0, $s0, $t2
        nor     $t5, $s0, $t3
        slt     $t6, $t5, $t4
        sltu    $t7, $t5, $t4
        sllv    $t8, $t0, $t1
        srav    $t9, $s0, $t1
        srlv    $v0, $s0, $t1
        sltiu   $v1, $t0, -5
        slti    $a1, $t0, 100
        lui     $a2, 0x8765
        ori     $a2, $a2, 0x4321
        andi    $a3, $a2, 0xff0
        xori    $a3, $a3, 0x1234
        mult    $t0, $s0
        mflo    $s1
        multu   $t2, $a2
        addu    $zero, $t0, $t1
        mfhi    $s2
        div     $s0, $t1
        mflo    $s3
        mfhi    $s4
        divu    $a2, $t1
        subu    $s5, $s4, $s3
        mtlo    $t0
        mthi    $s5
        mflo    $s6
        addiu   $t1, $t1, -1
        bgtz    $t1, loop
        addu    $s6, $s6, $t1
        break`);
  assert.equal(a.cpu.regs[9], 0, "the loop ran to its end");
});

Deno.test("jit: faults in blocks and delay slots are precise (Ov, AdEL, AdES, DBE, BD)", () => {
  const [a] = check(
    raw`
        li      $t0, 0x7fffffff
        li      $t1, 60
loop:   add     $t2, $t0, $t1
        addi    $t3, $t0, 1
        sub     $t4, $t1, $t0
        lw      $t5, 1($a0)
        sw      $t5, 2($a0)
        lw      $t6, 0($a1)
        lh      $t6, 1($a0)
        bnez    $t1, 1f
        add     $t7, $t0, $t0
1:      addiu   $t1, $t1, -1
        bne     $t1, $zero, loop
        sub     $t8, $t1, $t0
        break`,
    (b) => {
      data(b);
      b.cpu.regs[5] = 0xb0000000 | 0; // kseg1, physical 0x10000000: nobody answers
    },
  );
  assert.ok(a.cpu.regs[23] > 200, `only ${a.cpu.regs[23]} exceptions`);
});

Deno.test("jit: load delays within blocks, across block exits, in delay slots and at page ends", () => {
  const tail = raw`
        nop
        lw      $t0, 20($a0)
        addu    $s3, $t0, $t0
        jr      $ra
        lw      $t1, 24($a0)`; // at 0x80031ff8: the load in the page's last word, then JR
  const edge = raw`
        addiu   $s4, $s4, 1
        beq     $zero, $zero, 0x80031ff8
        nop`; // a branch in the page's last word (0x80032ffc), its delay slot beyond
  check(
    raw`
        li      $t0, 1
        li      $t1, 40
loop:   lw      $t2, 0($a0)
        addu    $t3, $t2, $t0
        lw      $t4, 4($a0)
        move    $t4, $t0
        lw      $t5, 8($a0)
        lw      $t5, 12($a0)
        addu    $t6, $t5, $zero
        addu    $t6, $t6, $t5
        lwl     $t7, 3($a0)
        lwr     $t7, 0($a0)
        lw      $t8, 28($a0)
        lwr     $t8, 1($a0)
        addu    $s0, $s0, $t7
        la      $t9, 2f
        jr      $t9
        lw      $s1, 0($a0)
2:      addu    $s2, $s1, $s1
        jal     0x80031ff8
        nop
        addu    $s5, $t1, $t1
        addiu   $t1, $t1, -1
        bnez    $t1, loop
        lw      $t0, 16($a0)
        addu    $s6, $t0, $t0
        jal     0x80032ff4
        nop
        break`,
    (b) => {
      data(b);
      b.bus.ram32.set(tail.at(0x80031ff8).text, 0x31ff8 >> 2);
      b.bus.ram32.set(edge.at(0x80032ff4).text, 0x32ff4 >> 2);
    },
  );
});

Deno.test("jit: self-modifying code, a patch later in the same block, TypeScript writes to code", () => {
  const NOP_AT = 0x30000 + 6 * 4; // the nop after the first store, physical
  const ADDIU_S2 = (9 << 26) | (18 << 21) | (18 << 16) | 5; // addiu $s2, $s2, 5
  const [a] = check(
    raw`
        la      $t9, patch
        lw      $t5, 0($t9)
        li      $t6, 3
        li      $t1, 200
        lui     $t7, 0x2000
loop:   xor     $t5, $t5, $t6
        sw      $t5, 0($t9)
        nop
patch:  addiu   $s0, $s0, 1
        andi    $t2, $t1, 4
        beqz    $t2, 1f
        or      $t8, $t9, $t7
        sw      $t5, 0($t8)
1:      addiu   $t1, $t1, -1
        bnez    $t1, loop
        nop
        break`,
    data,
    {
      between: (b: Bench, i: number) => {
        if (i === 30) b.bus.ram32[NOP_AT >> 2] = ADDIU_S2;
        if (i === 90) b.bus.ram32[NOP_AT >> 2] = 0;
      },
    },
  );
  assert.notEqual(a.cpu.regs[16], 200, "the patch changed what the loop adds");
});

Deno.test("jit: TLB misses with changing ASIDs, refilled by tlbwr at Random", () => {
  check(raw`
        li      $t1, 120
        li      $s1, 0
loop:   andi    $t2, $t1, 7
        sll     $t2, $t2, 6
        mtc0    $t2, $entryhi
        li      $a1, 0x00400000
        andi    $t3, $t1, 31
        sll     $t3, $t3, 12
        addu    $a1, $a1, $t3
        sw      $t1, 0($a1)
        lw      $t4, 0($a1)
        addiu   $t1, $t1, -1
        addu    $s1, $s1, $t4
        bnez    $t1, loop
        nop
        break`);
});

Deno.test("jit: interrupts are taken at the same instruction", () => {
  check(
    raw`
        li      $t1, 2000
loop:   addiu   $t0, $t0, 3
        xor     $t2, $t0, $t1
        sw      $t2, 0($a0)
        addiu   $t1, $t1, -1
        bnez    $t1, loop
        addu    $s0, $s0, $t2
        break`,
    (b) => {
      data(b);
      b.cpu.cp0[12] = SR.IEc | (1 << 10);
    },
    {
      between: (b: Bench, i: number) => {
        if (i % 7 === 3) b.cpu.setLine(0, true);
        if (i % 7 === 5) b.cpu.setLine(0, false);
      },
    },
  );
});

Deno.test("jit: the MULT/DIV interlock across uncached slow paths", () => {
  check(
    raw`
        li      $t1, 150
        li      $t0, 12345
loop:   mult    $t0, $t1
        lw      $t2, 0($a2)
        sw      $t2, 4($a2)
        mflo    $t3
        div     $t3, $t1
        lw      $t4, 8($a2)
        mfhi    $t5
        multu   $t5, $t0
        addu    $t0, $t0, $t5
        mfhi    $t6
        addiu   $t1, $t1, -1
        bnez    $t1, loop
        addu    $s0, $s0, $t6
        break`,
    (b) => {
      data(b);
      b.cpu.regs[6] = 0xa0040000 | 0; // the data, uncached
    },
  );
});

Deno.test("jit: MULT and MULTU agree with the interpreter on edge values", () => {
  const vals = [0, 1, -1, 2, -2, 0x7fffffff, -0x80000000, 0x12345678, -0x12345678, 0xffff];
  vals.push(0x10000, 0x1fffff, 0x200000, -0x200000, 0x55555555, 94906265, 94906266, -94906266);
  let body = "";
  for (const a of vals) {
    for (const b of vals) {
      body += `li $t0, ${a}\nli $t1, ${b}\nmult $t0, $t1\nmfhi $t2\nmflo $t3\nmultu $t0, $t1\n` +
        `mfhi $t4\nmflo $t5\nsw $t2, 0($a0)\nsw $t3, 4($a0)\nsw $t4, 8($a0)\nsw $t5, 12($a0)\n` +
        `addu $s0, $s0, $t2\nxor $s1, $s1, $t3\naddu $s2, $s2, $t4\nxor $s3, $s3, $t5\n`;
    }
  }
  const src = raw([body + "break"] as unknown as TemplateStringsArray);
  check(src, data, { runs: 20_000, large: 50_000 });
});

Deno.test("jit: J and JAL to another page with a load in the delay slot go to their target", () => {
  // The load's successor is in another page, so the block leaves with the load pending; the
  // exit must go to the jump's static target (J and JAL compute no `tgt` at run time).
  const far = raw`
        addu    $s0, $s0, $t2
        j       0x80030010
        lw      $t3, 4($a0)`; // at 0x80034000: back into the loop's page
  const ret = raw`
        jr      $ra
        addu    $s3, $t4, $t4`; // at 0x80035000
  const [a] = check(
    raw`
        li      $t1, 100
        nop
        nop
        nop
loop:   addiu   $t1, $t1, -1
        beqz    $t1, done
        nop
        j       0x80034000
        lw      $t2, 0($a0)
done:   addu    $s1, $t3, $t2
        jal     0x80035000
        lw      $t4, 8($a0)
        addu    $s2, $t4, $t4
        break`,
    (b) => {
      data(b);
      b.bus.ram32.set(far.at(0x80034000).text, 0x34000 >> 2);
      b.bus.ram32.set(ret.at(0x80035000).text, 0x35000 >> 2);
    },
  );
  assert.equal(a.cpu.regs[9], 0, "the loop ran to its end");
});

Deno.test("jit: a later entry adds a function to its page; the first one stays", () => {
  // Hotness 1: the first loop is translated at the first visit, before the second loop (an
  // entry of the same page that the first function has no case for) has run.
  const [, b] = check(raw`
        li      $t1, 50
first:  addiu   $t1, $t1, -1
        bnez    $t1, first
        addu    $s0, $s0, $t1
        li      $t1, 50
        nop
        nop
second: xor     $s1, $s1, $t1
        addiu   $t1, $t1, -1
        bnez    $t1, second
        addu    $s2, $s2, $s1
        break`);
  const stats = b.cpu.jitStats();
  assert.ok(stats.pagesTranslated >= 2, `only ${stats.pagesTranslated} translation`);
  assert.equal(stats.translationsDropped, 0, "a translation was made again from scratch");
});

Deno.test("jit: kernel calls into another page stay in the caller's function; patching the callee drops it", () => {
  // Hotness 3: the callee's page has run in the interpreter when the caller's loop is
  // translated, so the caller's function takes the callee's blocks in (a region of two pages).
  // The guest then patches the callee (every 256th call) and TypeScript flips its first word
  // between runs now and then.
  const ADDU_S3 = (19 << 21) | (9 << 16) | (19 << 11) | 0x21; // addu $s3, $s3, $t1
  const callee = raw`
        addu    $s1, $s1, $t1
        addiu   $s0, $s0, 1
        jr      $ra
        xor     $s2, $s2, $s1`; // at 0x80034000
  const [a, b] = check(
    raw`
        li      $t1, 3000
        li      $t9, 0x80034004
loop:   jal     0x80034000
        addiu   $t1, $t1, -1
        andi    $t2, $t1, 255
        bnez    $t2, 1f
        nop
        lw      $t5, 0($t9)
        nop
        xori    $t5, $t5, 3
        sw      $t5, 0($t9)
1:      bnez    $t1, loop
        nop
        break`,
    (bench) => {
      data(bench);
      bench.bus.ram32.set(callee.at(0x80034000).text, 0x34000 >> 2);
    },
    {
      hotness: 3,
      between: (bench: Bench, i: number) => {
        if (i % 20 === 10) bench.bus.ram32[0x34000 >> 2] ^= ADDU_S3 ^ callee.at(0x80034000).text[0];
      },
    },
  );
  assert.equal(a.cpu.regs[9], 0, "the loop ran to its end");
  assert.notEqual(a.cpu.regs[16], 3000, "the guest's patch changed what the callee adds");
  const stats = b.cpu.jitStats();
  assert.ok(stats.regionsTranslated > 0, "no function spanned the two pages");
  assert.ok(stats.translationsDropped > 0, "no translation was dropped by the patches");
});

/** The callee the pointer-call tests reach by JALR at 0x80036000: s0 += its addiu's immediate. */
const CALLEE = raw`
        addu    $s1, $s1, $t1
        addiu   $s0, $s0, 1
        jr      $ra
        xor     $s2, $s2, $s1`;

/** `data`, and CALLEE at 0x80036000. */
function withCallee(bench: Bench): void {
  data(bench);
  bench.bus.ram32.set(CALLEE.at(0x80036000).text, 0x36000 >> 2);
}

Deno.test("jit: kernel calls through a pointer join the caller's region once seen; patches still drop it", () => {
  // The callee is reached only by JALR, so no static transfer puts it in the caller's region:
  // the caller's translated JR reports where it left to, and after JUMP_NOTES calls the caller
  // is translated again with the callee in. The guest patches the callee every 512th call.
  const [a, b] = check(
    raw`
        li      $t1, 3000
        li      $t8, 0x80036000
        li      $t9, 0x80036004
loop:   jalr    $t8
        addiu   $t1, $t1, -1
        andi    $t2, $t1, 511
        bnez    $t2, 1f
        nop
        lw      $t5, 0($t9)
        nop
        xori    $t5, $t5, 3
        sw      $t5, 0($t9)
1:      bnez    $t1, loop
        nop
        break`,
    withCallee,
    { hotness: 3 },
  );
  assert.equal(a.cpu.regs[9], 0, "the loop ran to its end");
  assert.notEqual(a.cpu.regs[16], 3000, "the guest's patch changed what the callee adds");
  const stats = b.cpu.jitStats();
  assert.ok(stats.regionsTranslated > 0, "the callee never joined the caller's region");
  assert.ok(stats.translationsDropped > 0, "no translation was dropped");
});

Deno.test("jit: code that rewrites the code it calls rests, and its caller keeps its translation", () => {
  // The caller patches the callee before every call (its addiu's immediate), so every
  // translation of the callee is dropped at once. Each drop by a guest store makes the callee
  // rest (the interpreter's, twice as long as the time before), and once patched the callee
  // joins no region, so the caller's own translation is not dropped with it.
  const [a, b] = check(
    raw`
        li      $t1, 3000
        li      $t8, 0x80036000
        li      $t9, 0x80036004
loop:   lw      $t5, 0($t9)
        nop
        xori    $t5, $t5, 1
        sw      $t5, 0($t9)
        jalr    $t8
        addiu   $t1, $t1, -1
        bnez    $t1, loop
        nop
        break`,
    withCallee,
    { hotness: 3 },
  );
  assert.equal(a.cpu.regs[9], 0, "the loop ran to its end");
  assert.equal(
    a.cpu.regs[16],
    1500,
    "every other call added 1 (addiu 0, 1, 0, ...): each patch ran",
  );
  const stats = b.cpu.jitStats();
  // Without either (the wait growing only by the hotness per translation, the callee joining
  // the caller's region again) there were 106 translations in these 3000 calls, 88 of them the
  // caller's region; now a few, and the region is made once.
  assert.ok(stats.pagesTranslated <= 16, `${stats.pagesTranslated} translations`);
  assert.ok(stats.regionsTranslated <= 2, `${stats.regionsTranslated} regions made`);
});

Deno.test("jit: a page patched once rests, then is translated again", () => {
  // The callee is patched once, at the 1000th of 3000 calls: its translation is dropped, it
  // rests (its words the interpreter's) and, when the rest is over, it is translated again, so
  // that as many pages hold translations at the end as in the same run without the patch.
  const run = (patchAt: number) => {
    const [a, b] = check(
      raw`
        li      $t1, 3000
        li      $t8, 0x80036000
        li      $t9, 0x80036004
        li      $t3, ${patchAt}
loop:   bne     $t1, $t3, 1f
        nop
        lw      $t5, 0($t9)
        nop
        xori    $t5, $t5, 3
        sw      $t5, 0($t9)
1:      jalr    $t8
        addiu   $t1, $t1, -1
        bnez    $t1, loop
        nop
        break`,
      withCallee,
      { hotness: 3 },
    );
    return { s0: a.cpu.regs[16], stats: b.cpu.jitStats() };
  };
  const patched = run(2000), plain = run(-1);
  assert.equal(plain.s0, 3000);
  assert.equal(patched.s0, 1000 + 2000 * 2, "the patch took effect once");
  assert.ok(patched.stats.translationsDropped > plain.stats.translationsDropped, "nothing dropped");
  assert.equal(
    patched.stats.pagesCached,
    plain.stats.pagesCached,
    "the callee stayed untranslated",
  );
});
