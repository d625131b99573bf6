//go:build !unix

package main

import "time"

// cpuTime is 0 where getrusage does not exist: the report's CPU column then reads 0.
func cpuTime() time.Duration { return 0 }
