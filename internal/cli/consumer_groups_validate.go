package cli

import (
	"strings"
)

// resetScenarios are the --reset-offsets strategies, one of which is needed.
var resetScenarios = []string{"to-earliest", "to-latest", "to-current", "to-offset", "to-datetime", "shift-by", "by-duration", "from-file"}

// validate checks the flag combinations Kafka's ConsumerGroupCommand checks.
func (o *consumerGroupsOptions) validate() error {
	actions := 0
	for _, b := range []bool{o.list, o.describe, o.delete, o.resetOffsets, o.deleteOffsets} {
		if b {
			actions++
		}
	}
	if actions != 1 {
		return usageErrorf("command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets")
	}
	if o.timeoutMs <= 0 {
		return usageErrorf("--timeout must be a positive number of milliseconds, not %d", o.timeoutMs)
	}
	for _, check := range []func() error{o.checkGroupScope, o.checkOnlyWith, o.checkReset, o.checkDeleteOffsets} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// checkGroupScope requires --group or --all-groups where an action needs one.
func (o *consumerGroupsOptions) checkGroupScope() error {
	if o.list {
		if len(o.groups) > 0 || o.allGroups {
			return usageErrorf("option --list does not take --group or --all-groups")
		}
		return nil
	}
	if o.deleteOffsets {
		if o.allGroups {
			return usageErrorf("option --delete-offsets takes one --group, not --all-groups")
		}
		return nil
	}
	action := "describe"
	switch {
	case o.delete:
		action = "delete"
	case o.resetOffsets:
		action = "reset-offsets"
	}
	if (len(o.groups) > 0) == o.allGroups {
		return usageErrorf("option --%s takes exactly one of --group G (repeatable) or --all-groups", action)
	}
	return nil
}

// checkOnlyWith rejects flags given with an action that ignores them.
func (o *consumerGroupsOptions) checkOnlyWith() error {
	rules := []struct {
		flags  []string
		ok     bool
		action string
	}{
		{[]string{"members", "offsets", "verbose"}, o.describe, "--describe"},
		{[]string{"state"}, o.describe || o.list, "--describe or --list"},
		{[]string{"type"}, o.list, "--list"},
		{[]string{"topic"}, o.resetOffsets || o.deleteOffsets, "--reset-offsets or --delete-offsets"},
		{append([]string{"all-topics", "execute", "dry-run", "export"}, resetScenarios...), o.resetOffsets, "--reset-offsets"},
	}
	for _, r := range rules {
		for _, f := range r.flags {
			if o.set[f] && !r.ok {
				return usageErrorf("option --%s is only valid with %s", f, r.action)
			}
		}
	}
	if o.list {
		if _, err := parseGroupStates(o.state); err != nil {
			return err
		}
		if _, err := parseChoices(o.groupType, "type", groupTypes); err != nil {
			return err
		}
	}
	if o.describe {
		n := 0
		for _, f := range []string{"members", "offsets", "state"} {
			if o.set[f] {
				n++
			}
		}
		if n > 1 {
			return usageErrorf("option --describe takes at most one of --members, --offsets, --state")
		}
		if o.set["state"] && o.state != stateAll {
			return usageErrorf("with --describe, --state takes no value (got %q)", o.state)
		}
	}
	return nil
}

// checkReset checks --reset-offsets: one strategy, one scope, and not both
// --execute and --dry-run.
func (o *consumerGroupsOptions) checkReset() error {
	if !o.resetOffsets {
		return nil
	}
	var given []string
	for _, s := range resetScenarios {
		if o.set[s] {
			given = append(given, "--"+s)
		}
	}
	if len(given) != 1 {
		return usageErrorf("option --reset-offsets takes exactly one of --%s (got %d)", strings.Join(resetScenarios, ", --"), len(given))
	}
	// A plan from a file names its own partitions.
	if (len(o.topics) > 0) == o.allTopics && !o.set["from-file"] {
		return usageErrorf("one of the reset scopes should be defined: --all-topics, --topic")
	}
	if o.execute && o.dryRun {
		return usageErrorf("option --reset-offsets only accepts one of --execute, --dry-run")
	}
	return nil
}

// checkDeleteOffsets requires one --group and at least one --topic.
func (o *consumerGroupsOptions) checkDeleteOffsets() error {
	if !o.deleteOffsets {
		return nil
	}
	if len(o.groups) != 1 || len(o.topics) == 0 {
		return usageErrorf("option --delete-offsets takes one --group and at least one --topic (got %d groups, %d topics)", len(o.groups), len(o.topics))
	}
	return nil
}

// consumerGroupStates are the states a consumer group can be in, as
// ListGroups filters take them.
var consumerGroupStates = []string{"PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty", "Assigning", "Reconciling"}

// parseGroupStates reads --state's comma-separated filter, case-insensitive;
// a bare --state filters nothing.
func parseGroupStates(v string) ([]string, error) {
	return parseChoices(v, "state", consumerGroupStates)
}

func parseChoices(v, what string, valid []string) ([]string, error) {
	if v == "" || v == stateAll {
		return nil, nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		found := ""
		for _, c := range valid {
			if strings.EqualFold(s, c) {
				found = c
			}
		}
		if found == "" {
			return nil, usageErrorf("invalid %s list '%s'. Valid %ss are: %s", what, v, what, strings.Join(valid, ", "))
		}
		out = append(out, found)
	}
	return out, nil
}
