package behavior

import (
	"encoding/binary"
	"errors"
	"math"
)

// Profiles are most of a snapshot: they encode themselves in a compact binary layout
// (gob's reflection over a million of them took ~45 s; this takes a few).

// profileCodecVersion 3 keeps times in milliseconds; version 2 kept First, Last and
// AlertAt in seconds and is still read.
const (
	profileCodecVersion = 3
	profileCodecSeconds = 2
)

var errProfileCodec = errors.New("behavior: corrupt profile in snapshot")

// GobEncode implements gob.GobEncoder.
func (p *profile) GobEncode() ([]byte, error) {
	b := make([]byte, 0, 64+len(p.Entries)*16)
	b = append(b, profileCodecVersion)
	b = binary.AppendVarint(b, int64(p.First))
	b = binary.AppendVarint(b, int64(p.Last))
	b = binary.AppendUvarint(b, uint64(p.N))
	b = binary.AppendVarint(b, int64(p.Land))
	b = binary.AppendUvarint(b, uint64(p.Peer))
	for _, t := range p.Totals {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(t))
	}
	b = binary.AppendUvarint(b, uint64(len(p.Entries)))
	for _, e := range p.Entries {
		b = binary.LittleEndian.AppendUint64(b, e.Key)
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(e.W))
		b = binary.AppendUvarint(b, uint64(e.First))
	}
	if p.R == nil {
		return append(b, 0), nil
	}
	r := p.R
	b = append(b, 1, byte(r.TZ))
	if r.TZSet {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = append(b, r.Hours[:]...)
	b = binary.AppendUvarint(b, uint64(r.HoursN))
	b = binary.AppendVarint(b, int64(r.AlertAt))
	b = append(b, r.AlertScore)
	b = binary.AppendUvarint(b, uint64(len(r.Rates)))
	for _, x := range r.Rates {
		b = append(b, x.Cat)
		for _, v := range [...]uint32{x.Hour, x.Cur, x.Prev, x.PeakH, x.AlertH} {
			b = binary.AppendUvarint(b, uint64(v))
		}
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x.Peak))
	}
	return b, nil
}

// profileReader reads the layout GobEncode writes, remembering the first error.
type profileReader struct {
	b   []byte
	err error
}

func (r *profileReader) varint() int64 {
	v, n := binary.Varint(r.b)
	return int64(r.skip(uint64(v), n))
}

func (r *profileReader) uvarint() uint64 { return r.skip(binary.Uvarint(r.b)) }

// skip consumes the n bytes a varint took and returns its value (0 after an error).
func (r *profileReader) skip(v uint64, n int) uint64 {
	if n <= 0 {
		r.err = errProfileCodec
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *profileReader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.err = errProfileCodec
		return make([]byte, max(n, 0))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *profileReader) u32() uint32 { return binary.LittleEndian.Uint32(r.bytes(4)) }

func (r *profileReader) f32() float32 { return math.Float32frombits(r.u32()) }

// GobDecode implements gob.GobDecoder.
func (p *profile) GobDecode(b []byte) error {
	r := &profileReader{b: b}
	v := r.bytes(1)
	if r.err != nil || (v[0] != profileCodecVersion && v[0] != profileCodecSeconds) {
		return errProfileCodec
	}
	unit := millis(1)
	if v[0] == profileCodecSeconds {
		unit = 1000
	}
	p.First, p.Last = unit*millis(r.varint()), unit*millis(r.varint())
	p.N = uint32(r.uvarint())
	p.Land = int32(r.varint())
	p.Peer = uint32(r.uvarint())
	for i := range p.Totals {
		p.Totals[i] = r.f32()
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)/13) {
		return errProfileCodec
	}
	p.Entries = make([]entry, n)
	for i := range p.Entries {
		p.Entries[i] = entry{Key: binary.LittleEndian.Uint64(r.bytes(8)), W: r.f32(), First: uint32(r.uvarint())}
	}
	if r.bytes(1)[0] == 1 {
		x := &rhythm{}
		hdr := r.bytes(2)
		x.TZ, x.TZSet = int8(hdr[0]), hdr[1] == 1
		copy(x.Hours[:], r.bytes(len(x.Hours)))
		x.HoursN = uint32(r.uvarint())
		x.AlertAt = unit * millis(r.varint())
		x.AlertScore = r.bytes(1)[0]
		n := r.uvarint()
		if r.err != nil || n > uint64(len(r.b)/11) {
			return errProfileCodec
		}
		x.Rates = make([]rate, n)
		for i := range x.Rates {
			c := r.bytes(1)[0]
			var v [5]uint32
			for j := range v {
				v[j] = uint32(r.uvarint())
			}
			x.Rates[i] = rate{Cat: c, Hour: v[0], Cur: v[1], Prev: v[2], PeakH: v[3], AlertH: v[4], Peak: r.f32()}
		}
		p.R = x
	}
	return r.err
}
