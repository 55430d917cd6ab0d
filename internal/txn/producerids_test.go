package txn

import (
	"os"
	"testing"
)

func TestProducerIDsUniqueAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	seen := make(map[int64]bool)
	for round := 0; round < 3; round++ {
		p, err := OpenProducerIDs(dir)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 1500; i++ {
			id, err := p.Next()
			if err != nil {
				t.Fatal(err)
			}
			if seen[id] {
				t.Fatalf("round %d: id %d handed out twice", round, id)
			}
			seen[id] = true
		}
	}
}

func TestProducerIDsRejectsGarbage(t *testing.T) {
	dir := t.TempDir()
	p, _ := OpenProducerIDs(dir)
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(p.path, "not a number"); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenProducerIDs(dir); err == nil {
		t.Fatal("expected an error for a corrupt file")
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
