/**
 * Tests for the assembler's load-delay and CP0 hazard handling (machine/asm/_hazard.ts):
 * `.set reorder` pads as GNU as does for MIPS I (the words below were derived with
 * `mipsel-linux-gnu-as -O1 -march=r3000 -mabi=32`, and a live comparison runs against that
 * assembler when it is installed, as CI installs it), plus the two CP0 hazards GNU as leaves; and
 * `.set noreorder` code with a hazard is refused with an AsmError that names both instructions.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AsmError, assemble, disassemble } from "../../machine/asm/mod.ts";

const NOP = 0;
const LW_T0 = 0x8c880000; // lw $t0, 0($a0)
const ADDU_T1_T0 = 0x01084821; // addu $t1, $t0, $t0
const ADDU_T1_T2 = 0x014a4821; // addu $t1, $t2, $t2

/** Text words of `source` under the default `.set reorder`. */
const words = (source: string) => [...assemble(source).text];

/** The mnemonics of `source`'s text under the default `.set reorder`. */
const ops = (source: string) => words(source).map((w) => disassemble(w, 0).split(/\s+/)[0]);

Deno.test("assemble under .set reorder puts a nop between a load and a use of its register", () => {
  assert.deepEqual(words("lw $t0, 0($a0); addu $t1, $t0, $t0"), [LW_T0, NOP, ADDU_T1_T0]);
  assert.deepEqual(words("lw $t0, 0($a0); addu $t1, $t2, $t2"), [LW_T0, ADDU_T1_T2]);
  // Every load, MFC0, and a use as a base, a store's data, a branch or jump operand.
  for (const load of ["lb", "lbu", "lh", "lhu", "lw", "lwl", "lwr"]) {
    assert.deepEqual(ops(`${load} $t0, 0($a0); sw $t0, 0($a1)`), [load, "nop", "sw"], load);
  }
  assert.deepEqual(words("mfc0 $t0, $status; addu $t1, $t0, $t0"), [0x40086000, NOP, ADDU_T1_T0]);
  assert.deepEqual(ops("lw $t0, 0($a0); sw $t1, 0($t0)"), ["lw", "nop", "sw"]);
  assert.deepEqual(ops("lw $t0, 0($a0); jr $t0"), ["lw", "nop", "jr", "nop"]);
  assert.deepEqual(ops("lw $t0, 0($a0); mtc0 $t0, $epc"), ["lw", "nop", "mtc0", "nop", "nop"]);
  assert.deepEqual(ops("lw $t0, 0($a0); mult $t0, $t1"), ["lw", "nop", "mult"]);
  // A label between them changes nothing: the nop goes before it.
  const p = assemble("lw $t0, 0($a0)\nx: addu $t1, $t0, $t0");
  assert.deepEqual([...p.text], [LW_T0, NOP, ADDU_T1_T0]);
  assert.equal(p.symbols.x, 8);
});

Deno.test("assemble under .set reorder lets LWL/LWR merge and a rewrite go without a nop", () => {
  // (A load last in the text gets a nop after it: the end is "unknown", as for GNU as.)
  assert.deepEqual(ops("lwr $t0, 0($a0); lwl $t0, 3($a0)"), ["lwr", "lwl", "nop"]);
  assert.deepEqual(ops("lw $t0, 0($a0); lwl $t0, 3($a1)"), ["lw", "lwl", "nop"]);
  assert.deepEqual(ops("mfc0 $t0, $status; lwr $t0, 0($a1)"), ["mfc0", "lwr", "nop"]);
  assert.deepEqual(ops("lw $t0, 0($a0); lwl $t0, 3($t0)"), ["lw", "nop", "lwl", "nop"]);
  assert.deepEqual(ops("lw $t0, 0($a0); lw $t0, 4($a0)"), ["lw", "lw", "nop"]);
  assert.deepEqual(ops("lw $t0, 0($a0); addu $t0, $t1, $t1"), ["lw", "addu"]);
  assert.deepEqual(ops("lw $zero, 0($a0); addu $t1, $zero, $zero"), ["lw", "addu"]);
  assert.deepEqual(ops("mfc0 $t0, $status; mfc0 $t1, $cause; nop"), ["mfc0", "mfc0", "nop"]);
});

Deno.test("assemble under .set reorder pads MTC0 before another CP0 move, as GNU as does", () => {
  assert.deepEqual(ops("mtc0 $t0, $status; mtc0 $t1, $cause; rfe"), [
    "mtc0",
    "nop",
    "mtc0",
    "rfe",
  ]);
  assert.deepEqual(ops("mtc0 $t0, $cause; mfc0 $t1, $status; nop"), ["mtc0", "nop", "mfc0", "nop"]);
  assert.deepEqual(ops("mtc0 $t0, $cause; addu $t1, $t2, $t2"), ["mtc0", "addu"]);
  assert.deepEqual(ops("mtc0 $t0, $epc; rfe"), ["mtc0", "rfe"]);
});

