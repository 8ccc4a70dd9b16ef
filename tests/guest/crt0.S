/*
 * crt0.S: entry of the bare DECstation test programs.
 *
 * The PROM (or the machine acting as one) enters __start in kernel mode, in kseg0, with
 * a0 = argc, a1 = argv, a2 = 0x30464354 (the REX magic) and a3 = the REX callback vector.
 * We clear .bss, move the stack into .bss, keep the vector in __rex for prom.c, call
 * main(argc, argv) and leave through the PROM's halt callback (vector + 0x9c), which stops
 * the machine. main's return value is ignored, as the PROM has nowhere to put it.
 */
	.file	"crt0.S"
	.set	noreorder
	.section .text.start, "ax", @progbits
	.globl	__start
	.ent	__start
__start:
	la	$t0, __bss_start	# clear .bss (the linker script aligns both ends to 16)
	la	$t1, _end
1:	beq	$t0, $t1, 2f
	nop
	sw	$zero, 0($t0)
	b	1b
	addiu	$t0, $t0, 4
2:	la	$sp, __stack_top - 16	# o32: the callee may spill a0-a3 into 16 bytes above sp
	la	$t0, __rex
	sw	$a3, 0($t0)
	jal	main			# main(a0 = argc, a1 = argv)
	nop
	la	$t0, __rex
	lw	$t0, 0($t0)
	nop
	lw	$t9, 0x9c($t0)		# _halt(0, 0)
	move	$a0, $zero
	jalr	$t9
	move	$a1, $zero
3:	b	3b			# the halt callback does not return
	nop
	.end	__start

	.bss
	.globl	__rex
	.align	2
__rex:	.space	4
	.align	4
__stack:
	.space	0x10000
__stack_top:
