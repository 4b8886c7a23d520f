/* exit0.c: the least a process can do, built static: exec to exit of it
 * is the floor of starting any helper process on this machine. */
int
main(void)
{
    return 0;
}
