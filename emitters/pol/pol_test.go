package pol

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/emitters/regfile"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// expectEntries is what Samba must read for a plan: every operation, deletions
// as **del. records with a single space.
func expectEntries(plan regplan.Plan) []validators.PolEntry {
	var out []validators.PolEntry
	for _, o := range plan.Ops {
		switch {
		case o.Delete:
			out = append(out, validators.PolEntry{Key: o.Key, Name: DeletePrefix + o.Name, Type: 1, Size: 4, Str: " "})
		case o.Type == regplan.DWord:
			out = append(out, validators.PolEntry{Key: o.Key, Name: o.Name, Type: 4, Size: 4, DWord: o.DWord})
		default:
			out = append(out, validators.PolEntry{Key: o.Key, Name: o.Name, Type: 1, Size: 2 * (len([]rune(o.Str)) + 1), Str: o.Str})
		}
	}
	return out
}

// checkWithSamba parses data with Samba's PReg parser and compares it with the plan.
func checkWithSamba(t *testing.T, data []byte, plan regplan.Plan) error {
	pf, err := validators.SambaPReg(t, data)
	if err != nil {
		return err
	}
	if pf.Signature != Signature || pf.Version != Version {
		return fmt.Errorf("header %q version %d", pf.Signature, pf.Version)
	}
	if !pf.Roundtrip {
		return fmt.Errorf("Samba does not re-encode the file byte-identically")
	}
	if d := cmp.Diff(expectEntries(plan), pf.Entries); d != "" {
		return fmt.Errorf("entries (-plan +samba):\n%s", d)
	}
	return nil
}

// TestSamba parses every example profile's Registry.pol with Samba, and checks
// that the values it sets are the ones hivex reads from the profile's .reg.
func TestSamba(t *testing.T) {
	for _, p := range testfleet.Profiles(t) {
		plan := regplan.For(p)
		if len(plan.Ops) == 0 {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			data := Encode(plan)
			if err := checkWithSamba(t, data, plan); err != nil {
				t.Fatal(err)
			}
			reg, err := validators.HivexMerge(t, regfile.Apply(p.Name, plan))
			if err != nil {
				t.Fatal(err)
			}
			pf, _ := validators.SambaPReg(t, data)
			for _, e := range pf.Entries {
				if e.Type == 1 && len(e.Name) > len(DeletePrefix) && e.Name[:len(DeletePrefix)] == DeletePrefix {
					if _, there := reg[e.Key][e.Name[len(DeletePrefix):]]; there {
						t.Errorf("%s\\%s: deleted by Registry.pol but set by the .reg", e.Key, e.Name)
					}
					continue
				}
				want := e.Str
				if e.Type == 4 {
					want = fmt.Sprint(e.DWord)
				}
				if got := reg[e.Key][e.Name].Data; got != want {
					t.Errorf("%s\\%s: Registry.pol %q, .reg %q", e.Key, e.Name, want, got)
				}
			}
		})
	}
}

// TestSambaCheckRejectsBrokenFiles proves the check catches what Samba rejects
// and what it accepts but cannot re-encode.
func TestSambaCheckRejectsBrokenFiles(t *testing.T) {
	plan := regplan.For(testfleet.Profile(t, "dc-offline"))
	good := Encode(plan)
	wrongSig := bytes.Clone(good)
	copy(wrongSig, "PRex")
	wrongVersion := bytes.Clone(good)
	binary.LittleEndian.PutUint32(wrongVersion[4:], 2)
	bigSize := bytes.Clone(good)
	// The first record's size field follows "[key\0;name\0;type;".
	i := bytes.Index(bigSize, []byte{';', 0, 4, 0, 0, 0, ';', 0})
	binary.LittleEndian.PutUint32(bigSize[i+8:], 4000)
	cases := map[string][]byte{
		"truncated":          good[:len(good)-3],
		"missing ]":          good[:len(good)-2],
		"trailing bytes":     append(bytes.Clone(good), 1, 2, 3),
		"size beyond data":   bigSize,
		"wrong signature":    wrongSig,
		"wrong version":      wrongVersion,
		"one record changed": Encode(regplan.Plan{Ops: plan.Ops[1:]}),
	}
	for name, data := range cases {
		if err := checkWithSamba(t, data, plan); err == nil {
			t.Errorf("%s: passed the Samba check", name)
		}
		if name != "one record changed" {
			if _, err := Decode(data); err == nil {
				t.Errorf("%s: our decoder accepted it", name)
			}
		}
	}
}

func TestText(t *testing.T) {
	got, err := Text(Encode(regplan.For(testfleet.Profile(t, "dc-offline"))))
	if err != nil {
		t.Fatal(err)
	}
	want := `PReg version 1, 7 records
[SOFTWARE\Policies\Microsoft\Windows\DataCollection] TelemetryProxyServer = REG_SZ "proxy.contoso.com:8080"
[SOFTWARE\Policies\Microsoft\Windows\DataCollection] DisableEnterpriseAuthProxy = REG_DWORD 1
[SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection] PreferStaticProxyForHttpRequest = REG_DWORD 1
[SOFTWARE\Policies\Microsoft\Windows Defender] ProxyServer = REG_SZ "http://proxy.contoso.com:8080"
[SOFTWARE\Policies\Microsoft\Windows Defender] **del.ProxyPacUrl = REG_SZ " "
[SOFTWARE\Policies\Microsoft\Windows Defender] ProxyBypass = REG_SZ "<local>;*.contoso.com;intranet;10.*"
[SOFTWARE\Policies\Microsoft\Windows Defender\Spynet] SSLOptions = REG_DWORD 2
`
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
