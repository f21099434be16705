package validators

import "encoding/binary"

// EmptyHive returns a minimal valid registry hive file (regf) holding only a
// root key, for hivex to merge .reg files into: Debian ships no empty hive and
// hivex cannot create one. Layout: a 4 KiB base block, then one 4 KiB hbin with
// the root nk cell, its sk security cell, and a free cell for the rest.
func EmptyHive() []byte {
	const (
		baseSize = 0x1000
		binSize  = 0x1000
		rootOff  = 0x20 // cell offsets are relative to the first hbin
		nkSize   = 0x58 // 4 (size) + 0x4C (nk header) + 4 ("ROOT"), aligned to 8
		skOff    = rootOff + nkSize
		sdSize   = 20 // minimal self-relative security descriptor
		skSize   = 0x30
	)
	h := make([]byte, baseSize+binSize)
	le := binary.LittleEndian

	// Base block.
	copy(h[0:], "regf")
	le.PutUint32(h[0x04:], 1)       // primary sequence number
	le.PutUint32(h[0x08:], 1)       // secondary sequence number (equal: clean)
	le.PutUint32(h[0x14:], 1)       // major version
	le.PutUint32(h[0x18:], 3)       // minor version
	le.PutUint32(h[0x1C:], 0)       // file type: primary
	le.PutUint32(h[0x20:], 1)       // file format: direct memory load
	le.PutUint32(h[0x24:], rootOff) // root cell offset
	le.PutUint32(h[0x28:], binSize) // hive bins data size
	le.PutUint32(h[0x2C:], 1)       // clustering factor
	var sum uint32
	for i := 0; i < 0x1FC; i += 4 {
		sum ^= le.Uint32(h[i:])
	}
	le.PutUint32(h[0x1FC:], sum)

	// hbin header.
	bin := h[baseSize:]
	copy(bin[0:], "hbin")
	le.PutUint32(bin[0x04:], 0)       // offset of this bin
	le.PutUint32(bin[0x08:], binSize) // size of this bin

	// Root key: nk cell.
	nk := bin[rootOff:]
	le.PutUint32(nk[0:], negative(nkSize))
	copy(nk[4:], "nk")
	le.PutUint16(nk[0x06:], 0x0004|0x0008|0x0020) // KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME
	le.PutUint32(nk[0x14:], 0)                    // parent
	le.PutUint32(nk[0x18:], 0)                    // subkeys
	le.PutUint32(nk[0x1C:], 0)                    // volatile subkeys
	le.PutUint32(nk[0x20:], 0xFFFFFFFF)           // subkey list
	le.PutUint32(nk[0x24:], 0xFFFFFFFF)           // volatile subkey list
	le.PutUint32(nk[0x28:], 0)                    // values
	le.PutUint32(nk[0x2C:], 0xFFFFFFFF)           // value list
	le.PutUint32(nk[0x30:], skOff)                // security
	le.PutUint32(nk[0x34:], 0xFFFFFFFF)           // class name
	le.PutUint16(nk[0x4C:], 4)                    // name length
	copy(nk[0x50:], "ROOT")

	// Security: sk cell linked to itself.
	sk := bin[skOff:]
	le.PutUint32(sk[0:], negative(skSize))
	copy(sk[4:], "sk")
	le.PutUint32(sk[0x08:], skOff) // flink
	le.PutUint32(sk[0x0C:], skOff) // blink
	le.PutUint32(sk[0x10:], 1)     // reference count
	le.PutUint32(sk[0x14:], sdSize)
	sd := sk[0x18:]
	sd[0] = 1                    // revision
	le.PutUint16(sd[2:], 0x8000) // SE_SELF_RELATIVE

	// The rest of the bin is one free cell.
	free := bin[skOff+skSize:]
	le.PutUint32(free[0:], uint32(binSize-(skOff+skSize)))
	return h
}

// negative encodes an allocated cell's size: a cell in use has a negative size.
func negative(size int32) uint32 { return uint32(-size) }
