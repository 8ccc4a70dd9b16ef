/**
 * The board: the PROM entry convention and callbacks, the run loop's stop reasons, bus errors
 * for the holes in the KN02 map, and the clock interrupt arriving in emulated time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { CP0, EXC } from "../../machine/cp0.ts";
import { DECstation } from "../../machine/decstation.ts";
import { REX_MAGIC } from "../../machine/prom.ts";

const ORIGIN = 0x80030000;

/** A machine running `source` (assembled at ORIGIN) entered as the PROM enters a program. */
function boot(source: ReturnType<typeof asm>, argv?: string[]): DECstation {
  const m = new DECstation({ epoch: new Date(Date.UTC(2026, 0, 1)) });
  const p = source.at(ORIGIN);
  m.bus.ram32.set(p.text, (ORIGIN & 0x1fffffff) >>> 2);
  m.bus.ram8.set(p.data, p.dataOrigin & 0x1fffffff);
  m.loadProgram(p.entry, argv);
  return m;
}

/** Calls PROM callback `slot` with the o32 convention; the vector is in $s7. */
const call = (slot: number) =>
  asm`
        lw      $t9, ${slot}($s7)
        nop
        jalr    $t9
        nop`;

Deno.test("DECstation enters a program with argc, argv, the REX magic and the callback vector", () => {
  const m = boot(
    asm`
        .set noreorder
_start: move    $s0, $a0
        move    $s1, $a1
        move    $s2, $a2
        move    $s7, $a3
        break
`,
    ["prog", "one", "two"],
  );
  m.run({ maxInstructions: 100 });
  const r = m.cpu.regs;
  assert.equal(r[16], 3);
  assert.equal(r[18], REX_MAGIC);
  assert.equal(m.prom.readString(m.cpu.readVirtual(r[17] + 4)), "one");
  assert.equal(m.cpu.readVirtual(r[17] + 12), 0);
  assert.equal(r[23] >>> 0, m.prom.callbackVector >>> 0);
});

Deno.test("DECstation PROM printf formats widths, zero padding and stack arguments", async () => {
  const m = boot(asm`
        .set noreorder
_start: move    $s7, $a3
        addiu   $sp, $sp, -32
        la      $a0, fmt
        li      $a1, -42
        li      $a2, 0xbeef
        la      $a3, str
        li      $t0, 65
        sw      $t0, 16($sp)
        li      $t0, 7
        sw      $t0, 20($sp)
        ${call(0x30)}
        ${call(0x9c)}
        .data
fmt:    .asciiz "[%5d] [%08x] [%-4s] [%c] [%03u] [%%]\\n"
str:    .asciiz "ab"
`);
  const r = m.run({ maxInstructions: 10_000 });
  assert.equal(r.reason, "halt");
  assert.equal(m.halted?.status, 0);
  assert.equal(m.console.text, "[  -42] [0000beef] [ab  ] [A] [007] [%]\n");
  await m.console.flush();
  assert.equal(m.console.lines[0], "[  -42] [0000beef] [ab  ] [A] [007] [%]");
});

Deno.test("DECstation PROM getchar waits for input and the run resumes where it left off", () => {
  const m = boot(asm`
        .set noreorder
_start: move    $s7, $a3
        ${call(0x24)}
        move    $s0, $v0
        ${call(0x24)}
        move    $s1, $v0
        ${call(0x9c)}
`);
  assert.equal(m.run({ maxInstructions: 10_000 }).reason, "input");
  m.console.type("x");
  assert.equal(m.run({ maxInstructions: 10_000 }).reason, "input");
  m.console.type("y");
  assert.equal(m.run({ maxInstructions: 10_000 }).reason, "halt");
  assert.equal(m.cpu.regs[16], 0x78);
  assert.equal(m.cpu.regs[17], 0x79);
});

