package pol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// Record is one decoded PReg record.
type Record struct {
	Key, Name string
	Type      uint32
	Data      []byte
}

// Decode parses a PReg file strictly: signature, version, and records with
// terminated strings, sizes that fit, and nothing after the last record.
func Decode(data []byte) ([]Record, error) {
	if len(data) < 8 || string(data[:4]) != Signature {
		return nil, errors.New("not a PReg file: missing signature")
	}
	if v := binary.LittleEndian.Uint32(data[4:8]); v != Version {
		return nil, fmt.Errorf("PReg version %d, want %d", v, Version)
	}
	var recs []Record
	r := data[8:]
	char := func(c byte) error {
		if len(r) < 2 || r[0] != c || r[1] != 0 {
			return fmt.Errorf("record %d: expected %q", len(recs)+1, c)
		}
		r = r[2:]
		return nil
	}
	str := func() (string, error) {
		var u []uint16
		for {
			if len(r) < 2 {
				return "", fmt.Errorf("record %d: unterminated string", len(recs)+1)
			}
			c := binary.LittleEndian.Uint16(r)
			r = r[2:]
			if c == 0 {
				return string(utf16.Decode(u)), nil
			}
			u = append(u, c)
		}
	}
	u32 := func() (uint32, error) {
		if len(r) < 4 {
			return 0, fmt.Errorf("record %d: truncated", len(recs)+1)
		}
		v := binary.LittleEndian.Uint32(r)
		r = r[4:]
		return v, nil
	}
	for len(r) > 0 {
		var rec Record
		var err error
		var size uint32
		steps := []func() error{
			func() error { return char('[') },
			func() error { rec.Key, err = str(); return err },
			func() error { return char(';') },
			func() error { rec.Name, err = str(); return err },
			func() error { return char(';') },
			func() error { rec.Type, err = u32(); return err },
			func() error { return char(';') },
			func() error { size, err = u32(); return err },
			func() error { return char(';') },
			func() error {
				if uint64(size) > uint64(len(r)) {
					return fmt.Errorf("record %d: size %d beyond the data", len(recs)+1, size)
				}
				rec.Data, r = r[:size], r[size:]
				return nil
			},
			func() error { return char(']') },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return nil, err
			}
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// Text renders a PReg file one record a line, for golden files and drift
// diffs that show which entry changed.
func Text(data []byte) (string, error) {
	recs, err := Decode(data)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s version %d, %d records\n", Signature, Version, len(recs))
	for _, rec := range recs {
		fmt.Fprintf(&b, "[%s] %s = %s\n", rec.Key, rec.Name, dataText(rec))
	}
	return b.String(), nil
}

func dataText(rec Record) string {
	switch {
	case rec.Type == 4 && len(rec.Data) == 4:
		return fmt.Sprintf("REG_DWORD %d", binary.LittleEndian.Uint32(rec.Data))
	case rec.Type == 1 && len(rec.Data)%2 == 0:
		u := make([]uint16, len(rec.Data)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(rec.Data[2*i:])
		}
		if n := len(u); n > 0 && u[n-1] == 0 {
			return fmt.Sprintf("REG_SZ %q", string(utf16.Decode(u[:n-1])))
		}
		return fmt.Sprintf("REG_SZ (no NUL) %q", string(utf16.Decode(u)))
	default:
		return fmt.Sprintf("type %d, %d bytes % x", rec.Type, len(rec.Data), rec.Data)
	}
}
