/* vclone.c — start a child that borrows our memory until it executes its
 * command: clone3(CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP) on a stack
 * of its own, as posix_spawn does, but into a cgroup.
 *
 * Why: a forked child gets a copy of our page tables, and every page it
 * or we then write is copied on the first write (copy-on-write faults);
 * its exec then throws all of that away.  On the join path that was
 * about a fifth of our own cost (README.org, speed).  CLONE_VFORK stops
 * us until the child has executed or exited, so nothing of ours runs
 * while it uses our memory.
 *
 * The rules for the child's function (the vfork rules): it writes no
 * memory of ours but what it was given for that; no malloc, no stdio
 * state that outlives a call (a message is formatted on its stack and
 * written with write(2)); it ends in execve or _exit, never returns.
 * Syscalls are fine (setns, chdir, setgroups, setres[ug]id, prctl,
 * seccomp, execve).  Two globals it may write: errno (ours too, read by
 * us only after a failure of our own) and environ (execvp searches its
 * PATH), which we put back before anything of ours reads it.
 *
 * glibc 2.36 has no clone3 wrapper that runs a function on a new stack,
 * so the few instructions are written here, for x86_64 only; elsewhere
 * cz_vclone says -ENOSYS and the caller forks. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* As much stack as a main thread usually gets (RLIMIT_STACK's default):
 * glibc's execvp copies argv onto the stack to run a script without a #!
 * line, so the need grows with the command's arguments.  Only the pages
 * the child touches are ever made (MAP_NORESERVE, no commit charge). */
#define VCLONE_STACK (8 * 1024 * 1024)
#define VCLONE_GUARD 4096

#if defined(__x86_64__) && defined(SYS_clone3)
static pid_t clone3_run(void *args, size_t size, void (*fn)(void *), void *arg)
{
	/* r12 and r13 survive the syscall into the child (it starts with a
	 * copy of our registers but rax and rsp). */
	register void (*rfn)(void *) __asm__("r12") = fn;
	register void *rarg __asm__("r13") = arg;
	long ret = SYS_clone3;

	__asm__ volatile("syscall\n\t"
			 "testq %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 /* The child, on its own stack (16-byte aligned at the
			  * top: call leaves it as the ABI wants at entry). */
			 "xorl %%ebp, %%ebp\n\t"
			 "movq %%r13, %%rdi\n\t"
			 "callq *%%r12\n\t"
			 /* fn must not return; if it did: _exit(127). */
			 "movl $127, %%edi\n\t"
			 "movl %[exit], %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "+a"(ret)
			 : "D"(args), "S"(size), "r"(rfn), "r"(rarg), [exit] "i"(SYS_exit)
			 : "rcx", "r11", "rdx", "r10", "r8", "r9", "memory", "cc");
	return (pid_t)ret;
}
#endif

pid_t cz_vclone(int cgroupfd, void (*fn)(void *), void *arg)
{
#if defined(__x86_64__) && defined(SYS_clone3)
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
		uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
	} args = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };
	extern char **environ;
	char **env = environ;
	sigset_t all, old;
	char *stack;
	pid_t pid;
	int e;

	/* A thread of ours would run on while the child uses our memory, and
	 * glibc's set*id would signal it from the child: fork instead.  So
	 * under ASan, whose stack bookkeeping in the child would land in our
	 * shadow memory. */
#ifdef CZ_SANITIZE
	return -ENOSYS;
#endif
	if (!__libc_single_threaded)
		return -ENOSYS;
	/* A guard page below the child's stack: an overflow faults. */
	stack = mmap(NULL, VCLONE_STACK + VCLONE_GUARD, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	if (mprotect(stack, VCLONE_GUARD, PROT_NONE) < 0) {
		e = errno;
		munmap(stack, VCLONE_STACK + VCLONE_GUARD);
		return -e;
	}
	args.stack = (uint64_t)(uintptr_t)(stack + VCLONE_GUARD);
	args.stack_size = VCLONE_STACK;
	if (cgroupfd >= 0) {
		args.flags |= 0x200000000ULL;	/* CLONE_INTO_CGROUP */
		args.cgroup = (uint64_t)cgroupfd;
	}
	/* No handler of ours may run in the child, on our memory: every
	 * signal blocked across the clone; fn resets the handlers it knows
	 * of before it unblocks them (posix_spawn does the same). */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = clone3_run(&args, sizeof args, fn, arg);
	environ = env;
	sigprocmask(SIG_SETMASK, &old, NULL);
	e = pid < 0 ? (int)-pid : 0;
	munmap(stack, VCLONE_STACK + VCLONE_GUARD);
	return pid < 0 ? -e : pid;
#else
	(void)cgroupfd;
	(void)fn;
	(void)arg;
	return -ENOSYS;
#endif
}
