/**
 * Secure bindings for memory (the paper's TLBwr, the STLB and guaranteed mappings).
 *
 * Authorization is checked once, when a binding is made: TLBWR installs a mapping only when the
 * presented capability grants the page with the rights asked, and caches it in the 4096-entry
 * direct-mapped STLB in unmapped kernel memory. After that the check is the hardware's: a TLB
 * miss that hits the STLB is refilled by the UTLB vector without the environment knowing; any
 * other miss in kuseg is forwarded to the environment (exceptions.ts), whose library inserts the
 * binding itself. TLBVADELETE removes bindings, a bounded range per call.
 *
 * Guaranteed mappings are the kernel's own bindings for every environment (the trampoline, the
 * exported STLB, free-page bitmap and environment record, at the top of kuseg) and those an
 * environment asked for below 0x10000 (GUARANTEE): a miss there comes to the kernel, which
 * refills it from the record whatever the STLB or the ASID lost. The two never-mapped host
 * addresses (U.TS_HANDLER, U.TS_ENTRY) are recognised there too and handed to aegis/host.ts.
 *
 * Everything here that the paper times is assembly: the refill (18 instructions on a hit), and
 * TLBWR and TLBVADELETE for the caller itself. A binding made for a child (t0 or a2 names it) is
 * checked and made in TypeScript.
 *
 * @module
 */

import { CP0, EXC, TLB } from "../machine/cp0.ts";
import { ERR, GUARANTEED_MAX, OWN_GUARANTEED, TLBVADELETE_MAX, TLBWR } from "./abi.ts";
import { COSTS } from "./costs.ts";
import { giveAsid, resolveTarget } from "./environments.ts";
import { eret, forward } from "./exceptions.ts";
import { runTsEntry, runTsHandler } from "./host.ts";
import {
  E,
  envRecord,
  HC,
  K,
  PAGE_SHIFT,
  PAGE_SIZE,
  PT,
  slotOfId,
  stlbOffset,
  U,
} from "./layout.ts";
import { grants, invalidateTlbEntry, isUserPage, ownerOf } from "./pages.ts";
import { checkUnrevocable } from "./revocation.ts";
import type { KernelState } from "./state.ts";

const hi = (v: number) => (v >>> 16) & 0xffff;

/** `dst` = (`reg` < pages): one instruction while the count fits sltiu's immediate, three after. */
export function pageBound(dst: string, reg: string, pages: number): string {
  if (pages < 0x8000) return `        sltiu   ${dst}, ${reg}, ${pages}`;
  return `        lui     ${dst}, ${hi(pages)}
        ori     ${dst}, ${dst}, ${pages & 0xffff}
        sltu    ${dst}, ${reg}, ${dst}`;
}

/**
 * The UTLB-miss vector: refills the TLB from the STLB (a hit is 18 instructions, vector to rfe),
 * or goes to `utlb_miss`, which sends a miss in a guaranteed region to the kernel and forwards
 * any other to the environment. Only k0 and k1 are used; k1 is zero on the way out.
 */
export function refillAsm(): string {
  return `
utlb:   mfc0    $k0, $context                # PTEBase | BadVPN << 2
        mfc0    $k1, $entryhi                # VPN | ASID of the miss
        sll     $k0, $k0, 1                  # VPN * 8
        xor     $k0, $k0, $k1                # hashed with VPN | ASID (layout.ts stlbOffset)
        andi    $k0, $k0, 0x7ff8
        lui     $k1, ${hi(K.STLB)}
        or      $k0, $k0, $k1                # the slot
        lw      $k1, 4($k0)                  # its EntryLo
        lw      $k0, 0($k0)                  # its tag: VPN | ASID
        mtc0    $k1, $entrylo
        mfc0    $k1, $entryhi
        nop                                  # (MFC0's result is late by one instruction)
        bne     $k0, $k1, utlb_miss
        mfc0    $k0, $epc                    # (on a miss, utlb_miss overwrites it)
        tlbwr
        move    $k1, $zero
        jr      $k0
        rfe
`;
}

