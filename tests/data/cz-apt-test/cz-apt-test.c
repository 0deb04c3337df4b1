#include <stdio.h>

int main(void)
{
	puts("cz-apt-test built in a containerize throwaway instance");
	return 0;
}
