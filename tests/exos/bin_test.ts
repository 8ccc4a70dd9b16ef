/**
 * The /bin programs (guest/bin) on ExOS, driven as a user drives them: /bin/sh -c with pipelines,
 * redirections to the console, `;`, exit statuses and `$?`, its interactive prompt, and each
 * utility (echo, cat, wc, true, false, kill, sleep, ps) with its options and errors. Every run is
 * bounded by instructions; sleep is checked in emulated cycles, never in host time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { writeElf } from "../../machine/elf_writer.ts";
import { Lab } from "../../shell/lab.ts";
import type { Process } from "../../exos/mod.ts";
import { call } from "./_unix.ts";

const LIMIT = { maxInstructions: 100_000_000 };

/** Runs `/bin/NAME ARGS` (NAME is argv[0]) on a fresh lab with `input` typed and then ended. */
function run(argv: string[], input?: string): { m: Lab; p: Process; out: string } {
  const m = new Lab();
  if (input !== undefined) m.console.type(input);
  const p = m.exos.exec(`/bin/${argv[0]}`, argv);
  let r = m.exos.run(LIMIT);
  if (r.reason === "input" && input !== undefined) {
    m.exos.endInput();
    r = m.exos.run(LIMIT);
  }
  assert.equal(r.reason, "exited", `${argv.join(" ")}: ${r.reason}\n${m.console.text}`);
  assert.deepEqual(m.aegis.envIds, [], "every environment ended");
  return { m, p, out: m.console.text };
}

/** `sh -c CMD`: its output and exit status. */
function sh(cmd: string, input?: string): { out: string; status: number | undefined } {
  const { p, out } = run(["sh", "-c", cmd], input);
  return { out, status: p.exitStatus };
}

Deno.test("sh -c runs a pipeline: echo hello world | wc -w prints 2", () => {
  assert.deepEqual(sh("echo hello world | wc -w"), { out: "2\n", status: 0 });
});

Deno.test("sh pipelines of three, ; sequences and $? of the pipeline before", () => {
  assert.deepEqual(sh("echo one two three | cat | wc -c"), { out: "14\n", status: 0 });
  assert.deepEqual(sh("false; echo $?; true; echo $?"), { out: "1\n0\n", status: 0 });
  assert.deepEqual(sh("echo a | false; echo $?"), { out: "1\n", status: 0 }, "the last's status");
  assert.deepEqual(sh("false | true; echo $?"), { out: "0\n", status: 0 });
  assert.deepEqual(sh("echo \"$?\" '$?' \\$?"), { out: "0 $? $?\n", status: 0 });
});

Deno.test("sh exit statuses: exit N, the last command's, 127 not found, 128+N killed, 2 syntax", () => {
  assert.deepEqual(sh("exit 3"), { out: "", status: 3 });
  assert.deepEqual(sh("true; false"), { out: "", status: 1 });
  assert.deepEqual(sh("nosuch; echo $?"), { out: "sh: nosuch: not found\n127\n", status: 0 });
  assert.deepEqual(sh("sh -c 'kill -KILL $$'; echo $?"), { out: "137\n", status: 0 });
  assert.equal(sh("| wc").status, 2);
  assert.equal(sh("echo >").status, 2);
  assert.equal(sh("echo 'open").status, 2);
});

Deno.test("sh redirects to the console only: there is no file system yet", () => {
  assert.deepEqual(sh("echo to the console > /dev/console"), {
    out: "to the console\n",
    status: 0,
  });
  assert.deepEqual(sh("wc -c < /dev/console", "typed\n"), { out: "6\n", status: 0 });
  const r = sh("echo lost > /tmp/file; echo $?");
  assert.equal(r.out, "sh: /tmp/file: there is no file system yet: only /dev/console opens\n1\n");
});

Deno.test("sh with no -c prompts on fd 2, runs each line, and exits with the last status", () => {
  const { p, out } = run(["sh"], "echo hi\nfalse\necho $?\nexit 4\necho never\n");
  assert.equal(out, "$ hi\n$ $ 1\n$ ");
  assert.equal(p.exitStatus, 4);
  const eof = run(["sh"], "false\n");
  assert.equal(eof.out, "$ $ ");
  assert.equal(eof.p.exitStatus, 1, "at the end of the input: the last status");
});

Deno.test("echo joins its arguments; -n leaves the newline off", () => {
  assert.equal(run(["echo", "a", "b  c", ""]).out, "a b  c \n");
  assert.equal(run(["echo", "-n", "no", "newline"]).out, "no newline");
  assert.equal(run(["echo"]).out, "\n");
});

