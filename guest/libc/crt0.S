/*
 * crt0.S: entry of the UNIX personality programs, and the trap stub of every UNIX call.
 *
 * ExOS enters __start in user mode with a0 = argc, a1 = argv, a2 = envp and sp 16-byte aligned
 * (unix.h). We leave the three registers as they are for main(argc, argv, envp), reserve the
 * 16-byte o32 argument area below sp (main may spill a0-a3 there), and hand main's return value
 * to exit. .bss needs no clearing: ExOS zero-fills it when it loads the ELF.
 *
 * unix_call(n, a, b, c) moves the call number into v0 and the arguments into a0..a2, then traps
 * with the word UNIX_TRAP; ExOS resumes at the jr with the result in v0.
 */
#include "unix.h"
	.file	"crt0.S"
	.set	noreorder
	.section .text.start, "ax", @progbits
	.globl	__start
	.ent	__start
__start:
	jal	main			# main(a0 = argc, a1 = argv, a2 = envp)
	addiu	$sp, $sp, -16		# (delay slot) the o32 argument area
	jal	exit			# exit(main's return value): does not return
	move	$a0, $v0
1:	b	1b
	nop
	.end	__start

	.text
	.globl	unix_call
	.ent	unix_call
unix_call:
	move	$v0, $a0
	move	$a0, $a1
	move	$a1, $a2
	move	$a2, $a3
	.word	UNIX_TRAP		# break, code bits 25:16 = 0xf (unix.h)
	jr	$ra
	nop
	.end	unix_call
