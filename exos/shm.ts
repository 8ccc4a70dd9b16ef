/**
 * Shared memory: segments a process creates and others attach by key (UNIX's shmget and shmat),
 * built from Aegis's pages and capabilities at application level.
 *
 * A segment is pages its creator allocates (ALLOC, through its own path) and owns. Attaching
 * maps them, consecutively, in the attacher's mmap area with a capability for the rights asked:
 * the read-write one, or the read-only one (CAP_READONLY) for SHM_RDONLY, so a store to a segment
 * attached read-only faults (SIGSEGV) and Aegis, not the library, is what refuses the binding.
 * The mode decides what others may ask for: the creator may always read and write; another
 * process may attach writable only if the mode grants writing to group or others (0666), and
 * at all only if it grants reading (0644 lets others read).
 *
 * The mappings are SHARED (fork.ts): fork gives the child the same attachments, writable where
 * the parent's are, and the process table counts the users of each page. The segment itself
 * holds its pages while its creator lives; a segment whose creator ended can no longer be found
 * by its key, and its pages go when the last process detaches (or ends, or execs, which detach
 * everything).
 *
 * Errors are UNIX's (unix.h): ENOENT, EEXIST, EINVAL, EACCES, ENOMEM, returned negated.
 *
 * @module
 */

import { type Capability, capabilityOf, capabilityWords, SYS } from "../aegis/abi.ts";
import { SHARED } from "./fork.ts";
import { PAGE_SIZE } from "./layout.ts";
import type { Process, ProcessTable } from "./process.ts";
import { ERRNO } from "./unix.ts";

/** shmget's flags and shmat's, as unix.h has them. */
export const SHM = {
  /** The key that always makes a new segment. */
  IPC_PRIVATE: 0,
  /** Make the segment if none has the key. */
  IPC_CREAT: 0o1000,
  /** With IPC_CREAT: fail if one has. */
  IPC_EXCL: 0o2000,
  /** shmat: attach read-only. */
  SHM_RDONLY: 0o10000,
  /** The largest segment, in bytes. */
  MAX: 64 * PAGE_SIZE,
} as const;

/** One segment. */
export class Segment {
  /** Where each process has it attached (the first address of each attachment). */
  readonly attached: Map<Process, number[]> = new Map();
  /** Whether it can still be found by key (its creator lives). */
  live = true;

  /** Segment `id` of `key`, `size` bytes in `pages`, made by `owner` with `mode`. */
  constructor(
    readonly id: number,
    readonly key: number,
    readonly size: number,
    readonly mode: number,
    readonly owner: Process,
    readonly pages: { page: number; capability: Capability }[],
  ) {}
}

/** The segments of one process table. */
export class Segments {
  readonly #byId = new Map<number, Segment>();
  #next = 1;

