/**
 * Tests for machine/asm: encodings (expected words derived once from GNU as 2.40 with
 * `mipsel-linux-gnu-as -march=r3000 -EL` and hard-coded here), pseudo-instructions, directives,
 * labels, errors, the asm tag and the disassembler's text.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  asm,
  AsmError,
  AsmSource,
  assemble,
  decode,
  disassemble,
  disassembleRange,
  INSTRUCTION_BY_NAME,
  programImage,
} from "../../machine/asm/mod.ts";

/** Text words of `source` assembled with `.set noreorder` at `origin`. */
function words(source: string, origin = 0, symbols?: Record<string, number>): number[] {
  return [...assemble(source, { origin, symbols, reorder: false }).text];
}

function hexes(ws: ArrayLike<number>): string[] {
  return Array.from(ws, (w) => "0x" + (w >>> 0).toString(16).padStart(8, "0"));
}

/** Every MIPS I instruction form and the word GNU as produces for it. */
const FORMS: [string, number][] = [
  ["add $t0, $t1, $t2", 0x012a4020],
  ["addu $v0, $a0, $a1", 0x00851021],
  ["sub $s0, $s1, $s2", 0x02328022],
  ["subu $sp, $sp, $t9", 0x03b9e823],
  ["and $a0, $a1, $a2", 0x00a62024],
  ["or $k0, $k1, $gp", 0x037cd025],
  ["xor $t3, $t4, $t5", 0x018d5826],
  ["nor $t6, $t7, $t8", 0x01f87027],
  ["slt $v1, $a3, $s8", 0x00fe182a],
  ["sltu $ra, $fp, $at", 0x03c1f82b],
  ["addi $t0, $t1, -32768", 0x21288000],
  ["addiu $sp, $sp, 32767", 0x27bd7fff],
  ["slti $a0, $a1, -1", 0x28a4ffff],
  ["sltiu $a0, $a1, 100", 0x2ca40064],
  ["andi $t0, $t1, 0xffff", 0x3128ffff],
  ["ori $t0, $t1, 0x8001", 0x35288001],
  ["xori $t0, $t1, 0x1234", 0x39281234],
  ["lui $gp, 0xbfc0", 0x3c1cbfc0],
  ["sll $t0, $t1, 31", 0x000947c0],
  ["srl $t0, $t1, 1", 0x00094042],
  ["sra $t0, $t1, 16", 0x00094403],
  ["sllv $t0, $t1, $t2", 0x01494004],
  ["srlv $t0, $t1, $t2", 0x01494006],
  ["srav $t0, $t1, $t2", 0x01494007],
  ["mult $a0, $a1", 0x00850018],
  ["multu $a0, $a1", 0x00850019],
  ["mfhi $v0", 0x00001010],
  ["mflo $v1", 0x00001812],
  ["mthi $s0", 0x02000011],
  ["mtlo $s1", 0x02200013],
  ["jr $ra", 0x03e00008],
  ["jalr $t9", 0x0320f809],
  ["jalr $s0, $t9", 0x03208009],
  ["lb $t0, -1($sp)", 0x83a8ffff],
  ["lbu $t0, 0($a0)", 0x90880000],
  ["lh $t0, 2($a0)", 0x84880002],
  ["lhu $t0, 0x7ffe($a0)", 0x94887ffe],
  ["lw $t0, -32768($a0)", 0x8c888000],
  ["lwl $t0, 3($a0)", 0x88880003],
  ["lwr $t0, 0($a0)", 0x98880000],
  ["sb $t0, 1($a0)", 0xa0880001],
  ["sh $t0, 2($a0)", 0xa4880002],
  ["sw $ra, 28($sp)", 0xafbf001c],
  ["swl $t0, 3($a0)", 0xa8880003],
  ["swr $t0, ($a0)", 0xb8880000],
  ["syscall", 0x0000000c],
  ["syscall 0xfffff", 0x03ffffcc],
  ["break", 0x0000000d],
  ["break 1023", 0x03ff000d],
  ["break 1, 2", 0x0001008d],
  ["mfc0 $k0, $13", 0x401a6800],
  ["mtc0 $zero, $12", 0x40806000],
  ["tlbr", 0x42000001],
  ["tlbwi", 0x42000002],
  ["tlbwr", 0x42000006],
  ["tlbp", 0x42000008],
  ["rfe", 0x42000010],
  ["sll $zero, $zero, 0", 0x00000000],
];

