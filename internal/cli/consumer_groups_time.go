package cli

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// resetDatetimeLayouts are the forms --to-datetime accepts, as Kafka's
// Utils.getDateTime does: seconds with optional milliseconds (Go accepts a
// fraction after the seconds even when the layout has none), then a zone.
var resetDatetimeLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
}

// parseResetDatetime parses --to-datetime YYYY-MM-DDTHH:mm:SS.sss with an
// optional zone (Z, +hh:mm, +hhmm, +hh); without one the time is UTC, as in
// Kafka. It returns Unix milliseconds.
func parseResetDatetime(s string) (int64, error) {
	date, clock, ok := strings.Cut(s, "T")
	if !ok {
		return 0, usageErrorf("error parsing timestamp '%s': it does not contain a 'T' according to ISO8601 format (want YYYY-MM-DDTHH:mm:SS.sss)", s)
	}
	if !strings.ContainsAny(clock, "+-Z") {
		s = date + "T" + clock + "Z"
	}
	for _, layout := range resetDatetimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, usageErrorf("error parsing timestamp '%s': want YYYY-MM-DDTHH:mm:SS.sss with an optional zone such as Z or +01:00", s)
}

// isoDuration matches java.time.Duration's text form PnDTnHnMn.nS: an
// optional sign, days, then after T hours, minutes and seconds, each signed.
var isoDuration = regexp.MustCompile(`(?i)^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{1,9}))?S)?)?$`)

// parseISODuration parses --by-duration as java.time.Duration.parse does.
func parseISODuration(s string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(s)
	bad := usageErrorf("invalid --by-duration '%s': want an ISO-8601 duration PnDTnHnMnS such as P1DT2H or PT30M", s)
	if m == nil || (m[2] == "" && m[3] == "" && m[4] == "" && m[5] == "") || strings.HasSuffix(strings.ToUpper(s), "T") {
		return 0, bad
	}
	total := 0.0
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+2] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+2], 10, 64)
		if err != nil {
			return 0, bad
		}
		total += float64(n) * float64(unit)
	}
	if m[6] != "" {
		frac, _ := strconv.ParseFloat("0."+m[6], 64)
		if strings.HasPrefix(m[5], "-") {
			frac = -frac
		}
		total += frac * float64(time.Second)
	}
	if m[1] == "-" {
		total = -total
	}
	if math.Abs(total) > math.MaxInt64 {
		return 0, usageErrorf("invalid --by-duration '%s': too long", s)
	}
	return time.Duration(total), nil
}