/** The STLB missed: a guaranteed region goes to the kernel, anything else to the environment. */
export function utlbMissAsm(): string {
  return `
utlb_miss:
        mfc0    $k0, $badvaddr
        lui     $k1, ${hi(U.GUARANTEED)}
        sltu    $k1, $k0, $k1
        beqz    $k1, guaranteed              # the kernel's guaranteed region
        srl     $k1, $k0, 16
        beqz    $k1, guaranteed              # the environment's own: below 0x10000
        lui     $k1, ${hi(K.GLOBALS)}
        lw      $k1, 0($k1)                  # the current environment's record
        mfc0    $k0, $cause
        nop
        andi    $k0, $k0, 0x7c               # TLBL or TLBS, * 4
        b       forward
        addu    $k0, $k0, $k1
guaranteed:                                  # TypeScript binds it (or forwards) and returns
        hcall   ${HC.GUARANTEED}
        mfc0    $k0, $epc
        move    $k1, $zero
        jr      $k0
        rfe
`;
}

/**
 * The capability compare TLBWR and NET_SEND share, for the page in register `page`: t1 = its
 * page-table entry, then t2 = 1 when a2:a3 is its read-write capability, t4 = 1 when it is its
 * read-only one, t3 = 1 when a2:a3 is a capability at all (free and kernel pages have none). Both
 * words are compared against both capabilities before any branch, whatever matched. Uses t1-t5;
 * its first instruction may sit in a delay slot.
 */
export function capabilityCompareAsm(page: string): string {
  return `        sll     $t1, ${page}, ${PT.ENTRY_SHIFT}
        lui     $t2, ${hi(K.PAGE_TABLE)}
        addu    $t1, $t1, $t2                # the page's entry
        lw      $t2, ${PT.CAP_RW}($t1)
        lw      $t3, ${PT.CAP_RW + 4}($t1)
        lw      $t4, ${PT.CAP_RO}($t1)
        lw      $t5, ${PT.CAP_RO + 4}($t1)
        xor     $t2, $t2, $a2
        xor     $t3, $t3, $a3
        or      $t2, $t2, $t3                # 0: the read-write capability
        xor     $t4, $t4, $a2
        xor     $t5, $t5, $a3
        or      $t4, $t4, $t5                # 0: the read-only capability
        or      $t3, $a2, $a3
        sltu    $t3, $zero, $t3              # 1: a capability at all
        sltiu   $t2, $t2, 1
        sltiu   $t4, $t4, 1`;
}

/**
 * TLBWR for the caller: a0 = va | flags, a1 = page, a2:a3 = capability, t0 = 0 (a child's
 * binding goes to TypeScript). The capability check compares both words against both of the
 * page's capabilities before its one branch, whatever matched.
 */
export function tlbwrAsm(pages: number): string {
  return `
sys_tlbwr:
        bnez    $t0, sys_ts                  # a binding for a child: TypeScript
        lui     $t1, ${hi(U.GUARANTEED)}
        sltu    $t1, $a0, $t1
        beqz    $t1, tlbwr_addr              # kernel space or the guaranteed region
        andi    $t2, $a0, 0xffc              # (bits between the flags and the VPN)
        bnez    $t2, tlbwr_inval
${pageBound("$t2", "$a1", pages)}
        beqz    $t2, tlbwr_inval             # no page of RAM
${capabilityCompareAsm("$a1")}
        andi    $t5, $a0, ${TLBWR.WRITABLE}
        xori    $t5, $t5, 1
        and     $t4, $t4, $t5                # the read-only one will do: no write asked
        or      $t2, $t2, $t4
        and     $t2, $t2, $t3
        beqz    $t2, tlbwr_cap
        sll     $t1, $a1, 12                 # EntryLo: the PFN,
        ori     $t1, $t1, ${TLB.V}           # V,
        andi    $t2, $a0, ${TLBWR.WRITABLE | TLBWR.UNCACHED}
        sll     $t2, $t2, 10                 # D when writable, N when uncached
        or      $t1, $t1, $t2
        mtc0    $t1, $entrylo
        mfc0    $t2, $entryhi
        srl     $t3, $a0, 12
        sll     $t3, $t3, 12                 # the VPN
        andi    $t2, $t2, ${TLB.ASID_MASK}   # this address space
        or      $t2, $t2, $t3                # the binding's tag
        mtc0    $t2, $entryhi
        srl     $t3, $a0, 9                  # (the STLB slot: layout.ts stlbOffset)
        tlbp                                 # replace a binding of the same page, if any
        xor     $t3, $t3, $t2
        mfc0    $t4, $index
        andi    $t3, $t3, 0x7ff8
        bltz    $t4, 1f
        lui     $t5, ${hi(K.STLB)}
        b       2f
        tlbwi
1:      tlbwr
2:      or      $t3, $t3, $t5
        sw      $t2, 0($t3)                  # and cache the binding in the STLB
        sw      $t1, 4($t3)
        b       sys_clear
        move    $v0, $zero
tlbwr_addr:
        b       sys_clear
        li      $v0, ${ERR.ADDR}
tlbwr_inval:
        b       sys_clear
        li      $v0, ${ERR.INVAL}
tlbwr_cap:
        b       sys_clear
        li      $v0, ${ERR.CAP}
`;
}

