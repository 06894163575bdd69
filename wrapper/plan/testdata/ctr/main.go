// Command ctr is the plan tests' image: it does nothing.
package main

func main() {}
