// Command exit0 is the least a Go program can do, built static
// (CGO_ENABLED=0): exec to exit of it is the floor of starting a process
// with a Go runtime, which every core process has.
package main

func main() {}
