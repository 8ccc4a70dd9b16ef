/**
 * Demo: visible revocation, and the abort protocol for an environment that does not cooperate.
 *
 * Aegis never takes a physical page back silently. It asks the owner first (a Revoke notice
 * naming the page) and gives it a grace period to answer with REVOKE_ANSWER, so a library OS can
 * choose which data to save and which mappings to drop. Only when the owner has not answered by
 * the deadline does the kernel take the page by force: it breaks every binding of the page (TLB
 * and STLB), writes the page into the owner's repossession vector and raises a Repossessed
 * notice.
 *
 * Two environments each keep touching a data page. "polite" answers the request from a handler
 * in guest assembly and moves on to another page; "stubborn" hears it (a TypeScript handler
 * that logs it) and carries on. Both get the same grace period; the tables of m.aegis show what
 * happens to each page.
 *
 * Run it with `deno run -A scripts/demo_revocation.ts`.
 *
 * @module
 */

import { asm, CYCLES_PER_US } from "../machine/mod.ts";
import { capabilityWords, E, type Page, SYS } from "../aegis/mod.ts";
import { hex } from "../machine/table.ts";
import { Lab } from "../shell/lab.ts";

const GRACE_US = 2000;

const m = new Lab({ slices: 2 });

/**
 * An environment whose program loads from its data page forever (s1 holds the address). Its
 * code, data and spare pages start at `base`: the two environments use different addresses so
 * that their bindings never share a slot of the kernel's direct-mapped software TLB, where one
 * would push the other out (and a miss the kernel cannot refill goes to the environment).
 */
function toucher(name: string, base: number) {
  const e = m.aegis.createEnv(name);
  const data = e.map(base + 0x100000), spare = base + 0x200000;
  e.map(spare);
  const p = e.load(
    asm`
        .set noreorder
        lui     $s1, ${(base + 0x100000) >>> 16}
        ori     $s1, $s1, ${(base + 0x100000) & 0xffff}
top:    lw      $t0, 0($s1)
        addiu   $s0, $s0, 1
        b       top
        nop
park:   b       park
        nop
`,
    base,
  );
  e.sys.sliceAlloc();
  return { e, data, spare, park: p.symbols.park, start: p.origin };
}

const polite = toucher("polite", 0x00400000);
const stubborn = toucher("stubborn", 0x00410000);

// polite answers in guest assembly: t0 = where the notice found it, t1 = the page asked for. It
// keeps t0 in s2 across the call, gives the page back (presenting its read-write capability in
// a2:a3) and points its loop at the spare page.
// (It goes in the page after the program: e.load places code at the next free address unless
// told where, and the program was placed by hand.)
const answer = polite.e.load(
  asm`
        move    $s2, $t0
        li      $v0, ${SYS.REVOKE_ANSWER}
        move    $a0, $t1
        li      $a2, ${capabilityWords(polite.data.capability)[0]}
        li      $a3, ${capabilityWords(polite.data.capability)[1]}
        syscall
        li      $s1, ${polite.spare}
        jr      $s2
`,
  polite.start + 0x1000,
);
polite.e.onException("Revoke", answer.origin);

// stubborn hears the request and goes on; it learns later what the kernel did.
const log = (line: string) => console.log(`  [${(m.us / 1000).toFixed(3)} ms] ${line}`);
stubborn.e.onException("Revoke", (x) => {
  log(`stubborn is asked for page ${hex(x.badVAddr, 4)} and ignores it`);
  return "resume";
});
stubborn.e.onException("Repossessed", (x) => {
  log(`stubborn gets a Repossessed notice: ${x.badVAddr} page(s) in its repossession vector`);
  return "resume";
});
stubborn.e.onException("TLBL", (x) => {
  log(`stubborn touches ${hex(x.badVAddr)} again: no binding any more, so it stops`);
  return stubborn.park;
});

// Put stubborn's loop in its saved context, then run polite: the slices alternate from there.
stubborn.e.enter(stubborn.start);
polite.e.enter(polite.start);
m.run({ maxCycles: 3 * m.aegis.sliceCycles });

const pages = () => [polite, stubborn].map((t) => `  ${m.aegis.page(t.data.number)}`).join("\n");
const bound = (p: Page) => {
  const pfn = hex(p.number, 5);
  return String(m.aegis.tlb()).includes(pfn) || String(m.aegis.stlb()).includes(pfn);
};

console.log(`Revocation: one environment answers the kernel, the other does not

Both environments are running, each touching its data page:
${m.aegis}

${m.aegis.tlb()}

The kernel asks for both data pages back, with a grace period of ${GRACE_US} us:`);
m.aegis.revoke(polite.data.number, GRACE_US);
m.aegis.revoke(stubborn.data.number, GRACE_US);
console.log(pages());

m.run({ maxCycles: (GRACE_US / 2) * CYCLES_PER_US });
console.log(`
Halfway through the grace period (a free page was given back; a page being revoked was not):
${pages()}
`);

m.run({ maxCycles: (GRACE_US / 2 + 3000) * CYCLES_PER_US });
const rec = (f: number) => m.aegis.field(stubborn.e.id, f);
const vector = Array.from(
  { length: rec(E.REPOSSESSED_COUNT) },
  (_, i) => rec(E.REPOSSESSED + 4 * i),
);
console.log(`
After the grace period (the abort protocol takes what was not given back):
${pages()}
  stubborn's repossession vector: ${vector.map((p) => hex(p, 4)).join(", ") || "empty"}
  bindings of stubborn's page left in the TLB or STLB: ${bound(stubborn.data) ? "some" : "none"}
  alive: polite ${polite.e.alive}, stubborn ${stubborn.e.alive}

${m.aegis.tlb()}

${m.aegis}`);