/**
 * TLBVADELETE for the caller: a0 = va, a1 = pages (0 or 1: one; at most TLBVADELETE_MAX),
 * a2 = 0 (a child's goes to TypeScript). Each page's binding leaves the TLB (probed) and the
 * STLB (its slot, when the slot holds it).
 */
export function tlbVaDeleteAsm(): string {
  const guaranteedVpn = U.GUARANTEED >>> PAGE_SHIFT;
  return `
sys_tlbvadelete:
        bnez    $a2, sys_ts                  # a child's bindings: TypeScript
        sltiu   $t0, $a1, 2
        beqz    $t0, 1f
        move    $t6, $a1                     # the count,
        li      $t6, 1                       # or one page for a count of 0 or 1
1:      sltiu   $t1, $t6, ${TLBVADELETE_MAX + 1}
        beqz    $t1, tlbvadelete_inval       # too many pages for one call
        srl     $t0, $a0, 12                 # the first VPN
        addu    $t3, $t0, $t6                # one past the last
        lui     $t1, ${hi(guaranteedVpn)}
        ori     $t1, $t1, ${guaranteedVpn & 0xffff}
        sltu    $t2, $t1, $t3
        bnez    $t2, tlbwr_addr              # the range reaches the guaranteed region
        mfc0    $t1, $entryhi
        nop
        andi    $t1, $t1, ${TLB.ASID_MASK}   # this address space
2:      sll     $t2, $t0, 12
        or      $t2, $t2, $t1                # the binding's tag: VPN | ASID
        mtc0    $t2, $entryhi
        sll     $t4, $t0, 3                  # (the STLB slot: layout.ts stlbOffset)
        tlbp
        xor     $t4, $t4, $t2
        mfc0    $t5, $index
        andi    $t4, $t4, 0x7ff8
        bltz    $t5, 3f
        sll     $t5, $t5, 4                  # (index << 8) << 4: the entry's number << 12
        lui     $t7, 0x8000
        or      $t5, $t5, $t7                # a kseg0 VPN: matches no user address
        mtc0    $t5, $entryhi
        mtc0    $zero, $entrylo
        nop
        tlbwi
3:      lui     $t5, ${hi(K.STLB)}
        or      $t4, $t4, $t5
        lw      $t5, 0($t4)
        addiu   $t0, $t0, 1                  # the next page
        bne     $t5, $t2, 4f                 # the slot holds someone else's binding
        nop
        sw      $zero, 0($t4)
        sw      $zero, 4($t4)
4:      bne     $t0, $t3, 2b
        nop
        mtc0    $t1, $entryhi                # back to this address space
        b       sys_clear
        move    $v0, $zero
tlbvadelete_inval:
        b       sys_clear
        li      $v0, ${ERR.INVAL}
`;
}

/** EntryLo for page `p` with the TLBWR flags in `flags`. */
function entryLo(p: number, flags: number): number {
  return (p << PAGE_SHIFT) | TLB.V | ((flags & TLBWR.WRITABLE) !== 0 ? TLB.D : 0) |
    ((flags & TLBWR.UNCACHED) !== 0 ? TLB.N : 0);
}

/**
 * Checks a binding request (`va` with flags, page `p`, capability `lo`:`hi`) as TLBWR does;
 * returns 0 or ERR.ADDR, INVAL, CAP.
 */
function checkBinding(k: KernelState, va: number, p: number, lo: number, hi: number): number {
  if ((va >>> 0) >= U.GUARANTEED) return ERR.ADDR;
  if ((va & 0xffc) !== 0 || !Number.isInteger(p) || p < 0 || p >= k.pages) return ERR.INVAL;
  return grants(k, p, lo, hi, (va & TLBWR.WRITABLE) !== 0) ? 0 : ERR.CAP;
}

/** Caches binding `hi`/`lo` in the STLB and drops any TLB entry with the same tag. */
function installBinding(k: KernelState, hiWord: number, loWord: number, asid: number): void {
  const cpu = k.cpu;
  const slot = K.STLB + stlbOffset(hiWord, asid);
  k.w32(slot, hiWord);
  k.w32(slot + 4, loWord);
  for (let i = 0; i < TLB.ENTRIES; i++) {
    if ((cpu.tlbHi[i] & TLB.HI_MASK) === (hiWord & TLB.HI_MASK)) invalidateTlbEntry(k, i);
  }
  cpu.invalidateCaches();
}

