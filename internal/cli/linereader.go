package cli

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// lineReader turns console-producer input lines into records, following
// Kafka's LineMessageReader properties.
type lineReader struct {
	parseKey, parseHeaders bool
	keySep                 string // key.separator, default tab
	headersDelim           string // headers.delimiter, default tab
	headersSep             string // headers.separator, default ","
	headerKeySep           string // headers.key.separator, default ":"
	ignoreError            bool   // ignore.error: a line without separator is all value
	nullMarker             string // null.marker: this text stands for a null key, value or header value
}

func newLineReader(props map[string]string) *lineReader {
	get := func(k, def string) string {
		if v, ok := props[k]; ok {
			return v
		}
		return def
	}
	return &lineReader{
		parseKey:     strings.EqualFold(props["parse.key"], "true"),
		parseHeaders: strings.EqualFold(props["parse.headers"], "true"),
		keySep:       get("key.separator", "\t"),
		headersDelim: get("headers.delimiter", "\t"),
		headersSep:   get("headers.separator", ","),
		headerKeySep: get("headers.key.separator", ":"),
		ignoreError:  strings.EqualFold(props["ignore.error"], "true"),
		nullMarker:   props["null.marker"],
	}
}

// parse converts one line (without its newline) into a record.
func (lr *lineReader) parse(line string, number int) (*kgo.Record, error) {
	rec := &kgo.Record{}
	rest := line
	if lr.parseHeaders {
		headers, after, ok := strings.Cut(rest, lr.headersDelim)
		switch {
		case ok:
			hs, err := lr.headers(headers, line, number)
			if err != nil {
				return nil, err
			}
			rec.Headers, rest = hs, after
		case !lr.ignoreError:
			return nil, fmt.Errorf("no headers delimiter found on line number %d: '%s'", number, line)
		}
	}
	if lr.parseKey {
		key, value, ok := strings.Cut(rest, lr.keySep)
		switch {
		case ok:
			rec.Key, rest = lr.bytes(key), value
		case !lr.ignoreError:
			return nil, fmt.Errorf("no key separator found on line number %d: '%s'", number, line)
		}
	}
	rec.Value = lr.bytes(rest)
	return rec, nil
}

// headers parses "k1:v1,k2:v2"; a header without a key separator has a null
// value.
func (lr *lineReader) headers(s, line string, number int) ([]kgo.RecordHeader, error) {
	if lr.nullMarker != "" && s == lr.nullMarker {
		return nil, nil
	}
	var hs []kgo.RecordHeader
	for _, h := range strings.Split(s, lr.headersSep) {
		k, v, ok := strings.Cut(h, lr.headerKeySep)
		if lr.nullMarker != "" && k == lr.nullMarker {
			return nil, fmt.Errorf("header key cannot match null.marker on line number %d: '%s'", number, line)
		}
		hdr := kgo.RecordHeader{Key: k}
		if ok {
			hdr.Value = lr.bytes(v)
		}
		hs = append(hs, hdr)
	}
	return hs, nil
}

// bytes returns nil for the null marker, else the text as bytes.
func (lr *lineReader) bytes(s string) []byte {
	if lr.nullMarker != "" && s == lr.nullMarker {
		return nil
	}
	return []byte(s)
}
