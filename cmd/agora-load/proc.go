package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/{pid}/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// procSample is a process's memory and CPU at one moment.
type procSample struct {
	RSS        int64   // bytes
	CPUSeconds float64 // user + system
}

// readProc reads /proc/{pid}/status (VmRSS) and /proc/{pid}/stat (utime,
// stime).
func readProc(pid int) (procSample, error) {
	var s procSample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			s.RSS = kb << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	s.CPUSeconds = float64(utime+stime) / clockTicks
	return s, nil
}

// sampleAll sums the samples of the given processes; a process that
// cannot be read counts as zero (and is reported once).
func (r *runner) sampleAll(pids []int) procSample {
	var sum procSample
	for _, pid := range pids {
		s, err := readProc(pid)
		if err != nil {
			r.stats.fail("read /proc", err)
			continue
		}
		sum.RSS += s.RSS
		sum.CPUSeconds += s.CPUSeconds
	}
	return sum
}