Deno.test("assemble under .set reorder also pads the CP0 hazards GNU as does not know", () => {
  for (const reg of ["$index", "$entrylo", "$entryhi"]) {
    for (const op of ["tlbr", "tlbwi", "tlbwr", "tlbp"]) {
      assert.deepEqual(ops(`mtc0 $t0, ${reg}; ${op}`), ["mtc0", "nop", op], `${reg} ${op}`);
    }
  }
  for (const [next, op] of [["sw $t1, 0($a0)", "sw"], ["rfe", "rfe"], ["hcall 1", "hcall"]]) {
    assert.deepEqual(ops(`mtc0 $t0, $status; ${next}`), ["mtc0", "nop", op], next);
  }
  assert.deepEqual(ops("mtc0 $t0, $status; lw $t1, 0($a0)"), ["mtc0", "nop", "lw", "nop"]);
  assert.deepEqual(ops("mtc0 $t0, $status; addu $t1, $t2, $t2"), ["mtc0", "addu"]);
  assert.deepEqual(
    ops("mtc0 $t0, $entryhi; sw $t1, 0($a0)"),
    ["mtc0", "sw"],
    "after EntryHi, a load or store is not a hazard the assembler can see",
  );
});

Deno.test("assemble under .set reorder assumes the worst before data, .align, a section and the end", () => {
  assert.deepEqual(words("lw $t0, 0($a0); .word 7"), [LW_T0, NOP, 7]);
  assert.deepEqual(words("lw $t0, 0($a0); .space 4"), [LW_T0, NOP, 0]);
  assert.deepEqual(words("mtc0 $t0, $status; .word 7"), [0x40886000, NOP, NOP, 7]);
  assert.deepEqual(words("lw $t0, 0($a0)"), [LW_T0, NOP]);
  assert.deepEqual(words("mtc0 $t0, $status"), [0x40886000, NOP, NOP]);
  assert.deepEqual(words("lw $t0, 0($a0); .align 2; addu $t1, $t2, $t2"), [LW_T0, NOP, ADDU_T1_T2]);
  assert.deepEqual(
    words("lw $t0, 0($a0)\n.data\n.word 1\n.text\naddu $t1, $t2, $t2"),
    [LW_T0, NOP, ADDU_T1_T2],
  );
  assert.deepEqual(words("addu $t1, $t2, $t2; .word 7"), [ADDU_T1_T2, 7]);
});

Deno.test("assemble pads a pair when either side is under .set reorder, and not otherwise", () => {
  assert.deepEqual(words("lw $t0, 0($a0)\n.set noreorder\naddu $t1, $t0, $t0\nnop"), [
    LW_T0,
    NOP,
    ADDU_T1_T0,
    NOP,
  ]);
  assert.deepEqual(words(".set noreorder\nlw $t0, 0($a0)\n.set reorder\naddu $t1, $t0, $t0"), [
    LW_T0,
    NOP,
    ADDU_T1_T0,
  ]);
  assert.deepEqual(words("lw $t0, 0($a0)\n.set noreorder\naddu $t1, $t2, $t2"), [
    LW_T0,
    ADDU_T1_T2,
  ]);
  const noreorder = assemble("lw $t0, 0($a0); addu $t1, $t0, $t0", {
    reorder: false,
    checkHazards: false,
  });
  assert.deepEqual([...noreorder.text], [LW_T0, ADDU_T1_T0]);
});

/** Expects `source` (under .set noreorder) to be refused at `line`, naming `first`. */
function refused(source: string, line: number, first: RegExp, what: RegExp) {
  assert.throws(
    () => assemble(".set noreorder\n" + source),
    (e: unknown) => {
      assert.ok(e instanceof AsmError, String(e));
      assert.equal(e.line, line + 1, e.message);
      assert.match(e.message, first);
      assert.match(e.message, what);
      return true;
    },
    source,
  );
}