Deno.test("assemble encodes every MIPS I instruction form as GNU as does", () => {
  for (const [source, word] of FORMS) {
    assert.deepEqual(hexes(words(source)), hexes([word]), source);
  }
  const covered = new Set(FORMS.map(([s]) => s.split(" ")[0]));
  for (const name of INSTRUCTION_BY_NAME.keys()) {
    if (
      ![
        "beq",
        "bne",
        "blez",
        "bgtz",
        "bltz",
        "bgez",
        "bltzal",
        "bgezal",
        "j",
        "jal",
        "div",
        "divu",
        "hcall",
      ].includes(name)
    ) {
      assert.ok(covered.has(name), `no encoding test for ${name}`);
    }
  }
});

Deno.test("assemble encodes branches and jumps to labels relative to their pc", () => {
  const source = `
start: beq $a0, $a1, start
  bne $a0, $zero, fwd
  blez $a0, start
  bgtz $a0, fwd
  bltz $a0, start
  bgez $a0, fwd
  bltzal $a0, start
  bgezal $a0, fwd
  j start
  jal fwd
fwd: nop`;
  assert.deepEqual(
    hexes(words(source, 0x80001000)),
    hexes([
      0x1085ffff,
      0x14800008,
      0x1880fffd,
      0x1c800006,
      0x0480fffb,
      0x04810004,
      0x0490fff9,
      0x04910002,
      0x08000400,
      0x0c00040a,
      0x00000000,
    ]),
  );
});

Deno.test("assemble accepts absolute numeric branch and jump targets", () => {
  assert.deepEqual(hexes(words("beq $a0, $a1, 0x80001000", 0x80001000)), hexes([0x1085ffff]));
  assert.deepEqual(hexes(words("b 0x7fff0004", 0x7fff0000)), hexes([0x10000000]));
  assert.deepEqual(hexes(words("j 0x80001000", 0x80001020)), hexes([0x08000400]));
  // A branch may reach across address zero; the CPU adds modulo 2^32.
  assert.deepEqual(hexes(words("b 0xfffffffc", 0)), hexes([0x1000fffe]));
});

Deno.test("assemble encodes hcall, div, divu and CP0 register names", () => {
  assert.deepEqual(hexes(words("hcall 0x12345")), hexes([0x12345 << 6 | 0x28]));
  assert.deepEqual(hexes(words("hcall")), hexes([0x28]));
  assert.deepEqual(hexes(words("div $t0, $t1")), hexes([0x0109001a]));
  assert.deepEqual(hexes(words("divu $zero, $t0, $t1")), hexes([0x0109001b]));
  assert.deepEqual(
    hexes(words("mfc0 $k0, $cause; mtc0 $t1, $entryhi; mfc0 $t0, $epc; mtc0 $zero, $status")),
    hexes([0x401a6800, 0x40895000, 0x40087000, 0x40806000]),
  );
  const names = ["index", "random", "entrylo", "context", "badvaddr", "entryhi", "prid"];
  const numbers = [0, 1, 2, 4, 8, 10, 15];
  names.forEach((n, i) => assert.equal(words(`mfc0 $t0, $${n}`)[0], 0x40080000 | numbers[i] << 11));
  assert.deepEqual(words("addu $30, $s8, $fp"), words("addu $fp, $fp, $fp"));
});

Deno.test("assemble expands pseudo-instructions as GNU as does", () => {
  const source = `
start:
  li $t0, 0
  li $t0, 32767
  li $t0, -32768
  li $t0, 0xffff
  li $t0, 0x10000
  li $t0, 0xffff0000
  li $t0, 0x12345678
  li $t0, -32769
  li $t0, 0xffffffff
  la $a0, msg
  la $a0, msg+0x7ff0
  move $s0, $a0
  not $t0, $t1
  neg $t0, $t1
  negu $t0, $t1
  b start
  bal fwd
  beqz $t0, start
  bnez $t0, fwd
  blt $t0, $t1, start
  bgt $t0, $t1, start
  ble $t0, $t1, fwd
  bge $t0, $t1, fwd
  bltu $t0, $t1, start
  bgtu $t0, $t1, start
  bleu $t0, $t1, fwd
  bgeu $t0, $t1, fwd
  blt $t0, $zero, start
  bgt $t0, $zero, start
  ble $t0, $zero, fwd
  bge $t0, $zero, fwd
  blt $t0, 10, start
  bgt $t0, 10, start
  ble $t0, 10, fwd
  bge $t0, 10, fwd
  bltu $t0, 10, start
  bgeu $t0, 10, fwd
  addu $t0, $t1, 100
  subu $sp, $sp, 32
  addu $t0, $t1
  andi $t0, 0xff
  sll $t0, 4
  j $ra
  jal $t9
  lui $t0, %hi(msg)
  addiu $t0, $t0, %lo(msg)
  lw $t1, %lo(msg)($t0)
fwd: nop`;
  const expected = [
    0x24080000,
    0x24087fff,
    0x24088000,
    0x3408ffff,
    0x3c080001,
    0x3c08ffff,
    0x3c081234,
    0x35085678,
    0x3c08ffff,
    0x35087fff,
    0x2408ffff,
    0x3c048001,
    0x24849104,
    0x3c048001,
    0x248410f4,
    0x00808025,
    0x01204027,
    0x00094022,
    0x00094023,
    0x1000ffec,
    0x0411002c,
    0x1100ffea,
    0x1500002a,
    0x0109082a,
    0x1420ffe7,
    0x0128082a,
    0x1420ffe5,
    0x0128082a,
    0x10200024,
    0x0109082a,
    0x10200022,
    0x0109082b,
    0x1420ffdf,
    0x0128082b,
    0x1420ffdd,
    0x0128082b,
    0x1020001c,
    0x0109082b,
    0x1020001a,
    0x0500ffd8,
    0x1d00ffd7,
    0x19000017,
    0x05010016,
    0x2901000a,
    0x1420ffd3,
    0x2901000b,
    0x1020ffd1,
    0x2901000b,
    0x14200010,
    0x2901000a,
    0x1020000e,
    0x2d01000a,
    0x1420ffcb,
    0x2d01000a,
    0x1020000a,
    0x25280064,
    0x27bdffe0,
    0x01094021,
    0x310800ff,
    0x00084100,
    0x03e00008,
    0x0320f809,
    0x3c088001,
    0x25089104,
    0x8d099104,
    0x00000000,
  ];
  assert.deepEqual(hexes(words(source, 0x80001000, { msg: 0x80009104 })), hexes(expected));
});

Deno.test("assemble sizes li by its value and expands loads and stores with large offsets", () => {
  // A li of a label or a later constant is always lui+ori, whatever the value turns out to be.
  assert.deepEqual(
    hexes(words("li $t0, later\nli $t1, here\nhere: .equ later, 5")),
    hexes([0x3c080000, 0x35080005, 0x3c090000, 0x35290010]),
  );
  assert.deepEqual(hexes(words(".equ early, 5\nli $t0, early")), hexes([0x24080005]));
  assert.deepEqual(hexes(words("lw $t0, 16")), hexes([0x8c080010]));
  assert.deepEqual(hexes(words("lbu $t1, x", 0, { x: 0x1234 })), hexes([0x90091234]));
  // Larger or relocatable offsets expand as GNU as does: whole-register loads build the
  // address in their own target, everything else in $at.
  const source = `
    lw $t0, 0x12348000($t1)
    sb $t2, 0x10000($a0)
    lw $t0, 0x12348000
    sh $t0, -40000($zero)
    lw $t1, 0x12348000($t1)
    lwl $t1, 0x12348000($t2)
    lbu $zero, 0x10000
    lhu $v0, table($a0)
    lb $v0, table
    sw $ra, table($sp)
table: nop`;
  assert.deepEqual(
    hexes(words(source)),
    hexes([
      0x3c081235,
      0x01094021,
      0x8d088000,
      0x3c010001,
      0x00240821,
      0xa02a0000,
      0x3c081235,
      0x8d088000,
      0x3c01ffff,
      0xa42863c0,
      0x3c011235,
      0x00290821,
      0x8c298000,
      0x3c011235,
      0x002a0821,
      0x88298000,
      0x3c010001,
      0x90200000,
      0x3c020000,
      0x00441021,
      0x94420068,
      0x3c020000,
      0x80420068,
      0x3c010000,
      0x003d0821,
      0xac3f0068,
      0x00000000,
    ]),
  );
});

