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
	return done_testing();
}
