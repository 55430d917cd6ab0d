package cli

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// deserializer turns a key, value or header's bytes into the text Kafka's
// DefaultMessageFormatter prints for them: the Java deserializer's result's
// toString(). As in Kafka, a null field reaches the deserializer as the
// null literal's bytes.
type deserializer func(b []byte) (string, error)

// javaSerdePackage is where Kafka's built-in deserializers live.
const javaSerdePackage = "org.apache.kafka.common.serialization."

// deserializers are Kafka's built-in deserializers Samsa's tool
// reproduces, by simple class name. ByteArrayDeserializer prints the bytes
// as they are: Java would print the array's identity ("[B@1b6d3586").
var deserializers = map[string]deserializer{
	"StringDeserializer":    func(b []byte) (string, error) { return string(b), nil },
	"ByteArrayDeserializer": func(b []byte) (string, error) { return string(b), nil },
	"BytesDeserializer":     func(b []byte) (string, error) { return javaBytesString(b), nil },
	"ShortDeserializer":     fixedInt("ShortDeserializer", 2),
	"IntegerDeserializer":   fixedInt("IntegerDeserializer", 4),
	"LongDeserializer":      fixedInt("LongDeserializer", 8),
	"FloatDeserializer": func(b []byte) (string, error) {
		if len(b) != 4 {
			return "", sizeError("FloatDeserializer", 4)
		}
		return javaFloatString(float64(math.Float32frombits(binary.BigEndian.Uint32(b))), 32), nil
	},
	"DoubleDeserializer": func(b []byte) (string, error) {
		if len(b) != 8 {
			return "", sizeError("DoubleDeserializer", 8)
		}
		return javaFloatString(math.Float64frombits(binary.BigEndian.Uint64(b)), 64), nil
	},
	"BooleanDeserializer": func(b []byte) (string, error) {
		if len(b) != 1 {
			return "", sizeError("BooleanDeserializer", 1)
		}
		switch b[0] {
		case 0:
			return "false", nil
		case 1:
			return "true", nil
		}
		return "", fmt.Errorf("unexpected byte received by BooleanDeserializer: %d", b[0])
	},
	"UUIDDeserializer": func(b []byte) (string, error) {
		// A UUID's string form: Kafka's UUIDSerializer writes it as text.
		if !isUUIDText(b) {
			return "", fmt.Errorf("error parsing data into UUID")
		}
		return strings.ToLower(string(b)), nil
	},
}

// lookupDeserializer finds a deserializer by its Java class name (or its
// simple name); an unknown one is an error naming the known ones.
func lookupDeserializer(class string) (deserializer, error) {
	d, ok := deserializers[strings.TrimPrefix(strings.TrimSpace(class), javaSerdePackage)]
	if !ok {
		names := make([]string, 0, len(deserializers))
		for n := range deserializers {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, usageErrorf("unable to instantiate a deserializer from %s: Samsa's tool knows %s%s", class, javaSerdePackage,
			strings.Join(names, ", "+javaSerdePackage))
	}
	return d, nil
}

func sizeError(class string, n int) error {
	return fmt.Errorf("size of data received by %s is not %d", class, n)
}

// fixedInt decodes a big-endian signed integer of n bytes.
func fixedInt(class string, n int) deserializer {
	return func(b []byte) (string, error) {
		if len(b) != n {
			return "", sizeError(class, n)
		}
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		shift := 64 - 8*n
		return strconv.FormatInt(v<<shift>>shift, 10), nil
	}
}

// javaBytesString renders bytes as Kafka's Bytes.toString does: printable
// ASCII but the backslash as is, every other byte as \xHH.
func javaBytesString(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= ' ' && c <= '~' && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02X", c)
		}
	}
	return sb.String()
}

// javaFloatString renders a float as Java's Double.toString (bits 64) or
// Float.toString (bits 32) does, with the shortest digits that round-trip:
// plain notation with at least one decimal between 10^-3 and 10^7,
// computerized scientific notation ("1.0E10") outside.
func javaFloatString(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(v)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(v, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'E', -1, bits) // 1E+10, 1.5E-05
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// isUUIDText reports whether b is a UUID in its 8-4-4-4-12 hex form.
func isUUIDText(b []byte) bool {
	if len(b) != 36 {
		return false
	}
	for i, c := range b {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F'):
			return false
		}
	}
	return true
}