Deno.test("assemble adjusts %hi for a negative %lo", () => {
  const p = assemble(
    `lui $t0, %hi(sym)
     addiu $t0, $t0, %lo(sym)
     lui $t1, %hi(0x12347fff)
     ori $t1, $t1, %lo(0x12347fff)
     la $t2, 0xffffffff`,
    { symbols: { sym: 0x8001_8000 } },
  );
  assert.deepEqual(
    hexes(p.text),
    hexes([0x3c088002, 0x25088000, 0x3c091234, 0x35297fff, 0x3c0a0000, 0x254affff]),
  );
  // lui hi; addiu lo rebuilds the address for every sign of lo.
  for (const v of [0x80018000, 0x80017fff, 0x7fff8000, 0xffff8000, 0x8000]) {
    const [hi, lo] = words(`lui $t0, %hi(${v}); addiu $t0, $t0, %lo(${v})`);
    assert.equal(((hi & 0xffff) * 0x10000 + ((lo << 16) >> 16)) >>> 0, v);
  }
});

Deno.test("assemble resolves numeric local labels backward and forward", () => {
  const source = `
1:  addiu $t0, $t0, -1
    bnez $t0, 1b
    nop
    b 1f
    nop
1:  b 1b
2:  b 2b
    nop`;
  assert.deepEqual(
    hexes(words(source, 0x1000)),
    hexes([0x2508ffff, 0x1500fffe, 0, 0x10000001, 0, 0x1000ffff, 0x1000ffff, 0]),
  );
  assert.deepEqual(Object.keys(assemble(source).symbols), []);
});

Deno.test("assemble appends a nop after branches under .set reorder, the default", () => {
  const source = `addiu $t0, $t0, 1
    beq $t0, $t1, out
    jr $ra
    blt $t0, $t1, out
out: addu $t1, $t0, $t0`;
  const expected = [
    0x25080001,
    0x11090006,
    0,
    0x03e00008,
    0,
    0x0109082a,
    0x14200001,
    0,
    0x01084821,
  ];
  assert.deepEqual(hexes(assemble(source).text), hexes(expected));
  assert.deepEqual(
    hexes(assemble(".set reorder\n" + source, { reorder: false }).text),
    hexes(expected),
  );
  assert.equal(assemble(".set noreorder\n" + source).text.length, 6);
  assert.equal(assemble(source, { reorder: false }).text.length, 6);
  // .set noat, .ent, .end, .globl and friends are accepted and change nothing.
  const quiet = assemble(".set noat\n.globl f\n.ent f\nf: .set at\n.end f\nnop");
  assert.deepEqual([...quiet.text], [0]);
});

Deno.test("assemble lays out data directives as GNU as does", () => {
  const source = `
.set noreorder
.text
start: la $t0, w1
  la $t1, s1
  la $t2, end
  jr $ra
  nop
.data
b1: .byte 1, 2, -1, 255, 'a'
w1: .word 0x12345678, start, -1
h1: .half 1, -2, 0xffff
s1: .ascii "ab\\n", "c"
s2: .asciiz "xy\\t\\x41\\101\\\\\\""
.align 3
a8: .byte 7
    .space 5, 0xee
    .space 2
end: .word end - b1, (1 << 4) | 3, ~0, 7 * 6 / 4, 0x80000000 >> 4
`;
  const p = assemble(source, { origin: 0x80001000 });
  assert.equal(p.dataOrigin, 0x80001020);
  assert.deepEqual(
    hexes(p.text),
    hexes([0x3c088000, 0x25081028, 0x3c098000, 0x2529103a, 0x3c0a8000, 0x254a1050, 0x03e00008, 0]),
  );
  const gnu = "0102ffff610000007856341200100080ffffffff0100feffffff61620a637879094141" +
    "5c2200000007eeeeeeeeee00003000000013000000ffffffff0a00000000000008";
  assert.equal(Array.from(p.data, (b) => b.toString(16).padStart(2, "0")).join(""), gnu);
  assert.deepEqual(p.symbols, {
    start: 0x80001000,
    b1: 0x80001020,
    w1: 0x80001028,
    h1: 0x80001034,
    s1: 0x8000103a,
    s2: 0x8000103e,
    a8: 0x80001048,
    end: 0x80001050,
  });
  assert.equal(p.entry, 0x80001000);
  assert.deepEqual([...p.lines], [4, 4, 5, 5, 6, 6, 7, 8]);
});

