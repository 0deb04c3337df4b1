/* ns.c — the namespaces containerize knows, as one lookup table. */
#include <sched.h>

#include "internal.h"

const struct cz_ns_kind cz_ns_kinds[CZ_NS_COUNT] = {
	{ .flag = CLONE_NEWUTS,    .name = "uts" },
	{ .flag = CLONE_NEWIPC,    .name = "ipc" },
	{ .flag = CLONE_NEWNET,    .name = "net" },
	{ .flag = CLONE_NEWCGROUP, .name = "cgroup" },
	/* setns(CLONE_NEWPID) only sets pid_for_children. */
	{ .flag = CLONE_NEWPID,    .name = "pid" },
	/* Last: after it, paths resolve inside the container. */
	{ .flag = CLONE_NEWNS,     .name = "mnt" },
};
