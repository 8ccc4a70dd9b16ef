/*
 * exceptions.c: R3000 exceptions seen from a bare kernel-mode program. With the handler of
 * traps.S installed at the exception vectors, each case runs a snippet that faults (or not)
 * and prints what the handler saw: the exception code, Cause.BD and Cause.CE, EPC and BadVAddr
 * relative to a named base, the vector used, the Status KU/IE stack, Context and EntryHi for
 * TLB misses. Cases: Ov for add/addi/sub (destination unchanged) but not addu; Sys; Bp;
 * AdEL/AdES for misaligned loads, stores and instruction fetch; a fault in a branch delay slot;
 * RI (a reserved function and MIPS II teq); CpU for coprocessors 1 and 3; TLB misses on kseg2
 * (general vector) and kuseg (UTLB vector); a mapped page with Mod until D is set; ASID
 * mismatch; TLBP and TLBR; user mode touching kseg0, coprocessor 0, syscall and an unmapped page.
 * Expected output follows the R3000 rules, not gxemul (see README.md).
 */
#include "prom.h"

struct trap_record {
  unsigned cause, epc, badvaddr, status, context, entryhi, vector;
};
extern struct trap_record trap_record;
typedef void snippet(unsigned);
extern snippet ex_add, ex_addi, ex_sub, ex_addu, ex_syscall, ex_break, ex_lw, ex_lh, ex_sw, ex_sh,
    ex_jr, ex_delay, ex_reserved, ex_teq, ex_cop1, ex_cop3, ex_load, ex_store, user_enter;
extern const unsigned user_code[], user_code_end[];
void trap_install(void);
unsigned trap_call(snippet *fn, unsigned arg);
unsigned get_status(void);
void set_status(unsigned);
unsigned get_entryhi(void);
void set_entryhi(unsigned);
unsigned get_entrylo(void);
void set_context(unsigned);
void tlb_write(unsigned index, unsigned hi, unsigned lo);
void tlb_read(unsigned index);
unsigned tlb_probe(unsigned hi);
unsigned rfe_status(unsigned s);

#define NONE 0xffffffffu
#define CU0 0x10000000u
#define V 0x200
#define D 0x400
#define G 0x100
#define UBASE 0x00400000u

static const char *const codes[] = {"Int", "Mod",  "TLBL", "TLBS", "AdEL", "AdES", "IBE", "DBE",
                                    "Sys", "Bp",   "RI",   "CpU",  "Ov",   "13",   "14",  "15"};
static unsigned words[4];
static unsigned char page[4096] __attribute__((aligned(4096)));

/* An address as an offset from base when it is near, else in full. */
static void where(const char *label, unsigned addr, const char *bname, unsigned base) {
  if (addr - base < 0x40) xprintf(" %s %s+%x", label, bname, addr - base);
  else xprintf(" %s %08x", label, addr);
}

/*
 * Run fn(arg) and print what the handler saw. EPC is shown from fn, or from arg when fn jumps
 * there; BadVAddr (for address errors and TLB exceptions only) from arg.
 */
static void run(const char *name, snippet *fn, unsigned arg) {
  trap_record.cause = NONE;
  unsigned v0 = trap_call(fn, arg);
  struct trap_record *r = &trap_record;
  if (r->cause == NONE) {
    xprintf("%-13s no exception, v0 %08x\n", name, v0);
    return;
  }
  unsigned code = (r->cause >> 2) & 31;
  xprintf("%-13s %-4s bd %u ce %u vector %02x", name, codes[code & 15], r->cause >> 31,
          (r->cause >> 28) & 3, r->vector);
  if (fn == ex_jr || fn == user_enter) where("epc", r->epc, "arg", arg);
  else where("epc", r->epc, "fn", (unsigned)fn);
  if (code >= 1 && code <= 5) where("bad", r->badvaddr, "arg", arg);
  xprintf(" ku/ie %02x v0 %08x\n", r->status & 0x3f, v0);
}