Deno.test("assemble places data at dataOrigin and reports symbols, equates and entry", () => {
  const p = assemble(
    `.equ COUNT, 3
     SIZE = COUNT * 4
     .set LIMIT, SIZE + base
     _start: li $t0, COUNT
     .data
     table: .space SIZE
     .word LIMIT`,
    { origin: 0x100, dataOrigin: 0x2000, symbols: { base: 0x40 } },
  );
  assert.equal(p.entry, 0x100);
  assert.equal(p.dataOrigin, 0x2000);
  assert.deepEqual(p.symbols, { COUNT: 3, SIZE: 12, LIMIT: 0x4c, _start: 0x100, table: 0x2000 });
  assert.deepEqual([...p.data.slice(12)], [0x4c, 0, 0, 0]);
  assert.equal(assemble("nop; start: nop", { origin: 8 }).entry, 12);
  assert.equal(assemble("nop", { origin: 8 }).entry, 8);
  // The source's own definitions take precedence over given symbols.
  assert.equal(assemble("x: nop", { origin: 4, symbols: { x: 99 } }).symbols.x, 4);
});

Deno.test("programImage joins text and data with zero padding", () => {
  const p = assemble("li $v0, 1\n.data\n.byte 9", { origin: 0x80030000 });
  assert.deepEqual([...programImage(p)], [1, 0, 2, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
  assert.throws(
    () => programImage(assemble("nop\n.data\n.byte 1", { origin: 0x1000, dataOrigin: 0 })),
    RangeError,
  );
});

/** Asserts that assembling `source` fails at `line`:`column` with a reason matching `reason`. */
function assertAsmError(
  source: string,
  line: number,
  column: number,
  reason: RegExp,
  text: string,
) {
  try {
    assemble(source);
  } catch (e) {
    assert.ok(e instanceof AsmError, String(e));
    assert.match(e.reason, reason, source);
    assert.deepEqual([e.line, e.column, e.text], [line, column, text], e.message);
    assert.equal(e.message, `line ${line}, column ${column}: ${e.reason} in "${text}"`);
    return;
  }
  assert.fail(`no error for ${source}`);
}

Deno.test("AsmError names line, column and text of each error", () => {
  assertAsmError(
    "nop\n  addu $t10, $t1, $t2",
    2,
    8,
    /^unknown register \$t10$/,
    "addu $t10, $t1, $t2",
  );
  assertAsmError("  fooo $t0", 1, 3, /^unknown mnemonic fooo$/, "fooo $t0");
  assertAsmError(
    "addiu $t0, $t0, 70000",
    1,
    17,
    /immediate 70000 out of range -32768\.\.32767/,
    "addiu $t0, $t0, 70000",
  );
  assertAsmError(
    "ori $t0, $t0, -1",
    1,
    15,
    /immediate -1 out of range 0\.\.65535/,
    "ori $t0, $t0, -1",
  );
  assertAsmError("sll $t0, $t1, 32", 1, 15, /shift 32 out of range 0\.\.31/, "sll $t0, $t1, 32");
  assertAsmError("break 1024", 1, 7, /code 1024 out of range 0\.\.1023/, "break 1024");
  assertAsmError(".byte 256", 1, 7, /value 256 out of range -128\.\.255/, ".byte 256");
  assertAsmError(
    "li $t0, 0x100000000",
    1,
    9,
    /value 4294967296 out of range/,
    "li $t0, 0x100000000",
  );
  assertAsmError(
    "nop\n  lw $t0, missing($sp)",
    2,
    11,
    /^undefined symbol missing$/,
    "lw $t0, missing($sp)",
  );
  assertAsmError("b 1f", 1, 3, /^undefined symbol 1f$/, "b 1f");
  assertAsmError("b 1b", 1, 3, /no local label 1: before 1b/, "b 1b");
  assertAsmError(
    ".set noreorder\nb far\n.space 0x20000\nfar: nop",
    2,
    3,
    /branch target 0x20004 is 32768 words from 0x4, beyond -32768\.\.32767/,
    "b far",
  );
  assert.equal(words("b far\n.space 0x1fffc\nfar: nop")[0], 0x10007fff);
  assert.equal(words("nop\n.space 0x1fff8\nb 0")[0x7fff], 0x10008000);
  assertAsmError(
    "beq $t0, $t1, 0x1002",
    1,
    15,
    /target 0x1002 is not word aligned/,
    "beq $t0, $t1, 0x1002",
  );
  assertAsmError(
    "j 0x10000000",
    1,
    3,
    /jump target 0x10000000 is outside the 256 MB region of 0x4/,
    "j 0x10000000",
  );
  assertAsmError("jal 6", 1, 5, /target 0x6 is not word aligned/, "jal 6");
  assertAsmError("x: nop\n x: nop", 2, 2, /symbol x is already defined on line 1/, "x: nop");
  assertAsmError("addu $t0", 1, 1, /addu takes 2 or 3 operands, got 1/, "addu $t0");
  assertAsmError("move $t0, 5", 1, 11, /expected a register, found 5/, "move $t0, 5");
  assertAsmError("lw $t0, 4($t99)", 1, 11, /unknown register \$t99/, "lw $t0, 4($t99)");
  assertAsmError("mfc0 $t0, $bogus", 1, 11, /unknown CP0 register \$bogus/, "mfc0 $t0, $bogus");
  assertAsmError(
    "addu $t0, $status, $t1",
    1,
    11,
    /unknown register \$status/,
    "addu $t0, $status, $t1",
  );
  assertAsmError(".foo 3", 1, 1, /unknown directive \.foo/, ".foo 3");
  assertAsmError(".set bogus", 1, 6, /unknown \.set option bogus/, ".set bogus");
  assertAsmError(".word 1 +", 1, 10, /expected an expression, found end of statement/, ".word 1 +");
  assertAsmError('.ascii "abc', 1, 8, /unterminated string/, '.ascii "abc');
  assertAsmError("addu $t0, $t1, @", 1, 16, /unexpected character "@"/, "addu $t0, $t1, @");
  assertAsmError(
    "div $t0, $t1, $t2",
    1,
    5,
    /div with a destination is a macro/,
    "div $t0, $t1, $t2",
  );
  assertAsmError(
    ".equ A, B\n.equ B, A\nli $t0, A",
    1,
    1,
    /symbol A is defined in terms of itself/,
    ".equ A, B",
  );
  assertAsmError(
    ".set noat\nsw $t0, 0x10000($t1)",
    2,
    1,
    /sw here expands through \$at, which \.set noat reserves/,
    "sw $t0, 0x10000($t1)",
  );
  assertAsmError(
    ".set noat\nbgt $t0, 5, 0",
    2,
    1,
    /bgt here expands through \$at/,
    "bgt $t0, 5, 0",
  );
  assert.equal(
    assemble(".set noat\nlw $k0, 0x80001234($k1)\n.set at\nblt $t0, $t1, 0").text.length,
    6,
  );
  assertAsmError(".space later\nlater: nop", 1, 8, /needs a constant/, ".space later");
  assertAsmError("nop; lw $t0, 3 / 0", 1, 14, /division by zero/, "lw $t0, 3 / 0");
  assert.throws(() => assemble("nop", { origin: 2 }), RangeError);
});

Deno.test("asm interpolates constants exactly and assembles at an origin", () => {
  const SYS = 0x12345, OFF = -8, REG = "$a1";
  const body = asm`lw ${REG}, ${OFF}($sp)`;
  const src = asm`
    .set noreorder
  _start:
    hcall ${SYS}
    addiu $sp, $sp, -${OFF}
    ${body}
    li $t0, ${0xdeadbeef}
    li $t1, ${-1}
    li $t2, ${10n}`;
  assert.ok(src instanceof AsmSource);
  assert.match(src.source, /hcall 74565\n/);
  assert.match(src.source, /addiu \$sp, \$sp, -\(-8\)/);
  assert.equal(String(src), src.source);
  const p = src.at(0x80030000);
  assert.equal(p.origin, 0x80030000);
  assert.equal(p.entry, 0x80030000);
  assert.deepEqual(
    hexes(p.text),
    hexes([
      0x12345 << 6 | 0x28,
      0x27bd0008,
      0x8fa5fff8,
      0x3c08dead,
      0x3508beef,
      0x2409ffff,
      0x240a000a,
    ]),
  );
  assert.equal(src.at(0, { dataOrigin: 0x400 }).dataOrigin, 0x400);
  assert.throws(() => asm`li $t0, ${1.5}`, TypeError);
});

Deno.test("disassemble prints GNU-like text with names and absolute targets", () => {
  const cases: [number, number, string][] = [
    [0x00000000, 0, "nop"],
    [0x1085ffff, 0x80001000, "beq $a0, $a1, 0x80001000"],
    [0x1000ffff, 0x80001000, "b 0x80001000"],
    [0x14800008, 0x80001004, "bnez $a0, 0x80001028"],
    [0x04110002, 0, "bal 0xc"],
    [0x0c00040a, 0x80001024, "jal 0x80001028"],
    [0x00a02025, 0, "move $a0, $a1"],
    [0x01204027, 0, "not $t0, $t1"],
    [0x00094022, 0, "neg $t0, $t1"],
    [0x2408fffb, 0, "li $t0, -5"],
    [0x34088000, 0, "li $t0, 0x8000"],
    [0x34080005, 0, "ori $t0, $zero, 0x5"],
    [0x3c1cbfc0, 0, "lui $gp, 0xbfc0"],
    [0x8fbf001c, 0, "lw $ra, 28($sp)"],
    [0x83a8ffff, 0, "lb $t0, -1($sp)"],
    [0x000947c0, 0, "sll $t0, $t1, 31"],
    [0x01494004, 0, "sllv $t0, $t1, $t2"],
    [0x0320f809, 0, "jalr $t9"],
    [0x03208009, 0, "jalr $s0, $t9"],
    [0x0109001a, 0, "div $t0, $t1"],
    [0x40086000, 0, "mfc0 $t0, $status"],
    [0x4089f800, 0, "mtc0 $t1, $31"],
    [0x42000010, 0, "rfe"],
    [0x0000000d, 0, "break"],
    [0x0007000d, 0, "break 0x7"],
    [0x000700cd, 0, "break 0x7, 0x3"],
    [0x0000014c, 0, "syscall 0x5"],
    [0x12345 << 6 | 0x28, 0, "hcall 0x12345"],
    [0xffffffff, 0, ".word 0xffffffff"],
    [0x00000001, 0, ".word 0x00000001"], // SPECIAL function 1 does not exist
    [0x00200000, 0, ".word 0x00200000"], // sll with rs set
    [0x03e00808, 0, ".word 0x03e00808"], // jr with rd set
    [0x0109081a, 0, ".word 0x0109081a"], // div with rd set
    [0x40086001, 0, ".word 0x40086001"], // mfc0 with low bits set
    [0x42000011, 0, ".word 0x42000011"], // unknown CP0 operation
    [0x04020000, 0, ".word 0x04020000"], // REGIMM selector 2
    [0xc4000000, 0, ".word 0xc4000000"], // lwc1: not in this machine's set
  ];
  for (const [w, pc, text] of cases) assert.equal(disassemble(w, pc), text, `0x${w.toString(16)}`);
  assert.equal(decode(0x0c00040a)?.name, "jal");
  assert.equal(decode(0x00000001), undefined);
});

Deno.test("disassemble names targets from a symbol table, and that text assembles back", () => {
  const symbols = { loop: 0x80001000, "bad name": 0x80001028, fwd: 0x80001028 };
  assert.equal(disassemble(0x1085ffff, 0x80001000, symbols), "beq $a0, $a1, loop");
  assert.equal(disassemble(0x0c00040a, 0x80001024, symbols), "jal fwd");
  assert.equal(disassemble(0x0c00040b, 0x80001024, symbols), "jal 0x8000102c");
  assert.deepEqual(words("jal fwd", 0x80001024, symbols), [0x0c00040a]);
});

Deno.test("disassembleRange prints address, word, symbol and text per word", () => {
  const p = assemble(".set noreorder\nmain: li $v0, 1\nloop: b loop\nnop", { origin: 0x80030000 });
  assert.deepEqual(disassembleRange(p.text, p.origin, p.symbols), [
    "80030000  24020001  <main> li $v0, 1",
    "80030004  1000ffff  <loop> b loop",
    "80030008  00000000  nop",
  ]);
});
