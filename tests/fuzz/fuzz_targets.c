/* libFuzzer targets for every parser of untrusted or stored text.  Built
 * once per target with -DTARGET_<name>; see tests/integration/90-fuzz.sh.
 * Each input is a NUL-terminated string, as the parsers get it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../common/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct cz_error err;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
#if defined(TARGET_mapfile)
	struct cz_rule r;
	if (cz_map_parse_line(text, &r, &err) == 0) {
		char out[128];
		if (!cz_name_valid(r.group) || r.who[0] == '\0')
			abort();
		if (cz_expand_user(r.container, "user", out, sizeof out) && !cz_name_valid(out))
			abort();
	}
#elif defined(TARGET_unshare)
	int flags;
	cz_parse_unshare_options(text, &flags, &err);
#elif defined(TARGET_propagation)
	enum cz_propagation p;
	char buf[64];
	cz_parse_propagation(text, &p, &err);
	cz_parse_shell(text, buf, sizeof buf, &err);
	cz_parse_cgroup_name(text, buf, sizeof buf, &err);
	if (cz_parse_cgroup_name(text, buf, sizeof buf, &err) == 0 && (strstr(buf, "..") == buf || buf[0] == '/'))
		abort();
#elif defined(TARGET_names)
	if (cz_name_valid(text) && (strchr(text, '/') || strcmp(text, "..") == 0 || strcmp(text, ".") == 0 ||
				   text[0] == '-' || strlen(text) > CZ_NAME_MAX))
		abort();
#elif defined(TARGET_state)
	struct cz_state st;
	char buf[2 * PATH_MAX + 512];
	if (cz_state_parse(text, &st, &err) == 0) {
		struct cz_state again;
		/* What parses must format and parse back to the same state. */
		if (cz_state_format(&st, buf, sizeof buf) < 0 || cz_state_parse(buf, &again, &err) < 0 ||
		    again.pid != st.pid || strcmp(again.tree, st.tree) != 0)
			abort();
	}
#elif defined(TARGET_fstab)
	/* The group fstab: libmount reads it from a descriptor.  What parses
	 * has a line for every entry, in order, and closed option lists. */
	struct cz_fstab *t = NULL;
	int fd = memfd_create("fstab", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, data, size) == (ssize_t)size && cz_fstab_parse(fd, "fuzz", &t, &err) == 0) {
		int last = 0;
		for (size_t i = 0; i < t->n; i++) {
			const struct cz_fstab_entry *e = &t->e[i];
			const char *o;
			if (e->line <= last || !*e->source || !*e->target || !*e->fstype ||
			    (e->kind != CZ_FSTAB_NEW && (e->source[0] != '/' || *e->fsopts)))
				abort();
			for (o = e->fsopts; *o; o += strlen(o) + 1)
				;
			last = e->line;
		}
	}
	cz_fstab_free(t);
	if (fd >= 0)
		close(fd);
#else
#error "define TARGET_<name>"
#endif
	free(text);
	return 0;
}