/** TLBWR for child `targetArg` of `caller`: checked here, installed in the STLB. */
export function tlbwrFor(
  k: KernelState,
  caller: number,
  va: number,
  p: number,
  lo: number,
  hi: number,
  targetArg: number,
): number {
  k.cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  const bad = checkBinding(k, va, p, lo, hi);
  if (bad !== 0) return bad;
  const asid = k.field(target, E.ASID) || giveAsid(k, slotOfId(target));
  installBinding(k, (va & TLB.VPN_MASK) | (asid << 6), entryLo(p, va), asid);
  return 0;
}

/** TLBVADELETE for child `targetArg`: removes its bindings of `count` pages from `va`. */
export function tlbVaDeleteFor(
  k: KernelState,
  caller: number,
  va: number,
  count: number,
  targetArg: number,
): number {
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  const pages = (count >>> 0) < 2 ? 1 : count >>> 0;
  if (pages > TLBVADELETE_MAX) return ERR.INVAL;
  const first = va >>> PAGE_SHIFT;
  if (first + pages > U.GUARANTEED >>> PAGE_SHIFT) return ERR.ADDR;
  k.cpu.charge(COSTS.tlbVaDelete * pages);
  const asid = k.field(target, E.ASID);
  if (asid === 0) return 0;
  for (let vpn = first; vpn < first + pages; vpn++) unbind(k, vpn << PAGE_SHIFT, asid);
  k.cpu.invalidateCaches();
  return 0;
}

/** Removes the binding of `va` in address space `asid` from the TLB and the STLB. */
function unbind(k: KernelState, va: number, asid: number): void {
  const cpu = k.cpu;
  const tag = ((va & TLB.VPN_MASK) | (asid << 6)) & TLB.HI_MASK;
  for (let i = 0; i < TLB.ENTRIES; i++) {
    if ((cpu.tlbHi[i] & TLB.HI_MASK) === tag) invalidateTlbEntry(k, i);
  }
  const slot = K.STLB + stlbOffset(va, asid);
  if ((k.r32(slot) & TLB.HI_MASK) === tag) {
    k.w32(slot, 0);
    k.w32(slot + 4, 0);
  }
}

/** GUARANTEE: records a guaranteed mapping of `va` for the target and binds it now. */
export function guarantee(
  k: KernelState,
  caller: number,
  va: number,
  p: number,
  lo: number,
  hi: number,
  targetArg: number,
): number {
  k.cpu.charge(COSTS.guaranteed);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  const page = va & TLB.VPN_MASK;
  if ((page >>> 0) < OWN_GUARANTEED.start || (page >>> 0) >= OWN_GUARANTEED.end) return ERR.ADDR;
  const bad = checkBinding(k, va, p, lo, hi);
  if (bad !== 0) return bad;
  if (!isUserPage(k, p) || ownerOf(k, p) !== target) return ERR.PERM;
  const rec = envRecord(slotOfId(target));
  const n = k.r32(rec + E.GUARANTEED_COUNT);
  let i = 0;
  while (i < n && k.r32(rec + E.GUARANTEED + 8 * i) !== page) i++;
  if (i === GUARANTEED_MAX) return ERR.NOSLOT;
  const replaced = i < n ? k.r32(rec + E.GUARANTEED + 8 * i + 4) >>> PAGE_SHIFT : -1;
  if (!checkUnrevocable(k, target, p, replaced)) return ERR.NOSLOT;
  k.w32(rec + E.GUARANTEED + 8 * i, page);
  k.w32(rec + E.GUARANTEED + 8 * i + 4, entryLo(p, va));
  if (i === n) k.w32(rec + E.GUARANTEED_COUNT, n + 1);
  const asid = k.field(target, E.ASID) || giveAsid(k, slotOfId(target));
  installBinding(k, page | (asid << 6), entryLo(p, va), asid);
  return 0;
}

/** The EntryLo of environment `id`'s own guaranteed mapping of `va`, or 0 when it has none. */
export function guaranteedFor(k: KernelState, id: number, va: number): number {
  const rec = envRecord(slotOfId(id));
  const n = k.r32(rec + E.GUARANTEED_COUNT);
  for (let i = 0; i < n; i++) {
    if (k.r32(rec + E.GUARANTEED + 8 * i) === (va & TLB.VPN_MASK)) {
      return k.r32(rec + E.GUARANTEED + 8 * i + 4);
    }
  }
  return 0;
}

