/**
 * Fork with copy-on-write, at application level (as JOS's lib/fork.c): the parent's library
 * makes the child environment and its address space and shares its pages with it, and a write
 * to a shared page later faults into the library, which copies it.
 *
 * Fork. The parent's library makes the child with ENV_ALLOC (entry: the library's `resume`
 * stub) and scans its own page table: every writable page becomes COW (PTE.C) in both tables and
 * the child's table gets the same pages; only pages that may be bound writable (dirty ones) lose
 * their binding, one TLBVADELETE each, since a clean page is never bound writable. Pages shared
 * on purpose (SHARED: a pipe's ring, a shared-memory segment) stay shared, writable, in both.
 * The stack page fork itself is using is copied for the child at once. The child's library
 * pages are its own (8 ALLOC, 9 GUARANTEE: vm.ts), and so are its handlers; it inherits the
 * parent's open files (fd.ts) and signal actions and mask (signal.ts). `lastFork` says what a
 * fork cost in system calls.
 *
 * Copy-on-write. A write to a COW page faults into the library (Mod, then its `fault_trap`): if
 * other processes still share the page it is copied (privatize), else it is claimed writable
 * where it is.
 *
 * @module
 */

import { SYS } from "../aegis/abi.ts";
import { inheritFds } from "./fd.ts";
import { PAGE_SHIFT, USER } from "./layout.ts";
import { isNetPage } from "./net/link.ts";
import { PTE, SOFT } from "./page_table.ts";
import type { Process, ProcessTable } from "./process.ts";
import { ERRNO } from "./unix.ts";

/**
 * A page-table mark of the process layer (a PTE.SOFT bit): the page is shared on purpose (a
 * pipe's ring, a segment's page), so fork shares it writable instead of copying it on write,
 * and the process table counts its users.
 */
export const SHARED: number = SOFT.SHARED;

/**
 * FORK: a child of `parent` that resumes at `pc` with the parent's registers `regs` and v0 = 0,
 * sharing its pages copy-on-write; returns the child's pid, or -EAGAIN when Aegis has no
 * environment for it, -ENOMEM when it has no pages for the child's library.
 */
export function fork(t: ProcessTable, parent: Process, regs: Int32Array, pc: number): number {
  const before = t.syscalls;
  const r = parent.path.call(SYS.ENV_ALLOC, parent.vm.routines.resume);
  if (r.v0 < 0) return -ERRNO.EAGAIN;
  let child: Process;
  try {
    child = t.create(parent.path.child(r.v0), parent, parent.program);
  } catch { // no memory for its library: the environment goes, with what it got
    parent.path.call(SYS.ENV_FREE, r.v0);
    return -ERRNO.ENOMEM;
  }
  child.vm.inherit(parent.vm);
  const sp = (regs[29] >>> PAGE_SHIFT) << PAGE_SHIFT;
  let shared = 0, unbound = 0, copied = 0;
  for (const m of parent.vm.entries()) {
    if (m.vpn < USER.MIN >>> PAGE_SHIFT) continue; // the library's own pages
    if (isNetPage(m.flags)) continue; // a socket's: the parent's alone
    let flags = m.flags;
    const va = m.vpn << PAGE_SHIFT;
    if ((flags & SHARED) !== 0) { // shared on purpose: the child maps it too, as it is
      t.share(parent, m, child);
      child.vm.table.insert({ ...m, flags: flags | PTE.FOREIGN });
      continue;
    }
    if ((flags & PTE.FOREIGN) === 0 && va !== sp) {
      if ((flags & (PTE.W | PTE.C)) === PTE.W) {
        flags |= PTE.C;
        parent.vm.table.update(m.vpn, flags);
        if ((flags & PTE.D) !== 0) { // it may be bound writable: drop the binding
          parent.path.call(SYS.TLBVADELETE, va, 1, 0);
          unbound++;
        }
      }
      t.share(parent, m, child);
      shared++;
    }
    child.vm.table.insert({ ...m, flags });
  }
  if (child.vm.lookup(sp) !== undefined) { // the stack page fork uses: the child's own copy
    child.vm.privatize(sp, (a) => parent.vm.read32(a));
    copied++;
  }
  inheritFds(parent, child);
  child.signals.inherit(parent.signals);
  const frame = regs.slice();
  frame[2] = frame[3] = 0;
  t.writeFrame(child, frame, pc);
  t.sched.wake(child);
  t.lastFork = { pid: child.pid, syscalls: t.syscalls - before, shared, unbound, copied };
  return child.pid;
}

/** A write by `p` to the COW page at `va`: copy it if others share it, else claim it. */
export function copyOnWrite(t: ProcessTable, p: Process, va: number): void {
  const m = p.vm.lookup(va);
  if (m === undefined || (m.flags & PTE.C) === 0) return;
  if (!t.sharedWithOthers(p, m)) {
    t.unshare(m.page);
    p.vm.claim(va);
    t.cow.claimed++;
    return;
  }
  p.vm.privatize(va);
  t.cow.copied++;
  t.release(p, m, false);
}
