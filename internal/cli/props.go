package cli

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/samsa-io/samsa/internal/config"
)

// loadProperties reads a Java properties file (--command-config,
// --producer.config, --consumer.config) into a map; later keys win.
func loadProperties(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read properties: %w", err)
	}
	list, err := config.ParseProperties(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	props := make(map[string]string, len(list))
	for _, p := range list {
		props[p.Key] = p.Value
	}
	return props, nil
}

// parseKVs parses repeated "key=value" flag values (--property,
// --producer-property, --config, ...) into a map; later keys win.
func parseKVs(flag string, values []string) (map[string]string, error) {
	out := make(map[string]string, len(values))
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErrorf("invalid %s %q: want key=value", flag, kv)
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}

// splitConfigList splits kafka-configs' --add-config value "k1=v1,k2=[a,b]"
// into "k=v" items. Square brackets group a value that contains commas; the
// brackets are removed, as Kafka does.
func splitConfigList(s string) ([]string, error) {
	var items []string
	var cur strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '[':
			depth++
		case r == ']':
			if depth == 0 {
				return nil, usageErrorf("unbalanced ']' in %q", s)
			}
			depth--
		case r == ',' && depth == 0:
			items = appendNonEmpty(items, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	if depth != 0 {
		return nil, usageErrorf("unbalanced '[' in %q", s)
	}
	return appendNonEmpty(items, cur.String()), nil
}

func appendNonEmpty(items []string, s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		items = append(items, s)
	}
	return items
}

// mergeProps returns base overlaid with each later map in turn.
func mergeProps(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// sortedKeys returns a map's keys in order, for stable requests and output.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