Deno.test("DECstation PROM getsysid, getenv and getbitmap answer as a 5000/200's do", () => {
  const m = boot(asm`
        .set noreorder
_start: move    $s7, $a3
        ${call(0x80)}
        move    $s0, $v0
        la      $a0, name
        ${call(0x64)}
        move    $s1, $v0
        la      $a0, map
        ${call(0x84)}
        move    $s2, $v0
        break
        .data
name:   .asciiz "console"
        .align 2
map:    .space 15364
`);
  m.run({ maxInstructions: 10_000 });
  const r = m.cpu.regs;
  assert.equal(r[16] >>> 0, 0x82020300);
  assert.equal(m.prom.readString(r[17]), "3");
  assert.equal(r[18], 15360);
  const map = m.cpu.readVirtual(m.cpu.regs[4], 4);
  assert.equal(map, 4096);
  const bitmap = m.cpu.regs[4] + 4;
  assert.equal(m.cpu.readVirtual(bitmap + 1023, 1), 0xff); // the last of 8192 pages of 32 MB
  assert.equal(m.cpu.readVirtual(bitmap + 1024, 1), 0); // beyond RAM
});

Deno.test("DECstation run stops at a breakpoint, after N instructions, and after N cycles", () => {
  const src = asm`
        .set noreorder
_start: li      $t0, 0
loop:   addiu   $t0, $t0, 1
        b       loop
        nop
`;
  const m = boot(src);
  const p = src.at(ORIGIN);
  const r1 = m.run({ until: p.symbols.loop });
  assert.equal(r1.reason, "breakpoint");
  assert.equal(m.cpu.pc, p.symbols.loop);
  const r2 = m.run({ maxInstructions: 30 });
  assert.deepEqual([r2.reason, r2.instructions], ["instructions", 30]);
  const r3 = m.run({ maxCycles: 50 });
  assert.equal(r3.reason, "cycles");
  assert.ok(r3.cycles >= 50);
});

Deno.test("DECstation raises DBE for an access to a hole in the physical map", () => {
  const m = boot(asm`
        .set noreorder
_start: lui     $t0, 0xbe00          # kseg1 0x1e000000: TURBOchannel slot 0, empty
        lw      $t1, 0($t0)
        nop
`);
  const r = m.run({ maxInstructions: 10_000 });
  assert.equal(r.reason, "halt");
  assert.equal(m.halted?.status, 3);
  assert.equal((m.cpu.cp0[CP0.Cause] >>> 2) & 31, EXC.DBE);
  assert.match(m.console.text, /unexpected exception DBE at EPC 0x80030004/);
});

Deno.test("DECstation clock interrupt arrives at the programmed rate in emulated time", () => {
  // RS = 6: 1024 Hz. Count interrupts for 100 ms of emulated time with a handler at the
  // general vector that acknowledges by reading register C.
  const handler = asm`
        .set noreorder
        lui     $k0, 0xbfe8
        lw      $k1, 48($k0)         # register C, acknowledges
        mfc0    $k0, $epc
        addiu   $s0, $s0, 1
        jr      $k0
        rfe
`.at(0x80000080);
  const m = boot(asm`
        .set noreorder
_start: li      $s0, 0
        lui     $t0, 0xbfe8
        li      $t1, 0x26            # A: divider on, RS = 6
        sw      $t1, 40($t0)
        li      $t1, 0x46            # B: PIE, binary, 24 h
        sw      $t1, 44($t0)
        li      $t1, 0x0801          # IM3 (IP3) and IEc, BEV clear
        mtc0    $t1, $status
spin:   b       spin
        nop
`);
  m.bus.ram32.set(handler.text, 0x80 >>> 2);
  m.run({ maxCycles: 2_500_000 });
  const count = m.cpu.regs[16];
  assert.ok(count >= 101 && count <= 103, `expected about 102 interrupts in 100 ms, got ${count}`);
  assert.equal(m.cpu.exceptionCounts[EXC.Int], count);
});

Deno.test("DECstation PROM given a bad pointer halts the program with a message, not the host", () => {
  const m = boot(asm`
        .set noreorder
_start: move    $s7, $a3
        li      $a0, 0
        ${call(0x30)}
        break
`);
  const r = m.run({ maxInstructions: 1000 });
  assert.equal(r.reason, "halt");
  assert.equal(m.halted?.status, 3);
  assert.match(m.console.text, /PROM: printf was given a bad address: Virtual address 0x00000000/);
});
