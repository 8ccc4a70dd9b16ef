/*
 * prom.h: the tiny runtime of the bare DECstation test programs.
 *
 * A DECstation PROM of the REX generation (3MAX and later) hands a program a callback vector: a
 * table of function pointers, called with the normal o32 convention. crt0.S keeps its address
 * in __rex. Offsets follow NetBSD/pmax's struct callback (dec_prom.h); only the ones below are
 * used. prom_printf calls the PROM's own printf with the caller's varargs; the PROM does the
 * formatting. gxemul's PROM printf knows only %d %x %s %c, ignores widths and prints at most
 * three arguments, so programs that need more format through xprintf, which formats in the
 * guest and hands the PROM plain text through "%s".
 */
#ifndef PROM_H
#define PROM_H

#define REX_MAGIC 0x30464354 /* a2 at entry on a REX PROM */
#define REX_GETCHAR 0x24     /* int getchar(void) */
#define REX_PUTS 0x2c        /* int puts(char *): prints the string, then a newline */
#define REX_PRINTF 0x30      /* int printf(char *fmt, ...) */
#define REX_GETENV 0x64      /* char *getenv(char *name) */
#define REX_GETSYSID 0x80    /* int getsysid(void) */
#define REX_GETBITMAP 0x84   /* int getbitmap(struct prom_memmap *) */
#define REX_HALT 0x9c        /* void halt(int *, int) */
#define REX_REX 0xac         /* void rex(char cmd): 'h' halt, 'b' boot */

/* The callback vector, stored by crt0.S from a3 at entry. */
extern void *__rex;

/* The callback at byte offset off of the vector. */
#define REX_ENTRY(off) (*(void **)((char *)__rex + (off)))

/* The PROM's printf, called directly with the caller's arguments. */
#define prom_printf ((int (*)(const char *, ...))REX_ENTRY(REX_PRINTF))

/* The memory bitmap filled by getbitmap: one bit per page, 1 = page present. */
struct prom_memmap {
  int pagesize;
  unsigned char bitmap[15360]; /* gxemul fills 15360 bytes: 480 MB of 4 KB pages */
};

int prom_puts(const char *s);
int prom_getchar(void);
int prom_getsysid(void);
int prom_getbitmap(struct prom_memmap *map);
void prom_halt(void) __attribute__((noreturn));

/* printf formatted in the guest: %d %u %x %s %c %%, flags '-' and '0', a width. */
int xprintf(const char *fmt, ...);

void *memcpy(void *dst, const void *src, unsigned n);
void *memset(void *dst, int c, unsigned n);

#endif
