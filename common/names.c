/* names.c — the only names containerize accepts for groups and containers. */
#include <string.h>

#include "internal.h"

static bool name_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '.' || c == '+' || c == '-');
}

/* [A-Za-z0-9][A-Za-z0-9_.+-]*, at most CZ_NAME_MAX bytes: no path
 * separators, no "." or "..", no leading dash (option confusion) and no
 * control characters can ever reach a path or a log line. */
bool cz_name_valid(const char *name)
{
	size_t i;

	if (!name || !name[0])
		return false;
	for (i = 0; name[i]; i++) {
		if (i >= CZ_NAME_MAX || !name_char(name[i], i == 0))
			return false;
	}
	return true;
}