Deno.test("cat copies its input to its output and refuses file names", () => {
  const text = "line one\nline two\n".repeat(50);
  assert.equal(run(["cat"], text).out, text);
  const bad = run(["cat", "/etc/passwd"]);
  assert.match(bad.out, /^cat: \/etc\/passwd: there is no file system yet/);
  assert.equal(bad.p.exitStatus, 1);
});

Deno.test("wc counts lines, words and bytes; one count alone, several in columns", () => {
  const input = "one two\nthree  four five\n\nsix";
  assert.equal(run(["wc", "-l"], input).out, "3\n");
  assert.equal(run(["wc", "-w"], input).out, "6\n");
  assert.equal(run(["wc", "-c"], input).out, `${input.length}\n`);
  assert.equal(run(["wc"], input).out, `      3       6      ${input.length}\n`);
  assert.equal(run(["wc", "-lw"], input).out, "      3       6\n");
  const bad = run(["wc", "-x"], "");
  assert.match(bad.out, /wc: unknown option -x/);
  assert.equal(bad.p.exitStatus, 1);
});

Deno.test("true and false exit 0 and 1", () => {
  assert.equal(run(["true"]).p.exitStatus, 0);
  assert.equal(run(["false"]).p.exitStatus, 1);
});

Deno.test("sleep waits in emulated time and refuses what is not a number", () => {
  const { m, p } = run(["sleep", "0.05"]);
  assert.equal(p.exitStatus, 0);
  assert.ok(m.cpu.cycles >= 0.05 * 25_000_000, `${m.cpu.cycles} cycles: at least 50 ms`);
  assert.ok(m.cpu.cycles < 0.05 * 25_000_000 + 2_000_000, "and not much more");
  const bad = run(["sleep", "soon"]);
  assert.match(bad.out, /sleep: soon is not a number of seconds/);
  assert.equal(bad.p.exitStatus, 1);
});

Deno.test("kill sends a signal by name or number, lists them, and says which pid is wrong", () => {
  assert.match(run(["kill", "-l"]).out, /^1 HUP\n2 INT\n.*\n15 TERM\n.*\n31 USR2\n$/s);
  assert.deepEqual(sh("sh -c 'kill $$'; echo $?"), { out: "143\n", status: 0 });
  assert.deepEqual(sh("sh -c 'kill -s USR1 $$'; echo $?"), { out: "158\n", status: 0 });
  assert.deepEqual(sh("sh -c 'kill -9 $$'; echo $?"), { out: "137\n", status: 0 });
  const none = sh("kill 99; echo $?");
  assert.equal(none.out, "kill: 99: no such process\n1\n");
  assert.match(sh("kill -NOPE 1").out, /kill: -NOPE: no such signal/);
});

Deno.test("ps prints the process table: pids, parents, states and how each ended", () => {
  const { out } = run(["sh", "-c", "true; false; ps"]);
  assert.equal(
    out,
    "  PID  PPID S STATUS   COMMAND\n" +
      "    1     0 W -        /bin/sh\n" +
      "    2     1 X 0        /bin/true\n" +
      "    3     1 X 1        /bin/false\n" +
      "    4     1 R -        /bin/ps\n",
  );
});

Deno.test("ps says where a fault ended a process: its pc and the address it touched", () => {
  const m = new Lab();
  const bad = writeElf(asm`
        .set    noreorder
__start:
        li      $t0, 0x00abc000
        sw      $zero, 0($t0)
        nop
`.at(0x00400000));
  m.exos.files.set("/test/bad", bad);
  const p = m.exos.exec("/bin/sh", ["sh", "-c", "/test/bad; echo $?; ps"]);
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(p.exitStatus, 0);
  assert.match(
    m.console.text,
    /^139\n[^]*\n {4}2 {5}1 X SIGSEGV {2}\/test\/bad \(pc 0x00400008, address 0x00abc000\)\n/,
  );
});

Deno.test("getppid names the parent, and 0 for the first process", () => {
  const m = new Lab();
  const p = m.exos.exec(writeElf(asm`
        .set    noreorder
__start:
        addiu   $sp, $sp, -16
        ${call("GETPPID")}
        move    $s0, $v0                     # the first process: 0
        ${call("FORK")}
        bnez    $v0, parent
        nop
        ${call("GETPPID")}
        move    $a0, $v0                     # the child: its parent's pid, 1
        ${call("EXIT")}
parent: move    $a0, $sp
        ${call("WAIT")}
        lw      $t0, 0($sp)
        nop
        srl     $t0, $t0, 8
        sll     $a0, $s0, 4
        or      $a0, $a0, $t0                # first's << 4 | the child's status
        ${call("EXIT")}
`.at(0x00400000)));
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(p.exitStatus, 0x01);
});
