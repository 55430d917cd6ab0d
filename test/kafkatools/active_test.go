package kafkatools

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"time"
)

// stableTries bounds how many times a group's state is asked for while a
// member joins (each ask is a JVM start).
const stableTries = 20

// checkActiveGroups describes groups while a console consumer is a member,
// for both group protocols: the columns that name the member
// (CONSUMER-ID, HOST, CLIENT-ID, #PARTITIONS) and its assignment.
func checkActiveGroups(x *tools) {
	for _, g := range []struct{ group, protocol string }{{"g3", "classic"}, {"g4", "consumer"}} {
		x.activeGroup(g.group, g.protocol)
	}
}

func (x *tools) activeGroup(group, protocol string) {
	x.t.Helper()
	bs := x.tg.Bootstrap
	ctx, cancel := context.WithTimeout(context.Background(), 2*toolTimeout)
	defer cancel()
	args := append(append([]string{}, jvmFlags...), "-cp", x.cp, consumerCmd, bsFlag, bs, "--topic", "t1",
		"--from-beginning", "--group", group, "--command-property", "group.protocol="+protocol,
		"--command-property", "auto.commit.interval.ms=200")
	cmd := exec.CommandContext(ctx, "java", args...)
	cmd.WaitDelay = 2 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		x.t.Fatalf("start console consumer: %v", err)
	}
	defer func() {
		cancel() // kills this consumer's process only
		_ = cmd.Wait()
	}()
	stable := false
	for range stableTries {
		r := x.try("", groupsCmd, bsFlag, bs, "--describe", "--group", group, "--state")
		if strings.Contains(r.Stdout, "Stable") {
			stable = true
			break
		}
	}
	if !stable {
		x.t.Fatalf("group %s (%s) never Stable; consumer output:\n%s", group, protocol, out.String())
	}
	r := x.run("", groupsCmd, bsFlag, bs, "--describe", "--group", group, "--members")
	x.same("members "+protocol, sortedLines(memberIDs(r.Stdout)))
	if !strings.Contains(r.Stdout, "#PARTITIONS") || !strings.Contains(r.Stdout, "console-consumer") {
		x.t.Errorf("members %s: %s", protocol, r)
	}
	r = x.run("", groupsCmd, bsFlag, bs, "--describe", "--group", group, "--members", "--verbose")
	x.same("members verbose "+protocol, sortedLines(epochs(memberIDs(r.Stdout))))
	// The consumer commits every 200 ms: ask until its commits show
	// (every partition's CURRENT-OFFSET), a bounded number of times.
	for range stableTries {
		r = x.run("", groupsCmd, bsFlag, bs, "--describe", "--group", group, "--offsets")
		if !strings.Contains(r.Stdout, " - ") && strings.Count(r.Stdout, "console-consumer") == 3 {
			break
		}
	}
	x.same("offsets "+protocol, sortedLines(memberIDs(r.Stdout)))
}

// memberIDs replaces the member id column of a consumer-groups table (the
// field after the group name in data rows): each broker makes its own ids.
func memberIDs(s string) string {
	lines := strings.Split(norm(s), "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] == "GROUP" {
			continue
		}
		for j := 1; j < len(f); j++ {
			if strings.HasPrefix(f[j], "console-consumer-") || len(f[j]) == 22 {
				f[j] = "<member>"
			}
		}
		lines[i] = strings.Join(f, " ")
	}
	return strings.Join(lines, "\n")
}

// epochs replaces the CURRENT-EPOCH and TARGET-EPOCH columns of a verbose
// members table by whether they agree (the member has reconciled): their
// values follow how often each broker bumps the group epoch.
func epochs(s string) string {
	lines := strings.Split(s, "\n")
	cur, target := -1, -1
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == "GROUP" {
			for j, h := range f {
				switch h {
				case "CURRENT-EPOCH":
					cur = j
				case "TARGET-EPOCH":
					target = j
				}
			}
			continue
		}
		if cur < 0 || target < 0 || len(f) <= max(cur, target) {
			continue
		}
		state := "<reconciled>"
		if f[cur] != f[target] {
			state = "<reconciling>"
		}
		f[cur], f[target] = state, state
		lines[i] = strings.Join(f, " ")
	}
	return strings.Join(lines, "\n")
}
