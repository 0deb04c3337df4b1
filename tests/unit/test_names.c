/* Names of groups and containers (SPEC 3). */
#include "../../common/internal.h"
#include "tap.h"

int main(void)
{
	static const char *const good[] = { "a", "debian", "bookworm", "x86_64", "a.b", "a+b", "a-b", "0", "A9_.+-" };
	static const char *const bad[] = { "", ".", "..", ".container", "-x", "_a", "+a", "a/b", "/", "a b",
					   "a\nb", "a\tb", "\x01", "a\x7f", "é", "a:b", "a*", "~" };
	char n64[65], n65[66];
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ok(cz_name_valid(good[i]), "valid name '%s'", good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(!cz_name_valid(bad[i]), "invalid name #%zu", i);
	memset(n64, 'a', 64);
	n64[64] = '\0';
	memset(n65, 'a', 65);
	n65[65] = '\0';
	ok(cz_name_valid(n64), "64 bytes is allowed");
	ok(!cz_name_valid(n65), "65 bytes is refused");
	ok(!cz_name_valid(NULL), "NULL is refused");

	/* systemd unit names (systemd.c): systemd-escape's rules */
	{
		char u[300], big[CZ_NAME_MAX + 1];
		ok(cz_unit_escape("a-b+c.d_e:f", u, sizeof u) == 0, "escape");
		is_str(u, "a\\x2db\\x2bc.d_e:f", "'-' and '+' escaped, '.' '_' ':' kept");
		ok(cz_unit_escape(".x", u, sizeof u) == 0, "escape a leading dot");
		is_str(u, "\\x2ex", "a leading '.' escaped");
		ok(cz_unit_escape("abcd", u, 4) < 0, "too small a buffer refused");
		ok(cz_scope_name("debian", "bookworm", 42, u, sizeof u) == 0, "scope name");
		is_str(u, "containerize-debian-bookworm-42.scope", "containerize-GROUP-CONTAINER-PID.scope");
		ok(cz_scope_name("my-group", "c+1", 7, u, sizeof u) == 0, "scope name with escapes");
		is_str(u, "containerize-my\\x2dgroup-c\\x2b1-7.scope", "each name escaped");
		memset(big, '-', CZ_NAME_MAX);
		big[0] = 'a';
		big[CZ_NAME_MAX] = '\0';
		ok(cz_scope_name(big, big, 7, u, sizeof u) == 0, "scope name of long names");
		is_str(u, "containerize-7.scope", "too long for systemd (255): containerize-PID.scope");
		ok(cz_scope_slice("containerize", u, sizeof u) == 0, "slice");
		is_str(u, "containerize.slice", "cgroup-name containerize: containerize.slice");
		ok(cz_scope_slice("builds/night-ly", u, sizeof u) == 0, "nested slice");
		is_str(u, "builds-night\\x2dly.slice", "a/b: a-b.slice, a '-' in a name escaped");
	}
	return done_testing();
}
