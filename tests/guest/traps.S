/*
 * traps.S: the machine-level half of exceptions.c.
 *
 * trap_install copies two four-word stubs to the R3000 vectors: 0x80000000 (UTLB miss on a
 * kuseg address) and 0x80000080 (everything else). Each stub jumps to trap_handler with the
 * vector's offset in k1. The handler stores Cause, EPC, BadVAddr, Status, Context, EntryHi and
 * the vector into trap_record, clears Status.KUp so that RFE always comes back in kernel mode,
 * and resumes at trap_resume, inside trap_call. trap_call(fn, arg) runs fn(arg) and returns
 * whether or not fn faulted; registers other than k0/k1 keep what the faulting code left there,
 * so a test can see that a trapping instruction did not write its destination.
 * The snippets ex_* each fault (or not) at a known offset. user_code is copied to a page mapped
 * at 0x00400000 and run in user mode by user_enter. A real R3000 would need its I-cache flushed
 * after the copies; the emulators do not model the cache.
 */
	.file	"traps.S"
	.set	noreorder
	.set	noat
	.text

stub_utlb:
	lui	$k0, %hi(trap_handler)
	addiu	$k0, $k0, %lo(trap_handler)
	jr	$k0
	li	$k1, 0x00
stub_general:
	lui	$k0, %hi(trap_handler)
	addiu	$k0, $k0, %lo(trap_handler)
	jr	$k0
	li	$k1, 0x80

	.globl	trap_install
trap_install:
	la	$t0, stub_utlb
	li	$t1, 0x80000000
	li	$t2, 0x80000080
	li	$t3, 4
1:	lw	$t4, 0($t0)		# a word of stub_utlb
	lw	$t5, 16($t0)		# the same word of stub_general
	addiu	$t3, $t3, -1
	sw	$t4, 0($t1)
	sw	$t5, 0($t2)
	addiu	$t0, $t0, 4
	addiu	$t1, $t1, 4
	bnez	$t3, 1b
	addiu	$t2, $t2, 4
	jr	$ra
	nop

trap_handler:
	la	$k0, trap_record
	sw	$k1, 24($k0)		# vector offset
	mfc0	$k1, $13		# Cause
	nop
	sw	$k1, 0($k0)
	mfc0	$k1, $14		# EPC
	nop
	sw	$k1, 4($k0)
	mfc0	$k1, $8			# BadVAddr
	nop
	sw	$k1, 8($k0)
	mfc0	$k1, $4			# Context
	nop
	sw	$k1, 16($k0)
	mfc0	$k1, $10		# EntryHi
	nop
	sw	$k1, 20($k0)
	mfc0	$k1, $12		# Status
	nop
	sw	$k1, 12($k0)
	srl	$k1, $k1, 4		# clear KUp (bit 3): resume in kernel mode
	sll	$k1, $k1, 4
	lw	$k0, 12($k0)
	nop
	andi	$k0, $k0, 0x7
	or	$k1, $k1, $k0
	mtc0	$k1, $12
	la	$k0, trap_resume
	lw	$k0, 0($k0)
	nop
	jr	$k0
	rfe

	.globl	trap_call
trap_call:
	addiu	$sp, $sp, -24
	sw	$ra, 20($sp)
	la	$t0, trap_sp
	sw	$sp, 0($t0)
	la	$t0, 1f
	la	$t1, trap_resume
	sw	$t0, 0($t1)
	move	$t9, $a0
	move	$v0, $zero
	jalr	$t9
	move	$a0, $a1
1:	la	$t0, trap_sp
	lw	$sp, 0($t0)
	nop
	lw	$ra, 20($sp)
	nop
	jr	$ra
	addiu	$sp, $sp, 24

/* Coprocessor 0 access for exceptions.c. */
	.globl	get_status, set_status, set_entryhi, get_entryhi, set_context
	.globl	get_index, tlb_write, tlb_read, tlb_probe, get_entrylo, rfe_status
get_status:
	mfc0	$v0, $12
	jr	$ra
	nop
set_status:
	mtc0	$a0, $12
	jr	$ra
	nop
get_entryhi:
	mfc0	$v0, $10
	jr	$ra
	nop
set_entryhi:
	mtc0	$a0, $10
	jr	$ra
	nop
get_entrylo:
	mfc0	$v0, $2
	jr	$ra
	nop
set_context:
	mtc0	$a0, $4
	jr	$ra
	nop
get_index:
	mfc0	$v0, $0
	jr	$ra
	nop
/* rfe_status(s): set Status to s, execute RFE, return the new Status, restore the old one. */
rfe_status:
	mfc0	$t1, $12
	mtc0	$a0, $12
	nop
	rfe
	nop
	mfc0	$v0, $12
	nop
	mtc0	$t1, $12
	jr	$ra
	nop
/* tlb_write(index, entryhi, entrylo): TLBWI. */
tlb_write:
	sll	$a0, $a0, 8
	mtc0	$a0, $0
	mtc0	$a1, $10
	mtc0	$a2, $2
	nop
	tlbwi
	jr	$ra
	nop