  /** The live segment with `key` (not IPC_PRIVATE), if any. */
  withKey(key: number): Segment | undefined {
    for (const s of this.#byId.values()) if (s.live && s.key === key && key !== 0) return s;
    return undefined;
  }

  /** The segment `id`, if it can still be attached. */
  get(id: number): Segment | undefined {
    const s = this.#byId.get(id);
    return s?.live ? s : undefined;
  }

  /** Every segment still known (live, or attached somewhere). */
  get all(): Segment[] {
    return [...this.#byId.values()];
  }

  /** The id the next segment gets. */
  get nextId(): number {
    return this.#next;
  }

  /** Puts back `segments` and the next id (a table rebuilt from a record); the old ones go. */
  restore(segments: readonly Segment[], nextId: number): void {
    this.#byId.clear();
    for (const s of segments) this.#byId.set(s.id, s);
    this.#next = nextId;
  }

  /** Records a new segment; returns it. */
  add(make: (id: number) => Segment): Segment {
    const s = make(this.#next++);
    this.#byId.set(s.id, s);
    return s;
  }

  /** Forgets `s` once nobody can attach it and nobody has it attached. */
  tidy(s: Segment): void {
    if (!s.live && s.attached.size === 0) this.#byId.delete(s.id);
  }
}

/** SHMGET: the segment of `key` (made with `size` bytes if IPC_CREAT asks); its id or -errno. */
export function shmget(t: ProcessTable, p: Process, key: number, size: number, flags: number) {
  const found = t.segments.withKey(key);
  if (found !== undefined) {
    if ((flags & SHM.IPC_CREAT) !== 0 && (flags & SHM.IPC_EXCL) !== 0) return -ERRNO.EEXIST;
    if (size > found.size) return -ERRNO.EINVAL;
    return found.id;
  }
  if (key !== SHM.IPC_PRIVATE && (flags & SHM.IPC_CREAT) === 0) return -ERRNO.ENOENT;
  if (size <= 0 || size > SHM.MAX) return -ERRNO.EINVAL;
  const pages: { page: number; capability: Capability }[] = [];
  for (let i = 0; i < Math.ceil(size / PAGE_SIZE); i++) {
    const r = p.path.call(SYS.ALLOC, -1);
    if (r.v0 < 0) {
      for (const g of pages) {
        p.path.call(SYS.DEALLOC, g.page, 0, ...capabilityWords(g.capability));
      }
      return -ERRNO.ENOMEM;
    }
    pages.push({ page: r.v0, capability: capabilityOf(r.a2, r.a3) });
  }
  for (const g of pages) t.shareable(p, g.page, g.capability); // the segment's own hold
  const s = t.segments.add((id) => new Segment(id, key, size, flags & 0o777, p, pages));
  return s.id;
}

/** SHMAT: maps segment `id` in `p` (read-only with SHM_RDONLY); its address, or -errno. */
export function shmat(t: ProcessTable, p: Process, id: number, flags: number): number {
  const s = t.segments.get(id);
  if (s === undefined) return -ERRNO.EINVAL;
  const readonly = (flags & SHM.SHM_RDONLY) !== 0, mine = s.owner === p;
  if (!mine && (s.mode & 0o044) === 0) return -ERRNO.EACCES;
  if (!readonly && !mine && (s.mode & 0o022) === 0) return -ERRNO.EACCES;
  const mapped: number[] = [];
  try {
    for (const g of s.pages) {
      let capability = g.capability;
      if (readonly) {
        const r = s.owner.path.call(SYS.CAP_READONLY, g.page, 0, ...capabilityWords(capability));
        capability = capabilityOf(r.a2, r.a3);
      }
      const va = p.vm.mapShared({ page: g.page, capability, writable: !readonly });
      const m = p.vm.lookup(va)!;
      p.vm.table.update(m.vpn, m.flags | SHARED);
      t.share(s.owner, m, p);
      mapped.push(va);
    }
  } catch { // the mmap area is full
    for (const va of mapped) p.vm.munmap(va, PAGE_SIZE);
    return -ERRNO.ENOMEM;
  }
  const list = s.attached.get(p) ?? [];
  list.push(mapped[0]);
  s.attached.set(p, list);
  return mapped[0];
}

/** SHMDT: unmaps the attachment of `p` at `va`; 0, or -EINVAL when there is none. */
export function shmdt(t: ProcessTable, p: Process, va: number): number {
  for (const s of t.segments.all) {
    const list = s.attached.get(p);
    const i = list?.indexOf(va >>> 0) ?? -1;
    if (list === undefined || i < 0) continue;
    list.splice(i, 1);
    if (list.length === 0) s.attached.delete(p);
    p.vm.munmap(va, s.pages.length * PAGE_SIZE);
    t.segments.tidy(s);
    return 0;
  }
  return -ERRNO.EINVAL;
}

/** Gives fork's `child` the attachments of `parent` (the pages come with the address space). */
export function inheritSegments(t: ProcessTable, parent: Process, child: Process): void {
  for (const s of t.segments.all) {
    const list = s.attached.get(parent);
    if (list !== undefined) s.attached.set(child, [...list]);
  }
}

/**
 * Detaches every segment `p` has attached (it is ending or exec'ing); when `p` is ending, the
 * segments it made lose their key and their own hold on their pages.
 */
export function detachAll(t: ProcessTable, p: Process, ending = true): void {
  for (const s of t.segments.all) {
    for (const va of s.attached.get(p) ?? []) {
      if (p.alive) p.vm.munmap(va, s.pages.length * PAGE_SIZE);
    }
    s.attached.delete(p);
    if (ending && s.owner === p && s.live) {
      s.live = false;
      for (const g of s.pages) {
        t.release(p, { vpn: 0, page: g.page, capability: g.capability, flags: SHARED }, true);
      }
    }
    t.segments.tidy(s);
  }
}