Deno.test("assemble under .set noreorder refuses a load-use hazard, naming both instructions", () => {
  refused(
    "lw $t0, 0($a0)\naddu $t1, $t0, $t0",
    2,
    /"lw \$t0, 0\(\$a0\)" \(line 2\)/,
    /load-use hazard: \$t0 .*put an instruction or a nop between them in "addu \$t1, \$t0, \$t0"$/,
  );
  refused("mfc0 $k0, $epc\njr $k0\nrfe", 2, /"mfc0 \$k0, \$epc"/, /load-use hazard: \$k0/);
  refused("lb $t0, 0($a0)\nsw $t0, 0($a1)", 2, /"lb/, /load-use/);
  refused("lw $t0, 0($a0)\nlwl $t0, 3($t0)", 2, /"lw/, /load-use/);
  const err = (() => {
    try {
      assemble(".set noreorder\n  lw $t0, 0($a0)\n  addu $t1, $t0, $t0");
    } catch (e) {
      return e as AsmError;
    }
  })();
  assert.equal(err?.column, 3);
  for (
    const ok of [
      "lwr $t0, 0($a0)\nlwl $t0, 3($a0)",
      "lw $t0, 0($a0)\nnop\naddu $t1, $t0, $t0",
      "lw $t0, 0($a0)\naddu $t0, $t1, $t1",
      "lw $t0, 0($a0)\n.word 0x01084821", // data is never checked
      "lw $t2, 0($a0)\nlw $t2, 4($a0)\njr $t2\nnop", // the second load's delay, on purpose
    ]
  ) {
    assert.doesNotThrow(() => assemble(".set noreorder\n" + ok), ok);
  }
  assert.doesNotThrow(() =>
    assemble(".set noreorder\nlw $t0, 0($a0)\naddu $t1, $t0, $t0", { checkHazards: false })
  );
});

Deno.test("assemble under .set noreorder refuses MTC0 to a TLB register right before a TLB op", () => {
  for (
    const [reg, name] of [["$index", "Index"], ["$entrylo", "EntryLo"], ["$entryhi", "EntryHi"]]
  ) {
    for (const op of ["tlbr", "tlbwi", "tlbwr", "tlbp"]) {
      refused(
        `mtc0 $t0, ${reg}\n${op}`,
        2,
        new RegExp(`"mtc0 \\$t0, \\${reg}" \\(line 2\\)`),
        new RegExp(`CP0 hazard: ${op} .*old ${name}`),
      );
    }
  }
  assert.doesNotThrow(() => assemble(".set noreorder\nmtc0 $t0, $entryhi\nnop\ntlbwi"));
  assert.doesNotThrow(() => assemble(".set noreorder\nmtc0 $t0, $epc\ntlbwi"));
});

Deno.test("assemble under .set noreorder refuses what depends on Status right after MTC0 to it", () => {
  for (
    const next of [
      "lw $t1, 0($a0)",
      "sb $t1, 0($a0)",
      "lwl $t1, 0($a0)",
      "mfc0 $t1, $status",
      "mtc0 $t1, $entryhi",
      "tlbwr",
      "rfe",
      "hcall 1",
    ]
  ) {
    refused(`mtc0 $t0, $status\n${next}`, 2, /"mtc0 \$t0, \$status"/, /depends on Status/);
  }
  for (const next of ["addu $t1, $t2, $t2", "jr $ra\nnop", "b 0\nnop", "syscall", "mthi $t0"]) {
    assert.doesNotThrow(() => assemble(".set noreorder\nmtc0 $t0, $status\n" + next), next);
  }
});

Deno.test("assemble checks a delay slot against what runs after it, its branch's target too", () => {
  // A conditional branch falls through: the next instruction runs after the slot.
  refused("beqz $a0, 1f\nlw $t0, 0($a0)\naddu $t1, $t0, $t0\n1: nop", 3, /"lw/, /load-use/);
  // After the slot of a jump or an always-taken branch the next instruction does not run next.
  for (const jump of ["jr $ra", "j 0x100", "b 0x100", "jal 0x100", "jalr $t9", "bal 0x100"]) {
    assert.doesNotThrow(
      () => assemble(`.set noreorder\n${jump}\nlw $t0, 0($a0)\naddu $t1, $t0, $t0`),
      jump,
    );
  }
  // The target of a direct branch is checked; the message says the slot's branch.
  refused(
    "b x\nlw $t0, 0($a0)\nnop\nx: addu $t1, $t0, $t0",
    4,
    /"lw \$t0, 0\(\$a0\)" \(line 3, in the delay slot of the branch on line 2 to here\)/,
    /move it out of the delay slot or put a nop here/,
  );
  refused("x: addu $t1, $t0, $t0\nbnez $a1, x\nmfc0 $t0, $epc", 1, /"mfc0/, /delay slot/);
  // A jr's target is unknown: not checked.
  assert.doesNotThrow(() => assemble(".set noreorder\njr $t9\nlw $t9, 0($a0)\nnop"));
});

const GAS = "mipsel-linux-gnu-as";
const hasGas = (() => {
  try {
    return new Deno.Command(GAS, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** Sources both assemblers take, covering every reorder rule; GNU as pads them the same. */
const CORPUS = `
        .text
a1:     lw $t0, 0($a0)
        addu $t1, $t0, $t0
a2:     lw $t0, 0($a0)
        addu $t1, $t2, $t2
a3:     lw $t0, 0($a0)
x3:     addu $t1, $t0, $t2
a4:     lw $t0, 0($a0)
        lwl $t0, 3($a0)
a5:     lwr $t0, 0($a0)
        lwl $t0, 3($a0)
a6:     lw $t0, 0($a0)
        lw $t0, 4($a0)
a7:     mfc0 $t0, $12
        addu $t1, $t0, $t0
a8:     mfc0 $t0, $12
        mfc0 $t1, $13
a9:     mtc0 $t0, $12
        mtc0 $t1, $13
a10:    mtc0 $t0, $12
        mfc0 $t1, $13
a11:    mtc0 $t0, $12
        addu $t1, $t2, $t2
a12:    lw $t0, 0($a0)
        jr $t0
a13:    lw $t0, 0($a0)
        beq $t0, $0, a13
a14:    lw $t0, 0($a0)
        sw $t0, 0($a1)
a15:    lw $t0, 0($a0)
        addu $t0, $t1, $t1
a16:    lb $t0, 0($a0)
        lw $t1, 0($t0)
a17:    mfc0 $t0, $12
        mtc0 $t0, $14
a18:    lw $t0, 0($a0)
        mult $t0, $t1
a19:    lw $ra, 0($sp)
        jr $ra
a20:    lw $t0, 0($a0)
        .set noreorder
        addu $t1,$t0,$t0
        .set reorder
a21:    lw $t0, 0($a0)
        .set noreorder
        addu $t1,$t2,$t2
        .set reorder
a22:    .set noreorder
        lw $t0, 0($a0)
        .set reorder
        addu $t1, $t0, $t0
a23:    lw $t0, 0($a0)
        nop
a24:    lw $t0, 0($a0)
        .word 0
a25:    mtc0 $t0, $12
        .word 7
a26:    lw $t0, 0($a0)
        .align 3
        nop
a27:    lw $t0, 0($a0)
        .data
        .word 1
        .text
        addu $t1, $t2, $t2
a28:    lw $t0, 0($a0)
        lwl $t0, 3($t0)
a29:    mfc0 $t0, $12
        lwr $t0, 0($a1)
a30:    lw $t0, 0($a0)
        li $t1, 0x12345678
a31:    lw $t0, 0($a0)
        li $t0, 0x12345678
a32:    lw $t1, 0($a0)
        lw $t0, 0x12345678($t1)
a33:    lbu $t0, 0($a0)
        bltz $t0, a33
a34:    lhu $t0, 0($a0)
        jalr $t0
a35:    lh $a0, 0($a0)
        syscall
a36:    lw $t0, 0($a0)
        mthi $t0
a37:    lw $t0, 0($a0)
        sll $t1, $t0, 2
a38:    lw $t0, 0($a0)
        .space 8
a39:    mtc0 $t0, $14
        rfe
a40:    lw $t0, 0($a0)
        la $t1, a40
a41:    lw $t0, 0($a0)
        move $t1, $t0
a42:    lw $t0, 0($a0)
        blt $t0, $t1, a42
a43:    lw $t0, 0($a0)
        b a43
a44:    lw $t0, 0($a0)
        .ascii "abcd"
a45:    lw $t0, 0($a0)
        .half 1, 2
a46:    jal a46
        lw $t0, 0($a0)
a47:    mfc0 $t0, $12
`;

Deno.test({
  name: "assemble under .set reorder gives GNU as's words for MIPS I, word for word",
  ignore: !hasGas,
  fn() {
    const dir = Deno.makeTempDirSync({ prefix: "exolab-gas-" });
    try {
      Deno.writeTextFileSync(`${dir}/c.s`, CORPUS);
      const as = new Deno.Command(GAS, {
        args: ["-O1", "-march=r3000", "-mabi=32", "-o", `${dir}/c.o`, `${dir}/c.s`],
      }).outputSync();
      assert.ok(as.success, new TextDecoder().decode(as.stderr));
      const copy = new Deno.Command("mipsel-linux-gnu-objcopy", {
        args: ["-O", "binary", "-j", ".text", `${dir}/c.o`, `${dir}/c.bin`],
      }).outputSync();
      assert.ok(copy.success, new TextDecoder().decode(copy.stderr));
      const bytes = Deno.readFileSync(`${dir}/c.bin`);
      const gas = [...new Uint32Array(bytes.buffer, 0, bytes.length >> 2)];
      const ours = [...assemble(CORPUS).text];
      // GNU as pads the section to 16 bytes with zeros; the rest must agree word for word.
      assert.ok(gas.length >= ours.length && gas.length - ours.length < 4);
      assert.ok(gas.slice(ours.length).every((w) => w === 0));
      for (let i = 0; i < ours.length; i++) {
        assert.equal(
          disassemble(ours[i], i * 4),
          disassemble(gas[i], i * 4),
          `word ${i} (0x${(i * 4).toString(16)})`,
        );
      }
      assert.deepEqual(ours, gas.slice(0, ours.length));
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