/* tlb_read(index): TLBR, leaving the entry in EntryHi/EntryLo. */
tlb_read:
	sll	$a0, $a0, 8
	mtc0	$a0, $0
	nop
	tlbr
	jr	$ra
	nop
/* tlb_probe(entryhi): TLBP, returning Index. */
tlb_probe:
	mtc0	$a0, $10
	nop
	tlbp
	nop
	mfc0	$v0, $0
	jr	$ra
	nop

/* Snippets run by trap_call; each names its faulting instruction's offset. */
	.globl	ex_add, ex_addi, ex_sub, ex_addu, ex_syscall, ex_break, ex_lw, ex_lh
	.globl	ex_sw, ex_sh, ex_jr, ex_delay, ex_reserved, ex_teq, ex_cop1, ex_cop3, ex_load
	.globl	ex_store, user_enter, user_code, user_code_end
ex_add:					# +0xc: add overflows, v0 keeps 0x1234
	li	$v0, 0x1234
	li	$t0, 0x7fffffff
	add	$v0, $t0, $t0
	jr	$ra
	nop
ex_addi:				# +0xc: addi overflows
	li	$v0, 0x1234
	li	$t0, 0x7fffffff
	addi	$v0, $t0, 1
	jr	$ra
	nop
ex_sub:					# +0xc: sub overflows
	li	$v0, 0x1234
	lui	$t0, 0x8000
	li	$t1, 1
	sub	$v0, $t0, $t1
	jr	$ra
	nop
ex_addu:				# no exception: addu wraps, v0 = 0xfffffffe
	li	$v0, 0x1234
	li	$t0, 0x7fffffff
	addu	$v0, $t0, $t0
	jr	$ra
	nop
ex_syscall:				# +0
	syscall
	jr	$ra
	nop
ex_break:				# +0
	break	7
	jr	$ra
	nop
ex_lw:					# +4: lw from a0
	li	$v0, 0x1234
	lw	$v0, 0($a0)
	jr	$ra
	nop
ex_lh:					# +4: lh from a0
	li	$v0, 0x1234
	lh	$v0, 0($a0)
	jr	$ra
	nop
ex_sw:					# +0: sw to a0
	sw	$zero, 0($a0)
	jr	$ra
	nop
ex_sh:					# +0: sh to a0
	sh	$zero, 0($a0)
	jr	$ra
	nop
ex_jr:					# fetch from a0
	jr	$a0
	nop
ex_delay:				# +4: the load in the delay slot faults; EPC = the branch
	li	$v0, 0x1234
	beq	$zero, $zero, 1f
	lw	$v0, 1($a0)
1:	jr	$ra
	nop
ex_reserved:				# +0: SPECIAL function 0x0e is reserved in every MIPS ISA
	.word	0x0000000e
	jr	$ra
	nop
ex_teq:					# +0: teq is MIPS II; an R3000 raises RI
	.set	mips2
	teq	$zero, $zero
	.set	mips1
	jr	$ra
	nop
ex_cop1:				# +0: coprocessor 1 use with Status.CU1 clear
	.set	hardfloat
	mfc1	$v0, $f0
	.set	softfloat
	jr	$ra
	nop
ex_cop3:				# +0: coprocessor 3 load with Status.CU3 clear
	lwc3	$0, 0($sp)
	jr	$ra
	nop
ex_load:				# +4: lw from a0, v0 = the word
	li	$v0, 0x1234
	lw	$v0, 0($a0)
	jr	$ra
	nop
ex_store:				# +8: sw 0x5a5a5a5a to a0
	li	$t0, 0x5a5a5a5a
	sw	$t0, 0($a0)
	jr	$ra
	nop

/*
 * user_enter(pc): drop to user mode at pc: Status.KUp = 1 and CU0 = 0 (so coprocessor 0 is
 * unusable in user mode), then RFE in the jump's delay slot.
 */
user_enter:
	mfc0	$t0, $12
	li	$t1, ~0x1000003f
	and	$t0, $t0, $t1
	ori	$t0, $t0, 0x08		# KUp = 1, IEp = 0
	mtc0	$t0, $12
	nop
	jr	$a0
	rfe

/*
 * Copied to the page mapped at 0x00400000; entry points every 16 bytes. Each ends in syscall,
 * so an emulator that lets the faulting instruction through reports Sys instead of hanging.
 */
user_code:
	lui	$t0, 0x8003		# +0x00: +4 loads from kseg0: AdEL
	lw	$t1, 0($t0)
	syscall
	nop
	mfc0	$t0, $12		# +0x10: coprocessor 0 in user mode: CpU, CE 0
	syscall
	nop
	nop
	syscall				# +0x20: Sys from user mode
	nop
	nop
	nop
	lui	$t0, 0x0080		# +0x30: +4 loads an unmapped kuseg page: UTLB miss, TLBL
	lw	$t1, 0($t0)
	syscall
	nop
user_code_end:

	.data
	.globl	trap_record
trap_record:
	.word	0, 0, 0, 0, 0, 0, 0	# cause, epc, badvaddr, status, context, entryhi, vector
trap_resume:
	.word	0
trap_sp:
	.word	0
