/*
 * promcalls.c: what the REX callbacks answer, as gxemul's 3MAX PROM does with 32 MB of RAM
 * (gxemul -M 32): the magic in a2 at entry, getsysid, getbitmap (its return value, page size,
 * how many pages are present and how much of the map it writes) and the return values of printf
 * and puts. crt0.S leaves a0-a3 as the PROM set them, so main sees a2 and a3 as its third and
 * fourth arguments. argc and argv are not printed: gxemul's argv holds the boot path.
 */
#include "prom.h"

/* The map, then a guard that shows whether getbitmap writes past 15360 bytes. */
static struct {
  struct prom_memmap map;
  unsigned char guard[1024];
} m;

int main(int argc, char **argv, unsigned magic, void *vector) {
  (void)argc, (void)argv;
  prom_printf("a2 at entry: %x, a3 is the vector: %d\n", magic, vector == __rex);
  int sysid = prom_getsysid();
  prom_printf("getsysid: %x (cpu %x, system %x)\n", sysid, (sysid >> 24) & 0xff,
              (sysid >> 16) & 0xff);
  memset(&m, 0x55, sizeof m);
  int n = prom_getbitmap(&m.map);
  int present = 0, guard = 0;
  for (unsigned i = 0; i < sizeof m.map.bitmap; i++)
    for (int b = 0; b < 8; b++) present += (m.map.bitmap[i] >> b) & 1;
  for (unsigned i = 0; i < sizeof m.guard; i++) guard += m.guard[i] == 0x55;
  prom_printf("getbitmap: returned %d, pagesize %d\n", n, m.map.pagesize);
  prom_printf("getbitmap: %d pages present (%d KB), guard bytes intact: %d\n", present,
              present * (m.map.pagesize / 1024), guard);
  int r = prom_printf("printf returns ");
  prom_printf("%d\n", r);
  r = prom_puts("puts returns");
  prom_printf("%d\n", r);
  return 0;
}