/**
 * The kernel's guaranteed mapping of page `page` (at U.GUARANTEED and up) for environment
 * record `rec`: the physical address it maps, or -1 when nothing is guaranteed there.
 */
function kernelGuaranteed(page: number, rec: number): number {
  if (page === U.TRAMPOLINE) return K.TRAMPOLINE;
  if (page === U.ENV) return rec;
  if (page >= U.STLB && page < U.STLB + 8 * PAGE_SIZE) return K.STLB + (page - U.STLB);
  if (page >= U.FREE_BITMAP && page < U.FREE_BITMAP + 4 * PAGE_SIZE) {
    return K.FREE_BITMAP + (page - U.FREE_BITMAP);
  }
  return -1;
}

/**
 * HC.GUARANTEED: a kuseg miss the STLB could not refill, in a guaranteed region. The host
 * addresses go to the TypeScript handler or entry; the kernel's exports and the environment's own
 * guaranteed mappings are bound (read-only for the exports) and the access runs again; anything
 * else is the environment's own fault and is forwarded to it.
 */
export function guaranteedMiss(k: KernelState): void {
  const cpu = k.cpu;
  cpu.charge(COSTS.guaranteed);
  const va = cpu.cp0[CP0.BadVAddr] >>> 0;
  const page = va & ~(PAGE_SIZE - 1);
  const code = (cpu.cp0[CP0.Cause] >>> 2) & 31;
  const id = k.current;
  if (va === U.TS_HANDLER && cpu.cp0[CP0.EPC] >>> 0 === va) return runTsHandler(k, id);
  if (va === U.TS_ENTRY && cpu.cp0[CP0.EPC] >>> 0 === va) return runTsEntry(k, id);
  if (va < OWN_GUARANTEED.end) {
    const lo = guaranteedFor(k, id, va);
    if (lo === 0 || (code === EXC.TLBS && (lo & TLB.D) === 0)) return forward(k, code);
    return bindGuaranteed(k, page, lo);
  }
  const pa = kernelGuaranteed(page, k.currentRecord);
  if (pa === -1 || code === EXC.TLBS) return forward(k, code);
  bindGuaranteed(k, page, ((pa & 0x1fffffff) & ~(PAGE_SIZE - 1)) | TLB.V);
}

/**
 * Binds guaranteed page `page` to EntryLo `lo` for the current address space, in a random TLB
 * entry and in the STLB (so the next loss costs a refill, not this service), then returns to
 * the access.
 */
function bindGuaranteed(k: KernelState, page: number, lo: number): void {
  const cpu = k.cpu;
  const hiWord = page | (cpu.cp0[CP0.EntryHi] & TLB.ASID_MASK);
  const i = cpu.random;
  cpu.tlbHi[i] = hiWord;
  cpu.tlbLo[i] = lo;
  const slot = K.STLB + stlbOffset(page, (hiWord & TLB.ASID_MASK) >>> 6);
  k.w32(slot, hiWord);
  k.w32(slot + 4, lo);
  cpu.invalidateCaches();
  eret(k, cpu.cp0[CP0.EPC]);
}

/**
 * The physical address environment `id` reaches at user address `va` through its own
 * bindings (the TLB, then the STLB, then its guaranteed mappings), or -1 when it has none (or,
 * for `write`, no writable one).
 */
export function physicalFor(k: KernelState, id: number, va: number, write: boolean): number {
  if ((va >>> 0) >= U.GUARANTEED || k.field(id, E.ID) !== id || id <= 0) return -1;
  const asid = k.field(id, E.ASID);
  const ok = (lo: number) =>
    (lo & TLB.V) !== 0 && (!write || (lo & TLB.D) !== 0)
      ? ((lo & TLB.PFN_MASK) >>> 0) + (va & (PAGE_SIZE - 1))
      : -1;
  if (asid !== 0) {
    const tag = (va & TLB.VPN_MASK) | (asid << 6);
    const cpu = k.cpu;
    for (let i = 0; i < TLB.ENTRIES; i++) {
      if ((cpu.tlbHi[i] & TLB.HI_MASK) === tag) return ok(cpu.tlbLo[i]);
    }
    const slot = K.STLB + stlbOffset(va, asid);
    if (k.r32(slot) === tag) return ok(k.r32(slot + 4));
  }
  const guaranteed = (va >>> 0) < OWN_GUARANTEED.end ? guaranteedFor(k, id, va) : 0;
  return guaranteed !== 0 ? ok(guaranteed) : -1;
}