static void tlb_clear(void) {
  for (unsigned i = 0; i < 64; i++) tlb_write(i, 0x80000000u + (i << 12), 0);
}

int main(void) {
  unsigned w = (unsigned)words, st = get_status();
  words[0] = 0x11223344;
  trap_install();
  set_status(CU0);
  run("add", ex_add, 0);
  run("addi", ex_addi, 0);
  run("sub", ex_sub, 0);
  run("addu", ex_addu, 0);
  set_status(CU0 | 0x01); /* IEc = 1 with every interrupt masked: the KU/IE stack pushes it */
  run("syscall", ex_syscall, 0);
  xprintf("status after rfe: ku/ie %02x\n", get_status() & 0x3f);
  set_status(CU0);
  xprintf("rfe from ku/ie 34: %02x\n", rfe_status(CU0 | 0x34) & 0x3f);
  run("break", ex_break, 0);
  run("lw aligned", ex_lw, w);
  run("lw +2", ex_lw, w + 2);
  run("lh +1", ex_lh, w + 1);
  run("sw +1", ex_sw, w + 1);
  run("sh +3", ex_sh, w + 3);
  run("jr +2", ex_jr, (unsigned)ex_add + 2);
  run("delay slot", ex_delay, w);
  run("reserved", ex_reserved, 0);
  run("teq", ex_teq, 0);
  run("cop1", ex_cop1, 0);
  run("cop3", ex_cop3, 0);

  tlb_clear();
  set_entryhi(0);
  set_context(0);
  run("kseg2 load", ex_load, 0xc0001000u);
  xprintf("  context %08x entryhi %08x\n", trap_record.context, trap_record.entryhi);
  run("kuseg load", ex_load, 0x00012344u);
  xprintf("  context %08x entryhi %08x\n", trap_record.context, trap_record.entryhi);
  run("kuseg store", ex_store, 0x7ffff000u);
  xprintf("  context %08x entryhi %08x\n", trap_record.context, trap_record.entryhi);

  unsigned phys = (unsigned)page & 0x1fffffffu;
  ((unsigned *)page)[1] = 0xfeedf00d;
  tlb_write(5, UBASE, phys | V | 0xff); /* ASID 0, not dirty, not global; low bits ignored */
  tlb_read(5);
  xprintf("tlbr 5: entryhi %08x entrylo %08x\n", get_entryhi(), get_entrylo() - phys);
  xprintf("tlbp hit: index %08x, miss: p %u\n", tlb_probe(UBASE), tlb_probe(UBASE + 0x1000) >> 31);
  set_entryhi(0);
  run("mapped load", ex_load, UBASE + 4);
  run("mapped store", ex_store, UBASE + 8);
  xprintf("  entryhi %08x, word %08x\n", trap_record.entryhi, ((unsigned *)page)[2]);
  tlb_write(5, UBASE, phys | V | D);
  set_entryhi(0);
  run("dirty store", ex_store, UBASE + 8);
  xprintf("  word %08x\n", ((unsigned *)page)[2]);
  set_entryhi(1 << 6);
  run("other asid", ex_load, UBASE + 4);
  xprintf("  entryhi %08x\n", trap_record.entryhi);

  /* User mode: the page, global and writable, holds user_code. */
  memcpy(page, user_code, (unsigned)user_code_end - (unsigned)user_code);
  tlb_write(5, UBASE, phys | V | D | G);
  set_entryhi(0);
  run("user kseg0", user_enter, UBASE + 0x00);
  run("user cop0", user_enter, UBASE + 0x10);
  run("user syscall", user_enter, UBASE + 0x20);
  run("user unmapped", user_enter, UBASE + 0x30);
  xprintf("status back in kernel: ku/ie %02x cu0 %u\n", get_status() & 0x3f, get_status() >> 28 & 1);
  tlb_clear();
  set_status(st);
  return 0;
}
